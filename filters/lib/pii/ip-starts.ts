// Which ':' bytes the IP reader (detect-ip.ts) has to visit. At every other colon the reader
// would find nothing and move on to the very next byte, so passing it by changes no finding
// and no position the reader goes on from. Prose and code are full of "Name:", "foo(): " and
// "key: value": this test is far cheaper than a step at each of them.
import { at, isAlnum, isDigit, isWordByte } from "./detect-chars";
import { Cls, cls } from "./numeric-classes";

/**
 * Whether the reader may start an address at the ':' at c, or at up to four hex letters right
 * before it (fe80::, abcd:...). Mirrors detectIpAddresses and step: the look-back over hex
 * letters must end at a word start; a ':' after a word byte (or after a digit and '.') starts
 * nothing and step goes on at c + 1; a ':' at a word start reads an address only as "::", and
 * otherwise skips the letters and digits right after it.
 */
export function colonMayStart(ptr: usize, n: i32, c: i32): bool {
  const b1 = at(ptr, n, c - 1);
  const k = cls(b1);
  if (k & Cls.WordNotHex) return false;
  if (k & Cls.Word) {
    // A hex letter: the look-back takes at most four of them and needs a word start there.
    let s = c - 1;
    while (c - s < 4 && isHexLetter(at(ptr, n, s - 1))) s--;
    return startsWord(ptr, n, s);
  }
  if (b1 == 0x2E && isDigit(at(ptr, n, c - 2))) return false;
  const q = at(ptr, n, c + 1);
  return q == 0x3A || isAlnum(q);
}

// @ts-ignore: decorator
@inline function isHexLetter(b: u32): bool {
  return (b | 0x20) - 0x61 < 6;
}

// @ts-ignore: decorator
@inline function startsWord(ptr: usize, n: i32, i: i32): bool {
  const p = at(ptr, n, i - 1);
  return !isWordByte(p) && !(p == 0x2E && isDigit(at(ptr, n, i - 2)));
}
