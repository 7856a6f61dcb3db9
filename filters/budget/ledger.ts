// The local budget ledger: one shared-data entry per (rule, key), read and written with
// compare-and-swap so every worker VM of an Envoy sees one balance. Envoy's shared data is a
// per-vm_id map guarded by a mutex; get returns the value with its cas, and a set with a stale
// cas fails with CasMismatch, so a reservation that lost a race is recomputed from the new
// value, never written over it. Shared data outlives plugin reloads (not an Envoy restart).
//
// Value (little-endian): u32 magic, i32 ring size, i64 head bucket, then ring i64 amounts.
// The amount of bucket b lives in slot b mod ring; the ring holds buckets (head - ring, head].
import { WasmResult, getSharedDataRaw, lastResult, setSharedDataRaw } from "../sdk";
import { floorDiv, WindowSpec } from "./window";

const MAGIC: u32 = 0x31424754; // "TGB1"
const HEADER: usize = 16;
// A missing key is written whatever the cas, but an existing one only on a matching cas, and
// cas 0 means "no check". Creating a key with cas 0 would overwrite an entry another worker
// created since our read; a nonzero cas no live entry is likely to carry (Envoy's counter is
// global and sequential) turns that race into a CasMismatch and a retry.
const INSERT_CAS: u32 = 0xffffffff;
/** Give up after this many lost races in one operation (each retry re-reads; with a handful of workers one or two suffice). */
const MAX_ATTEMPTS: i32 = 256;

export const LEDGER_ADMITTED: i32 = 0;
export const LEDGER_OVER: i32 = 1;
/** The shared store kept failing (contention or a host error): nothing was written. */
export const LEDGER_UNAVAILABLE: i32 = 2;

export class LedgerResult {
  status: i32 = LEDGER_ADMITTED;
  /** Spend in the window after the operation (before it, when not admitted). */
  used: i64 = 0;
  /** The bucket the amount was charged to; settle adjusts that bucket. */
  bucket: i64 = 0;
  /** When a request of this size would fit again (ms since the epoch). */
  fitsAtMs: i64 = 0;
  /** When the current window (calendar) or its oldest charged slot (rolling) runs out. */
  resetMs: i64 = 0;
}

/** Slot amounts of one entry, worked on in the VM's memory between get and set. */
class Ring {
  slots: StaticArray<i64> = new StaticArray<i64>(0);
  size: i32 = 0;
  head: i64 = 0;

  load(ptr: usize, len: usize, size: i32): void {
    if (this.slots.length < size) this.slots = new StaticArray<i64>(size);
    this.size = size;
    const valid = ptr != 0 && len == HEADER + <usize>size * 8 && load<u32>(ptr) == MAGIC && load<i32>(ptr + 4) == size;
    // A missing, foreign or reshaped entry (the rule's window changed) starts empty.
    this.head = valid ? load<i64>(ptr + 8) : i64.MIN_VALUE;
    for (let i = 0; i < size; i++) unchecked(this.slots[i] = valid ? load<i64>(ptr + HEADER + <usize>i * 8) : 0);
  }

  /** Moves the ring to `bucket`: slots of buckets that left the window are emptied. */
  advance(bucket: i64): void {
    if (this.head == i64.MIN_VALUE || bucket - this.head >= <i64>this.size) {
      for (let i = 0; i < this.size; i++) unchecked(this.slots[i] = 0);
      this.head = bucket;
      return;
    }
    // A clock that stepped back keeps the newer head: spend is never forgotten early.
    while (this.head < bucket) {
      this.head++;
      unchecked(this.slots[this.index(this.head)] = 0);
    }
  }

  index(bucket: i64): i32 {
    const n = <i64>this.size;
    return <i32>(bucket - floorDiv(bucket, n) * n);
  }

  holds(bucket: i64): bool {
    return bucket <= this.head && bucket > this.head - <i64>this.size;
  }

  sum(): i64 {
    let s: i64 = 0;
    for (let i = 0; i < this.size; i++) s += unchecked(this.slots[i]);
    return s;
  }

  /** Writes the entry into `scratch` and returns its length. */
  store(scratch: usize): usize {
    store<u32>(scratch, MAGIC);
    store<i32>(scratch + 4, this.size);
    store<i64>(scratch + 8, this.head);
    for (let i = 0; i < this.size; i++) store<i64>(scratch + HEADER + <usize>i * 8, unchecked(this.slots[i]));
    return HEADER + <usize>this.size * 8;
  }
}

const ring = new Ring();
let scratch: ArrayBuffer = new ArrayBuffer(<i32>HEADER + 64 * 8);

function scratchFor(size: i32): usize {
  const need = <i32>HEADER + size * 8;
  if (scratch.byteLength < need) scratch = new ArrayBuffer(need);
  return changetype<usize>(scratch);
}

/**
 * Charges `amount` to the window at `nowMs` if the window's spend plus `amount` stays within
 * `limit`, or unconditionally when `force` (shadow rules, and settlement overruns).
 */
export function ledgerReserve(keyPtr: usize, keyLen: usize, spec: WindowSpec, nowMs: i64, amount: i64, limit: i64, force: bool, out: LedgerResult): void {
  const bucket = spec.bucketAt(nowMs);
  const size = spec.ringSize;
  out.bucket = bucket;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = getSharedDataRaw(keyPtr, keyLen);
    let cas: u32 = INSERT_CAS;
    if (current !== null) {
      ring.load(current.data.ptr, current.data.len, size);
      cas = current.cas;
      current.data.free();
    } else if (lastResult() == WasmResult.NotFound) {
      ring.load(0, 0, size);
    } else {
      break;
    }
    ring.advance(bucket);
    const used = ring.sum();
    out.resetMs = resetOf(spec, bucket);
    if (!force && (amount > limit || used > limit - amount)) {
      out.status = LEDGER_OVER;
      out.used = used;
      out.fitsAtMs = fitsAt(spec, bucket, used, amount, limit);
      return;
    }
    const slot = ring.index(bucket);
    unchecked(ring.slots[slot] = unchecked(ring.slots[slot]) + amount);
    const buf = scratchFor(size);
    const len = ring.store(buf);
    const r = setSharedDataRaw(keyPtr, keyLen, buf, len, cas);
    if (r == WasmResult.Ok) {
      out.status = LEDGER_ADMITTED;
      out.used = used + amount;
      out.fitsAtMs = nowMs;
      return;
    }
    if (r != WasmResult.CasMismatch) break;
  }
  out.status = LEDGER_UNAVAILABLE;
}

/**
 * Adds `delta` (negative releases) to `bucket` if it still counts at `nowMs`; a bucket that has
 * left the window is not touched (its spend has expired anyway). Amounts never go below 0.
 * Returns false when the shared store kept failing.
 */
export function ledgerAdjust(keyPtr: usize, keyLen: usize, spec: WindowSpec, nowMs: i64, bucket: i64, delta: i64): bool {
  if (delta == 0) return true;
  const size = spec.ringSize;
  const now = spec.bucketAt(nowMs);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = getSharedDataRaw(keyPtr, keyLen);
    if (current === null) return lastResult() == WasmResult.NotFound;
    ring.load(current.data.ptr, current.data.len, size);
    const cas = current.cas;
    current.data.free();
    ring.advance(now);
    if (!ring.holds(bucket)) return true;
    const slot = ring.index(bucket);
    const v = unchecked(ring.slots[slot]) + delta;
    unchecked(ring.slots[slot] = v < 0 ? 0 : v);
    const buf = scratchFor(size);
    const len = ring.store(buf);
    const r = setSharedDataRaw(keyPtr, keyLen, buf, len, cas);
    if (r == WasmResult.Ok) return true;
    if (r != WasmResult.CasMismatch) return false;
  }
  return false;
}

/** The window's spend at `nowMs` (read only). */
export function ledgerUsed(keyPtr: usize, keyLen: usize, spec: WindowSpec, nowMs: i64): i64 {
  const current = getSharedDataRaw(keyPtr, keyLen);
  if (current === null) return 0;
  ring.load(current.data.ptr, current.data.len, spec.ringSize);
  current.data.free();
  ring.advance(spec.bucketAt(nowMs));
  return ring.sum();
}

function resetOf(spec: WindowSpec, bucket: i64): i64 {
  if (spec.ringSize == 1) return spec.bucketExpiresMs(bucket);
  // Rolling: the oldest slot that holds spend expires first.
  for (let b = bucket - <i64>ring.size + 1; b <= bucket; b++) {
    if (unchecked(ring.slots[ring.index(b)]) > 0) return spec.bucketExpiresMs(b);
  }
  return spec.bucketExpiresMs(bucket);
}

/** The first moment `amount` fits: the window's reset, or as old slots expire one by one. */
function fitsAt(spec: WindowSpec, bucket: i64, used: i64, amount: i64, limit: i64): i64 {
  if (amount > limit) return spec.bucketExpiresMs(bucket);
  if (spec.ringSize == 1) return spec.bucketExpiresMs(bucket);
  let left = used;
  for (let b = bucket - <i64>ring.size + 1; b <= bucket; b++) {
    left -= unchecked(ring.slots[ring.index(b)]);
    if (left <= limit - amount) return spec.bucketExpiresMs(b);
  }
  return spec.bucketExpiresMs(bucket);
}
