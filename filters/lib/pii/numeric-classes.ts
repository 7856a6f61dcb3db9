// Byte classes the digit-run index sorts its runs with (digit-runs.ts classify): one table load
// per byte instead of a chain of compares, so a run's kind is computed with no branch to
// mispredict. The classes are those the numeric detectors test right around a digit run.

export const enum Cls {
  Digit = 1,
  Alpha = 2,
  /** Letter, digit or '_': a number glued to one is part of a word. */
  Word = 4,
  /** ' ' or '-': the separators cards and SSNs are printed with. */
  Sep = 8,
  /** Letter, digit, '.' or ':': a digit run followed by one may be part of an IP address. */
  IpNext = 16,
  /** A word byte other than a hex letter: a digit run after one is inside a word for the IP reader. */
  WordNotHex = 32,
  /** a-f, A-F: the IP reader looks back over up to four of them for an address's start. */
  HexLetter = 64,
}

/** CLASS + b holds the Cls bits of byte b (static memory: no GC reference, one load a byte). */
export const CLASS: usize = memory.data(256);

fillClasses();

function fillClasses(): void {
  for (let b: u32 = 0; b < 256; b++) {
    const digit = b - 0x30 < 10;
    const alpha = (b | 0x20) - 0x61 < 26;
    const hexLetter = (b | 0x20) - 0x61 < 6;
    const word = digit || alpha || b == 0x5F;
    let c = 0;
    if (digit) c |= Cls.Digit;
    if (alpha) c |= Cls.Alpha;
    if (word) c |= Cls.Word;
    if (b == 0x20 || b == 0x2D) c |= Cls.Sep;
    if (digit || alpha || b == 0x2E || b == 0x3A) c |= Cls.IpNext;
    if (word && !hexLetter) c |= Cls.WordNotHex;
    if (hexLetter) c |= Cls.HexLetter;
    store<u8>(CLASS + <usize>b, <u8>c);
  }
}

// @ts-ignore: decorator
@inline export function cls(b: u32): u32 {
  return <u32>load<u8>(CLASS + <usize>b);
}
