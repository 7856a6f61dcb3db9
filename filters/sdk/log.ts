// Logging that costs nothing when the level is off. The level comes from the host once and is
// cached (refreshed by the dispatcher on root creation, on_configure and on_tick) so that
// `if (logEnabled(LogLevel.Debug)) log(...)` is a global load and a compare; guard any
// message that needs string building.
import { LogLevel } from "./types";
import { proxy_log, proxy_get_log_level } from "./imports";
import { RET_U64 } from "./memory";

// Trace until the host has been asked: during _initialize only proxy_log is allowed
// (restricted mode), so the level cannot be fetched before the first root context exists.
let cachedLevel: i32 = LogLevel.Trace;

/** Re-reads the host's level. Not callable from _initialize or malloc (restricted mode). */
export function refreshLogLevel(): void {
  store<u32>(RET_U64, 0);
  if (proxy_get_log_level(RET_U64) == 0) cachedLevel = <i32>load<u32>(RET_U64);
}

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
