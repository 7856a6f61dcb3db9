// Context words: a few words near a candidate that make it more (or less) likely to be the
// entity. Lists are built once at module init; a lookup scans a bounded window, so it costs a
// constant per candidate whatever the text length.
//
// A window (at most 63 bytes: the detectors ask for 10-48) is read as one 64-byte SIMD mask of
// its letters, with the byte before it, so its word starts (a letter after a non-letter) come
// out as bits and a lookup visits just those few bytes. Reading the window itself costs less
// than indexing the whole text for the few candidates a text has.
import { isAlpha, lower } from "./detect-chars";
import { alphaMask } from "./simd-bytes";
import { tick } from "./work";

/** 64 zeroed-then-filled bytes for a window that reaches an end of the text (static memory). */
const EDGE: usize = memory.data(64, 16);

/**
 * Word starts of [from, to) as bits (bit k: byte from + k), 0 < to - from ≤ 63 and both within
 * [0, len]. The 64 bytes read start at the byte before `from`; near an end of the text they are
 * copied into EDGE first, bytes outside the text reading as 0 (no letter), so nothing outside
 * [ptr, ptr + len) is read.
 */
function windowStarts(ptr: usize, len: i32, from: i32, to: i32): u64 {
  const base = from - 1;
  let p = ptr + <usize>base;
  if (base < 0 || base + 64 > len) {
    memory.fill(EDGE, 0, 64);
    const lo = max(0, base);
    memory.copy(EDGE + <usize>(lo - base), ptr + <usize>lo, <usize>(min(len, base + 64) - lo));
    p = EDGE;
  }
  const a = alphaMask(p);
  return ((a & ~(a << 1)) >> 1) & ((<u64>1 << <u64>(to - from)) - 1);
}

/**
 * Space-separated lower-case words. A word matches at a word start, as a prefix ("phone" also
 * matches "phones", "telephone" does not); a trailing `$` asks for the whole word ("tel$" must
 * not match "tell"). Multi-word entries use `_` for one space ("social_security").
 * Words are kept as UTF-8 (the text is scanned as UTF-8 bytes), so "móvil" is m C3 B3 v i l.
 * Case folds ASCII letters and the two-byte Latin-1 letters (C3 80..9E ↔ C3 A0..BE, × ÷
 * excepted: "MÓVIL", "Téléphone"); other scripts match as written. A word must start with an
 * ASCII letter (the lookup indexes words by it).
 */
export class WordList {
  bytes: StaticArray<u8> = new StaticArray<u8>(0);
  starts: StaticArray<i32>;
  whole: StaticArray<bool>;
  count: i32;
  /** Word indices grouped by first letter: bucket c (0..25) is byLetter[heads[c]..heads[c+1]). */
  heads: StaticArray<i32> = new StaticArray<i32>(27);
  byLetter: StaticArray<i32> = new StaticArray<i32>(0);
  /**
   * Bit 27 * c0 + c1: some word starts with letter c0 then c1 (the second byte's letter, 26 for
   * a non-letter or none). One load rejects most word starts of a window before the bucket.
   */
  pairs: StaticArray<u32> = new StaticArray<u32>(23);

  constructor(spec: string) {
    const parts = spec.split(" ").filter((w: string): bool => w.length > 0);
    this.count = parts.length;
    this.starts = new StaticArray<i32>(parts.length + 1);
    this.whole = new StaticArray<bool>(parts.length);
    // UTF-8, not UTF-16 code units: a code unit cut to a byte (é → E9) never equals text bytes.
    const encoded = new Array<Uint8Array>(parts.length);
    let total = 0;
    for (let i = 0; i < parts.length; i++) {
      let w = parts[i];
      const whole = w.endsWith("$");
      if (whole) w = w.substring(0, w.length - 1);
      this.whole[i] = whole;
      encoded[i] = Uint8Array.wrap(String.UTF8.encode(w.replaceAll("_", " ")));
      total += encoded[i].length;
    }
    this.bytes = new StaticArray<u8>(total);
    let k = 0;
    for (let i = 0; i < parts.length; i++) {
      const w = encoded[i];
      this.starts[i] = k;
      for (let j = 0; j < w.length; j++) this.bytes[k++] = w[j];
    }
    this.starts[parts.length] = k;
    // Only words starting with a letter can match (matches begin at a letter).
    this.byLetter = new StaticArray<i32>(parts.length);
    let m = 0;
    for (let c = 0; c < 26; c++) {
      this.heads[c] = m;
      for (let w = 0; w < parts.length; w++) {
        if (this.starts[w + 1] > this.starts[w] && <i32>this.bytes[this.starts[w]] == 0x61 + c) this.byLetter[m++] = w;
      }
    }
    this.heads[26] = m;
    for (let w = 0; w < parts.length; w++) {
      const s = this.starts[w];
      const n = this.starts[w + 1] - s;
      if (n == 0 || !isAlpha(<u32>this.bytes[s])) continue;
      const c0 = <i32>lower(<u32>this.bytes[s]) - 0x61;
      for (let c1: u32 = 0; c1 <= 26; c1++) {
        const bit = <u32>c0 * 27 + c1;
        if (n == 1 || c1 == letterClass(<u32>this.bytes[s + 1])) this.pairs[bit >> 5] |= <u32>1 << (bit & 31);
      }
    }
  }

  /** True when a word of the list starts in [from, to) (clamped to the text). */
  findIn(ptr: usize, len: i32, from: i32, to: i32): bool {
    if (from < 0) from = 0;
    if (to > len) to = len;
    if (from >= to) return false;
    if (to - from <= 63) {
      tick(1);
      let m = windowStarts(ptr, len, from, to);
      while (m != 0) {
        tick(1);
        const i = from + <i32>ctz(m);
        if (this.wordAt(ptr, len, i, <u32>load<u8>(ptr + <usize>i))) return true;
        m &= m - 1;
      }
      return false;
    }
    let prevAlpha = from > 0 && isAlpha(<u32>load<u8>(ptr + <usize>(from - 1)));
    for (let i = from; i < to; i++) {
      tick(1);
      const b = <u32>load<u8>(ptr + <usize>i);
      const alpha = isAlpha(b);
      const wordStart = alpha && !prevAlpha;
      prevAlpha = alpha;
      if (wordStart && this.wordAt(ptr, len, i, b)) return true;
    }
    return false;
  }

  /** A word of the list at i, a word start whose first byte is b (a letter). */
  // @ts-ignore: decorator
  @inline wordAt(ptr: usize, len: i32, i: i32, b: u32): bool {
    const c = (b | 0x20) - 0x61;
    const pair = c * 27 + letterClass(i + 1 < len ? <u32>load<u8>(ptr + <usize>(i + 1)) : 0);
    if ((unchecked(this.pairs[pair >> 5]) & (1 << (pair & 31))) == 0) return false;
    const heads = this.heads;
    const hEnd = unchecked(heads[c + 1]);
    for (let h = unchecked(heads[c]); h < hEnd; h++) {
      tick(1);
      const w = unchecked(this.byLetter[h]);
      const s = unchecked(this.starts[w]);
      const n = unchecked(this.starts[w + 1]) - s;
      if (i + n > len) continue;
      let ok = true;
      for (let j = 1; j < n; j++) {
        tick(1);
        const want = <u32>unchecked(this.bytes[s + j]);
        const got = <u32>load<u8>(ptr + <usize>(i + j));
        if (lower(got) != want && !latin1Upper(got, want, unchecked(this.bytes[s + j - 1]))) { ok = false; break; }
      }
      if (!ok) continue;
      if (unchecked(this.whole[w]) && i + n < len && isAlpha(<u32>load<u8>(ptr + <usize>(i + n)))) continue;
      return true;
    }
    return false;
  }

  /** A word of the list in the `window` bytes before `start`. */
  before(ptr: usize, len: i32, start: i32, window: i32): bool {
    return this.findIn(ptr, len, start - window, start);
  }

  /** A word of the list starting in the `window` bytes after `end`. */
  after(ptr: usize, len: i32, end: i32, window: i32): bool {
    return this.findIn(ptr, len, end, end + window);
  }

  /** Either side. */
  near(ptr: usize, len: i32, start: i32, end: i32, before: i32, after: i32): bool {
    return this.before(ptr, len, start, before) || this.after(ptr, len, end, after);
  }
}

/**
 * Two context questions about the bytes before `start` in one walk over their word starts:
 * bit 0 = a.before(start, wa), bit 1 = b.before(start, wb), wb ≤ wa (a phone number's "phone"
 * words and its "not a phone" words, asked of every candidate).
 */
export function beforeBoth(ptr: usize, len: i32, start: i32, a: WordList, wa: i32, b: WordList, wb: i32): i32 {
  const from = max(0, start - wa);
  const to = min(start, len);
  if (from >= to || to - from > 63) {
    return <i32>a.before(ptr, len, start, wa) | (<i32>b.before(ptr, len, start, wb) << 1);
  }
  const near = start - wb;
  let found = 0;
  tick(1);
  let m = windowStarts(ptr, len, from, to);
  while (m != 0) {
    tick(1);
    const i = from + <i32>ctz(m);
    const x = <u32>load<u8>(ptr + <usize>i);
    if ((found & 1) == 0 && a.wordAt(ptr, len, i, x)) found |= 1;
    if ((found & 2) == 0 && i >= near && b.wordAt(ptr, len, i, x)) found |= 2;
    if (found == 3) return 3;
    m &= m - 1;
  }
  return found;
}

/**
 * Text byte `got` is the upper-case form of the word's byte `want`, a second byte after C3 of a
 * lower-case Latin-1 letter (à..þ = C3 A0..BE, upper case 0x20 below; ÷ = C3 B7 is no letter).
 * Only reached on a mismatch, so ASCII words cost nothing more.
 */
// @ts-ignore: decorator
@inline function latin1Upper(got: u32, want: u32, prev: u8): bool {
  return prev == 0xC3 && want - 0xA0 < 0x1F && want != 0xB7 && got == want - 0x20;
}

/** 0..25 for an ASCII letter (either case), 26 for any other byte. */
// @ts-ignore: decorator
@inline function letterClass(b: u32): u32 {
  return isAlpha(b) ? (b | 0x20) - 0x61 : 26;
}

// Words that say "a number that is not personal data follows" (identifiers of documents,
// products, software). Shared by the numeric detectors.
export const NOT_PII_SPEC =
  "order invoice inv$ tracking isbn version ver$ v$ build release serial$ sku$ part$ model$ ref$ reference ticket case$ batch lot$ po$ receipt transaction txn$ product item$ issn$ doi$ patent";
export const NOT_PII_WORDS = new WordList(NOT_PII_SPEC);
