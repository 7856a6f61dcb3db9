// The SECRET scan's candidates: before the scan loop of detect-secrets.ts runs, one pass over the
// text marks, in a bitmap, every position where the loop's gates may let something through; the
// loop then visits only those (and the positions it steps to after a match). The marks are a
// superset of the loop's own gates, so skipping never changes a finding:
// - a word start from which at least `minTok` token bytes follow (every token the loop can match
//   is that long and made of token bytes: word bytes and C_CONT, - . + / = ~ | % : @) and where
//   the loop's token gate (secrets-token-gate.ts) opens;
// - a '-' where a PEM header ("--" then 'B' at +5) or curl's "-u"/"--user" after a blank can
//   start, and a '.' or '~' with an Azure secret's "Q~" at +4 (the loop's own tests);
// - the word starts of a name that an assignment follows: from each ':' or '=' back over the
//   operator bytes, blanks and a quote (at most 13 bytes, as valueAfterNameEnd reads forward) to
//   the name, when one of the next 14 positions (where the value can start) starts what the
//   loop can report there: 14+ value bytes (every keyword-gated format opens so,
//   secrets-keyword.ts), Sidekiq's "8hex:8hex", or a token (minTok+ token bytes and the token
//   gate). Generic assignments (opt-in) mark every name.
// Prose and code are dense in short words followed by '.', ',' or '(' and in `x = y`; none of
// those is marked, which is where the loop used to spend its time.
//
// Byte classes come from two 16-entry nibble tables (two swizzles and an AND per 16 bytes), and
// the run lengths from AND-shifts over a 128-bit window (this block and the next), so each block
// costs the same whatever it holds; the scalar work is per selected byte, bounded per byte.
import { byteAt, cls, C_BLANK, C_LOWER, C_OP, C_QUOTE, C_UNDER, C_UPPER, WORD } from "./secrets-bytes";
import { MAX_NAME, NAME } from "./secrets-assign";
import { TAIL } from "./simd-bytes";
import { tokenMayStart } from "./secrets-token-gate";
import { tick } from "./work";

// Class bits, bit = a union of (low nibble set x high nibble set) with no stray byte:
// 0: A-O a-o, 1: P-Z p-z, 2: 0-9, 3: '_', 4: '-' '.', 5: ':' '=', 6: '%' '+' '/',
// 7: '@' '|' '~' (and L N p, letters anyway). Non-zero = a token byte.
const WORD_BITS: u8 = 0x0F;
const ASSIGN_BITS: u8 = 0x20;
/** '-' '.' '@' '|' '~' once letters are taken out: bytes the loop may act on outside words. */
const SPECIAL_BITS: u8 = 0x90;
/** A value's token run: shortest keyword-gated value. */
const VALUE_RUN: i32 = 14;
/** From an assignment byte back to the name's end: quote + 8 blanks + 3 more operator bytes, +1. */
const BACK_TO_NAME: i32 = 13;

// @ts-ignore: decorator
@inline function classes(x: v128): v128 {
  const lo = i8x16(<i8>0x86, 0x07, 0x07, 0x07, 0x07, 0x47, 0x07, 0x07, 0x07, 0x07, 0x23, 0x41, <i8>0x81, 0x31, <i8>0x91, 0x49);
  const hi = i8x16(0, 0, 0x50, 0x24, <i8>0x81, 0x0A, 0x01, <i8>0x82, 0, 0, 0, 0, 0, 0, 0, 0);
  return v128.and(v128.swizzle(lo, v128.and(x, i8x16.splat(0x0F))), v128.swizzle(hi, i8x16.shr_u(x, 4)));
}

/** 16-bit mask of the bytes of c with none of `bits` (eq with zero: one compare on x64, no NOT). */
// @ts-ignore: decorator
@inline function none16(c: v128, bits: u8): u64 {
  return <u64><u32>i8x16.bitmask(i8x16.eq(v128.and(c, i8x16.splat(bits)), i8x16.splat(0)));
}

// @ts-ignore: decorator
@inline function none64(c0: v128, c1: v128, c2: v128, c3: v128, bits: u8): u64 {
  return none16(c0, bits) | (none16(c1, bits) << 16) | (none16(c2, bits) << 32) | (none16(c3, bits) << 48);
}

// Masks of the block being computed (bit k = byte base + k).
let mWord: u64 = 0;
let mToken: u64 = 0;
let mAssign: u64 = 0;
let mSpecial: u64 = 0;
/** Token bytes but '.' and ':': a superset of secrets-keyword's VALUE14 (word bytes, - = + /). */
let mValue: u64 = 0;

// @ts-ignore: decorator
@inline function blockMasks(p: usize): void {
  const c0 = classes(v128.load(p));
  const c1 = classes(v128.load(p, 16));
  const c2 = classes(v128.load(p, 32));
  const c3 = classes(v128.load(p, 48));
  const w = ~none64(c0, c1, c2, c3, WORD_BITS);
  mWord = w;
  mToken = ~none64(c0, c1, c2, c3, 0xFF);
  mAssign = ~none64(c0, c1, c2, c3, ASSIGN_BITS);
  mSpecial = ~none64(c0, c1, c2, c3, SPECIAL_BITS) & ~w;
  mValue = mToken & ~(dotOrColon(v128.load(p)) | (dotOrColon(v128.load(p, 16)) << 16) |
    (dotOrColon(v128.load(p, 32)) << 32) | (dotOrColon(v128.load(p, 48)) << 48));
}

// @ts-ignore: decorator
@inline function dotOrColon(x: v128): u64 {
  return <u64><u32>i8x16.bitmask(v128.or(i8x16.eq(x, i8x16.splat(0x2E)), i8x16.eq(x, i8x16.splat(0x3A))));
}

// @ts-ignore: decorator
@inline function shr128lo(lo: u64, hi: u64, s: i32): u64 {
  return s == 0 ? lo : (lo >> <u64>s) | (hi << <u64>(64 - s));
}

// Runs over a 128-bit window (this block, the next): with pN = "the N bytes from bit k are all
// token bytes" for N = 1, 2, 4, 8, a run of n bytes (1 <= n <= 16) is two overlapping windows of
// the largest power p <= n: pP & (pP >> (n - p)). Bits past 128 count as clear, so only the low
// bits of the high word are exact (callers read bits below 64 + 32).
// @ts-ignore: decorator
@inline function pick(n: i32, x1: u64, x2: u64, x4: u64, x8: u64): u64 {
  return n >= 8 ? x8 : n >= 4 ? x4 : n >= 2 ? x2 : x1;
}

// @ts-ignore: decorator
@inline function powerOf(n: i32): i32 {
  return n >= 8 ? 8 : n >= 4 ? 4 : n >= 2 ? 2 : 1;
}

/** Bit i: position i is a candidate. Reused from scan to scan, grown when a text is larger. */
let marks: StaticArray<u64> = new StaticArray<u64>(64);
let markWords: i32 = 0;

// @ts-ignore: decorator
@inline function mark(i: i32): void {
  const a = changetype<usize>(marks) + (<usize>(i >>> 6) << 3);
  store<u64>(a, load<u64>(a) | (<u64>1 << <u64>(i & 63)));
}

/**
 * Marks the candidates of the text [ptr, ptr + n). `minTok`: the shortest token the loop can
 * match; `generic`: generic assignments are on (then every assignment's name is marked).
 */
export function markSecretCandidates(ptr: usize, n: i32, minTok: i32, generic: bool): void {
  const words = (n + 63) >>> 6;
  if (marks.length < words + 1) marks = new StaticArray<u64>(words + 1);
  memory.fill(changetype<usize>(marks), 0, <usize>(words + 1) << 3);
  markWords = words;
  // Runs are read as two overlapping power-of-two windows, up to 16 bytes (tokens: minTok <= 15).
  minTok = min<i32>(max<i32>(minTok, 1), 16);
  const valueRun = min<i32>(VALUE_RUN, minTok);
  if (n <= 0) return;
  // Block k's masks are computed as block k-1's look-ahead; the text's last partial block goes
  // through the zeroed TAIL copy (0 is no class), so nothing past the text is read.
  blockAt(ptr, 0, n);
  let w0 = mWord, t0 = mToken, a0 = mAssign, s0 = mSpecial, v0 = mValue;
  let prevWordByte: u64 = 0;
  let afterCarry: u64 = 0;
  for (let b = 0; b < n; b += 64) {
    tick(1);
    let w1: u64 = 0, t1: u64 = 0, a1: u64 = 0, s1: u64 = 0, v1: u64 = 0;
    if (b + 64 < n) {
      blockAt(ptr, b + 64, n);
      w1 = mWord;
      t1 = mToken;
      a1 = mAssign;
      s1 = mSpecial;
      v1 = mValue;
    }
    const prevW = (w0 << 1) | prevWordByte;
    const wordStarts = w0 & ~prevW;
    const p2Lo = t0 & shr128lo(t0, t1, 1);
    const p2Hi = t1 & (t1 >> 1);
    const p4Lo = p2Lo & shr128lo(p2Lo, p2Hi, 2);
    const p4Hi = p2Hi & (p2Hi >> 2);
    const p8Lo = p4Lo & shr128lo(p4Lo, p4Hi, 4);
    const p8Hi = p4Hi & (p4Hi >> 4);
    // minTok is 8..16 with the shipped rules (15); a shorter one would mark every word start.
    const runLo = minTok >= 8 ? p8Lo & shr128lo(p8Lo, p8Hi, minTok - 8) : t0;
    let tok = wordStarts & runLo;
    tick(<i32>popcnt(tok));
    while (tok != 0) {
      const i = b + <i32>ctz(tok);
      if (tokenMayStart(ptr, i, n, byteAt(ptr, i), i + 1 < n ? byteAt(ptr, i + 1) : 0)) mark(i);
      tok &= tok - 1;
    }
    let sp = s0 & ~prevW;
    tick(<i32>popcnt(sp));
    while (sp != 0) {
      const i = b + <i32>ctz(sp);
      if (specialMayStart(ptr, i, n)) mark(i);
      sp &= sp - 1;
    }
    if (a0 != 0) {
      if (generic) {
        markNames(ptr, b, a0);
      } else {
        // A value starts after an operator, a blank or a quote (a byte that is no token byte, or
        // ':'/'='), at q + 1 .. q + 14 of an assignment byte q (as valueAfterNameEnd reads). What
        // the loop can report there opens with 14+ token bytes; keyword-gated formats with 14+
        // value bytes (secrets-keyword.ts VALUE14), Sidekiq with "8hex:", tokens through the gate.
        const afterLo = ((~t0 | a0) << 1) | afterCarry;
        const afterHi = ((~t1 | a1) << 1) | ((~t0 | a0) >> 63);
        const d = valueRun - powerOf(valueRun);
        const vLo = pick(valueRun, t0, p2Lo, p4Lo, p8Lo);
        const vHi = pick(valueRun, t1, p2Hi, p4Hi, p8Hi);
        const tokStartLo = vLo & shr128lo(vLo, vHi, d) & afterLo;
        const tokStartHi = vHi & (vHi >> <u64>d) & afterHi;
        const cand = a0 & anyOfNext14(tokStartLo, tokStartHi);
        if (cand != 0) {
          const q2Lo = v0 & shr128lo(v0, v1, 1);
          const q2Hi = v1 & (v1 >> 1);
          const q4Lo = q2Lo & shr128lo(q2Lo, q2Hi, 2);
          const q4Hi = q2Hi & (q2Hi >> 2);
          const q8Lo = q4Lo & shr128lo(q4Lo, q4Hi, 4);
          const q8Hi = q4Hi & (q4Hi >> 4);
          const valStartLo = q8Lo & shr128lo(q8Lo, q8Hi, VALUE_RUN - 8) & afterLo;
          const valStartHi = q8Hi & (q8Hi >> <u64>(VALUE_RUN - 8)) & afterHi;
          let named = cand & anyOfNext14(valStartLo, valStartHi);
          let tokenOnly = cand & ~named;
          tick(<i32>popcnt(tokenOnly));
          while (tokenOnly != 0) {
            const k = <i32>ctz(tokenOnly);
            if (tokenValueAt(ptr, b + k + 1, n, window14(tokStartLo, tokStartHi, k))) named |= <u64>1 << <u64>k;
            tokenOnly &= tokenOnly - 1;
          }
          markNames(ptr, b, named);
        }
      }
    }
    prevWordByte = w0 >> 63;
    afterCarry = (~t0 | a0) >> 63;
    w0 = w1;
    t0 = t1;
    a0 = a1;
    s0 = s1;
    v0 = v1;
  }
}

// @ts-ignore: decorator
@inline function blockAt(ptr: usize, b: i32, n: i32): void {
  let p = ptr + <usize>b;
  if (b + 64 > n) {
    memory.fill(TAIL, 0, 64);
    memory.copy(TAIL, p, <usize>(n - b));
    p = TAIL;
  }
  blockMasks(p);
}

/** Bit k: one of the bits k + 1 .. k + 14 of the 128-bit window (lo, hi) is set. */
// @ts-ignore: decorator
@inline function anyOfNext14(lo: u64, hi: u64): u64 {
  // OR over spans of 1, 2, 4, 8 bits, then two overlapping spans of 8 (= 14), one bit further.
  let xLo = shr128lo(lo, hi, 1);
  let xHi = hi >> 1;
  xLo |= shr128lo(xLo, xHi, 1);
  xHi |= xHi >> 1;
  xLo |= shr128lo(xLo, xHi, 2);
  xHi |= xHi >> 2;
  xLo |= shr128lo(xLo, xHi, 4);
  xHi |= xHi >> 4;
  return xLo | shr128lo(xLo, xHi, 6);
}

/** Marks the names the assignment bytes `bits` of the block at b close. */
function markNames(ptr: usize, b: i32, bits: u64): void {
  tick(<i32>popcnt(bits));
  while (bits != 0) {
    markName(ptr, b + <i32>ctz(bits));
    bits &= bits - 1;
  }
}

/** Bits k + 1 .. k + 14 of the 128-bit window (lo, hi), as bits 0 .. 13. */
// @ts-ignore: decorator
@inline function window14(lo: u64, hi: u64, k: i32): u64 {
  const l = k < 63 ? lo >> <u64>(k + 1) : 0;
  return (l | (hi << <u64>(63 - k))) & 0x3FFF;
}

/**
 * One of the positions v = from + bit of `runs` (14+ token bytes there) starts a token the
 * token gate lets through, or Sidekiq's "8hex:8hex" (':' at v + 8).
 */
function tokenValueAt(ptr: usize, from: i32, end: i32, runs: u64): bool {
  while (runs != 0) {
    tick(1);
    const v = from + <i32>ctz(runs);
    if (v + 8 < end && byteAt(ptr, v + 8) == 0x3A) return true;
    if (tokenMayStart(ptr, v, end, byteAt(ptr, v), v + 1 < end ? byteAt(ptr, v + 1) : 0)) return true;
    runs &= runs - 1;
  }
  return false;
}

/**
 * The loop's own tests at a '-', '.' or '~' that follows no word byte (detect-secrets.ts), with
 * its clamped loads: a PEM header's "--" and 'B' at +5, curl's "-u"/"--u" after a blank, an Azure
 * secret's "Q~" at +4. Without branches on the bytes: code puts these bytes after ')' or a blank
 * all the time, and each test would mispredict.
 */
// @ts-ignore: decorator
@inline function specialMayStart(ptr: usize, i: i32, end: i32): bool {
  const last = end - 1;
  const b = byteAt(ptr, i);
  const b1 = byteAt(ptr, min<i32>(i + 1, last));
  const b2 = byteAt(ptr, min<i32>(i + 2, last));
  const b4 = byteAt(ptr, min<i32>(i + 4, last));
  const b5 = byteAt(ptr, min<i32>(i + 5, last));
  const p = byteAt(ptr, max<i32>(i - 1, 0));
  const dash = <i32>(b == 0x2D);
  const blankBefore = <i32>(i > 0) & (<i32>(p == 0x20) | <i32>(p == 0x09) | <i32>(p == 0x0A) | <i32>(p == 0x0D));
  const pem = <i32>(b1 == 0x2D) & <i32>(b5 == 0x42);
  const curl = blankBefore & (<i32>(b1 == 0x75) | (<i32>(b1 == 0x2D) & <i32>(b2 == 0x75)));
  const azure = (<i32>(b == 0x2E) | <i32>(b == 0x7E)) & <i32>(i + 37 <= end) & <i32>(b5 == 0x7E) & <i32>(b4 == 0x51);
  return ((dash & (pem | curl)) | azure) != 0;
}

/** Marks the word starts of the name (if any) that the assignment byte at q closes. */
function markName(ptr: usize, q: i32): void {
  // Back over what valueAfterNameEnd reads forward: operator bytes, blanks, a closing quote.
  let j = q;
  const stop = max<i32>(0, q - BACK_TO_NAME);
  while (j > stop && (cls(byteAt(ptr, j - 1)) & (C_OP | C_BLANK | C_QUOTE)) != 0) {
    tick(1);
    j--;
  }
  if (j == 0 || (cls(byteAt(ptr, j - 1)) & NAME) == 0) return;
  // The name's word starts within MAX_NAME bytes of its end: a letter or '_' after a non-word byte.
  const from = max<i32>(0, j - MAX_NAME);
  let next = cls(byteAt(ptr, j - 1));
  for (let i = j - 1; i >= from; i--) {
    tick(1);
    const c = next;
    if ((c & NAME) == 0) break;
    next = i > 0 ? cls(byteAt(ptr, i - 1)) : 0;
    if ((c & (C_LOWER | C_UPPER | C_UNDER)) != 0 && (next & WORD) == 0) mark(i);
  }
}

/** The first candidate at or after i, or end when there is none. */
export function nextSecretCandidate(i: i32, end: i32): i32 {
  let w = i >>> 6;
  if (w >= markWords) return end;
  let m = load<u64>(changetype<usize>(marks) + (<usize>w << 3)) & (<u64>-1 << <u64>(i & 63));
  while (m == 0) {
    tick(1);
    if (++w >= markWords) return end;
    m = load<u64>(changetype<usize>(marks) + (<usize>w << 3));
  }
  return min<i32>(end, (w << 6) + <i32>ctz(m));
}
