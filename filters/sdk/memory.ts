// Guest-side memory plumbing for hostcalls: return slots, host-allocated buffers and a
// UTF-8 scratch area for passing strings without leaving garbage for the GC.

// Return slots the host writes into. Static memory, because every hostcall needs them and
// no hostcall can run while another is in progress (malloc, the only re-entry, never touches
// them). 8-byte aligned so the u64 slot is naturally aligned.
export const RET_PTR: usize = memory.data(8, 8);
export const RET_LEN: usize = memory.data(8, 8);
export const RET_EXTRA: usize = memory.data(8, 8);
export const RET_U64: usize = memory.data(8, 8);

/** Zero the slots before a call: on failure the host writes nothing. */
// @ts-ignore: decorator
@inline
export function clearRet(): void {
  store<u64>(RET_PTR, 0);
  store<u64>(RET_LEN, 0);
  store<u64>(RET_EXTRA, 0);
  store<u64>(RET_U64, 0);
}

/**
 * Bytes the host copied into guest memory through our `malloc`. The guest owns them: call
 * `free()` (or use a `take*` method) exactly once. Zero-copy: scan `ptr..ptr+len` directly.
 * An empty result is (0, 0) and owns nothing.
 */
export class HostBytes {
  constructor(public ptr: usize, public len: usize) {}

  /** Take ownership of what the last hostcall wrote into RET_PTR / RET_LEN. */
  static fromRet(): HostBytes {
    return new HostBytes(<usize>load<u32>(RET_PTR), <usize>load<u32>(RET_LEN));
  }

  static empty(): HostBytes {
    return new HostBytes(0, 0);
  }

  get isEmpty(): bool {
    return this.len == 0;
  }

  free(): void {
    if (this.ptr != 0) heap.free(this.ptr);
    this.ptr = 0;
    this.len = 0;
  }

  /** Copies; keeps the host buffer. */
  toArrayBuffer(): ArrayBuffer {
    const out = new ArrayBuffer(<i32>this.len);
    if (this.len > 0) memory.copy(changetype<usize>(out), this.ptr, this.len);
    return out;
  }

  toUint8Array(): Uint8Array {
    return Uint8Array.wrap(this.toArrayBuffer());
  }

  /** UTF-8 decode (lenient: invalid sequences are not rejected). For small values only. */
  toString(): string {
    if (this.len == 0) return "";
    return String.UTF8.decodeUnsafe(this.ptr, this.len);
  }

  takeArrayBuffer(): ArrayBuffer {
    const out = this.toArrayBuffer();
    this.free();
    return out;
  }

  takeUint8Array(): Uint8Array {
    return Uint8Array.wrap(this.takeArrayBuffer());
  }

  takeString(): string {
    const out = this.toString();
    this.free();
    return out;
  }
}

// UTF-8 scratch: strings passed to the host (header names, keys, log lines) are encoded
// here instead of into fresh ArrayBuffers. Several strings can be staged back to back for
// one hostcall; the slots below say where each one landed.
let scratchPtr: usize = 0;
let scratchCap: usize = 0;

export let s0Ptr: usize = 0;
export let s0Len: usize = 0;
export let s1Ptr: usize = 0;
export let s1Len: usize = 0;
export let s2Ptr: usize = 0;
export let s2Len: usize = 0;

function ensureScratch(size: usize): usize {
  if (size > scratchCap) {
    let cap = scratchCap < 256 ? <usize>256 : scratchCap;
    while (cap < size) cap <<= 1;
    // Not realloc: nothing staged needs to survive a resize.
    if (scratchPtr != 0) heap.free(scratchPtr);
    scratchPtr = heap.alloc(cap);
    scratchCap = cap;
  }
  return scratchPtr;
}

// @ts-ignore: decorator
@inline
function encodeAt(s: string, at: usize): usize {
  return String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, at);
}

/** Stages one string; result in s0Ptr/s0Len. */
export function stage1(a: string): void {
  const la = <usize>String.UTF8.byteLength(a);
  const base = ensureScratch(la);
  s0Ptr = base;
  s0Len = encodeAt(a, base);
}

/** Stages two strings; results in s0 and s1. */
export function stage2(a: string, b: string): void {
  const la = <usize>String.UTF8.byteLength(a);
  const lb = <usize>String.UTF8.byteLength(b);
  const base = ensureScratch(la + lb);
  s0Ptr = base;
  s0Len = encodeAt(a, base);
  s1Ptr = base + s0Len;
  s1Len = encodeAt(b, s1Ptr);
}

/** Stages three strings; results in s0, s1 and s2. */
export function stage3(a: string, b: string, c: string): void {
  const la = <usize>String.UTF8.byteLength(a);
  const lb = <usize>String.UTF8.byteLength(b);
  const lc = <usize>String.UTF8.byteLength(c);
  const base = ensureScratch(la + lb + lc);
  s0Ptr = base;
  s0Len = encodeAt(a, base);
  s1Ptr = base + s0Len;
  s1Len = encodeAt(b, s1Ptr);
  s2Ptr = s1Ptr + s1Len;
  s2Len = encodeAt(c, s2Ptr);
}

/** Pointer of a typed array's first byte (0 for null / empty), for passing to the host. */
// @ts-ignore: decorator
@inline
export function bytesPtr(b: Uint8Array | null): usize {
  return b === null ? 0 : b.dataStart;
}

// @ts-ignore: decorator
@inline
export function bytesLen(b: Uint8Array | null): usize {
  return b === null ? 0 : <usize>b.length;
}
