// A character class as the parser builds it and the compiler lowers it to byte instructions:
// a 128-bit set of ASCII bytes, plus either "every non-ASCII code point" (\D \W \S, `.`,
// negated classes) or a short list of literal non-ASCII code points. That is all the syntax
// allows (ranges are ASCII-only), and it keeps every class compilable to a handful of
// instructions without Unicode tables.

export class CharClass {
  /** Bit b set: ASCII byte b (0..127) is in the class. */
  ascii: StaticArray<u32> = new StaticArray<u32>(4);
  /** Every non-ASCII code point is in the class (and so is every byte of invalid UTF-8). */
  allNonAscii: bool = false;
  /** Literal non-ASCII code points in the class (unused when allNonAscii). */
  extra: i32[] = [];

  has(b: i32): bool {
    return (unchecked(this.ascii[b >> 5]) & (1 << (b & 31))) != 0;
  }

  addByte(b: i32): void {
    unchecked(this.ascii[b >> 5] |= 1 << (b & 31));
  }

  addRange(lo: i32, hi: i32): void {
    for (let b = lo; b <= hi; b++) this.addByte(b);
  }

  addCodePoint(cp: i32): void {
    if (cp < 0x80) {
      this.addByte(cp);
      return;
    }
    if (this.allNonAscii || this.extra.includes(cp)) return;
    this.extra.push(cp);
  }

  addClass(o: CharClass): void {
    for (let i = 0; i < 4; i++) unchecked(this.ascii[i] |= o.ascii[i]);
    if (o.allNonAscii) this.allNonAscii = true;
    for (let i = 0; i < o.extra.length; i++) this.addCodePoint(unchecked(o.extra[i]));
    if (this.allNonAscii) this.extra.length = 0;
  }

  /** ASCII case folding: a letter in the class brings its other case (non-ASCII stays exact). */
  foldCase(): void {
    for (let c = 0x41; c <= 0x5a; c++) {
      if (this.has(c) || this.has(c | 0x20)) {
        this.addByte(c);
        this.addByte(c | 0x20);
      }
    }
  }

  /**
   * Complements the class. False when it holds literal non-ASCII code points: "every code point
   * but these" would need byte-level UTF-8 complement automata, which this engine leaves out.
   */
  negate(): bool {
    if (!this.allNonAscii && this.extra.length > 0) return false;
    for (let i = 0; i < 4; i++) unchecked(this.ascii[i] = ~this.ascii[i]);
    this.allNonAscii = !this.allNonAscii;
    return true;
  }

  /** How many ASCII bytes the class holds. */
  asciiCount(): i32 {
    let n = 0;
    for (let i = 0; i < 4; i++) n += <i32>popcnt(unchecked(this.ascii[i]));
    return n;
  }
}

export function digitClass(): CharClass {
  const c = new CharClass();
  c.addRange(0x30, 0x39);
  return c;
}

export function wordClass(): CharClass {
  const c = new CharClass();
  c.addRange(0x30, 0x39);
  c.addRange(0x41, 0x5a);
  c.addRange(0x61, 0x7a);
  c.addByte(0x5f);
  return c;
}

/** \s: ASCII whitespace [\t\n\v\f\r ] (JavaScript's ASCII subset; RE2 leaves out \v). */
export function spaceClass(): CharClass {
  const c = new CharClass();
  c.addRange(0x09, 0x0d);
  c.addByte(0x20);
  return c;
}

/** `.`: any code point except \n. */
export function anyClass(): CharClass {
  const c = new CharClass();
  c.addRange(0, 0x7f);
  c.allNonAscii = true;
  unchecked(c.ascii[0] &= ~(1 << 0x0a));
  return c;
}

/** [A-Za-z0-9_]: what \b and \B look at on each side. */
export function isWordByte(b: i32): bool {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x5f;
}
