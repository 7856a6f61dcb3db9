// Logging that costs nothing when the level is off. The level is cached so that
// `if (logEnabled(LogLevel.Debug)) log(...)` is a global load and a compare; guard any
// message that needs string building.
//
// The SDK does not ask the host for its level (proxy_get_log_level): Kong's ngx_wasm_module
// links that import but traps when it is called, and APISIX's wasm-nginx-module does not define
// it at all, so a module importing it fails to instantiate there. Every host filters proxy_log by
// its own level (Envoy drops lines below its `wasm` logger level), so sending all levels changes
// no output; it costs one hostcall per suppressed line. Not calling it also keeps the import out
// of the binary (AssemblyScript drops unreferenced imports).
import { LogLevel } from "./types";
import { proxy_log } from "./imports";

let cachedLevel: i32 = LogLevel.Trace;

/** Kept for callers (dispatcher): the level is the host's business, see above. */
export function refreshLogLevel(): void {}

export function cachedLogLevel(): LogLevel {
  return cachedLevel;
}

// @ts-ignore: decorator
@inline
export function logEnabled(level: LogLevel): bool {
  return <i32>level >= cachedLevel;
}

// A dedicated buffer rather than the hostcall scratch: a log line may be written while
// arguments for another hostcall are staged.
let logBuf: usize = 0;
let logCap: usize = 0;

/** Logs through proxy_log; returns the WasmResult. Skipped (Ok) when the level is off. */
export function log(level: LogLevel, message: string): u32 {
  if (<i32>level < cachedLevel) return 0;
  const need = <usize>message.length * 3;
  if (need > logCap) {
    let cap = logCap < 256 ? <usize>256 : logCap;
    while (cap < need) cap <<= 1;
    if (logBuf != 0) heap.free(logBuf);
    logBuf = heap.alloc(cap);
    logCap = cap;
  }
  const len = String.UTF8.encodeUnsafe(changetype<usize>(message), message.length, logBuf);
  return proxy_log(<u32>level, logBuf, len);
}

/** Logs bytes as they are (already UTF-8), e.g. a slice of a body, without decoding. */
export function logBytes(level: LogLevel, ptr: usize, len: usize): u32 {
  if (<i32>level < cachedLevel) return 0;
  return proxy_log(<u32>level, ptr, len);
}

export function logTrace(message: string): void { log(LogLevel.Trace, message); }
export function logDebug(message: string): void { log(LogLevel.Debug, message); }
export function logInfo(message: string): void { log(LogLevel.Info, message); }
export function logWarn(message: string): void { log(LogLevel.Warn, message); }
export function logError(message: string): void { log(LogLevel.Error, message); }
export function logCritical(message: string): void { log(LogLevel.Critical, message); }
