// WASI as proxy-wasm-cpp-host serves it to Envoy plugins (digest §8; cpp-host src/exports.cc
// wasi_unstable_*): stdout/stderr become wasm log lines, proc_exit does not stop the module,
// random_get is capped at 64 KiB, the environment comes from vm_config, two clocks.
// The probe (AssemblyScript, no WASI imports) cannot make these calls, so each case is a small
// WAT module whose on_configure runs the calls and logs "<label>=<decimal>" results.
import { afterEach, describe, expect, it } from "vitest";
import type { HostOptions, LogRecord, WasmFilterConfig } from "./harness/api";
import { createHost, ManualClock } from "./harness/index";
import type { EnvoyHost } from "./harness/host";
import { wat } from "./fixtures/wat/compile";

let hosts: EnvoyHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

/** Builds a module whose proxy_on_configure runs `body` (with an i32 local $r) and returns true. */
class WasiModule {
  private data: string[] = [];
  private next = 4096;
  private body: string[] = [];

  str(s: string | Uint8Array): [number, number] {
    const bytes = typeof s === "string" ? Buffer.from(s) : Buffer.from(s);
    const at = this.next;
    this.data.push(`(data (i32.const ${at}) "${[...bytes].map((b) => "\\" + b.toString(16).padStart(2, "0")).join("")}")`);
    this.next += (bytes.length + 8) & ~7;
    return [at, bytes.length];
  }

  /** Appends raw WAT instructions. */
  code(instr: string): this {
    this.body.push(instr);
    return this;
  }

  /** Logs "<label>=<value>" at info; `i64` is an i64 expression. */
  log(label: string, i64: string): this {
    const [p, l] = this.str(label);
    return this.code(`(call $num (i32.const ${p}) (i32.const ${l}) ${i64})`);
  }

  /** Logs "<label>=<$r>" (the last call's errno). */
  errno(label: string): this {
    return this.log(label, "(i64.extend_i32_u (local.get $r))");
  }

  /** fd_write(fd, iovs of `parts`) into $r, with nwritten at 1000 (pre-set to 777). */
  fdWrite(fd: number, parts: string[]): this {
    this.code("(i32.store (i32.const 1000) (i32.const 777))");
    parts.forEach((part, i) => {
      const [p, l] = this.str(part);
      this.code(`(i32.store (i32.const ${1024 + 8 * i}) (i32.const ${p})) (i32.store (i32.const ${1028 + 8 * i}) (i32.const ${l}))`);
    });
    return this.code(`(local.set $r (call $fd_write (i32.const ${fd}) (i32.const 1024) (i32.const ${parts.length}) (i32.const 1000)))`);
  }

  build(): Uint8Array {
    return wat(`
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "random_get" (func $random_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 3)
  (global $heap (mut i32) (i32.const 131072))
  ${this.data.join("\n  ")}
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (local.get $p))
  ;; "<label>=<decimal v>" built at 2048 and logged at info.
  (func $num (param $lp i32) (param $ll i32) (param $v i64)
    (local $i i32) (local $d i32) (local $n i32)
    (block $b (loop $l
      (br_if $b (i32.ge_u (local.get $i) (local.get $ll)))
      (i32.store8 (i32.add (i32.const 2048) (local.get $i)) (i32.load8_u (i32.add (local.get $lp) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (i32.store8 (i32.add (i32.const 2048) (local.get $ll)) (i32.const 61))
    (local.set $d (i32.const 3104))
    (loop $dl
      (local.set $d (i32.sub (local.get $d) (i32.const 1)))
      (i32.store8 (local.get $d) (i32.add (i32.const 48) (i32.wrap_i64 (i64.rem_u (local.get $v) (i64.const 10)))))
      (local.set $v (i64.div_u (local.get $v) (i64.const 10)))
      (br_if $dl (i64.ne (local.get $v) (i64.const 0))))
    (local.set $n (i32.sub (i32.const 3104) (local.get $d)))
    (local.set $i (i32.const 0))
    (block $b2 (loop $l2
      (br_if $b2 (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store8 (i32.add (i32.add (i32.const 2049) (local.get $ll)) (local.get $i)) (i32.load8_u (i32.add (local.get $d) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l2)))
    (drop (call $log (i32.const 2) (i32.const 2048) (i32.add (i32.add (local.get $ll) (i32.const 1)) (local.get $n)))))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
    (local $r i32)
    ${this.body.join("\n    ")}
    (i32.const 1)))
`);
  }
}

async function run(mod: WasiModule, extra: Partial<WasmFilterConfig> = {}, options: HostOptions = {}): Promise<EnvoyHost> {
  const host = await createHost([{ name: "wasi", rootId: "wasi", vmId: "wasi", code: mod.build(), ...extra }], options);
  hosts.push(host);
  return host;
}

/** The worker's lines (the canary repeats them). */
const worker0 = (logs: LogRecord[]) => logs.filter((l) => l.worker === 0);
const messages = (logs: LogRecord[]) => worker0(logs).map((l) => l.message);

describe("fd_write", () => {
  it("logs fd 1 at info and fd 2 at error, strips one trailing newline, and refuses other fds", async () => {
    const mod = new WasiModule()
      .fdWrite(1, ["hello from stdout\n"]).errno("e1").log("n1", "(i64.load32_u (i32.const 1000))")
      .fdWrite(2, ["err ", "two parts\n\n"]).errno("e2").log("n2", "(i64.load32_u (i32.const 1000))")
      .fdWrite(1, [""]).errno("e3").log("n3", "(i64.load32_u (i32.const 1000))")
      .fdWrite(3, ["to fd 3"]).errno("e4").log("n4", "(i64.load32_u (i32.const 1000))");
    const host = await run(mod);
    const logs = worker0(host.logs);
    expect(logs.map((l) => [l.level, l.message])).toEqual([
      [2, "hello from stdout"],
      [2, "e1=0"],
      [2, "n1=18"],
      // The iovecs form one line; only the last newline goes.
      [4, "err two parts\n"],
      [2, "e2=0"],
      [2, "n2=15"],
      // An empty write logs nothing (cpp-host writevImpl logs only `if (written)`).
      [2, "e3=0"],
      [2, "n3=0"],
      [2, "e4=8"],
      [2, "n4=777"],
    ]);
    expect(logs[0].filter).toBe("wasi");
  });
});

describe("proc_exit and unsupported calls", () => {
  it("returns from proc_exit: the module keeps running and the configuration is accepted", async () => {
    const mod = new WasiModule().code("(call $proc_exit (i32.const 3))").log("after_exit", "(i64.const 1)").code("(local.set $r (call $fd_close (i32.const 1)))").errno("close");
    const host = await run(mod);
    expect(messages(host.logs)).toEqual(["after_exit=1", "close=0"]);
    expect(host.traps).toEqual([]);
    expect(host.rootsOf("wasi")).toHaveLength(1);
    // cpp-host reports these through Context::error, which Envoy logs at trace only.
    expect(host.logs.filter((l) => l.level >= 3)).toEqual([]);
  });

  it("mentions proc_exit only at trace level", async () => {
    const mod = new WasiModule().code("(call $proc_exit (i32.const 3))").log("after_exit", "(i64.const 1)");
    const host = await run(mod, {}, { logLevel: 0 });
    const exitLines = worker0(host.logs).filter((l) => /proc_exit/.test(l.message));
    expect(exitLines.length).toBe(1);
    expect(exitLines[0].level).toBe(0);
    expect(messages(host.logs)).toContain("after_exit=1");
  });
});

describe("random_get", () => {
  it("fills up to 64 KiB and answers INVAL above", async () => {
    const mod = new WasiModule()
      .code("(local.set $r (call $random_get (i32.const 8192) (i32.const 65537)))").errno("big")
      .code("(local.set $r (call $random_get (i32.const 8192) (i32.const 65536)))").errno("max")
      .code("(i64.store (i32.const 6144) (i64.const 0)) (i64.store (i32.const 6152) (i64.const 0))")
      .code("(local.set $r (call $random_get (i32.const 6144) (i32.const 16)))").errno("small")
      .log("filled", "(i64.extend_i32_u (i64.ne (i64.or (i64.load (i32.const 6144)) (i64.load (i32.const 6152))) (i64.const 0)))");
    const host = await run(mod);
    expect(messages(host.logs)).toEqual(["big=28", "max=0", "small=0", "filled=1"]);
  });
});

describe("environ", () => {
  const envModule = () =>
    new WasiModule()
      .code("(local.set $r (call $environ_sizes_get (i32.const 1000) (i32.const 1004)))").errno("sizes")
      .log("count", "(i64.load32_u (i32.const 1000))")
      .log("bytes", "(i64.load32_u (i32.const 1004))")
      .code("(local.set $r (call $environ_get (i32.const 12288) (i32.const 12544)))").errno("get")
      .log("p0", "(i64.load32_u (i32.const 12288))")
      .log("p1", "(i64.load32_u (i32.const 12292))")
      .code("(drop (call $log (i32.const 2) (i32.const 12544) (i32.load (i32.const 1004))))");

  it("serves vm_config.environment_variables as K=V\\0 entries", async () => {
    const host = await run(envModule(), { environmentVariables: { GREETING: "hi", MODE: "strict" } });
    expect(messages(host.logs)).toEqual(["sizes=0", "count=2", "bytes=24", "get=0", "p0=12544", "p1=12556", "GREETING=hi\0MODE=strict\0"]);
  });

  it("has an empty environment when none is configured", async () => {
    const mod = new WasiModule()
      .code("(local.set $r (call $environ_sizes_get (i32.const 1000) (i32.const 1004)))").errno("sizes")
      .log("count", "(i64.load32_u (i32.const 1000))")
      .log("bytes", "(i64.load32_u (i32.const 1004))");
    const host = await run(mod);
    expect(messages(host.logs)).toEqual(["sizes=0", "count=0", "bytes=0"]);
  });
});

describe("clock_time_get", () => {
  it("answers realtime (0) and monotonic (1), NOTSUP for other clocks", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    clock.advance(5);
    const mod = new WasiModule()
      .code("(i64.store (i32.const 1000) (i64.const 0))")
      .code("(local.set $r (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 1000)))").errno("e0").log("realtime", "(i64.load (i32.const 1000))")
      .code("(local.set $r (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 1000)))").errno("e1").log("monotonic", "(i64.load (i32.const 1000))")
      .code("(local.set $r (call $clock_time_get (i32.const 2) (i64.const 1) (i32.const 1000)))").errno("e2")
      .code("(local.set $r (call $clock_time_get (i32.const 3) (i64.const 1) (i32.const 1000)))").errno("e3");
    const host = await run(mod, {}, { clock });
    const realtime = (BigInt(Date.UTC(2026, 0, 1)) + 5n) * 1_000_000n;
    expect(messages(host.logs)).toEqual(["e0=0", `realtime=${realtime}`, "e1=0", "monotonic=5000000", "e2=58", "e3=58"]);
  });
});
