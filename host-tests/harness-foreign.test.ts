// Modules from other toolchains: the C fixtures in host-tests/fixtures/foreign/ imitate what
// emscripten (a WASI command exporting malloc, ABI 0.2.1) and Go (a WASI reactor exporting only
// proxy_on_memory_allocate, ABI 0.2.0) emit. The host must run them exactly as Envoy would,
// not only modules shaped like our own AssemblyScript SDK's.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Exchange, HeaderList, Host, WasmFilterConfig } from "./harness/api";
import { createHost } from "./harness/index";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = join(root, "host-tests/fixtures/foreign/out");

beforeAll(() => {
  // Never skip: a machine without the toolchain must fail loudly, or CI would go green with
  // the foreign-toolchain coverage silently missing.
  const r = spawnSync(process.execPath, [join(root, "scripts/build-fixtures.mjs")], { encoding: "utf8" });
  if (r.status !== 0) {
    throw new Error(
      `building the foreign-toolchain fixtures failed; run \`apt-get install clang lld wasi-libc libclang-rt-dev-wasm32\`\n${r.stdout}${r.stderr}`,
    );
  }
});

let hosts: Host[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

let seq = 0;
async function start(fixture: string, workers: number, extra: Partial<WasmFilterConfig> = {}): Promise<Host> {
  seq += 1;
  const host = await createHost(
    [
      {
        name: fixture,
        rootId: `${fixture}-root`,
        // Shared data is keyed by vm_id process-wide; a fresh one keeps counters per test.
        vmId: `foreign-${fixture}-${seq}`,
        code: join(outDir, `${fixture}.wasm`),
        ...extra,
      },
    ],
    { workers },
  );
  hosts.push(host);
  return host;
}

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array | undefined) => new TextDecoder().decode(b ?? new Uint8Array());

function values(headers: HeaderList | undefined, name: string): string[] {
  return (headers ?? []).filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
}

function get(path: string, worker?: number): Exchange {
  return {
    request: { method: "GET", path, authority: "api.example.com", headers: [["accept", "application/json"]], body: new Uint8Array() },
    response: { status: 200, headers: [["content-type", "application/json"], ["content-length", "2"]], body: enc("{}") },
    attributes: worker === undefined ? undefined : { worker },
  };
}

function post(path: string, body: string, chunks: number[], worker?: number): Exchange {
  return {
    request: {
      method: "POST",
      path,
      authority: "api.example.com",
      headers: [["content-type", "text/plain"], ["content-length", String(enc(body).length)]],
      body: enc(body),
      chunks,
    },
    response: { status: 200, headers: [["content-type", "application/json"], ["content-length", "2"]], body: enc("{}") },
    attributes: worker === undefined ? undefined : { worker },
  };
}

describe("emscripten-style module (_start, malloc, ABI 0.2.1)", () => {
  const config = {
    configuration: "plugin-config-emscripten",
    vmConfiguration: "vm-config-emscripten",
    environmentVariables: { FOREIGN_GREETING: "hola from vm_config" },
  };

  it("starts through _start and reads both configuration buffers", async () => {
    const host = await start("emscripten-style", 1, config);
    const logs = host.logs;
    const at = (message: string) => logs.filter((l) => l.message === message);

    // printf -> fd_write(1) -> info, one trailing newline stripped.
    expect(at("emscripten-style: _start ran").length).toBeGreaterThan(0);
    expect(at("emscripten-style: _start ran").every((l) => l.level === 2)).toBe(true);
    expect(at("emscripten-style: proxy_log from _start").length).toBeGreaterThan(0);

    expect(at("emscripten-style: vm_config=vm-config-emscripten (result 0)").length).toBeGreaterThan(0);
    expect(at("emscripten-style: plugin_config=plugin-config-emscripten (result 0)").length).toBeGreaterThan(0);

    // fprintf(stderr) -> fd_write(2) -> error.
    const stderr = at("emscripten-style: stderr from on_configure");
    expect(stderr.length).toBeGreaterThan(0);
    expect(stderr.every((l) => l.level === 4)).toBe(true);

    // The 4 MiB allocation grows memory; the module then calls emscripten_notify_memory_growth.
    const grew = logs.map((l) => /^emscripten-style: memory grew (\d+) -> (\d+) pages$/.exec(l.message)).filter((m) => m !== null);
    expect(grew.length).toBeGreaterThan(0);
    for (const m of grew) expect(Number(m![2])).toBeGreaterThan(Number(m![1]));
  });

  it("adds headers, reads the environment and counts requests in shared data", async () => {
    const host = await start("emscripten-style", 1, config);
    const first = await host.exchange(get("/v1/models?limit=1"));
    const second = await host.exchange(get("/v1/models?limit=2"));
    for (const r of [first, second]) {
      expect(r.trap).toBeUndefined();
      expect(r.localReply).toBeUndefined();
      expect(values(r.upstreamRequest?.headers, "x-foreign")).toEqual(["emscripten"]);
      expect(values(r.downstreamResponse?.headers, "x-foreign-env")).toEqual(["hola from vm_config"]);
      expect(r.downstreamResponse?.status).toBe(200);
    }
    expect(values(first.upstreamRequest?.headers, "x-foreign-count")).toEqual(["1"]);
    expect(values(second.upstreamRequest?.headers, "x-foreign-count")).toEqual(["2"]);

    const messages = host.logs.map((l) => l.message);
    expect(messages.some((m) => / path=\/v1\/models\?limit=1 \(result 0\)$/.test(m))).toBe(true);
    expect(messages.some((m) => / path=\/v1\/models\?limit=2 \(result 0\)$/.test(m))).toBe(true);
    const printed = host.logs.filter((l) => /^emscripten-style: request 2 since \d+$/.test(l.message));
    expect(printed.length).toBe(1);
    expect(printed[0].level).toBe(2);
  });

  it("reports an unset variable as unset", async () => {
    const host = await start("emscripten-style", 1, { configuration: "c", vmConfiguration: "v" });
    const r = await host.exchange(get("/"));
    expect(values(r.downstreamResponse?.headers, "x-foreign-env")).toEqual(["unset"]);
  });

  it("shares the counter across workers (shared data is process-wide per vm_id)", async () => {
    const host = await start("emscripten-style", 2, config);
    expect(host.workers).toBe(2);
    const a = await host.exchange(get("/a", 0));
    const b = await host.exchange(get("/b", 1));
    expect(a.worker).toBe(0);
    expect(b.worker).toBe(1);
    expect(values(a.upstreamRequest?.headers, "x-foreign-count")).toEqual(["1"]);
    expect(values(b.upstreamRequest?.headers, "x-foreign-count")).toEqual(["2"]);
  });
});

describe("go-style module (_initialize, proxy_on_memory_allocate, ABI 0.2.0)", () => {
  it("initializes as a reactor and gets Envoy's WASI answers", async () => {
    const host = await start("go-style", 1);
    const messages = host.logs.map((l) => l.message);
    expect(messages).toContain("go-style: _initialize ran");
    // fd_prestat_get: BADF (no preopens); the rest succeed (digest §8).
    expect(messages).toContain("go-style: wasi errnos prestat=8 fdstat=0 sched_yield=0 poll_oneoff=0 fd_close=0");
  });

  it("buffers the body to the end, uppercases it in place, keeps content-length valid", async () => {
    const host = await start("go-style", 1);
    const body = "hello, tollgate! {\"model\":\"gpt\"}";
    const r = await host.exchange(post("/v1/chat/completions", body, [5, 6, 10, body.length - 21]));
    expect(r.trap).toBeUndefined();
    expect(r.localReply).toBeUndefined();
    expect(dec(r.upstreamRequest?.body)).toBe(body.toUpperCase());
    // Same length, so the client's content-length stays correct and must not be touched.
    expect(values(r.upstreamRequest?.headers, "content-length")).toEqual([String(body.length)]);
    expect(values(r.downstreamResponse?.headers, "x-foreign-body-length")).toEqual([String(body.length)]);
    // One whole-body read at eos, after the earlier chunks were paused and accumulated.
    const edits = host.logs.filter((l) => / body \d+ bytes set_buffer_bytes=\d+$/.test(l.message));
    expect(edits.map((l) => l.message.replace(/^go-style: ctx \d+ /, ""))).toEqual([`body ${body.length} bytes set_buffer_bytes=0`]);
  });

  it("reports 0 for a request without a body", async () => {
    const host = await start("go-style", 1);
    const r = await host.exchange(get("/v1/models"));
    expect(values(r.downstreamResponse?.headers, "x-foreign-body-length")).toEqual(["0"]);
  });

  it("exposes its counter in stats and Prometheus, summed over workers", async () => {
    const host = await start("go-style", 2);
    await host.exchange(post("/v1/a", "abc", [3], 0));
    await host.exchange(post("/v1/b", "def", [1, 2], 1));
    expect(host.metrics()["foreign_go_requests"]).toBe(2);
    const text = host.prometheus();
    expect(text).toMatch(/^# TYPE foreign_go_requests counter$/m);
    expect(text).toMatch(/^foreign_go_requests(\{\})? 2$/m);
    // Envoy's Prometheus output strips `wasmcustom.` and adds no `envoy_` prefix.
    expect(text).not.toMatch(/wasmcustom|envoy_foreign_go_requests/);
  });
});
