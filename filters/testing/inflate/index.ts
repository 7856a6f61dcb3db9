// Test entry for filters/lib/inflate: plain exports host-tests drive directly, plus the SDK's
// ABI surface so the module links in Envoy like every dist/*.wasm. Decompressed spans are
// appended to one output buffer read through p_out_ptr / p_out_len.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { ByteBuffer, crc32Update } from "../../lib/bytes";
import { Inflater, INFLATE_DATA, INFLATE_NEED_MORE, INFLATE_ERR_BUSY, INFLATE_FORMAT_GZIP } from "../../lib/inflate";

class InflateRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("inflate", (contextId: u32): RootContext => new InflateRoot(contextId));

const OUT = new ByteBuffer(256 << 20, 1 << 16);

export function p_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function p_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function p_out_ptr(): usize { return OUT.ptr; }
export function p_out_len(): usize { return OUT.length; }

let spans: i32 = 0;
let maxSpan: usize = 0;
let extraBusy: i32 = 0;
let keepOut: bool = true;
let outCount: u64 = 0;
let outCrc: u32 = 0;
/** Bytes and CRC-32 of the last run's output (kept or not). */
export function p_out_count(): u64 { return outCount; }
export function p_out_crc(): u32 { return outCrc; }
/** DATA spans of the last run, the largest span, and how many pushes were refused as busy. */
export function p_spans(): i32 { return spans; }
export function p_max_span(): usize { return maxSpan; }
export function p_busy(): i32 { return extraBusy; }

let scratch: usize = 0;
let scratchCap: usize = 0;

// Guards against a decoder that never settles.
const MAX_STEPS: i32 = 1 << 24;

/**
 * Decompresses [body, body+len) (format: 0 auto, 1 gzip, 2 zlib-or-raw, 3 raw) fed as chunks cut
 * at the ascending offsets in the u32 array `splits`, then finish(). Each chunk is copied to a
 * scratch buffer poisoned once drained. Output goes to the output buffer (cleared first).
 * Returns the final status (INFLATE_END or an error), or -100 when the decoder does not settle.
 * With keep false the output is only counted and checksummed (p_out_count, p_out_crc).
 */
export function p_inflate(format: i32, body: usize, len: usize, splits: usize, nSplits: i32, maxOut: u64, keep: bool): i32 {
  OUT.clear();
  spans = 0; maxSpan = 0; extraBusy = 0; keepOut = keep; outCount = 0; outCrc = 0;
  const inf = new Inflater(maxOut, format);
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
    const p = inf.push(scratch, n);
    if (p == INFLATE_ERR_BUSY) extraBusy++;
    let k = 0;
    for (; k < MAX_STEPS; k++) {
      const r = inf.next();
      if (r == INFLATE_DATA) { collect(inf); continue; }
      if (r == INFLATE_NEED_MORE) break;
      return r; // END or an error before the input ran out
    }
    if (k == MAX_STEPS) return -100;
    memory.fill(scratch, 0xEE, n);
    from = to;
  }
  inf.finish();
  for (let k = 0; k < MAX_STEPS; k++) {
    const r = inf.next();
    if (r == INFLATE_DATA) { collect(inf); continue; }
    if (r == INFLATE_NEED_MORE) return -101;
    // Terminal statuses are sticky.
    if (inf.next() != r) return -102;
    return r;
  }
  return -100;
}

function collect(inf: Inflater): void {
  spans++;
  if (inf.outLen > maxSpan) maxSpan = inf.outLen;
  outCount += inf.outLen;
  outCrc = crc32Update(outCrc, inf.outPtr, inf.outLen);
  if (keepOut) OUT.append(inf.outPtr, inf.outLen);
}

/**
 * Misuse: a second push before the first chunk is drained, and a push after finish(), must both
 * be refused with INFLATE_ERR_BUSY. Returns the two statuses as (second << 8) | (after finish & 0xFF).
 */
export function p_push_misuse(body: usize, len: usize): i32 {
  const inf = new Inflater(1 << 30, INFLATE_FORMAT_GZIP);
  inf.push(body, len);
  const a = inf.push(body, len);
  while (inf.next() == INFLATE_DATA) {}
  inf.finish();
  const b = inf.push(body, len);
  return (a << 8) | (b & 0xFF);
}
