// One pass over a text for the numeric detectors (card, SSN, IBAN, IP, phone): the start and
// end of every maximal run of ASCII digits, plus where the few other bytes they anchor on are
// (':' for IPv6, '+' / '(' / 0xEF for phone numbers). Built once per scan with 16-byte SIMD
// compares (simd-bytes.ts), then each detector walks these lists instead of re-reading the text
// for its anchors. Positions are increasing; the lists are reused from scan to scan.
import { byteMask, digitMask, TAIL } from "./simd-bytes";
import { tick } from "./work";

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
   * 64 bytes a step: four 16-byte SIMD compares per byte kind give exact 64-bit masks of the
   * digits, colons and marks (bit k = byte i + k); a run starts at a digit after a non-digit
   * and ends at a non-digit after a digit (`carry`: the previous step ended in a digit). The
   * last < 64 bytes are copied into a zeroed scratch block (0 is none of these bytes), so
   * nothing outside [ptr, ptr+n) is read. One pass over the text whatever it holds.
   */
  build(ptr: usize, n: i32): void {
    let count = 0;
    let ends = 0;
    let colonCount = 0;
    let markCount = 0;
    let carry: u64 = 0;
    for (let i = 0; i < n; i += 64) {
      tick(1);
      let p = ptr + <usize>i;
      if (i + 64 > n) {
        memory.fill(TAIL, 0, 64);
        memory.copy(TAIL, p, <usize>(n - i));
        p = TAIL;
      }
      const d = digitMask(p);
      const c = byteMask(p, 0x3A);
      const m = byteMask(p, 0x2B) | byteMask(p, 0x28) | byteMask(p, 0xEF);
      if ((d | c | m | carry) == 0) continue;
      const prev = (d << 1) | carry; // bit k: byte k-1 is a digit
      carry = d >> 63;
      let st = d & ~prev;
      let en = prev & ~d;
      if (st | en) {
        // At most 32 starts and 32 ends in 64 bytes.
        if (count + 33 > this.starts.length) this.growRuns();
        const starts = changetype<usize>(this.starts);
        const endsA = changetype<usize>(this.ends);
        tick(<i32>(popcnt(st) + popcnt(en)));
        while (st != 0) {
          store<i32>(starts + (<usize>count << 2), i + <i32>ctz(st));
          count++;
          st &= st - 1;
        }
        while (en != 0) {
          store<i32>(endsA + (<usize>ends << 2), i + <i32>ctz(en));
          ends++;
          en &= en - 1;
        }
      }
      if (c != 0) {
        while (colonCount + 64 > this.colons.length) this.colons = grow(this.colons);
        const colons = changetype<usize>(this.colons);
        tick(<i32>popcnt(c));
        let cm = c;
        while (cm != 0) {
          store<i32>(colons + (<usize>colonCount << 2), i + <i32>ctz(cm));
          colonCount++;
          cm &= cm - 1;
        }
      }
      if (m != 0) {
        while (markCount + 64 > this.marks.length) this.marks = grow(this.marks);
        const marks = changetype<usize>(this.marks);
        tick(<i32>popcnt(m));
        let mm = m;
        while (mm != 0) {
          store<i32>(marks + (<usize>markCount << 2), i + <i32>ctz(mm));
          markCount++;
          mm &= mm - 1;
        }
      }
    }
    // A run reaching the end of a text whose length is a multiple of 64.
    if (carry != 0) {
      if (ends + 1 > this.ends.length) this.growRuns();
      unchecked(this.ends[ends++] = n);
    }
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
