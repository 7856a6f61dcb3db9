// Test entry for filters/lib/bytes, json-scan and framing: plain exports that host-tests drive
// directly (no proxy-wasm host needed), plus the SDK's ABI surface so the module links in
// Envoy like every dist/*.wasm. Results go to one output buffer read through p_out_ptr /
// p_out_len; records are little-endian and described next to each export.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import {
  ByteBuffer, eqAscii, eqAsciiNoCase, startsWithAsciiNoCase, indexOfAscii, indexOfAsciiNoCase, indexOfByte,
  indexOfBytes, eqBytesNoCase, parseU64, parseI64, parseF64, parseFixed, parseInteger, parsedU64, parsedI64,
  parsedF64, crc32, crc32Update,
} from "../../lib/bytes";
import {
  JsonScanner, JsonPathSet, JsonPathMatcher, JsonWriter, unescapeJsonString, isValidJson, TOK_END,
  PATH_MATCH, PATH_MAX,
} from "../../lib/json-scan";
import {
  SseFramer, NdjsonFramer, EventStreamFramer, JsonArrayFramer, FRAME_UNIT, FRAME_END, FRAME_NEED_MORE,
} from "../../lib/framing";

class ParsersRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("parsers", (contextId: u32): RootContext => new ParsersRoot(contextId));

const OUT = new ByteBuffer(256 << 20, 1 << 16);

function outU8(v: u32): void { OUT.appendByte(<u8>v); }
function outU32(v: u32): void {
  OUT.appendByte(<u8>v); OUT.appendByte(<u8>(v >> 8)); OUT.appendByte(<u8>(v >> 16)); OUT.appendByte(<u8>(v >> 24));
}
function outI32(v: i32): void { outU32(<u32>v); }
function outBytes(p: usize, n: usize): void { outU32(<u32>n); OUT.append(p, n); }

export function p_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function p_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function p_out_ptr(): usize { return OUT.ptr; }
export function p_out_len(): usize { return OUT.length; }

// ---- framing ---------------------------------------------------------------------------------

export const KIND_SSE: i32 = 0;
export const KIND_NDJSON: i32 = 1;
export const KIND_EVENTSTREAM: i32 = 2;
export const KIND_JSON_ARRAY: i32 = 3;

// One framer per kind, rebuilt per run (so the run starts fresh and old ones are collected).
let sse: SseFramer | null = null;
let nd: NdjsonFramer | null = null;
let es: EventStreamFramer | null = null;
let ja: JsonArrayFramer | null = null;

function create(kind: i32, maxSize: usize): void {
  if (kind == KIND_SSE) sse = new SseFramer(maxSize);
  else if (kind == KIND_NDJSON) nd = new NdjsonFramer(maxSize);
  else if (kind == KIND_EVENTSTREAM) es = new EventStreamFramer(maxSize);
  else ja = new JsonArrayFramer(maxSize);
}

function push(kind: i32, p: usize, n: usize): i32 {
  if (kind == KIND_SSE) return sse!.push(p, n);
  if (kind == KIND_NDJSON) return nd!.push(p, n);
  if (kind == KIND_EVENTSTREAM) return es!.push(p, n);
  return ja!.push(p, n);
}

function finish(kind: i32): void {
  if (kind == KIND_SSE) sse!.finish();
  else if (kind == KIND_NDJSON) nd!.finish();
  else if (kind == KIND_EVENTSTREAM) es!.finish();
  else ja!.finish();
}

function step(kind: i32): i32 {
  if (kind == KIND_SSE) return sse!.next();
  if (kind == KIND_NDJSON) return nd!.next();
  if (kind == KIND_EVENTSTREAM) return es!.next();
  return ja!.next();
}

// Record: i32 code; for FRAME_UNIT the unit's fields, each u32 length + bytes (0xFFFFFFFF: absent).
//   sse: event, data, id     ndjson: line     eventstream: event-type, message-type,
//   content-type, exception-type, payload     json array: element
function record(kind: i32, code: i32): void {
  outI32(code);
  if (code != FRAME_UNIT) return;
  if (kind == KIND_SSE) {
    const f = sse!;
    outBytes(f.eventPtr, f.eventLen);
    outBytes(f.dataPtr, f.dataLenOut);
    if (f.hasId) outBytes(f.idPtr, f.idLen); else outU32(0xFFFFFFFF);
  } else if (kind == KIND_NDJSON) {
    outBytes(nd!.linePtr, nd!.lineLen);
  } else if (kind == KIND_EVENTSTREAM) {
    const f = es!;
    outBytes(f.eventTypePtr, f.eventTypeLen);
    outBytes(f.messageTypePtr, f.messageTypeLen);
    outBytes(f.contentTypePtr, f.contentTypeLen);
    outBytes(f.exceptionTypePtr, f.exceptionTypeLen);
    outBytes(f.payloadPtr, f.payloadLen);
  } else {
    outBytes(ja!.elementPtr, ja!.elementLen);
  }
}

// Guards against a framer that never settles (a bug would otherwise hang the test run).
const MAX_STEPS_PER_CHUNK: i32 = 1 << 22;

// Drains until NEED_MORE (or END); -1 if the framer does not settle.
function drain(kind: i32, until: i32): i32 {
  for (let k = 0; k < MAX_STEPS_PER_CHUNK; k++) {
    const r = step(kind);
    if (r == until) return 0;
    if (r == FRAME_NEED_MORE || r == FRAME_END) return -1;
    record(kind, r);
  }
  return -1;
}

let scratch: usize = 0;
let scratchCap: usize = 0;

/**
 * Frames [body, body+len) fed as chunks cut at the ascending offsets in the u32 array `splits`
 * (nSplits of them), then finish(). Each chunk is copied to a scratch buffer that is poisoned
 * once drained, so a unit that kept pointing into an old chunk shows up as wrong bytes.
 * Appends records to the output (cleared first when `clear`); returns 0, or -1 on a framer
 * that did not settle, -2 on a push that was refused.
 */
export function p_frame(kind: i32, body: usize, len: usize, splits: usize, nSplits: i32, maxSize: usize, clear: bool): i32 {
  if (clear) OUT.clear();
  create(kind, maxSize);
  if (scratchCap < len + 1) {
    if (scratch != 0) heap.free(scratch);
    scratchCap = len + 1;
    scratch = heap.alloc(scratchCap);
  }
  let from: usize = 0;
  for (let i = 0; i <= nSplits; i++) {
    let to = i < nSplits ? <usize>load<u32>(splits + (<usize>i << 2)) : len;
    if (to > len) to = len;
    if (to < from) to = from;
    const n = to - from;
    memory.copy(scratch, body + from, n);
    if (push(kind, scratch, n) != FRAME_NEED_MORE) return -2;
    if (drain(kind, FRAME_NEED_MORE) < 0) return -1;
    memory.fill(scratch, 0xEE, n);
    from = to;
  }
  finish(kind);
  if (drain(kind, FRAME_END) < 0) return -1;
  // END is sticky.
  if (step(kind) != FRAME_END) return -1;
  return 0;
}

const SPLIT = memory.data(4);

/**
 * Frames the body whole, then split in two at every offset 1..len-1, and compares each run's
 * records with the whole run's. Returns -1 when all match, else the first offset that differs
 * (or -2 - offset when a run failed). The whole run's records are left in the output.
 */
export function p_frame_every_split(kind: i32, body: usize, len: usize, maxSize: usize): i32 {
  if (p_frame(kind, body, len, 0, 0, maxSize, true) != 0) return -2;
  const wholeLen = OUT.length;
  for (let k: usize = 1; k < len; k++) {
    store<u32>(SPLIT, <u32>k);
    if (p_frame(kind, body, len, SPLIT, 1, maxSize, false) != 0) { OUT.truncate(wholeLen); return -2 - <i32>k; }
    const runLen = OUT.length - wholeLen;
    const same = runLen == wholeLen && memory.compare(OUT.ptr, OUT.ptr + wholeLen, wholeLen) == 0;
    OUT.truncate(wholeLen);
    if (!same) return <i32>k;
  }
  return -1;
}

/** Feeds one chunk twice without draining: the second push must be refused (FRAME_ERR_BUSY). */
export function p_frame_busy(kind: i32, body: usize, len: usize): i32 {
  create(kind, 1 << 20);
  push(kind, body, len);
  return push(kind, body, len);
}

// ---- json ------------------------------------------------------------------------------------

let lastErrorOffset: usize = 0;
export function p_json_error_offset(): usize { return <usize>lastErrorOffset; }

/** Tokens as records (i32 token, u32 start, u32 end, u8 escaped); returns TOK_END or the error. */
export function p_json_tokens(ptr: usize, len: usize, maxDepth: i32): i32 {
  OUT.clear();
  const s = new JsonScanner(maxDepth);
  s.reset(ptr, len);
  while (true) {
    const t = s.next();
    if (t <= 0) { lastErrorOffset = s.errorOffset; return t; }
    outI32(t); outU32(<u32>s.start); outU32(<u32>s.end); outU8(s.escaped ? 1 : 0);
  }
  return TOK_END;
}

export function p_json_valid(ptr: usize, len: usize, maxDepth: i32): bool {
  return isValidJson(ptr, len, maxDepth);
}

let matcher: JsonPathMatcher | null = null;

/** Compiles LF-separated paths; returns how many, or -(i+1) when path i is refused. */
export function p_paths_set(ptr: usize, len: usize, maxDepth: i32): i32 {
  const set = new JsonPathSet();
  let start: usize = 0;
  let count = 0;
  for (let i: usize = 0; i <= len; i++) {
    if (i < len && load<u8>(ptr + i) != 0x0A) continue;
    const path = String.UTF8.decodeUnsafe(ptr + start, i - start);
    if (set.add(path) < 0) return -(count + 1);
    count++;
    start = i + 1;
  }
  matcher = new JsonPathMatcher(set, maxDepth);
  return count;
}

/** Every match in document order: (i32 path, i32 kind, u32 start, u32 end, u8 escaped); returns the final status. */
export function p_paths_run(ptr: usize, len: usize): i32 {
  OUT.clear();
  const m = matcher!;
  m.reset(ptr, len);
  while (true) {
    const r = m.next();
    if (r != PATH_MATCH) { lastErrorOffset = m.scanner.errorOffset; return r; }
    outI32(m.path); outI32(m.kind); outU32(<u32>m.start); outU32(<u32>m.end); outU8(m.escaped ? 1 : 0);
  }
  return 0;
}

/** matchAll: per path (u32 count, i32 kind, u32 start, u32 end, u8 escaped); returns the status. */
export function p_paths_slots(ptr: usize, len: usize): i32 {
  OUT.clear();
  const m = matcher!;
  const r = m.matchAll(ptr, len);
  const n = m.paths.size;
  for (let p = 0; p < n && p < PATH_MAX; p++) {
    outU32(m.slotCount[p]); outI32(m.slotKind[p]); outU32(<u32>m.slotStart[p]); outU32(<u32>m.slotEnd[p]);
    outU8(m.slotEscaped[p] ? 1 : 0);
  }
  return r;
}

export function p_unescape(ptr: usize, len: usize, out: usize, cap: usize): isize {
  return unescapeJsonString(ptr, len, out, cap);
}

// ---- numbers and byte helpers ----------------------------------------------------------------

/** op: 0 u64, 1 i64, 2 f64, 3 integer, 4 fixed(scale); value via p_num_i64 / p_num_u64 / p_num_f64. */
export function p_num(op: i32, ptr: usize, len: usize, scale: i32): i32 {
  if (op == 0) return parseU64(ptr, len);
  if (op == 1) return parseI64(ptr, len);
  if (op == 2) return parseF64(ptr, len);
  if (op == 3) return parseInteger(ptr, len);
  return parseFixed(ptr, len, scale);
}
export function p_num_u64(): u64 { return parsedU64(); }
export function p_num_i64(): i64 { return parsedI64(); }
export function p_num_f64(): f64 { return parsedF64(); }

const CRLF2 = memory.data<u8>([0x0D, 0x0A, 0x0D, 0x0A]);

/** Literal helpers against fixed literals, the way a filter calls them. */
export function p_ascii(op: i32, ptr: usize, len: usize): i32 {
  if (op == 0) return eqAscii(ptr, len, "text/event-stream") ? 1 : 0;
  if (op == 1) return eqAsciiNoCase(ptr, len, "text/event-stream") ? 1 : 0;
  if (op == 2) return startsWithAsciiNoCase(ptr, len, "application/") ? 1 : 0;
  if (op == 3) return <i32>indexOfAscii(ptr, len, "data:");
  if (op == 4) return <i32>indexOfAsciiNoCase(ptr, len, "Content-Type");
  if (op == 5) return <i32>indexOfByte(ptr, len, 0x3A);
  if (op == 6) return <i32>indexOfBytes(ptr, len, CRLF2, 4);
  return -100;
}

export function p_eq_nocase(a: usize, aLen: usize, b: usize, bLen: usize): bool {
  return eqBytesNoCase(a, aLen, b, bLen);
}

export function p_crc32(ptr: usize, len: usize): u32 { return crc32(ptr, len); }
export function p_crc32_split(ptr: usize, len: usize, at: usize): u32 {
  return crc32Update(crc32(ptr, at), ptr + at, len - at);
}

/**
 * Appends [ptr, ptr+len) to a ByteBuffer capped at `cap`, `times` times, then consumes `drop`
 * bytes; the buffer's bytes go to the output. Returns how many appends were accepted.
 */
export function p_buffer(cap: usize, ptr: usize, len: usize, times: i32, drop: usize): i32 {
  const b = new ByteBuffer(cap, 16);
  let ok = 0;
  for (let i = 0; i < times; i++) if (b.append(ptr, len)) ok++;
  if (b.length > b.max || b.capacity > max<usize>(cap, 16)) return -1;
  b.consume(drop);
  OUT.clear();
  OUT.append(b.ptr, b.length);
  return ok;
}

// ---- writer ----------------------------------------------------------------------------------

/**
 * Runs writer ops from [ops, ops+len): '{' '}' '[' ']', 'k'+u32 len+bytes (key), 's'+bytes
 * (string), 'i'+i64 LE, 'u'+u64 LE, 'f'+i64+i32 scale (fixed), 't' 'F' 'n', 'r'+bytes (raw),
 * 'K' key("input"), 'S' string("reported"). Output bytes in the output buffer; returns 1 when
 * ok, 0 when the writer failed, -1 for a bad op list.
 */
export function p_write(ops: usize, len: usize, maxBytes: usize): i32 {
  const w = new JsonWriter(maxBytes);
  let p = ops;
  const end = ops + len;
  while (p < end) {
    const op = load<u8>(p++);
    if (op == 0x7B) w.beginObject();
    else if (op == 0x7D) w.endObject();
    else if (op == 0x5B) w.beginArray();
    else if (op == 0x5D) w.endArray();
    else if (op == 0x74) w.bool(true);
    else if (op == 0x46) w.bool(false);
    else if (op == 0x6E) w.null();
    else if (op == 0x4B) w.key("input");
    else if (op == 0x53) w.string("reported");
    else if (op == 0x69 || op == 0x75) {
      if (end - p < 8) return -1;
      const v = load<i64>(p); p += 8;
      if (op == 0x69) w.int(v); else w.uint(<u64>v);
    } else if (op == 0x66) {
      if (end - p < 12) return -1;
      const v = load<i64>(p); const sc = load<i32>(p + 8); p += 12;
      w.fixed(v, sc);
    } else if (op == 0x6B || op == 0x73 || op == 0x72) {
      if (end - p < 4) return -1;
      const n = <usize>load<u32>(p); p += 4;
      if (end - p < n) return -1;
      if (op == 0x6B) w.keyBytes(p, n); else if (op == 0x73) w.stringBytes(p, n); else w.raw(p, n);
      p += n;
    } else return -1;
  }
  OUT.clear();
  OUT.append(w.ptr, w.length);
  return w.ok ? 1 : 0;
}
