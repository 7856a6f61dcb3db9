// Test entry for filters/lib/providers/include-usage: plain exports host-tests drive directly
// (no proxy-wasm host needed), plus the SDK's ABI surface so the module links in Envoy like
// every dist/*.wasm. Results go to buffers read through iu_*_ptr / iu_*_len.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { ByteBuffer } from "../../lib/bytes";
import { injectIncludeUsage, UsageChunkHider, HIDE_OK } from "../../lib/providers/include-usage";

class IncludeUsageRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("include-usage", (contextId: u32): RootContext => new IncludeUsageRoot(contextId));

const OUT_CAP: usize = 64 << 20;
// iu_inject swaps in a buffer with the cap under test; hide runs swap the big one back.
let OUT = new ByteBuffer(OUT_CAP, 1 << 16);
/** u32 LE per push: the hider's held-back bytes after it. */
const HELD = new ByteBuffer(16 << 20, 1 << 12);
/** Per dropped usage chunk: u32 LE length, then its data JSON. */
const DROPPED = new ByteBuffer(16 << 20, 1 << 10);
let lastStats: StaticArray<i32> = new StaticArray<i32>(4);

function putU32(b: ByteBuffer, v: u32): void {
  b.appendByte(<u8>v); b.appendByte(<u8>(v >> 8)); b.appendByte(<u8>(v >> 16)); b.appendByte(<u8>(v >> 24));
}

export function iu_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function iu_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function iu_out_ptr(): usize { return OUT.ptr; }
export function iu_out_len(): usize { return OUT.length; }
export function iu_held_ptr(): usize { return HELD.ptr; }
export function iu_held_len(): usize { return HELD.length; }
export function iu_dropped_ptr(): usize { return DROPPED.ptr; }
export function iu_dropped_len(): usize { return DROPPED.length; }
/** 0 events, 1 dropped chunks, 2 removed "usage":null, 3 oversize events (of the last hide run). */
export function iu_stat(i: i32): i32 { return i >= 0 && i < 4 ? lastStats[i] : -1; }

/** injectIncludeUsage into OUT (capped at outCap bytes); returns its status. */
export function iu_inject(ptr: usize, len: usize, outCap: usize): i32 {
  OUT = new ByteBuffer(outCap, 1 << 12);
  return injectIncludeUsage(ptr, len, OUT);
}

function runHide(ptr: usize, len: usize, splits: usize, nSplits: i32, maxEvent: usize, record: bool): i32 {
  if (OUT.max != OUT_CAP) OUT = new ByteBuffer(OUT_CAP, 1 << 16);
  OUT.clear();
  if (record) { HELD.clear(); DROPPED.clear(); }
  const h = new UsageChunkHider(maxEvent);
  let status = HIDE_OK;
  let from: usize = 0;
  let seen = 0;
  for (let k = 0; k <= nSplits; k++) {
    const to: usize = k < nSplits ? <usize>load<u32>(splits + (<usize>k << 2)) : len;
    if (to < from || to > len) return -100;
    const r = h.push(ptr + from, to - from, OUT);
    if (r != HIDE_OK) status = r;
    if (record) {
      putU32(HELD, <u32>h.held);
      if (h.droppedCount != seen) {
        seen = h.droppedCount;
        putU32(DROPPED, <u32>h.droppedDataLen);
        DROPPED.append(h.droppedDataPtr, h.droppedDataLen);
      }
    }
    from = to;
  }
  const r = h.finish(OUT);
  if (r != HIDE_OK) status = r;
  if (record && h.droppedCount != seen) {
    putU32(DROPPED, <u32>h.droppedDataLen);
    DROPPED.append(h.droppedDataPtr, h.droppedDataLen);
  }
  lastStats[0] = h.eventCount;
  lastStats[1] = h.droppedCount;
  lastStats[2] = h.removedNulls;
  lastStats[3] = h.oversizeCount;
  return status;
}

/** Hides over [ptr, ptr+len) pushed in chunks cut at the u32 offsets in splits; OUT = output. */
export function iu_hide(ptr: usize, len: usize, splits: usize, nSplits: i32, maxEvent: usize): i32 {
  return runHide(ptr, len, splits, nSplits, maxEvent, true);
}

/** -1 when every 2-way split gives the whole run's output; else the first split that differs. */
export function iu_hide_every_split(ptr: usize, len: usize, maxEvent: usize): isize {
  runHide(ptr, len, 0, 0, maxEvent, false);
  const whole = new ByteBuffer(OUT.length + 16, OUT.length + 16);
  whole.append(OUT.ptr, OUT.length);
  const sp = heap.alloc(4);
  for (let at: usize = 1; at < len; at++) {
    store<u32>(sp, <u32>at);
    runHide(ptr, len, sp, 1, maxEvent, false);
    if (OUT.length != whole.length || memory.compare(OUT.ptr, whole.ptr, whole.length) != 0) {
      heap.free(sp);
      return <isize>at;
    }
  }
  heap.free(sp);
  return -1;
}
