// One Wasm VM (a module instance on one worker), as proxy-wasm-cpp-host's WasmBase + V8 run it:
// load checks, link, start functions in restricted mode, context ids, deferred after-call
// actions, and the failed state after a trap.
import { ABI_MARKERS, callbackSignatures, formatSignature, hostFunctionTable, sameSignature, type AbiVersion } from "./abi";
import { HostTrap, WasmLoadError } from "./errors";
import { readModuleShape, type ModuleShape } from "./wasm-binary";

/** What a running callback is allowed to call. */
export type Restriction = "none" | "start" | "malloc";

// cpp-host WasmBase::startVm's allowlist (read from source; the ABI digest's "all of WASI plus
// emscripten_notify_memory_growth" is wider than what the code allows).
const START_ALLOWED_WASI = new Set([
  "fd_write", "args_sizes_get", "args_get", "environ_sizes_get", "environ_get",
  "fd_prestat_get", "fd_prestat_dir_name", "clock_time_get", "random_get",
]);
// WasmBase::allocMemory's allowlist; poll_oneoff is in the digest (newer hosts, for TinyGo's GC).
const MALLOC_ALLOWED_WASI = new Set(["fd_write", "clock_time_get", "poll_oneoff"]);

/** A compiled module with the checks Envoy does before any instance exists. */
export class CompiledModule {
  readonly shape: ModuleShape;
  readonly abi: AbiVersion;
  readonly module: WebAssembly.Module;

  private constructor(readonly bytes: Uint8Array, shape: ModuleShape, abi: AbiVersion, module: WebAssembly.Module) {
    this.shape = shape;
    this.abi = abi;
    this.module = module;
  }

  static compile(bytes: Uint8Array): CompiledModule {
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw new WasmLoadError(`Failed to load Wasm code: ${(e as Error).message}`);
    }
    const shape = readModuleShape(bytes);
    const exportedFuncs = new Set(shape.exports.filter((e) => e.kind === "func").map((e) => e.name));
    const abi = ABI_MARKERS.find(([name]) => exportedFuncs.has(name))?.[1];
    if (!abi) throw new WasmLoadError("Missing or unknown Proxy-Wasm ABI version");
    const table = hostFunctionTable(abi);
    for (const imp of shape.imports) {
      const key = `${imp.module}.${imp.name}`;
      if (imp.kind === "global") throw new WasmLoadError(`Failed to load Wasm module due to a missing import: ${key}`);
      if (imp.kind !== "func") continue;
      const want = table.get(key);
      if (!want) throw new WasmLoadError(`Failed to load Wasm module due to a missing import: ${key}`);
      if (!sameSignature(want, imp.type!)) {
        throw new WasmLoadError(
          `Failed to load Wasm module due to an import type mismatch: ${key}, want: ${formatSignature(imp.type!)}, but host exports: ${formatSignature(want)}`,
        );
      }
    }
    const callbacks = callbackSignatures(abi);
    for (const exp of shape.exports) {
      const want = callbacks[exp.name];
      if (exp.kind === "func" && want && !sameSignature(want, exp.type!)) {
        throw new WasmLoadError(
          `Bad function signature for: ${exp.name}, want: ${formatSignature(want)}, but the module exports: ${formatSignature(exp.type!)}`,
        );
      }
    }
    if (!exportedFuncs.has("malloc") && !exportedFuncs.has("proxy_on_memory_allocate")) {
      throw new WasmLoadError("Wasm module is missing malloc function.");
    }
    return new CompiledModule(bytes, shape, abi, module);
  }
}

export interface VmCallbacks {
  /** Builds the import object; host functions get the VM through closure. */
  imports(vm: WasmVm): WebAssembly.Imports;
  onFail(vm: WasmVm, message: string): void;
}

type Fn = (...args: any[]) => any;

const UTF8 = new TextDecoder();

/**
 * Benchmarks time each guest callback here, around the wasm call alone (hostcalls it makes
 * included, harness bookkeeping excluded). Unset in normal runs: one null check per call.
 */
export const callTiming: { observe: ((vm: WasmVm, name: string, ns: bigint) => void) | null } = { observe: null };

export class WasmVm {
  instance!: WebAssembly.Instance;
  memory!: WebAssembly.Memory;
  private fns = new Map<string, Fn>();
  private mallocFn!: Fn;
  readonly mallocName: string;
  failed = false;
  failMessage = "";
  restriction: Restriction = "none";
  /** Context the running callback was invoked on (0 = the VM context). */
  currentContextId = 0;
  effectiveContextId = 0;
  private depth = 0;
  private afterCallActions: Array<() => void> = [];
  private nextContext = 1;
  /** Per-VM id sequences (cpp-host: kind in the low 2 bits). */
  private seq = { counter: 0, gauge: 0, histogram: 0, http: 0, grpcCall: 0, grpcStream: 0 };
  /** Set by send_local_response; forces the current callback's status to Stop (cpp-host stopNextIteration). */
  stopNextIteration = false;
  /** Logs a line as the host (not the filter) would, e.g. a host profile's warnings. */
  hostLog?: (ctx: import("./context").HostContext, level: number, message: string) => void;

  constructor(readonly compiled: CompiledModule, readonly vmId: string, readonly worker: number, private readonly cb: VmCallbacks) {
    const exports = new Set(compiled.shape.exports.map((e) => e.name));
    this.mallocName = exports.has("malloc") ? "malloc" : "proxy_on_memory_allocate";
  }

  get abi(): AbiVersion {
    return this.compiled.abi;
  }

  /** Instantiate and run the start functions: _initialize then main(0,0), otherwise _start. */
  start(): void {
    this.restriction = "start";
    try {
      this.instance = new WebAssembly.Instance(this.compiled.module, this.cb.imports(this));
      const ex = this.instance.exports as Record<string, unknown>;
      this.memory = ex.memory as WebAssembly.Memory;
      if (!(this.memory instanceof WebAssembly.Memory)) throw new WasmLoadError("Wasm module does not export memory");
      for (const [name, value] of Object.entries(ex)) if (typeof value === "function") this.fns.set(name, value as Fn);
      this.mallocFn = this.fns.get(this.mallocName)!;
      if (this.fns.has("_initialize")) {
        this.runStart("_initialize");
        if (this.fns.has("main")) this.runStart("main", 0, 0);
        else if (this.fns.has("__main_void")) this.runStart("__main_void");
      } else if (this.fns.has("_start")) {
        this.runStart("_start");
      }
    } catch (e) {
      if (e instanceof WasmLoadError) throw e;
      throw new WasmLoadError(this.trapMessage("_start", e));
    } finally {
      this.restriction = "none";
    }
  }

  private runStart(name: string, ...args: number[]): void {
    try {
      this.fns.get(name)!(...args);
    } catch (e) {
      throw new WasmLoadError(this.trapMessage(name, e));
    }
  }

  has(name: string): boolean {
    return this.fns.has(name);
  }

  newContextId(): number {
    return this.nextContext++;
  }

  nextMetricId(type: 0 | 1 | 2): number {
    const key = (["counter", "gauge", "histogram"] as const)[type];
    return ((++this.seq[key]) << 2) | type;
  }

  nextCalloutId(kind: "http" | "grpcCall" | "grpcStream"): number {
    const low = { http: 0, grpcCall: 1, grpcStream: 2 }[kind];
    return ((++this.seq[kind]) << 2) | low;
  }

  /** cpp-host contextOrEffectiveContext(): the effective id if still live, else the real one. */
  effectiveId(isLive: (id: number) => boolean): number {
    if (this.effectiveContextId !== 0 && isLive(this.effectiveContextId)) return this.effectiveContextId;
    return this.currentContextId;
  }

  addAfterCallAction(action: () => void): void {
    this.afterCallActions.push(action);
  }

  get inCall(): boolean {
    return this.depth > 0;
  }

  /**
   * Calls an exported callback on behalf of a context. Returns undefined when the callback is not
   * exported or the VM is (or becomes) failed; `failed` tells which. After-call actions run once
   * the outermost call returns, as DeferAfterCallActions does.
   */
  call(name: string, contextId: number, ...args: number[]): number | undefined {
    if (this.failed) return undefined;
    const fn = this.fns.get(name);
    if (!fn) return undefined;
    const saved = [this.currentContextId, this.effectiveContextId];
    this.currentContextId = contextId;
    this.effectiveContextId = 0;
    this.depth++;
    let result: number | undefined;
    try {
      let r: unknown;
      if (callTiming.observe) {
        const t0 = process.hrtime.bigint();
        r = fn(...args);
        callTiming.observe(this, name, process.hrtime.bigint() - t0);
      } else {
        r = fn(...args);
      }
      result = typeof r === "number" ? r >>> 0 : 0;
    } catch (e) {
      this.fail(this.trapMessage(name, e));
      result = undefined;
    } finally {
      this.depth--;
      [this.currentContextId, this.effectiveContextId] = saved;
    }
    return result;
  }

  /** Runs the deferred actions; called by the Envoy-side context after it read the result. */
  drainAfterCallActions(): void {
    if (this.depth > 0) return;
    this.stopNextIteration = false;
    while (this.afterCallActions.length) this.afterCallActions.shift()!();
  }

  /** Host -> guest allocation, on the VM context in restricted mode. 0 on failure. */
  malloc(size: number): number {
    const saved = [this.restriction, this.currentContextId, this.effectiveContextId] as const;
    this.restriction = "malloc";
    this.currentContextId = 0;
    this.effectiveContextId = 0;
    try {
      return this.mallocFn(size) >>> 0;
    } finally {
      [this.restriction, this.currentContextId, this.effectiveContextId] = saved;
    }
  }

  /** Throws (trapping the guest) if the running callback may not call this host function. */
  checkRestricted(module: string, name: string): void {
    if (this.restriction === "none") return;
    const key = `${module}.${name}`;
    if (key === "env.proxy_log") return;
    const wasi = module.startsWith("wasi");
    if (wasi && (this.restriction === "start" ? START_ALLOWED_WASI : MALLOC_ALLOWED_WASI).has(name)) return;
    throw new HostTrap(`restricted_callback: ${key} is not allowed ${this.restriction === "start" ? "while the VM starts" : "inside malloc"}`);
  }

  fail(message: string): void {
    if (this.failed) return;
    this.failed = true;
    this.failMessage = message;
    this.cb.onFail(this, message);
  }

  /** "Function: X failed: <msg>" plus the in-VM backtrace, as cpp-host's V8::getFailMessage. */
  trapMessage(fn: string, e: unknown): string {
    const err = e as Error;
    let message = `Function: ${fn} failed: Uncaught ${err?.name ?? "Error"}: ${err?.message ?? String(e)}`;
    const frames = [...String(err?.stack ?? "").matchAll(/wasm-function\[(\d+)\]:0x([0-9a-f]+)/g)];
    if (frames.length && this.compiled.shape.functionNames.size) {
      message += "\nProxy-Wasm plugin in-VM backtrace:";
      frames.slice(0, 20).forEach(([, idx, off], i) => {
        const name = this.compiled.shape.functionNames.get(Number(idx)) ?? `unknown(function index:${idx})`;
        message += `\n${String(i).padStart(3)}:  0x${off} - ${name}`;
      });
    }
    return message;
  }

  // Memory access. memory.buffer is re-read on every access because the guest may grow it.
  bytes(ptr: number, len: number): Uint8Array {
    const buf = this.memory.buffer;
    if (ptr + len > buf.byteLength || ptr < 0 || len < 0) throw new RangeError("out of bounds");
    return new Uint8Array(buf, ptr, len);
  }

  inBounds(ptr: number, len: number): boolean {
    return ptr >= 0 && len >= 0 && ptr + len <= this.memory.buffer.byteLength;
  }

  copyOut(ptr: number, len: number): Uint8Array {
    return this.bytes(ptr, len).slice();
  }

  text(ptr: number, len: number): string {
    return UTF8.decode(this.bytes(ptr, len));
  }

  view(): DataView {
    return new DataView(this.memory.buffer);
  }

  setU32(ptr: number, v: number): boolean {
    if (!this.inBounds(ptr, 4)) return false;
    this.view().setUint32(ptr, v >>> 0, true);
    return true;
  }

  setU64(ptr: number, v: bigint): boolean {
    if (!this.inBounds(ptr, 8)) return false;
    this.view().setBigUint64(ptr, BigInt.asUintN(64, v), true);
    return true;
  }

  /**
   * Copies data into a guest malloc'd buffer and writes (ptr, len) at the return slots.
   * Empty data writes (0, 0) without calling malloc. Returns a WasmResult.
   */
  writeResult(data: Uint8Array, retPtr: number, retLen: number): number {
    if (data.length === 0) {
      if (!this.setU32(retPtr, 0) || !this.setU32(retLen, 0)) return 6;
      return 0;
    }
    const p = this.malloc(data.length);
    if (p === 0 || !this.inBounds(p, data.length)) return 6;
    this.bytes(p, data.length).set(data);
    if (!this.setU32(retPtr, p) || !this.setU32(retLen, data.length)) return 6;
    return 0;
  }
}
