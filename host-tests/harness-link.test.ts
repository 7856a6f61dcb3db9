// Envoy's load / link / start rules (digest §0, §12.1), each probed by one minimal WAT module
// from host-tests/fixtures/wat/. The expected wording is cpp-host's, since operators grep for it.
import { afterEach, describe, expect, it } from "vitest";
import type { Host, HeaderList, WasmFilterConfig } from "./harness/api";
import { ConfigRejectedError, createHost, WasmLoadError } from "./harness/index";
import { wat } from "./fixtures/wat/compile";

let hosts: Host[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

let seq = 0;
function filter(file: string, extra: Partial<WasmFilterConfig> = {}): WasmFilterConfig {
  seq += 1;
  // A fresh vm_id per test: shared data and VM keys must not leak between cases.
  return { name: `link-${seq}`, rootId: `link-root-${seq}`, vmId: `link-vm-${seq}`, code: wat(file), configuration: "{}", ...extra };
}

async function start(file: string, extra: Partial<WasmFilterConfig> = {}): Promise<Host> {
  const host = await createHost([filter(file, extra)], { workers: 1 });
  hosts.push(host);
  return host;
}

async function refused(file: string, extra: Partial<WasmFilterConfig> = {}): Promise<Error> {
  try {
    await start(file, extra);
  } catch (e) {
    return e as Error;
  }
  throw new Error(`${file} was accepted, but Envoy refuses it`);
}

function messages(host: Host): string[] {
  return host.logs.map((l) => l.message);
}

function values(headers: HeaderList | undefined, name: string): string[] {
  return (headers ?? []).filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
}

const empty = new Uint8Array();

describe("link errors", () => {
  it("rejects an import Envoy does not provide", async () => {
    const err = await refused("unknown-import.wat");
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toContain("Failed to load Wasm module due to a missing import: env.proxy_does_not_exist");
  });

  it("rejects an import whose signature differs from the host function", async () => {
    const err = await refused("mistyped-import.wat");
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toContain("Failed to load Wasm module due to an import type mismatch: env.proxy_log");
    // Module's view first, then the host's, as cpp-host prints them.
    expect(err.message).toMatch(/want: i32 i32 -> i32, but host exports: i32 i32 i32 -> i32/);
  });

  it("rejects any imported global, reported as a missing import", async () => {
    const err = await refused("imported-global.wat");
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toContain("Failed to load Wasm module due to a missing import: env.tollgate_global");
  });

  it("rejects a module without a known ABI marker", async () => {
    const err = await refused("no-abi-marker.wat");
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toContain("Missing or unknown Proxy-Wasm ABI version");
  });

  it("does not accept a global as the ABI marker", async () => {
    const err = await refused("abi-marker-not-function.wat");
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toContain("Missing or unknown Proxy-Wasm ABI version");
  });

  it("does not link proxy_clear_route_cache for ABI 0.2.1", async () => {
    const err = await refused("clear-route-cache-0_2_1.wat");
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toContain("missing import: env.proxy_clear_route_cache");
  });

  it("rejects a callback exported with the wrong signature", async () => {
    const err = await refused("bad-export-signature.wat");
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toMatch(/Bad function signature for:? proxy_on_request_headers/);
  });

  it("requires malloc or proxy_on_memory_allocate", async () => {
    const err = await refused("no-allocator.wat");
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toContain("missing malloc function");
  });
});

describe("allocator choice", () => {
  it("prefers malloc over proxy_on_memory_allocate (the spec says the reverse)", async () => {
    const host = await start("malloc-and-allocate.wat", { vmConfiguration: "vm-config" });
    const seen = messages(host).filter((m) => m.startsWith("allocator="));
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(["allocator=malloc"]));
  });

  it("turns a malloc that returns 0 into InvalidMemoryAccess (6) for the hostcall", async () => {
    const host = await start("malloc-returns-zero.wat", { vmConfiguration: "vm-config" });
    const seen = messages(host).filter((m) => m.startsWith("get_buffer_bytes="));
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(["get_buffer_bytes=6"]));
  });

  it("traps a malloc that calls a hostcall outside the malloc allowlist", async () => {
    const err = await refused("malloc-restricted.wat", { vmConfiguration: "vm-config" });
    // The trap escapes proxy_on_vm_start in the canary, so the configuration is rejected.
    expect(err).toBeInstanceOf(ConfigRejectedError);
    expect(err.message).toContain("restricted_callback");
  });
});

describe("start functions", () => {
  it("runs _initialize and not _start when both are exported", async () => {
    const host = await start("initialize-and-start.wat");
    const seen = messages(host).filter((m) => m.startsWith("initialize="));
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(["initialize=1 start=0"]));
  });

  it("calls main(0, 0) after _initialize, still without _start", async () => {
    const host = await start("initialize-main.wat");
    const seen = messages(host).filter((m) => m.startsWith("initialize="));
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(["initialize=1 main=1 start=0"]));
  });

  it("runs _start when it is the only start function", async () => {
    const host = await start("start-only.wat");
    const seen = messages(host).filter((m) => m.startsWith("initialize="));
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set(["initialize=0 start=1"]));
  });

  it("allows proxy_log from _initialize", async () => {
    const host = await start("initialize-logs.wat");
    const logs = host.logs.filter((l) => l.message === "hello from _initialize");
    expect(logs.length).toBeGreaterThan(0);
    expect(logs.every((l) => l.level === 2)).toBe(true);
  });

  it("fails the load when _initialize calls a restricted proxy hostcall", async () => {
    const err = await refused("initialize-restricted.wat");
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toContain("restricted_callback");
  });

  // cpp-host WasmBase::startVm allowlists individual WASI calls, not WASI as a whole.
  it("fails the load when _initialize calls a WASI function outside the start allowlist", async () => {
    const err = await refused("initialize-wasi-not-allowlisted.wat");
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toContain("restricted_callback");
  });

  // emscripten_notify_memory_growth is linked but not on cpp-host's start allowlist.
  it("fails the load when _start notifies memory growth", async () => {
    const err = await refused("start-notify-memory-growth.wat");
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toContain("restricted_callback");
  });
});

describe("ABI 0.1.0", () => {
  it("calls (ctx, n) header callbacks, links clear_route_cache and returns Ok for a missing header", async () => {
    const host = await start("abi-0_1_0.wat");
    const result = await host.exchange({
      request: { method: "GET", path: "/v1/models", authority: "api.example.com", headers: [], body: empty },
      response: { status: 200, headers: [["content-type", "application/json"]], body: new TextEncoder().encode("{}") },
    });
    expect(result.trap).toBeUndefined();
    const up = result.upstreamRequest?.headers;
    expect(values(up, "x-abi")).toEqual(["0.1.0"]);
    expect(values(up, "x-missing-header-result")).toEqual(["0"]);
    expect(values(up, "x-clear-route-cache")).toEqual(["0"]);
    expect(values(result.downstreamResponse?.headers, "x-abi-response")).toEqual(["0.1.0"]);
  });
});
