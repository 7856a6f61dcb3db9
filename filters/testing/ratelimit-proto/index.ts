// Test entry for filters/lib/ratelimit: plain exports host-tests/ratelimit-proto.test.ts drives
// directly, plus the SDK's ABI surface so the module links in Envoy like every dist/*.wasm.
// Requests are built from a small op script (so the ptr/len hot path is what gets tested);
// decoded responses come back as JSON with byte fields in hex (they need not be UTF-8).
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import {
  RateLimitRequestWriter, RateLimitResponse, RateLimitHeader, decodeRateLimitResponse, durationMs,
} from "../../lib/ratelimit";

class RateLimitProtoRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("ratelimit-proto", (contextId: u32): RootContext => new RateLimitProtoRoot(contextId));

// Module-level on purpose: every call reuses them, as a filter would across requests.
let writer = new RateLimitRequestWriter();
const response = new RateLimitResponse();
let out: ArrayBuffer = new ArrayBuffer(0);

export function rp_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function rp_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function rp_out_ptr(): usize { return changetype<usize>(out); }
export function rp_out_len(): usize { return <usize>out.byteLength; }

/** Replaces the writer with one capped at maxBytes. */
export function rp_set_cap(maxBytes: usize): void {
  writer = new RateLimitRequestWriter(maxBytes);
}

// Op codes of the encode script; u32/u64 operands little-endian, byte strings as u32 len + bytes.
const OP_RESET: u8 = 1;
const OP_RESET_STRING: u8 = 2;
const OP_BEGIN: u8 = 3;
const OP_ENTRY: u8 = 4;
const OP_ENTRY_STRING: u8 = 5;
const OP_LIMIT: u8 = 6;
const OP_DESC_HITS: u8 = 7;
const OP_END: u8 = 8;
const OP_HITS: u8 = 9;

/** Runs the script at [ptr, +len); 1 = finish() true (bytes in the output), 0 = false, -1 = bad script. */
export function rp_encode(ptr: usize, len: usize): i32 {
  const end = ptr + len;
  let p = ptr;
  while (p < end) {
    const op = load<u8>(p++);
    if (op == OP_RESET || op == OP_RESET_STRING) {
      const n = <usize>load<u32>(p);
      if (op == OP_RESET) writer.reset(p + 4, n);
      else writer.resetString(String.UTF8.decodeUnsafe(p + 4, n));
      p += 4 + n;
    } else if (op == OP_BEGIN) {
      writer.beginDescriptor();
    } else if (op == OP_ENTRY || op == OP_ENTRY_STRING) {
      const kn = <usize>load<u32>(p);
      const kp = p + 4;
      const vn = <usize>load<u32>(kp + kn);
      const vp = kp + kn + 4;
      if (op == OP_ENTRY) writer.entry(kp, kn, vp, vn);
      else writer.entryString(String.UTF8.decodeUnsafe(kp, kn), String.UTF8.decodeUnsafe(vp, vn));
      p = vp + vn;
    } else if (op == OP_LIMIT) {
      writer.descriptorLimit(load<u32>(p), load<i32>(p + 4));
      p += 8;
    } else if (op == OP_DESC_HITS) {
      writer.descriptorHitsAddend(load<u64>(p));
      p += 8;
    } else if (op == OP_END) {
      writer.endDescriptor();
    } else if (op == OP_HITS) {
      writer.hitsAddend(load<u32>(p));
      p += 4;
    } else {
      return -1;
    }
  }
  if (p != end) return -1;
  if (!writer.finish()) return 0;
  out = new ArrayBuffer(<i32>writer.length);
  memory.copy(changetype<usize>(out), writer.ptr, writer.length);
  return 1;
}

const HEX = "0123456789abcdef";

function hex(ptr: usize, len: usize): string {
  let s = "";
  for (let i: usize = 0; i < len; i++) {
    const b = load<u8>(ptr + i);
    s += HEX.charAt(b >> 4) + HEX.charAt(b & 15);
  }
  return s;
}

function headersJson(list: Array<RateLimitHeader>): string {
  let s = "[";
  for (let i = 0; i < list.length; i++) {
    const h = list[i];
    if (i > 0) s += ",";
    s += '{"key":"' + hex(h.keyPtr, h.keyLen) + '","value":"' + hex(h.valuePtr, h.valueLen) + '"}';
  }
  return s + "]";
}

// The decoded response points into its input, so the input is kept here, not in the caller's
// buffer (the test frees that right after the call, and rp_first_strings reads it later).
let input: ArrayBuffer = new ArrayBuffer(0);

/** 1 = decoded (JSON in the output buffer), 0 = rejected. */
export function rp_decode(ptr: usize, len: usize): i32 {
  input = new ArrayBuffer(<i32>len);
  memory.copy(changetype<usize>(input), ptr, len);
  if (!decodeRateLimitResponse(changetype<usize>(input), len, response)) return 0;
  let s = '{"overallCode":' + response.overallCode.toString() + ',"statuses":[';
  for (let i = 0; i < response.statuses.length; i++) {
    const st = response.statuses[i];
    if (i > 0) s += ",";
    s += '{"code":' + st.code.toString()
      + ',"hasCurrentLimit":' + (st.hasCurrentLimit ? "true" : "false")
      + ',"requestsPerUnit":' + st.requestsPerUnit.toString()
      + ',"unit":' + st.unit.toString()
      + ',"name":"' + hex(st.namePtr, st.nameLen) + '"'
      + ',"limitRemaining":' + st.limitRemaining.toString()
      + ',"hasDuration":' + (st.hasDurationUntilReset ? "true" : "false")
      + ',"seconds":"' + st.durationSeconds.toString() + '"'
      + ',"nanos":' + st.durationNanos.toString()
      + ',"ms":"' + st.durationUntilResetMs.toString() + '"}';
  }
  s += '],"responseHeadersToAdd":' + headersJson(response.responseHeadersToAdd)
    + ',"requestHeadersToAdd":' + headersJson(response.requestHeadersToAdd)
    + ',"rawBody":"' + hex(response.rawBodyPtr, response.rawBodyLen) + '"}';
  out = String.UTF8.encode(s);
  return 1;
}

/** The string accessors, for the first response header and status name (UTF-8 check). */
export function rp_first_strings(): void {
  let s = "";
  if (response.responseHeadersToAdd.length > 0) {
    const h = response.responseHeadersToAdd[0];
    s += h.key() + "\n" + h.value();
  }
  s += "\n";
  if (response.statuses.length > 0) s += response.statuses[0].name();
  out = String.UTF8.encode(s);
}

export function rp_duration_ms(seconds: i64, nanos: i32): i64 {
  return durationMs(seconds, nanos);
}
