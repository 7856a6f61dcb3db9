// One safe wrapper per host function. Conventions:
// - Calls that only act return their WasmResult.
// - Calls that produce a value return it (null when the host did not give one); the exact
//   WasmResult of the most recent wrapper is always available from `lastResult()`, for
//   callers that must tell NotFound from BadArgument without allocating a result object.
// - Host→guest bytes arrive in buffers the host allocated through our `malloc`. `...Bytes`
//   variants hand them over zero-copy as HostBytes (the caller frees); the other variants
//   copy into GC memory and free the host buffer.
import * as raw from "./imports";
import { WasmResult, BufferType, MapType, MetricType, StreamType, LogLevel, GrpcStatus } from "./types";
import {
  RET_PTR, RET_LEN, RET_EXTRA, RET_U64, clearRet, HostBytes,
  stage1, stage2, stage3, s0Ptr, s0Len, s1Ptr, s1Len, s2Ptr, s2Len, bytesPtr, bytesLen,
} from "./memory";
import { HeaderPair, PairsView, serializeHeaders, serializePath } from "./pairs";

let lastCode: WasmResult = WasmResult.Ok;

/** The WasmResult of the most recent wrapper call. */
export function lastResult(): WasmResult {
  return lastCode;
}

// @ts-ignore: decorator
@inline
function done(code: u32): WasmResult {
  lastCode = <WasmResult>code;
  return <WasmResult>code;
}

/** HostBytes from the return slots when Ok, else null (and nothing to free). */
function retBytes(code: u32): HostBytes | null {
  if (done(code) != WasmResult.Ok) return null;
  return HostBytes.fromRet();
}

function retCopy(code: u32): ArrayBuffer | null {
  const b = retBytes(code);
  return b === null ? null : b.takeArrayBuffer();
}

function retString(code: u32): string | null {
  const b = retBytes(code);
  return b === null ? null : b.takeString();
}

function headersBuffer(pairs: HeaderPair[] | null): ArrayBuffer | null {
  return pairs === null || pairs.length == 0 ? null : serializeHeaders(pairs);
}

// @ts-ignore: decorator
@inline
function abPtr(b: ArrayBuffer | null): usize {
  return b === null ? 0 : changetype<usize>(b);
}

// @ts-ignore: decorator
@inline
function abLen(b: ArrayBuffer | null): usize {
  return b === null ? 0 : <usize>b.byteLength;
}

// ---- Logging, time, timers ------------------------------------------------------------

/** The host's log level right now (uncached; see log.ts for the cached one). */
export function getLogLevel(): LogLevel {
  clearRet();
  if (done(raw.proxy_get_log_level(RET_U64)) != WasmResult.Ok) return LogLevel.Trace;
  return <LogLevel>load<u32>(RET_U64);
}

/** Wall-clock ns since the epoch; 0 if the host refused. */
export function getCurrentTimeNanoseconds(): u64 {
  clearRet();
  if (done(raw.proxy_get_current_time_nanoseconds(RET_U64)) != WasmResult.Ok) return 0;
  return load<u64>(RET_U64);
}

/** Applies to the caller's root context; 0 disables the timer. */
export function setTickPeriodMilliseconds(ms: u32): WasmResult {
  return done(raw.proxy_set_tick_period_milliseconds(ms));
}

// ---- Buffers --------------------------------------------------------------------------

/** Zero-copy read of [start, start+maxSize) of a buffer; the range is clamped by the host. */
export function getBufferBytes(type: BufferType, start: u32, maxSize: u32): HostBytes | null {
  clearRet();
  return retBytes(raw.proxy_get_buffer_bytes(<u32>type, start, maxSize, RET_PTR, RET_LEN));
}

export function getBuffer(type: BufferType, start: u32, maxSize: u32): ArrayBuffer | null {
  clearRet();
  return retCopy(raw.proxy_get_buffer_bytes(<u32>type, start, maxSize, RET_PTR, RET_LEN));
}

export function getBufferString(type: BufferType, start: u32, maxSize: u32): string | null {
  clearRet();
  return retString(raw.proxy_get_buffer_bytes(<u32>type, start, maxSize, RET_PTR, RET_LEN));
}

export class BufferStatus {
  constructor(public length: u32, public flags: u32) {}
}

export function getBufferStatus(type: BufferType): BufferStatus | null {
  clearRet();
  if (done(raw.proxy_get_buffer_status(<u32>type, RET_LEN, RET_EXTRA)) != WasmResult.Ok) return null;
  return new BufferStatus(load<u32>(RET_LEN), load<u32>(RET_EXTRA));
}

/**
 * Envoy's rules for HTTP bodies (digest §6.3): start 0 drains `len` then prepends; start at
 * or past the end appends; anything in between is BadArgument.
 */
export function setBufferBytes(type: BufferType, start: u32, len: u32, ptr: usize, size: usize): WasmResult {
  return done(raw.proxy_set_buffer_bytes(<u32>type, start, len, ptr, size));
}

export function setBuffer(type: BufferType, start: u32, len: u32, data: Uint8Array | null): WasmResult {
  return setBufferBytes(type, start, len, bytesPtr(data), bytesLen(data));
}

/** Replaces the whole buffer. */
export function replaceBuffer(type: BufferType, data: Uint8Array | null): WasmResult {
  return setBuffer(type, 0, 0xFFFFFFFF, data);
}

export function appendBuffer(type: BufferType, data: Uint8Array | null): WasmResult {
  return setBuffer(type, 0xFFFFFFFF, 0, data);
}

export function prependBuffer(type: BufferType, data: Uint8Array | null): WasmResult {
  return setBuffer(type, 0, 0, data);
}

// ---- Header maps ----------------------------------------------------------------------

/** The serialized map, zero-copy; wrap it in `new PairsView(b.ptr, b.len)`. Empty is (0,0). */
export function getHeaderMapPairsBytes(map: MapType): HostBytes | null {
  clearRet();
  return retBytes(raw.proxy_get_header_map_pairs(<u32>map, RET_PTR, RET_LEN));
}

export function getHeaderMapPairs(map: MapType): HeaderPair[] {
  const b = getHeaderMapPairsBytes(map);
  if (b === null) return new Array<HeaderPair>(0);
  const pairs = new PairsView(b.ptr, b.len).toHeaderPairs();
  b.free();
  return pairs;
}

/** Replaces the whole map. An empty list clears it. */
export function setHeaderMapPairs(map: MapType, pairs: HeaderPair[]): WasmResult {
  const buf = headersBuffer(pairs);
  return done(raw.proxy_set_header_map_pairs(<u32>map, abPtr(buf), abLen(buf)));
}

/** Already-serialized pairs (see pairs.ts). */
export function setHeaderMapPairsBytes(map: MapType, ptr: usize, len: usize): WasmResult {
  return done(raw.proxy_set_header_map_pairs(<u32>map, ptr, len));
}

/** Envoy's HeaderMap::byteSize(): key+value bytes. 0 with lastResult() on failure. */
export function getHeaderMapSize(map: MapType): u32 {
  clearRet();
  if (done(raw.proxy_get_header_map_size(<u32>map, RET_LEN)) != WasmResult.Ok) return 0;
  return load<u32>(RET_LEN);
}

/** First value of `key` (Envoy lowercases the key), or null (NotFound / unavailable map). */
export function getHeaderMapValue(map: MapType, key: string): string | null {
  stage1(key);
  clearRet();
  return retString(raw.proxy_get_header_map_value(<u32>map, s0Ptr, s0Len, RET_PTR, RET_LEN));
}

export function getHeaderMapValueBytes(map: MapType, key: string): HostBytes | null {
  stage1(key);
  return getHeaderMapValueRaw(map, s0Ptr, s0Len);
}

export function getHeaderMapValueRaw(map: MapType, keyPtr: usize, keyLen: usize): HostBytes | null {
  clearRet();
  return retBytes(raw.proxy_get_header_map_value(<u32>map, keyPtr, keyLen, RET_PTR, RET_LEN));
}

export function addHeaderMapValue(map: MapType, key: string, value: string): WasmResult {
  stage2(key, value);
  return done(raw.proxy_add_header_map_value(<u32>map, s0Ptr, s0Len, s1Ptr, s1Len));
}

export function addHeaderMapValueRaw(map: MapType, keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize): WasmResult {
  return done(raw.proxy_add_header_map_value(<u32>map, keyPtr, keyLen, valuePtr, valueLen));
}

/** Envoy's setCopy: removes every value, then appends one (the entry moves to the end). */
export function replaceHeaderMapValue(map: MapType, key: string, value: string): WasmResult {
  stage2(key, value);
  return done(raw.proxy_replace_header_map_value(<u32>map, s0Ptr, s0Len, s1Ptr, s1Len));
}

export function replaceHeaderMapValueRaw(map: MapType, keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize): WasmResult {
  return done(raw.proxy_replace_header_map_value(<u32>map, keyPtr, keyLen, valuePtr, valueLen));
}

/** Ok even if absent. */
export function removeHeaderMapValue(map: MapType, key: string): WasmResult {
  stage1(key);
  return done(raw.proxy_remove_header_map_value(<u32>map, s0Ptr, s0Len));
}

// ---- Properties -----------------------------------------------------------------------

/**
 * A property path serialized once (segments joined with NUL), for properties read on every
 * request: `const PATH = new PropertyPath(["request", "path"])`.
 */
export class PropertyPath {
  bytes: ArrayBuffer;
  constructor(public segments: string[]) {
    this.bytes = serializePath(segments);
  }
}

export function getPropertyAt(path: PropertyPath): HostBytes | null {
  return getPropertyRaw(changetype<usize>(path.bytes), <usize>path.bytes.byteLength);
}

export function getPropertyRaw(pathPtr: usize, pathLen: usize): HostBytes | null {
  clearRet();
  return retBytes(raw.proxy_get_property(pathPtr, pathLen, RET_PTR, RET_LEN));
}

/** Zero-copy property value; the caller frees. */
export function getPropertyBytes(path: string[]): HostBytes | null {
  const p = serializePath(path);
  return getPropertyRaw(changetype<usize>(p), <usize>p.byteLength);
}

export function getProperty(path: string[]): ArrayBuffer | null {
  const b = getPropertyBytes(path);
  return b === null ? null : b.takeArrayBuffer();
}

export function getPropertyString(path: string[]): string | null {
  const b = getPropertyBytes(path);
  return b === null ? null : b.takeString();
}

/**
 * int/uint/timestamp/duration properties are 8 bytes little-endian. Returns 0 and sets
 * lastResult() to SerializationFailure if the value has another size.
 */
export function getPropertyU64(path: string[]): u64 {
  const b = getPropertyBytes(path);
  if (b === null) return 0;
  let v: u64 = 0;
  if (b.len == 8) v = load<u64>(b.ptr);
  else lastCode = WasmResult.SerializationFailure;
  b.free();
  return v;
}

/** bool properties are 1 byte. */
export function getPropertyBool(path: string[]): bool {
  const b = getPropertyBytes(path);
  if (b === null) return false;
  let v = false;
  if (b.len == 1) v = load<u8>(b.ptr) != 0;
  else lastCode = WasmResult.SerializationFailure;
  b.free();
  return v;
}

/** Writes filter state `wasm.<path>` (readable by later filters and the access log). */
export function setPropertyRaw(pathPtr: usize, pathLen: usize, valuePtr: usize, valueLen: usize): WasmResult {
  return done(raw.proxy_set_property(pathPtr, pathLen, valuePtr, valueLen));
}

export function setProperty(path: string[], value: Uint8Array | null): WasmResult {
  const p = serializePath(path);
  return setPropertyRaw(changetype<usize>(p), <usize>p.byteLength, bytesPtr(value), bytesLen(value));
}

export function setPropertyString(path: string[], value: string): WasmResult {
  const p = serializePath(path);
  stage1(value);
  return setPropertyRaw(changetype<usize>(p), <usize>p.byteLength, s0Ptr, s0Len);
}

// ---- Stream control -------------------------------------------------------------------

/** Deferred by Envoy until the current callback returns. Upstream → Unimplemented. */
export function continueStream(type: StreamType): WasmResult {
  return done(raw.proxy_continue_stream(<u32>type));
}

/** HTTP request/response: resets the stream; downstream/upstream: closes the connection. */
export function closeStream(type: StreamType): WasmResult {
  return done(raw.proxy_close_stream(<u32>type));
}

/**
 * Deferred until the callback returns, which Envoy then forces to a Stop status. Call at most
 * once per stream. grpcStatus outside 0..16 (GrpcStatus.Unset) means none.
 */
export function sendLocalResponse(
  statusCode: u32,
  details: string,
  body: Uint8Array | null,
  headers: HeaderPair[] | null,
  grpcStatus: GrpcStatus = GrpcStatus.Unset,
): WasmResult {
  const h = headersBuffer(headers);
  stage1(details);
  return done(raw.proxy_send_local_response(
    statusCode, s0Ptr, s0Len, bytesPtr(body), bytesLen(body), abPtr(h), abLen(h), <i32>grpcStatus,
  ));
}

/** Same, with a string body (for small error documents). */
export function sendLocalResponseString(
  statusCode: u32,
  details: string,
  body: string,
  headers: HeaderPair[] | null,
  grpcStatus: GrpcStatus = GrpcStatus.Unset,
): WasmResult {
  const h = headersBuffer(headers);
  stage2(details, body);
  return done(raw.proxy_send_local_response(
    statusCode, s0Ptr, s0Len, s1Ptr, s1Len, abPtr(h), abLen(h), <i32>grpcStatus,
  ));
}

// ---- HTTP and gRPC callouts (raw; use BaseContext.httpCall etc. to get the callback) ----

/**
 * Issues an HTTP call on the cluster `upstream`. Headers must hold :method, :path and
 * :authority. Returns the token (valid only when lastResult() is Ok). Timeout 0 = none;
 * Envoy reads it as signed, so values ≥ 2^31 are BadArgument.
 */
export function httpCall(
  upstream: string,
  headers: HeaderPair[],
  body: Uint8Array | null,
  trailers: HeaderPair[] | null,
  timeoutMs: u32,
): u32 {
  const h = headersBuffer(headers);
  const t = headersBuffer(trailers);
  stage1(upstream);
  clearRet();
  const code = raw.proxy_http_call(
    s0Ptr, s0Len, abPtr(h), abLen(h), bytesPtr(body), bytesLen(body), abPtr(t), abLen(t), timeoutMs, RET_U64,
  );
  return done(code) == WasmResult.Ok ? load<u32>(RET_U64) : 0;
}

/**
 * Unary gRPC call. `service` is a cluster name or a serialized config.core.v3.GrpcService
 * (see grpcCallWithService). Success delivers on_grpc_receive only; failure on_grpc_close.
 */
export function grpcCall(
  service: string,
  serviceName: string,
  method: string,
  metadata: HeaderPair[] | null,
  message: Uint8Array | null,
  timeoutMs: u32,
): u32 {
  const md = headersBuffer(metadata);
  stage3(service, serviceName, method);
  clearRet();
  const code = raw.proxy_grpc_call(
    s0Ptr, s0Len, s1Ptr, s1Len, s2Ptr, s2Len, abPtr(md), abLen(md),
    bytesPtr(message), bytesLen(message), timeoutMs, RET_U64,
  );
  return done(code) == WasmResult.Ok ? load<u32>(RET_U64) : 0;
}

export function grpcCallWithService(
  service: Uint8Array,
  serviceName: string,
  method: string,
  metadata: HeaderPair[] | null,
  message: Uint8Array | null,
  timeoutMs: u32,
): u32 {
  const md = headersBuffer(metadata);
  stage2(serviceName, method);
  clearRet();
  const code = raw.proxy_grpc_call(
    service.dataStart, <usize>service.length, s0Ptr, s0Len, s1Ptr, s1Len, abPtr(md), abLen(md),
    bytesPtr(message), bytesLen(message), timeoutMs, RET_U64,
  );
  return done(code) == WasmResult.Ok ? load<u32>(RET_U64) : 0;
}

export function grpcStream(service: string, serviceName: string, method: string, metadata: HeaderPair[] | null): u32 {
  const md = headersBuffer(metadata);
  stage3(service, serviceName, method);
  clearRet();
  const code = raw.proxy_grpc_stream(s0Ptr, s0Len, s1Ptr, s1Len, s2Ptr, s2Len, abPtr(md), abLen(md), RET_U64);
  return done(code) == WasmResult.Ok ? load<u32>(RET_U64) : 0;
}

export function grpcStreamWithService(service: Uint8Array, serviceName: string, method: string, metadata: HeaderPair[] | null): u32 {
  const md = headersBuffer(metadata);
  stage2(serviceName, method);
  clearRet();
  const code = raw.proxy_grpc_stream(
    service.dataStart, <usize>service.length, s0Ptr, s0Len, s1Ptr, s1Len, abPtr(md), abLen(md), RET_U64,
  );
  return done(code) == WasmResult.Ok ? load<u32>(RET_U64) : 0;
}

export function grpcSend(token: u32, message: Uint8Array | null, endStream: bool): WasmResult {
  return done(raw.proxy_grpc_send(token, bytesPtr(message), bytesLen(message), endStream ? 1 : 0));
}

export function grpcCancel(token: u32): WasmResult {
  return done(raw.proxy_grpc_cancel(token));
}

export function grpcClose(token: u32): WasmResult {
  return done(raw.proxy_grpc_close(token));
}

export class Status {
  constructor(public code: u32, public message: string) {}
}

/** gRPC close status, or (11, "reset") after a failed http_call. */
export function getStatus(): Status | null {
  clearRet();
  if (done(raw.proxy_get_status(RET_U64, RET_PTR, RET_LEN)) != WasmResult.Ok) return null;
  const code = load<u32>(RET_U64);
  return new Status(code, HostBytes.fromRet().takeString());
}

// ---- Shared data ----------------------------------------------------------------------

/** A shared-data value with its CAS; `data` is zero-copy and owned by the caller. */
export class SharedData {
  constructor(public data: HostBytes, public cas: u32) {}
}

export function getSharedDataRaw(keyPtr: usize, keyLen: usize): SharedData | null {
  clearRet();
  if (done(raw.proxy_get_shared_data(keyPtr, keyLen, RET_PTR, RET_LEN, RET_EXTRA)) != WasmResult.Ok) return null;
  return new SharedData(HostBytes.fromRet(), load<u32>(RET_EXTRA));
}

/** null when missing (lastResult() NotFound). */
export function getSharedData(key: string): SharedData | null {
  stage1(key);
  return getSharedDataRaw(s0Ptr, s0Len);
}

/** cas 0 always writes; otherwise CasMismatch unless it matches (a missing key always writes). */
export function setSharedDataRaw(keyPtr: usize, keyLen: usize, valuePtr: usize, valueLen: usize, cas: u32): WasmResult {
  return done(raw.proxy_set_shared_data(keyPtr, keyLen, valuePtr, valueLen, cas));
}

export function setSharedData(key: string, value: Uint8Array | null, cas: u32 = 0): WasmResult {
  stage1(key);
  return setSharedDataRaw(s0Ptr, s0Len, bytesPtr(value), bytesLen(value), cas);
}

export function setSharedDataString(key: string, value: string, cas: u32 = 0): WasmResult {
  stage2(key, value);
  return setSharedDataRaw(s0Ptr, s0Len, s1Ptr, s1Len, cas);
}

// ---- Shared queues --------------------------------------------------------------------

/** Registers (or re-registers) a queue owned by the caller's root. Returns its id. */
export function registerSharedQueue(name: string): u32 {
  stage1(name);
  clearRet();
  return done(raw.proxy_register_shared_queue(s0Ptr, s0Len, RET_U64)) == WasmResult.Ok ? load<u32>(RET_U64) : 0;
}

/** An empty vmId means our own VM id. NotFound if not registered. */
export function resolveSharedQueue(vmId: string, name: string): u32 {
  stage2(vmId, name);
  clearRet();
  return done(raw.proxy_resolve_shared_queue(s0Ptr, s0Len, s1Ptr, s1Len, RET_U64)) == WasmResult.Ok ? load<u32>(RET_U64) : 0;
}

export function enqueueSharedQueue(id: u32, data: Uint8Array | null): WasmResult {
  return done(raw.proxy_enqueue_shared_queue(id, bytesPtr(data), bytesLen(data)));
}

export function enqueueSharedQueueRaw(id: u32, ptr: usize, len: usize): WasmResult {
  return done(raw.proxy_enqueue_shared_queue(id, ptr, len));
}

export function enqueueSharedQueueString(id: u32, data: string): WasmResult {
  stage1(data);
  return done(raw.proxy_enqueue_shared_queue(id, s0Ptr, s0Len));
}

/** null when empty (lastResult() Empty) or unknown (NotFound). Zero-copy; caller frees. */
export function dequeueSharedQueueBytes(id: u32): HostBytes | null {
  clearRet();
  return retBytes(raw.proxy_dequeue_shared_queue(id, RET_PTR, RET_LEN));
}

export function dequeueSharedQueue(id: u32): ArrayBuffer | null {
  clearRet();
  return retCopy(raw.proxy_dequeue_shared_queue(id, RET_PTR, RET_LEN));
}

// ---- Metrics (see metrics.ts for cached definitions) -----------------------------------

/** Each call returns a new id bound to the same stat `wasmcustom.<name>`: define once. */
export function defineMetric(type: MetricType, name: string): u32 {
  stage1(name);
  clearRet();
  return done(raw.proxy_define_metric(<u32>type, s0Ptr, s0Len, RET_U64)) == WasmResult.Ok ? load<u32>(RET_U64) : 0;
}

/** Counters: delta must be > 0 (else BadArgument). Gauges: add or subtract. */
export function incrementMetric(id: u32, delta: i64): WasmResult {
  return done(raw.proxy_increment_metric(id, delta));
}

/** Counters: adds. Gauges: sets. Histograms: records a sample. */
export function recordMetric(id: u32, value: u64): WasmResult {
  return done(raw.proxy_record_metric(id, value));
}

/** Process-wide value. Histograms → BadArgument. */
export function getMetric(id: u32): u64 {
  clearRet();
  return done(raw.proxy_get_metric(id, RET_U64)) == WasmResult.Ok ? load<u64>(RET_U64) : 0;
}

// ---- Contexts and foreign functions ---------------------------------------------------

/** Redirects following hostcalls to `contextId` until the current callback returns. */
export function setEffectiveContext(contextId: u32): WasmResult {
  return done(raw.proxy_set_effective_context(contextId));
}

/** Tells the host a root that returned false from on_done has finished. */
export function proxyDone(): WasmResult {
  return done(raw.proxy_done());
}

/** Zero-copy result; null when the host reports an error (unknown name → NotFound). */
export function callForeignFunctionRaw(name: string, argsPtr: usize, argsLen: usize): HostBytes | null {
  stage1(name);
  clearRet();
  return retBytes(raw.proxy_call_foreign_function(s0Ptr, s0Len, argsPtr, argsLen, RET_PTR, RET_LEN));
}

export function callForeignFunction(name: string, args: Uint8Array | null): ArrayBuffer | null {
  const b = callForeignFunctionRaw(name, bytesPtr(args), bytesLen(args));
  return b === null ? null : b.takeArrayBuffer();
}
