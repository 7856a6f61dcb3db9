// A growable byte buffer with a hard cap, for the tails a streaming filter must hold back (an
// unfinished SSE line, a partial event-stream frame). Storage is a managed ArrayBuffer, so a
// dropped buffer is collected like any object; the GC does not move objects, so `ptr` stays
// valid until the next append that grows the buffer.

/** Caps beyond this are clamped: ArrayBuffer lengths are i32 and Envoy's VM has ~1 GiB. */
export const BYTE_BUFFER_MAX_CAP: usize = 1 << 30;

export class ByteBuffer {
  private buf: ArrayBuffer;
  /** Bytes in use, from ptr. */
  length: usize = 0;
  /** Hard cap: appends that would pass it fail and change nothing. */
  max: usize;

  constructor(cap: usize, initial: usize = 64) {
    const m = min<usize>(cap, BYTE_BUFFER_MAX_CAP);
    this.buf = new ArrayBuffer(<i32>min<usize>(max<usize>(initial, 16), max<usize>(m, 16)));
    this.max = m;
  }

  get ptr(): usize { return changetype<usize>(this.buf); }
  get capacity(): usize { return <usize>this.buf.byteLength; }
  get isEmpty(): bool { return this.length == 0; }
  /** Bytes that can still be appended before the cap. */
  get room(): usize { return this.max - min(this.length, this.max); }

  /** Makes room for `extra` more bytes; false (and no change) when that would pass the cap. */
  reserve(extra: usize): bool {
    if (extra > this.max || this.length > this.max - extra) return false;
    const need = this.length + extra;
    const cap = <usize>this.buf.byteLength;
    if (need <= cap) return true;
    let next = cap * 2;
    if (next < need) next = need;
    if (next > this.max) next = this.max;
    const grown = new ArrayBuffer(<i32>next);
    if (this.length > 0) memory.copy(changetype<usize>(grown), changetype<usize>(this.buf), this.length);
    this.buf = grown;
    return true;
  }

  /** Appends [ptr, ptr+len); false (nothing appended) when the cap would be passed. */
  append(ptr: usize, len: usize): bool {
    if (len == 0) return true;
    if (!this.reserve(len)) return false;
    memory.copy(changetype<usize>(this.buf) + this.length, ptr, len);
    this.length += len;
    return true;
  }

  appendByte(b: u8): bool {
    if (!this.reserve(1)) return false;
    store<u8>(changetype<usize>(this.buf) + this.length, b);
    this.length++;
    return true;
  }

  /** Appends an ASCII literal (its UTF-16 data read in place). */
  appendAscii(lit: string): bool {
    const n = <usize>lit.length;
    if (!this.reserve(n)) return false;
    const s = changetype<usize>(lit);
    const d = changetype<usize>(this.buf) + this.length;
    for (let i: usize = 0; i < n; i++) store<u8>(d + i, <u8>load<u16>(s + (i << 1)));
    this.length += n;
    return true;
  }

  /** Drops the first n bytes (the part already emitted), keeping the rest at ptr. */
  consume(n: usize): void {
    if (n >= this.length) { this.length = 0; return; }
    const p = changetype<usize>(this.buf);
    memory.copy(p, p + n, this.length - n);
    this.length -= n;
  }

  /** Keeps the first n bytes. */
  truncate(n: usize): void {
    if (n < this.length) this.length = n;
  }

  clear(): void { this.length = 0; }

  /** Clears and gives back memory grown for one large tail. */
  reset(initial: usize = 64): void {
    this.length = 0;
    if (<usize>this.buf.byteLength > max<usize>(initial, 16) * 4) {
      this.buf = new ArrayBuffer(<i32>min<usize>(max<usize>(initial, 16), max<usize>(this.max, 16)));
    }
  }
}
