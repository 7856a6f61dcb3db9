// Byte classes and small byte helpers for the SECRET detectors. One 256-entry table of class
// bits answers "is this byte in the token's alphabet" with one load and one AND, so every
// format's alphabet is a mask, not a branchy predicate.
import { tick } from "./work";

export const C_DIGIT: u32 = 1;
export const C_LOWER: u32 = 2;
export const C_UPPER: u32 = 4;
export const C_UNDER: u32 = 8;
export const C_DASH: u32 = 16;
/** '+' and '/': standard base64. */
export const C_PLUSSLASH: u32 = 32;
export const C_DOT: u32 = 64;
export const C_EQ: u32 = 128;
export const C_TILDE: u32 = 256;
/** 0-9 a-f A-F */
export const C_HEX: u32 = 512;
/** 0-9 a-f only (formats that print lowercase hex). */
export const C_HEXLOW: u32 = 1024;
/** The bech32 alphabet in upper case (Age keys). */
export const C_BECH32U: u32 = 2048;
/** Bytes that end a token in prose or code: whitespace, quotes, brackets, separators. */
export const C_SPACE: u32 = 4096;
/** Assignment operator bytes: ':' '=' '?' '!' '>' (`=`, `:`, `:=`, `?=`, `!=`, `=>`...). */
export const C_OP: u32 = 8192;
/** Blanks between a name and its operator: ' ' and tab. */
export const C_BLANK: u32 = 16384;
/** Quotes that may close a JSON/YAML key: '"' and '\''. */
export const C_QUOTE: u32 = 32768;
/**
 * Bytes a token goes on with after its first word part: '-' '.' '+' '/' '=' '~' '|' '%' ':' '@'
 * (prefix and segment separators, base64, Azure's '~', "%7C", "://", ids before ':' and '@').
 */
export const C_CONT: u32 = 65536;
/** The operator bytes that assign: ':' and '='. */
export const C_ASSIGN: u32 = 131072;
/** The other operator bytes ('?' '!' '>'): they assign only followed by ':' or '='. */
export const C_OPX: u32 = 262144;

export const ALNUM: u32 = C_DIGIT | C_LOWER | C_UPPER;
export const WORD: u32 = ALNUM | C_UNDER;
export const B64URL: u32 = WORD | C_DASH;
export const B64: u32 = ALNUM | C_PLUSSLASH;

// Static memory, not a managed array: a GC reference would be spilled to the shadow stack at
// every use in the scan's loops; a constant address is folded into each load.
const table: usize = memory.data(256 * 4, 4);

function initTable(): void {
  for (let b = 0; b < 256; b++) {
    let m: u32 = 0;
    if (b >= 0x30 && b <= 0x39) m |= C_DIGIT | C_HEX | C_HEXLOW;
    if (b >= 0x61 && b <= 0x7a) m |= C_LOWER;
    if (b >= 0x41 && b <= 0x5a) m |= C_UPPER;
    if (b >= 0x61 && b <= 0x66) m |= C_HEX | C_HEXLOW;
    if (b >= 0x41 && b <= 0x46) m |= C_HEX;
    if (b == 0x5f) m |= C_UNDER;
    if (b == 0x2d) m |= C_DASH;
    if (b == 0x2b || b == 0x2f) m |= C_PLUSSLASH;
    if (b == 0x2e) m |= C_DOT;
    if (b == 0x3d) m |= C_EQ;
    if (b == 0x7e) m |= C_TILDE;
    if (b == 0x20 || b == 0x09 || b == 0x0a || b == 0x0d) m |= C_SPACE;
    if (b == 0x3a || b == 0x3d || b == 0x3f || b == 0x21 || b == 0x3e) m |= C_OP;
    if (b == 0x3a || b == 0x3d) m |= C_ASSIGN;
    if (b == 0x3f || b == 0x21 || b == 0x3e) m |= C_OPX;
    if (b == 0x20 || b == 0x09) m |= C_BLANK;
    if (b == 0x22 || b == 0x27) m |= C_QUOTE;
    if (b == 0x2d || b == 0x2e || b == 0x2b || b == 0x2f || b == 0x3d || b == 0x7e || b == 0x7c || b == 0x25 ||
        b == 0x3a || b == 0x40) m |= C_CONT;
    store<u32>(table + (<usize>b << 2), m);
  }
  // bech32: every upper-case letter and digit except 1, B, I, O.
  const bech = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
  for (let i = 0; i < bech.length; i++) {
    const b = bech.charCodeAt(i);
    store<u32>(table + (<usize>b << 2), load<u32>(table + (<usize>b << 2)) | C_BECH32U);
  }
}
initTable();

// @ts-ignore: decorator
@inline export function cls(b: u32): u32 {
  return load<u32>(table + (<usize>(b & 0xff) << 2));
}

// @ts-ignore: decorator
@inline export function byteAt(ptr: usize, i: i32): u32 {
  return <u32>load<u8>(ptr + <usize>i);
}

// @ts-ignore: decorator
@inline export function isWordByte(b: u32): bool {
  return (cls(b) & WORD) != 0;
}

/**
 * Length of the run of bytes in `mask` starting at i, counting at most `cap` + 1 bytes: callers
 * only need to know "longer than the format allows", and the cap keeps the work per position
 * bounded whatever the input (a megabyte of base64 costs the same as one token).
 */
export function runLen(ptr: usize, i: i32, end: i32, mask: u32, cap: i32): i32 {
  let j = i;
  const stop = min<i32>(end, i + cap + 1);
  while (j < stop && (cls(byteAt(ptr, j)) & mask) != 0) j++;
  tick(j - i + 1);
  return j - i;
}

/** The bytes at i are exactly `lit` (ASCII, case-sensitive). */
export function hasLit(ptr: usize, i: i32, end: i32, lit: string): bool {
  const n = lit.length;
  tick(1);
  if (i < 0 || i + n > end) return false;
  const l = changetype<usize>(lit); // UTF-16 code units, read without bounds checks
  for (let k = 0; k < n; k++) if (byteAt(ptr, i + k) != <u32>load<u16>(l + (<usize>k << 1))) return false;
  return true;
}

/** Same, ignoring ASCII case (`lit` given in lower case). */
export function hasLitCI(ptr: usize, i: i32, end: i32, lit: string): bool {
  const n = lit.length;
  tick(1);
  if (i < 0 || i + n > end) return false;
  const l = changetype<usize>(lit);
  for (let k = 0; k < n; k++) {
    let b = byteAt(ptr, i + k);
    if (b >= 0x41 && b <= 0x5a) b |= 0x20;
    if (b != <u32>load<u16>(l + (<usize>k << 1))) return false;
  }
  return true;
}

/** [s, e) contains `lit` ignoring ASCII case (`lit` in lower case). Callers bound e - s. */
export function containsCI(ptr: usize, s: i32, e: i32, lit: string): bool {
  const last = e - lit.length;
  if (last < s) return false;
  tick(last - s + 1);
  const first = <u32>load<u16>(changetype<usize>(lit));
  if (first >= 0x61 && first <= 0x7a) {
    // A lower-case letter: `b | 0x20` equals it exactly when b is that letter in either case.
    for (let i = s; i <= last; i++) {
      if ((byteAt(ptr, i) | 0x20) == first && hasLitCI(ptr, i, e, lit)) return true;
    }
    return false;
  }
  for (let i = s; i <= last; i++) if (hasLitCI(ptr, i, e, lit)) return true;
  return false;
}

const counts: usize = memory.data(256 * 4, 4);

/** Shannon entropy of [s, e) in bits per byte (0 for empty). */
export function entropy(ptr: usize, s: i32, e: i32): f64 {
  const n = e - s;
  if (n <= 0) return 0;
  tick(2 * n);
  for (let i = s; i < e; i++) {
    const a = counts + (<usize>byteAt(ptr, i) << 2);
    store<i32>(a, load<i32>(a) + 1);
  }
  let h: f64 = 0;
  for (let i = s; i < e; i++) {
    const a = counts + (<usize>byteAt(ptr, i) << 2);
    const c = load<i32>(a);
    if (c == 0) continue;
    const p = <f64>c / <f64>n;
    h -= p * Math.log2(p);
    store<i32>(a, 0); // each distinct byte counted once, and the table left clean
  }
  return h;
}

/**
 * A stand-in rather than a credential: mostly x/X/'*'/'#' (how docs and redactors blank a
 * token out), a run of the alphabet in order, or the word EXAMPLE (AWS's documented keys).
 */
export function isPlaceholder(ptr: usize, s: i32, e: i32): bool {
  const n = e - s;
  if (n <= 0) return true;
  tick(n);
  let blank = 0;
  let seq = 0;
  let prev: u32 = 0;
  for (let i = s; i < e; i++) {
    const b = byteAt(ptr, i);
    if (b == 0x78 || b == 0x58 || b == 0x2a || b == 0x23) blank++;
    if ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a && b == prev + 1) {
      seq++;
      if (seq >= 9) return true; // "abcdefghij"
    } else seq = 0;
    prev = b;
  }
  if (blank * 2 >= n) return true;
  return containsCI(ptr, s, e, "example");
}

/** Counts of the three letter/digit classes present in [s, e) (0..3). */
export function classMix(ptr: usize, s: i32, e: i32): i32 {
  let m: u32 = 0;
  tick(max(0, e - s));
  for (let i = s; i < e; i++) m |= cls(byteAt(ptr, i));
  return <i32>((m & C_DIGIT) != 0) + <i32>((m & C_LOWER) != 0) + <i32>((m & C_UPPER) != 0);
}
