// Where the words of the text being scanned start (an ASCII letter after a non-letter), as one
// bit per byte, computed with SIMD compares on the first request for a text. The context-word
// lookups (context.ts) used to read their windows through these masks; they now read each
// window's own 64-byte mask, which costs less than indexing the text for the few candidates a
// text has, so nothing asks for the masks any more. scanText (scan.ts) still marks the text
// being scanned with begin/end, which costs nothing: this file can go when scan.ts drops them.
// Valid between begin and end of one scanText: a lookup on other bytes reads them itself.
import { alphaMask, TAIL } from "./simd-bytes";
import { tick } from "./work";

export class WordStarts {
  ptr: usize = 0;
  len: i32 = -1;
  built: bool = false;
  /** Bit k of masks[b]: byte 64b + k starts a word. */
  masks: StaticArray<u64> = new StaticArray<u64>(64);

  /** The text [ptr, ptr + len) is being scanned; its masks are computed when first needed. */
  begin(ptr: usize, len: i32): void {
    this.ptr = ptr;
    this.len = len;
    this.built = false;
  }

  end(): void {
    this.len = -1;
    this.built = false;
  }

  /** True when the bits describe [ptr, ptr + len) (computing them now if needed). */
  covers(ptr: usize, len: i32): bool {
    if (ptr != this.ptr || len != this.len) return false;
    if (!this.built) this.build();
    return true;
  }

  private build(): void {
    const n = this.len;
    const blocks = (n + 63) >> 6;
    if (blocks > this.masks.length) this.masks = new StaticArray<u64>(max(blocks, this.masks.length << 1));
    const masks = this.masks;
    const ptr = this.ptr;
    let carry: u64 = 0;
    for (let b = 0; b < blocks; b++) {
      tick(1);
      const i = b << 6;
      let p = ptr + <usize>i;
      if (i + 64 > n) {
        memory.fill(TAIL, 0, 64);
        memory.copy(TAIL, p, <usize>(n - i));
        p = TAIL;
      }
      const a = alphaMask(p);
      unchecked(masks[b] = a & ~((a << 1) | carry));
      carry = a >> 63;
    }
    this.built = true;
  }
}

/** The index of the text scanText is scanning (scans do not nest). */
export const wordStarts = new WordStarts();
