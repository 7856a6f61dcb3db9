// Byte classes the digit-run index sorts its runs with (digit-runs.ts classify): one table load
// per byte instead of a chain of compares, so a run's kind is computed with no branch to
// mispredict. The classes are those the numeric detectors test right around a digit run: Cls
// for single bytes, and Before for the four bytes before a run at once (one more load).

export const enum Cls {
  Digit = 1,
  Alpha = 2,
  /** Letter, digit or '_': a number glued to one is part of a word. */
  Word = 4,
  /** ' ' or '-': the separators cards and SSNs are printed with. */
  Sep = 8,
  /**
   * Hex letter, digit, '.' or ':': a digit run followed by one may be part of an IP address
   * (one followed by another letter is cut there: no address reads on past it).
   */
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
    if (digit || hexLetter || b == 0x2E || b == 0x3A) c |= Cls.IpNext;
    if (word && !hexLetter) c |= Cls.WordNotHex;
    if (hexLetter) c |= Cls.HexLetter;
    store<u8>(CLASS + <usize>b, <u8>c);
  }
}

// @ts-ignore: decorator
@inline export function cls(b: u32): u32 {
  return <u32>load<u8>(CLASS + <usize>b);
}

/** What the four bytes before a digit run allow (bits of BEFORE). */
export const enum Before {
  /** Not glued to a word byte: may start a card or an SSN. */
  Alone = 1,
  /** Two word bytes other than digits, at a word start (an IBAN's country letters, or '_'). */
  IbanLetters = 2,
  /** At a word start, or after one to four hex letters at one (fe80::1): the IP reader may start. */
  IpStart = 4,
}

// Each byte's kind as two bits, for the index into BEFORE.
const NON_WORD: u32 = 0;
const DIGIT: u32 = 1;
const HEX_LETTER: u32 = 2;
const OTHER_WORD: u32 = 3;

/** KIND + b: the two-bit kind of byte b. */
export const KIND: usize = memory.data(256);

/** BEFORE + (k1 | k2 << 2 | k3 << 4 | k4 << 6), kj the kind of the byte j before a run: its Before bits. */
export const BEFORE: usize = memory.data(256);

fillBefore();

function fillBefore(): void {
  for (let b: u32 = 0; b < 256; b++) {
    const k = b - 0x30 < 10 ? DIGIT : (b | 0x20) - 0x61 < 6 ? HEX_LETTER : (b | 0x20) - 0x61 < 26 || b == 0x5F ? OTHER_WORD : NON_WORD;
    store<u8>(KIND + <usize>b, <u8>k);
  }
  for (let x: u32 = 0; x < 256; x++) {
    const k1 = x & 3;
    const k2 = (x >> 2) & 3;
    const k3 = (x >> 4) & 3;
    const k4 = x >> 6;
    let f = 0;
    if (k1 == NON_WORD) f |= Before.Alone;
    if (k1 >= HEX_LETTER && k2 >= HEX_LETTER && k3 == NON_WORD) f |= Before.IbanLetters;
    // The IP reader's look-back: up to four hex letters, then a non-word byte (the text's start
    // reads as one).
    let ip = false;
    const ks: StaticArray<u32> = [k1, k2, k3, k4];
    for (let j = 0; j < 4; j++) {
      const kj = unchecked(ks[j]);
      if (kj == NON_WORD) { ip = true; break; }
      if (kj != HEX_LETTER) break;
      if (j == 3) ip = true; // four hex letters: the reader decides
    }
    if (ip) f |= Before.IpStart;
    store<u8>(BEFORE + <usize>x, <u8>f);
  }
}

// @ts-ignore: decorator
@inline export function kind(b: u32): u32 {
  return <u32>load<u8>(KIND + <usize>b);
}

// @ts-ignore: decorator
@inline export function before(k: u32): u32 {
  return <u32>load<u8>(BEFORE + <usize>k);
}
