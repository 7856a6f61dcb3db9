// Digit runs with separators, as credit cards and SSNs are written: digit groups joined by one
// consistent separator. The reader walks the text's digit-run index (digit-runs.ts) group by
// group, not byte by byte: a group is one maximal run, and the next group is the next run when
// a single separator joins them. Digit values are read only for the few candidates whose shape
// passes (fillDigits; the card detector folds its own pass). The reader stops after a bounded
// number of digits, and callers continue after `end` (skipping the runs that start before it),
// so a huge chain of groups is walked once, never re-scanned.
import { at, isDigit, isWordByte } from "./detect-chars";
import { DigitRuns } from "./digit-runs";
import { tick } from "./work";

export const MAX_GROUPS = 8;

export class DigitRun {
  start: i32 = 0;
  end: i32 = 0;
  /** Digit values, up to `digits.length`, once fillDigits ran; `count` may exceed it (then the run is too long). */
  digits: StaticArray<u8> = new StaticArray<u8>(24);
  count: i32 = 0;
  groups: StaticArray<i32> = new StaticArray<i32>(MAX_GROUPS);
  groupCount: i32 = 0;
  /** The separator byte used (0 = none). */
  sep: u32 = 0;
  /** Index of the first group's run in the index read from. */
  first: i32 = 0;

  /**
   * Reads digit groups from run k of `runs`, joined by one kind of separator, a space or a dash
   * (the only separators cards and SSNs are printed with), each separator a single byte
   * between two digits. Stops at `maxDigits + 1` digits of a group chain (too long) but always
   * advances `end` past the whole chain, whatever separators it goes on with.
   */
  read(ptr: usize, n: i32, runs: DigitRuns, k: i32, maxDigits: i32): void {
    const starts = changetype<usize>(runs.starts);
    const ends = changetype<usize>(runs.ends);
    const last = runs.count - 1;
    const groups = this.groups;
    this.first = k;
    this.start = load<i32>(starts + (<usize>k << 2));
    let count = 0;
    let groupCount = 0;
    let sep: u32 = 0;
    let r = k;
    let e: i32;
    while (true) {
      tick(1);
      e = load<i32>(ends + (<usize>r << 2));
      const g = e - load<i32>(starts + (<usize>r << 2));
      if (groupCount < MAX_GROUPS) unchecked(groups[groupCount] = g);
      groupCount++;
      count += g;
      if (count > maxDigits || groupCount >= MAX_GROUPS) {
        // Too long to be one entity: swallow the rest of the chain so nothing inside it is
        // re-scanned, and mark it so callers reject it.
        while (r < last && joined(ptr, n, e, load<i32>(starts + (<usize>(r + 1) << 2)))) {
          tick(1);
          r++;
          e = load<i32>(ends + (<usize>r << 2));
        }
        count = max(count, maxDigits + 1);
        break;
      }
      // The next group is run r + 1 when it starts right after one separator byte.
      if (r >= last || !joined(ptr, n, e, load<i32>(starts + (<usize>(r + 1) << 2)))) break;
      const s = at(ptr, n, e);
      if (sep != 0 && s != sep) break;
      sep = s;
      r++;
    }
    this.count = count;
    this.groupCount = groupCount;
    this.sep = sep;
    this.end = e;
  }

  /** Copies the digit values of the groups read (all of them: callers ask only when count ≤ 24). */
  fillDigits(ptr: usize, runs: DigitRuns): void {
    const starts = changetype<usize>(runs.starts);
    const ends = changetype<usize>(runs.ends);
    const digits = changetype<usize>(this.digits);
    let d = 0;
    for (let r = this.first; r < this.first + this.groupCount; r++) {
      const s = load<i32>(starts + (<usize>r << 2));
      const e = load<i32>(ends + (<usize>r << 2));
      tick(e - s);
      for (let j = s; j < e && d < 24; j++) {
        store<u8>(digits + <usize>d, load<u8>(ptr + <usize>j) - 0x30);
        d++;
      }
    }
  }

  /** Digits d[from..to) as a number (to - from ≤ 9). */
  value(from: i32, to: i32): i32 {
    let v = 0;
    for (let k = from; k < to; k++) v = v * 10 + <i32>unchecked(this.digits[k]);
    return v;
  }

  group(k: i32): i32 {
    return k < MAX_GROUPS ? unchecked(this.groups[k]) : 0;
  }
}

@inline function isSep(b: u32): bool {
  return b == 0x20 || b == 0x2D;
}

/** A group ending at e (a non-digit) and the next run starting at next are joined by one separator. */
// @ts-ignore: decorator
@inline function joined(ptr: usize, n: i32, e: i32, next: i32): bool {
  return next == e + 1 && isSep(at(ptr, n, e));
}

/**
 * True when the digits at [s, e) stand alone: not glued to a word, and not one part of a dotted
 * or dashed longer number (versions, dates, IPs) on either side.
 */
export function standsAlone(ptr: usize, n: i32, s: i32, e: i32): bool {
  const p = at(ptr, n, s - 1);
  if (isWordByte(p)) return false;
  if ((p == 0x2E || p == 0x2D || p == 0x2C || p == 0x2F || p == 0x3A) && isDigit(at(ptr, n, s - 2))) return false;
  const q = at(ptr, n, e);
  if (isWordByte(q)) return false;
  if ((q == 0x2E || q == 0x2D || q == 0x2C || q == 0x2F || q == 0x3A) && isDigit(at(ptr, n, e + 1))) return false;
  return true;
}
