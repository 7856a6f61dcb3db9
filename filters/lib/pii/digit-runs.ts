// One pass over a text for the numeric detectors (card, SSN, IBAN, IP, phone): the start and
// end of every maximal run of ASCII digits, plus where the few other bytes they anchor on are
// (':' for IPv6, '+' / '(' / 0xEF for phone numbers). Built once per scan with 16-byte SIMD
// compares; then, on the first detector's request, each run is classified once by the bytes
// around it (numeric-classes.ts) into per-detector candidate lists, so card, SSN, IBAN and IP
// visit only the runs that can start their entity instead of re-testing every run with
// branches. Positions are increasing; the lists are reused from scan to scan.
import { at } from "./detect-chars";
import { before, cls, kind } from "./numeric-classes";
import { TAIL } from "./simd-bytes";
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

  // Candidate lists: indices k of runs, increasing. Each holds every run its detector could
  // start an entity at; a run left out is one the detector's own tests would skip at once.
  /**
   * Cards and SSNs: not glued to a word byte before, and grouped (a ' ' or '-' then a digit
   * after) or of 9 digits or more (an SSN has 9, a card 12 to 19).
   */
  nums: StaticArray<i32> = new StaticArray<i32>(256);
  numCount: i32 = 0;
  /**
   * Two word bytes other than digits right before, at a word start (an IBAN's "DE89"; '_' too,
   * which the IBAN reader rejects).
   */
  ibans: StaticArray<i32> = new StaticArray<i32>(256);
  ibanCount: i32 = 0;
  /**
   * Followed by a hex letter, '.' or ':', and at a word start or after one to four hex letters
   * at a word start (fe80::1): the IP reader skips a run inside a word to the word's end
   * without reading it, and nothing in the rest of that word starts an address either; a run
   * followed by another letter fails its shape test and is skipped to its token's end.
   */
  ips: StaticArray<i32> = new StaticArray<i32>(256);
  ipCount: i32 = 0;
  /** The candidate lists describe the text of the last build (see classifyOnce). */
  private classified: bool = false;

  /**
   * 64 bytes a step: 16-byte SIMD compares give exact 64-bit masks of the digits, colons and
   * marks (bit k = byte i + k); a run starts at a digit after a non-digit and ends at a
   * non-digit after a digit (`carry`: the previous step ended in a digit). The last < 64 bytes
   * are copied into a zeroed scratch block (0 is none of these bytes), so nothing outside
   * [ptr, ptr+n) is read. One pass over the text whatever it holds (then one over the runs,
   * classifyOnce, when a detector asks for its candidates).
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
      const v0 = v128.load(p);
      const v1 = v128.load(p, 16);
      const v2 = v128.load(p, 32);
      const v3 = v128.load(p, 48);
      const d = bits(digits(v0), digits(v1), digits(v2), digits(v3));
      const c = bits(colons(v0), colons(v1), colons(v2), colons(v3));
      const m = bits(marks(v0), marks(v1), marks(v2), marks(v3));
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
        const colonsA = changetype<usize>(this.colons);
        tick(<i32>popcnt(c));
        let cm = c;
        while (cm != 0) {
          store<i32>(colonsA + (<usize>colonCount << 2), i + <i32>ctz(cm));
          colonCount++;
          cm &= cm - 1;
        }
      }
      if (m != 0) {
        while (markCount + 64 > this.marks.length) this.marks = grow(this.marks);
        const marksA = changetype<usize>(this.marks);
        tick(<i32>popcnt(m));
        let mm = m;
        while (mm != 0) {
          store<i32>(marksA + (<usize>markCount << 2), i + <i32>ctz(mm));
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
    this.classified = false;
  }

  /**
   * The candidate lists of the text the index was built for, computed on the first call after
   * build (a scan with none of card, SSN, IBAN, IP on never pays for them).
   */
  classifyOnce(ptr: usize, n: i32): void {
    if (this.classified) return;
    this.classify(ptr, n);
    this.classified = true;
  }

  /**
   * Sorts every run into the candidate lists by the four bytes before it (one BEFORE load of
   * their kinds) and the two after it. Each list gets the run's index written unconditionally
   * and its count advanced by the test's 0/1 result, so the pass has no data-dependent branch.
   */
  private classify(ptr: usize, n: i32): void {
    // Raw addresses: the loop touches no object, so nothing is spilled for the collector.
    const starts = changetype<usize>(this.starts);
    const ends = changetype<usize>(this.ends);
    const nums = changetype<usize>(this.nums);
    const ibans = changetype<usize>(this.ibans);
    const ips = changetype<usize>(this.ips);
    let numCount = 0;
    let ibanCount = 0;
    let ipCount = 0;
    const rc = this.count;
    tick(rc);
    for (let k = 0; k < rc; k++) {
      const s = load<i32>(starts + (<usize>k << 2));
      const e = load<i32>(ends + (<usize>k << 2));
      // Bytes s-4 .. s-1 in `w` (s-1 highest); bytes e, e+1 in bits 0..15 of `after`.
      const w = s >= 4 ? load<u32>(ptr + <usize>s - 4) : at(ptr, n, s - 1) << 24 | at(ptr, n, s - 2) << 16 | at(ptr, n, s - 3) << 8;
      const after = e + 2 <= n ? <u32>load<u16>(ptr + <usize>e) : at(ptr, n, e) | at(ptr, n, e + 1) << 8;
      const b = before(kind(w >> 24) | kind((w >> 16) & 0xFF) << 2 | kind((w >> 8) & 0xFF) << 4 | kind(w & 0xFF) << 6);
      const a0 = cls(after & 0xFF);
      const a1 = cls(after >> 8);
      const grouped = (a0 >> 3) & a1 & 1; // Cls.Sep (bit 3) then Cls.Digit (bit 0)
      store<i32>(nums + (<usize>numCount << 2), k);
      numCount += b & (grouped | <u32>(e - s >= 9)); // Before.Alone is bit 0
      store<i32>(ibans + (<usize>ibanCount << 2), k);
      ibanCount += (b >> 1) & 1; // Before.IbanLetters
      store<i32>(ips + (<usize>ipCount << 2), k);
      ipCount += (b >> 2) & (a0 >> 4) & 1; // Before.IpStart, then Cls.IpNext after
    }
    this.numCount = numCount;
    this.ibanCount = ibanCount;
    this.ipCount = ipCount;
  }

  private growRuns(): void {
    this.starts = grow(this.starts);
    this.ends = grow(this.ends);
    this.nums = grow(this.nums);
    this.ibans = grow(this.ibans);
    this.ips = grow(this.ips);
  }
}

// @ts-ignore: decorator
@inline function digits(v: v128): v128 {
  return i8x16.lt_u(i8x16.sub(v, i8x16.splat(0x30)), i8x16.splat(10));
}

// @ts-ignore: decorator
@inline function colons(v: v128): v128 {
  return i8x16.eq(v, i8x16.splat(0x3A));
}

// @ts-ignore: decorator
@inline function marks(v: v128): v128 {
  return v128.or(v128.or(i8x16.eq(v, i8x16.splat(0x2B)), i8x16.eq(v, i8x16.splat(0x28))), i8x16.eq(v, i8x16.splat(<u8>0xEF)));
}

/** Bit k = lane k of the four compare results (bytes p .. p+63). */
// @ts-ignore: decorator
@inline function bits(v0: v128, v1: v128, v2: v128, v3: v128): u64 {
  return <u64><u32>i8x16.bitmask(v0) | (<u64><u32>i8x16.bitmask(v1) << 16) |
    (<u64><u32>i8x16.bitmask(v2) << 32) | (<u64><u32>i8x16.bitmask(v3) << 48);
}

function grow(a: StaticArray<i32>): StaticArray<i32> {
  const b = new StaticArray<i32>(a.length << 1);
  memory.copy(changetype<usize>(b), changetype<usize>(a), <usize>a.length << 2);
  return b;
}

/** The index, built by scanText once per scan (one per module: scans do not nest). */
export const digitRuns = new DigitRuns();
