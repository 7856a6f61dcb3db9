// One pass over a text for the numeric detectors (card, SSN, IBAN, IP, phone): the start and
// end of every maximal run of ASCII digits, plus where the few other bytes they anchor on are
// (':' for IPv6, '+' / '(' / 0xEF for phone numbers). Built once per scan with word-at-a-time
// loads (detect-chars.ts), then each detector walks these lists instead of re-reading the text
// for its anchors. Positions are increasing; the lists are reused from scan to scan.
import { eqMask, rangeMask } from "./detect-chars";

export class DigitRuns {
  /** Run k is the digits [starts[k], ends[k]): maximal (no digit before or after it). */
  starts: StaticArray<i32> = new StaticArray<i32>(256);
  ends: StaticArray<i32> = new StaticArray<i32>(256);
  count: i32 = 0;
  /** Every ':' of the text. */
  colons: StaticArray<i32> = new StaticArray<i32>(64);
  colonCount: i32 = 0;
  /** Every '+', '(' and 0xEF byte (lead byte of the full-width forms) of the text. */
  marks: StaticArray<i32> = new StaticArray<i32>(64);
  markCount: i32 = 0;

  /**
   * Eight bytes at a time: masks of the digits, colons and marks of each word (exact, see
   * detect-chars.ts), a run starting at a digit after a non-digit and ending at a non-digit
   * after a digit (`carry`: the previous word ended in a digit). The last < 8 bytes are read
   * into a zero-padded word (0 is none of these bytes), so nothing outside [ptr, ptr+n) is read.
   */
  build(ptr: usize, n: i32): void {
    let count = 0;
    let ends = 0;
    let colonCount = 0;
    let markCount = 0;
    let carry: u64 = 0;
    for (let i = 0; i < n; i += 8) {
      let x: u64;
      if (i + 8 <= n) {
        x = load<u64>(ptr + <usize>i);
      } else {
        x = 0;
        for (let k = 0; k < n - i; k++) x |= <u64>load<u8>(ptr + <usize>(i + k)) << (<u64>k << 3);
      }
      const d = rangeMask(x, 0x30, 0x39);
      const c = eqMask(x, 0x3A);
      const m = eqMask(x, 0x2B) | eqMask(x, 0x28) | eqMask(x, 0xEF);
      if ((d | c | m | carry) == 0) continue;
      const prev = (d << 8) | carry; // high bit of byte k: byte k-1 is a digit
      carry = d >> 56;
      let st = d & ~prev;
      let en = prev & ~d;
      if (st | en) {
        if (count + 8 > this.starts.length) this.growRuns();
        const starts = this.starts;
        const endsA = this.ends;
        while (st != 0) {
          unchecked(starts[count++] = i + <i32>(ctz(st) >> 3));
          st &= st - 1;
        }
        while (en != 0) {
          unchecked(endsA[ends++] = i + <i32>(ctz(en) >> 3));
          en &= en - 1;
        }
      }
      if (c != 0) {
        if (colonCount + 8 > this.colons.length) this.colons = grow(this.colons);
        const colons = this.colons;
        let cm = c;
        while (cm != 0) {
          unchecked(colons[colonCount++] = i + <i32>(ctz(cm) >> 3));
          cm &= cm - 1;
        }
      }
      if (m != 0) {
        if (markCount + 8 > this.marks.length) this.marks = grow(this.marks);
        const marks = this.marks;
        let mm = m;
        while (mm != 0) {
          unchecked(marks[markCount++] = i + <i32>(ctz(mm) >> 3));
          mm &= mm - 1;
        }
      }
    }
    // A run reaching the end of a text whose length is a multiple of 8.
    if (carry != 0) unchecked(this.ends[ends++] = n);
    this.count = count;
    this.colonCount = colonCount;
    this.markCount = markCount;
  }

  private growRuns(): void {
    this.starts = grow(this.starts);
    this.ends = grow(this.ends);
  }
}

function grow(a: StaticArray<i32>): StaticArray<i32> {
  const b = new StaticArray<i32>(a.length << 1);
  memory.copy(changetype<usize>(b), changetype<usize>(a), <usize>a.length << 2);
  return b;
}

/** The index, built by scanText once per scan (one per module: scans do not nest). */
export const digitRuns = new DigitRuns();
