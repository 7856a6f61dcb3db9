// Digit runs with separators, as credit cards, SSNs and phone numbers are written: digit groups
// joined by one consistent separator. The reader stops after a bounded number of digits, and
// callers continue after `end` (skipping the runs of digit-runs.ts that start before it), so a
// huge digit run is read once, never re-scanned.
import { at, isDigit, isWordByte } from "./detect-chars";
import { tick } from "./work";

export const MAX_GROUPS = 8;

export class DigitRun {
  start: i32 = 0;
  end: i32 = 0;
  /** Digit values, up to `digits.length`; `count` may exceed it (then the run is too long). */
  digits: StaticArray<u8> = new StaticArray<u8>(24);
  count: i32 = 0;
  groups: StaticArray<i32> = new StaticArray<i32>(MAX_GROUPS);
  groupCount: i32 = 0;
  /** The separator byte used (0 = none). */
  sep: u32 = 0;

  /**
   * Reads digit groups from `i` (a digit), joined by one kind of separator, a space or a dash
   * (the only separators cards and SSNs are printed with), each separator a single byte
   * between two digits. Stops at `maxDigits + 1` digits of a group chain (too long) but always
   * advances `end` past the whole digit run.
   */
  read(ptr: usize, n: i32, i: i32, maxDigits: i32): void {
    this.start = i;
    const digits = this.digits;
    const groups = this.groups;
    let count = 0;
    let groupCount = 0;
    let sep: u32 = 0;
    let j = i;
    while (true) {
      let g = 0;
      while (j < n) {
        tick(1);
        const d = <u32>load<u8>(ptr + <usize>j) - 0x30;
        if (d >= 10) break;
        if (count < 24) unchecked(digits[count] = <u8>d);
        count++;
        g++;
        j++;
      }
      if (groupCount < MAX_GROUPS) unchecked(groups[groupCount] = g);
      groupCount++;
      const s = at(ptr, n, j);
      if (count > maxDigits || groupCount >= MAX_GROUPS) {
        // Too long to be one entity: swallow the rest of the run so nothing inside it is
        // re-scanned, and mark it so callers reject it.
        while (j < n && (isDigit(at(ptr, n, j)) || (isSep(at(ptr, n, j)) && isDigit(at(ptr, n, j + 1))))) { tick(1); j++; }
        count = max(count, maxDigits + 1);
        break;
      }
      if (!isDigit(at(ptr, n, j + 1)) || !isSep(s)) break;
      if (sep != 0 && s != sep) break;
      sep = s;
      j++;
    }
    this.count = count;
    this.groupCount = groupCount;
    this.sep = sep;
    this.end = j;
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
