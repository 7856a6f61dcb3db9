// Context words: a few words near a candidate that make it more (or less) likely to be the
// entity. Lists are built once at module init; a lookup scans a bounded window, so it costs a
// constant per candidate whatever the text length.
import { isAlpha, lower } from "./detect-chars";
import { tick } from "./work";

/**
 * Space-separated lower-case words. A word matches at a word start, as a prefix ("phone" also
 * matches "phones", "telephone" does not); a trailing `$` asks for the whole word ("tel$" must
 * not match "tell"). Multi-word entries use `_` for one space ("social_security").
 */
export class WordList {
  bytes: StaticArray<u8>;
  starts: StaticArray<i32>;
  whole: StaticArray<bool>;
  count: i32;
  /** Word indices grouped by first letter: bucket c (0..25) is byLetter[heads[c]..heads[c+1]). */
  heads: StaticArray<i32> = new StaticArray<i32>(27);
  byLetter: StaticArray<i32> = new StaticArray<i32>(0);

  constructor(spec: string) {
    const parts = spec.split(" ").filter((w: string): bool => w.length > 0);
    this.count = parts.length;
    this.starts = new StaticArray<i32>(parts.length + 1);
    this.whole = new StaticArray<bool>(parts.length);
    let total = 0;
    for (let i = 0; i < parts.length; i++) total += parts[i].length;
    this.bytes = new StaticArray<u8>(total);
    let k = 0;
    for (let i = 0; i < parts.length; i++) {
      let w = parts[i];
      const whole = w.endsWith("$");
      if (whole) w = w.substring(0, w.length - 1);
      this.whole[i] = whole;
      this.starts[i] = k;
      for (let j = 0; j < w.length; j++) {
        const c = w.charCodeAt(j);
        this.bytes[k++] = <u8>(c == 0x5F ? 0x20 : c);
      }
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
  }

  /** True when a word of the list starts in [from, to) (clamped to the text). */
  findIn(ptr: usize, len: i32, from: i32, to: i32): bool {
    if (from < 0) from = 0;
    if (to > len) to = len;
    const heads = this.heads;
    const byLetter = this.byLetter;
    const starts = this.starts;
    const bytes = this.bytes;
    let prevAlpha = from > 0 && isAlpha(<u32>load<u8>(ptr + <usize>(from - 1)));
    for (let i = from; i < to; i++) {
      tick(1);
      const b = <u32>load<u8>(ptr + <usize>i);
      const alpha = isAlpha(b);
      const wordStart = alpha && !prevAlpha;
      prevAlpha = alpha;
      if (!wordStart) continue;
      const c = (b | 0x20) - 0x61;
      const hEnd = unchecked(heads[c + 1]);
      for (let h = unchecked(heads[c]); h < hEnd; h++) {
        tick(1);
        const w = unchecked(byLetter[h]);
        const s = unchecked(starts[w]);
        const n = unchecked(starts[w + 1]) - s;
        if (i + n > len) continue;
        let ok = true;
        for (let j = 1; j < n; j++) {
          tick(1);
          if (lower(<u32>load<u8>(ptr + <usize>(i + j))) != <u32>unchecked(bytes[s + j])) { ok = false; break; }
        }
        if (!ok) continue;
        if (unchecked(this.whole[w]) && i + n < len && isAlpha(<u32>load<u8>(ptr + <usize>(i + n)))) continue;
        return true;
      }
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

// Words that say "a number that is not personal data follows" (identifiers of documents,
// products, software). Shared by the numeric detectors.
export const NOT_PII_WORDS = new WordList(
  "order invoice inv$ tracking isbn version ver$ v$ build release serial$ sku$ part$ model$ ref$ reference ticket case$ batch lot$ po$ receipt transaction txn$ product item$ issn$ doi$ patent",
);
