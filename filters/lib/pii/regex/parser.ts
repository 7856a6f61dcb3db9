// Pattern text → Node tree, for the RE2 subset in README.md. Runs at configure time only, so it
// works on the string; positions in messages are UTF-16 indices (what a JSON/JS editor shows).
// Everything outside the subset is an error naming its position, never a silent reinterpretation.
import { AssertKind, Node, NodeKind } from "./ast";
import { CharClass, anyClass, digitClass, spaceClass, wordClass } from "./charclass";

/** Repetition counts above this are rejected outright (RE2's own limit). */
export const MAX_REPEAT: i32 = 1000;
/** Group nesting deeper than this is rejected, so neither parser nor compiler recursion can overflow. */
export const MAX_DEPTH: i32 = 100;

export class ParseResult {
  node: Node | null = null;
  error: string = "";
}

export function parse(src: string, caseInsensitive: bool): ParseResult {
  const p = new Parser(src, caseInsensitive);
  const r = new ParseResult();
  // (?i) is accepted only as the very first thing: a global flag, not a scoped one.
  if (src.startsWith("(?i)")) {
    p.fold = true;
    p.i = 4;
  }
  const n = p.parseAlternation(0);
  if (p.error.length == 0 && p.i < src.length) p.fail(p.i, "unmatched )");
  if (p.error.length > 0) r.error = p.error;
  else r.node = n;
  return r;
}

function isDigit(c: i32): bool {
  return c >= 0x30 && c <= 0x39;
}

function hexValue(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function isAsciiLetter(c: i32): bool {
  return (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a;
}

class Parser {
  src: string;
  i: i32 = 0;
  fold: bool;
  error: string = "";

  constructor(src: string, fold: bool) {
    this.src = src;
    this.fold = fold;
  }

  fail(pos: i32, msg: string): Node {
    if (this.error.length == 0) this.error = "at position " + pos.toString() + ": " + msg;
    return new Node(NodeKind.Empty, pos);
  }

  get ok(): bool {
    return this.error.length == 0;
  }

  peek(): i32 {
    return this.i < this.src.length ? this.src.charCodeAt(this.i) : -1;
  }

  peekAt(k: i32): i32 {
    return this.i + k < this.src.length ? this.src.charCodeAt(this.i + k) : -1;
  }

  /** The code point at i (surrogate pairs joined), advancing past it. */
  nextCodePoint(): i32 {
    const pos = this.i;
    const cp = this.src.codePointAt(this.i);
    this.i += cp > 0xffff ? 2 : 1;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      this.fail(pos, "unpaired surrogate in the pattern");
      return -1;
    }
    return cp;
  }

  parseAlternation(depth: i32): Node {
    const start = this.i;
    const alts: Node[] = [this.parseConcat(depth)];
    while (this.ok && this.peek() == 0x7c /* | */) {
      this.i++;
      alts.push(this.parseConcat(depth));
    }
    if (alts.length == 1) return alts[0];
    const n = new Node(NodeKind.Alternate, start);
    n.children = alts;
    return n;
  }

  parseConcat(depth: i32): Node {
    const start = this.i;
    const items: Node[] = [];
    while (this.ok) {
      const c = this.peek();
      if (c < 0 || c == 0x7c || c == 0x29 /* ) */) break;
      if (c == 0x2a || c == 0x2b || c == 0x3f || c == 0x7b) return this.fail(this.i, "quantifier with nothing to repeat");
      const atom = this.parseAtom(depth);
      if (!this.ok) break;
      items.push(this.parseQuantifiers(atom));
    }
    if (items.length == 0) return new Node(NodeKind.Empty, start);
    if (items.length == 1) return items[0];
    const n = new Node(NodeKind.Concat, start);
    n.children = items;
    return n;
  }

  /** Applies at most one quantifier (plus an optional lazy `?`) to `atom`. */
  parseQuantifiers(atom: Node): Node {
    const qpos = this.i;
    let min = 0;
    let max = 0;
    const c = this.peek();
    if (c == 0x2a) { min = 0; max = -1; this.i++; }
    else if (c == 0x2b) { min = 1; max = -1; this.i++; }
    else if (c == 0x3f) { min = 0; max = 1; this.i++; }
    else if (c == 0x7b) {
      if (!this.parseBraces()) return atom;
      min = this.braceMin;
      max = this.braceMax;
    } else return atom;
    if (atom.kind == NodeKind.Assert) return this.fail(qpos, "quantifier after an anchor or \\b (nothing to repeat)");
    let greedy = true;
    if (this.peek() == 0x3f) {
      greedy = false;
      this.i++;
    }
    const d = this.peek();
    if (d == 0x2b) return this.fail(this.i, "possessive quantifiers (x*+, x++, x?+, x{n}+) are not supported");
    if (d == 0x2a || d == 0x3f || d == 0x7b) return this.fail(this.i, "a quantifier cannot follow another quantifier; group the inner part with (?:...)");
    const n = new Node(NodeKind.Repeat, atom.pos);
    n.children = [atom];
    n.min = min;
    n.max = max;
    n.greedy = greedy;
    return n;
  }

  braceMin: i32 = 0;
  braceMax: i32 = 0;

  /** {n} {n,} {n,m}; anything else after `{` is an error (a literal brace is written \{). */
  parseBraces(): bool {
    const open = this.i;
    this.i++;
    const lo = this.parseCount(open);
    if (lo < 0) return false;
    let hi = lo;
    if (this.peek() == 0x2c /* , */) {
      this.i++;
      if (this.peek() == 0x7d) hi = -1;
      else {
        hi = this.parseCount(open);
        if (hi < 0) return false;
      }
    }
    if (this.peek() != 0x7d) {
      this.fail(open, "invalid repetition {...}: expected {n}, {n,} or {n,m} (write \\{ for a literal brace)");
      return false;
    }
    this.i++;
    if (hi >= 0 && hi < lo) {
      this.fail(open, "invalid repetition {" + lo.toString() + "," + hi.toString() + "}: max below min");
      return false;
    }
    this.braceMin = lo;
    this.braceMax = hi;
    return true;
  }

  parseCount(open: i32): i32 {
    const start = this.i;
    let v = 0;
    while (isDigit(this.peek())) {
      v = v * 10 + (this.peek() - 0x30);
      if (v > MAX_REPEAT) {
        this.fail(open, "repetition count above " + MAX_REPEAT.toString() + " is not supported");
        return -1;
      }
      this.i++;
    }
    if (this.i == start) {
      this.fail(open, "invalid repetition {...}: expected {n}, {n,} or {n,m} (write \\{ for a literal brace)");
      return -1;
    }
    return v;
  }

  parseAtom(depth: i32): Node {
    const pos = this.i;
    const c = this.peek();
    switch (c) {
      case 0x28: return this.parseGroup(depth);
      case 0x5b: return this.parseClass();
      case 0x2e: {
        this.i++;
        return classNode(anyClass(), pos);
      }
      case 0x5e: {
        this.i++;
        return assertNode(AssertKind.Begin, pos);
      }
      case 0x24: {
        this.i++;
        return assertNode(AssertKind.End, pos);
      }
      case 0x5c: return this.parseEscape();
    }
    const cp = this.nextCodePoint();
    if (cp < 0) return new Node(NodeKind.Empty, pos);
    return this.literal(cp, pos);
  }

  literal(cp: i32, pos: i32): Node {
    if (this.fold && cp < 0x80 && isAsciiLetter(cp)) {
      const cls = new CharClass();
      cls.addByte(cp);
      cls.foldCase();
      return classNode(cls, pos);
    }
    const n = new Node(NodeKind.Literal, pos);
    n.codePoint = cp;
    return n;
  }

  parseGroup(depth: i32): Node {
    const open = this.i;
    if (depth >= MAX_DEPTH) return this.fail(open, "groups nested deeper than " + MAX_DEPTH.toString());
    this.i++;
    if (this.peek() == 0x3f /* ? */) {
      const k = this.peekAt(1);
      if (k == 0x3a /* : */) this.i += 2;
      else if (k == 0x3d || k == 0x21) return this.fail(open, "lookahead (?= (?! is not supported");
      else if (k == 0x3c && (this.peekAt(2) == 0x3d || this.peekAt(2) == 0x21)) return this.fail(open, "lookbehind (?<= (?<! is not supported");
      else if (k == 0x3c || (k == 0x50 && this.peekAt(2) == 0x3c)) {
        // Named group (?<name>...) / (?P<name>...): matched as a plain group (nothing is captured).
        this.i += k == 0x3c ? 2 : 3;
        const nameStart = this.i;
        while (this.i < this.src.length) {
          const ch = this.peek();
          if (!(isAsciiLetter(ch) || isDigit(ch) || ch == 0x5f)) break;
          this.i++;
        }
        if (this.i == nameStart || this.peek() != 0x3e) return this.fail(open, "invalid group name");
        this.i++;
      } else if (k == 0x3e) return this.fail(open, "atomic groups (?>...) are not supported");
      else if (k == 0x69 && this.peekAt(2) == 0x29) return this.fail(open, "(?i) is only supported at the very start of the pattern");
      else return this.fail(open, "unsupported group syntax (?" + (k < 0 ? "" : String.fromCharCode(k)) + " (only (?:...), named groups and a leading (?i))");
    }
    const inner = this.parseAlternation(depth + 1);
    if (!this.ok) return inner;
    if (this.peek() != 0x29) return this.fail(open, "missing ) for the group opened here");
    this.i++;
    return inner;
  }

  /** Escapes outside a class. */
  parseEscape(): Node {
    const pos = this.i;
    const c = this.peekAt(1);
    if (c == 0x62 || c == 0x42) {
      this.i += 2;
      return assertNode(c == 0x62 ? AssertKind.WordBoundary : AssertKind.NotWordBoundary, pos);
    }
    const cls = this.classEscape();
    if (!this.ok) return new Node(NodeKind.Empty, pos);
    if (cls !== null) return classNode(cls, pos);
    const cp = this.charEscape();
    if (cp < 0) return new Node(NodeKind.Empty, pos);
    return this.literal(cp, pos);
  }

  /** \d \w \s \D \W \S at i, consumed; null if the escape is something else. */
  classEscape(): CharClass | null {
    const c = this.peekAt(1);
    let cls: CharClass | null = null;
    const lower = c | 0x20;
    if (lower == 0x64) cls = digitClass();
    else if (lower == 0x77) cls = wordClass();
    else if (lower == 0x73) cls = spaceClass();
    else return null;
    this.i += 2;
    const r = changetype<CharClass>(cls);
    if (c < 0x61) r.negate();
    return r;
  }

  /** A single-character escape at i, consumed: its code point, or -1 after failing. */
  charEscape(): i32 {
    const pos = this.i;
    const c = this.peekAt(1);
    if (c < 0) {
      this.fail(pos, "trailing backslash");
      return -1;
    }
    this.i += 2;
    switch (c) {
      case 0x74: return 0x09; // \t
      case 0x6e: return 0x0a; // \n
      case 0x72: return 0x0d; // \r
      case 0x66: return 0x0c; // \f
      case 0x76: return 0x0b; // \v
      case 0x78: return this.hexEscape(pos); // \x
    }
    if (c >= 0x31 && c <= 0x39) { this.fail(pos, "backreferences (\\" + String.fromCharCode(c) + ") are not supported"); return -1; }
    if (c == 0x6b) { this.fail(pos, "backreferences (\\k<name>) are not supported"); return -1; }
    if (c == 0x30) { this.fail(pos, "\\0 is not supported (write \\x00)"); return -1; }
    if (c == 0x70 || c == 0x50) { this.fail(pos, "Unicode classes \\p{...} are not supported"); return -1; }
    if (c == 0x75) { this.fail(pos, "\\u escapes are not supported (write \\x{HHHH} or the character itself)"); return -1; }
    if (c < 0x80 && !isAsciiLetter(c) && !isDigit(c) && c > 0x20) return c; // escaped punctuation
    this.fail(pos, "unsupported escape \\" + String.fromCharCode(c));
    return -1;
  }

  /** \xHH or \x{H...} (a code point, UTF-8 encoded when matched, as in RE2 and JavaScript's u mode). */
  hexEscape(pos: i32): i32 {
    if (this.peek() == 0x7b) {
      this.i++;
      let v = 0;
      let digits = 0;
      while (hexValue(this.peek()) >= 0) {
        v = v * 16 + hexValue(this.peek());
        this.i++;
        if (++digits > 6) break;
      }
      if (digits == 0 || digits > 6 || this.peek() != 0x7d || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
        this.fail(pos, "invalid \\x{...} escape (a Unicode scalar value in hex)");
        return -1;
      }
      this.i++;
      return v;
    }
    const h = hexValue(this.peek());
    const l = hexValue(this.peekAt(1));
    if (h < 0 || l < 0) {
      this.fail(pos, "invalid \\x escape (expected two hex digits)");
      return -1;
    }
    this.i += 2;
    return h * 16 + l;
  }

  parseClass(): Node {
    const open = this.i;
    this.i++;
    let negated = false;
    if (this.peek() == 0x5e) {
      negated = true;
      this.i++;
    }
    if (this.peek() == 0x5d) return this.fail(open, "empty class [] (write \\] for a literal ])");
    const cls = new CharClass();
    while (true) {
      const c = this.peek();
      if (c < 0) return this.fail(open, "missing ] for the class opened here");
      if (c == 0x5d) {
        this.i++;
        break;
      }
      if (c == 0x5b && this.peekAt(1) == 0x3a) return this.fail(this.i, "POSIX classes [:name:] are not supported");
      const itemPos = this.i;
      if (c == 0x5c) {
        const e = this.peekAt(1);
        if (e == 0x62 || e == 0x42) return this.fail(itemPos, "\\b and \\B are not allowed inside a class");
        const sub = this.classEscape();
        if (!this.ok) return new Node(NodeKind.Empty, open);
        if (sub !== null) {
          if (this.peek() == 0x2d && this.peekAt(1) != 0x5d) return this.fail(itemPos, "a class escape cannot be a range bound");
          cls.addClass(changetype<CharClass>(sub));
          continue;
        }
      }
      const lo = this.classChar();
      if (lo < 0) return new Node(NodeKind.Empty, open);
      // A '-' followed by ']' is literal; otherwise it makes a range.
      if (this.peek() == 0x2d && this.peekAt(1) != 0x5d && this.peekAt(1) >= 0) {
        this.i++;
        const hiPos = this.i;
        if (this.peek() == 0x5c) {
          const e = this.peekAt(1) | 0x20;
          if (e == 0x64 || e == 0x77 || e == 0x73) return this.fail(hiPos, "a class escape cannot be a range bound");
        }
        const hi = this.classChar();
        if (hi < 0) return new Node(NodeKind.Empty, open);
        if (hi < lo) return this.fail(itemPos, "invalid class range: end below start");
        if (hi >= 0x80) return this.fail(itemPos, "class ranges over non-ASCII characters are not supported");
        cls.addRange(lo, hi);
      } else cls.addCodePoint(lo);
    }
    if (this.fold) cls.foldCase();
    if (negated && !cls.negate()) return this.fail(open, "a negated class cannot contain non-ASCII characters");
    return classNode(cls, open);
  }

  /** One class member character (literal or escape), consumed; -1 after failing. */
  classChar(): i32 {
    if (this.peek() == 0x5c) return this.charEscape();
    return this.nextCodePoint();
  }
}

function classNode(cls: CharClass, pos: i32): Node {
  const n = new Node(NodeKind.Class, pos);
  n.cls = cls;
  return n;
}

function assertNode(kind: i32, pos: i32): Node {
  const n = new Node(NodeKind.Assert, pos);
  n.assertKind = kind;
  return n;
}
