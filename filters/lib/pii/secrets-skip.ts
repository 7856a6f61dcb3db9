// The SECRET scan's fast-forward: 64 bytes at a time, SIMD masks of the text find the next
// position where the scan loop (detect-secrets.ts) might do anything but step over the byte, so
// the loop runs only there. The masks select a superset of the loop's own gates, so skipping
// never changes a finding:
// - a word start whose word is long (at least minTok - 1 bytes: the loop's "token long enough",
//   also when a continuation byte would make it so);
// - a word start whose word is followed by a byte the loop's gates can go on with (a token's
//   continuation byte, an operator, a quote: the X class below), or by a blank then a blank or
//   an operator (an assignment "name = v");
// - a '-', '~' or '.' not right after a word byte (PEM, curl's -u, Azure): the only bytes that
//   are not word bytes and that the loop does not step over at once.
// Every position the loop would visit in between is one where it only steps on (non-START
// bytes, words no gate lets through), and every position returned is one it would visit: the
// loop never stands inside a word or on the byte right after one, so a word start, or a
// non-word byte after a non-word byte, is reached by stepping.
// Blocks are aligned to the text's start, so each block's masks are computed once (first as the
// look-ahead of the block before). The last 128 bytes of a text are left to the loop itself.
import { tick } from "./work";

// Byte classes by nibble lookup (two swizzles and an AND per 16 bytes). Bits 0-3: X, the bytes a
// gate may go on with: ! " % ' + - . / (bit 0), : = > ? (bit 1), @ (bit 2), | ~ (bit 3). Bits 4
// and 5: the blanks ' ' and '\t'. Bit 7: '!'. Operators are bits 1 and 7.
const X_BITS: u8 = 0x0F;
const BLANK_BITS: u8 = 0x30;
/** A blank or an operator byte (':' '=' '>' '?' '!'). */
const BLANK_OP_BITS: u8 = 0xB2;

// @ts-ignore: decorator
@inline function classes(x: v128): v128 {
  const lo = i8x16(0x14, <i8>0x81, 0x01, 0, 0, 0x01, 0, 0x01, 0, 0x20, 0x02, 0x01, 0x08, 0x03, 0x0B, 0x03);
  const hi = i8x16(0x20, 0, <i8>0x91, 0x02, 0x04, 0, 0, 0x08, 0, 0, 0, 0, 0, 0, 0, 0);
  return v128.and(v128.swizzle(lo, v128.and(x, i8x16.splat(0x0F))), v128.swizzle(hi, i8x16.shr_u(x, 4)));
}

/** Word bytes: ASCII letters, digits, '_'. */
// @ts-ignore: decorator
@inline function wordBytes(x: v128): v128 {
  const digit = i8x16.lt_u(i8x16.sub(x, i8x16.splat(0x30)), i8x16.splat(10));
  const alpha = i8x16.lt_u(i8x16.sub(v128.or(x, i8x16.splat(0x20)), i8x16.splat(0x61)), i8x16.splat(26));
  return v128.or(v128.or(digit, alpha), i8x16.eq(x, i8x16.splat(0x5F)));
}

/** 16-bit mask of the bytes of c with any of `bits` (an equality with zero, inverted). */
// @ts-ignore: decorator
@inline function has(c: v128, bits: u8): u64 {
  return <u64>(~i8x16.bitmask(i8x16.eq(v128.and(c, i8x16.splat(bits)), i8x16.splat(0))) & 0xFFFF);
}

// Masks of one 64-byte block, bit k = byte base + k: word bytes, X, blanks, blanks and
// operators, and '-' '~' '.'.
let mW: u64 = 0;
let mX: u64 = 0;
let mB: u64 = 0;
let mBO: u64 = 0;
let mD: u64 = 0;

// @ts-ignore: decorator
@inline function blockMasks(p: usize): void {
  let w: u64 = 0, x: u64 = 0, b: u64 = 0, bo: u64 = 0, d: u64 = 0;
  for (let k = 0; k < 4; k++) {
    const v = v128.load(p + (<usize>k << 4));
    const c = classes(v);
    const s = <u64>(k << 4);
    w |= <u64><u32>i8x16.bitmask(wordBytes(v)) << s;
    x |= has(c, X_BITS) << s;
    b |= has(c, BLANK_BITS) << s;
    bo |= has(c, BLANK_OP_BITS) << s;
    const dash = v128.or(v128.or(i8x16.eq(v, i8x16.splat(0x2D)), i8x16.eq(v, i8x16.splat(0x2E))), i8x16.eq(v, i8x16.splat(0x7E)));
    d |= <u64><u32>i8x16.bitmask(dash) << s;
  }
  mW = w;
  mX = x;
  mB = b;
  mBO = bo;
  mD = d;
}

/** Where the block of the masks mW.. starts (the look-ahead of the last block computed), or -1. */
let laBase: i32 = -1;
/** Bit 63 of the last computed block's word mask: its last byte is a word byte. */
let lastWordByte: u64 = 0;

// The cached block: candidates in [ffBase, ffBase + 64) are the bits of ffMask.
let ffBase: i32 = -64;
let ffMask: u64 = 0;

/** Forgets the cached blocks (a new text). */
export function resetSkip(): void {
  ffBase = -64;
  ffMask = 0;
  laBase = -1;
}

/**
 * The first position at or after i (a position the scan loop visits) where its gates may let
 * something through; or a position in the text's last 128 bytes, from where the loop reads on
 * by itself. `long` = minTok - 1.
 */
export function nextCandidate(ptr: usize, i: i32, end: i32, long: i32): i32 {
  while (true) {
    tick(1);
    if (i < ffBase + 64) {
      const m = ffMask & (<u64>-1 << <u64>(i - ffBase));
      if (m != 0) return ffBase + <i32>ctz(m);
      i = ffBase + 64;
      continue;
    }
    const b = i & ~63;
    if (b + 128 > end) return i;
    computeBlock(ptr, b, long);
  }
}

/** Candidates of the block at b (a multiple of 64). */
function computeBlock(ptr: usize, b: i32, long: i32): void {
  const p = ptr + <usize>b;
  // This block's masks are the last block's look-ahead when blocks are read in order.
  let carry: u64;
  if (laBase != b) {
    carry = b > 0 ? isWordByte(<u32>load<u8>(p - 1)) : 0;
    blockMasks(p);
  } else {
    carry = lastWordByte;
  }
  const w0 = mW;
  const x0 = mX;
  const b0 = mB;
  const bo0 = mBO;
  const d0 = mD;
  blockMasks(p + 64);
  laBase = b + 64;
  lastWordByte = w0 >> 63;
  const w1 = mW;
  const prevW = (w0 << 1) | carry; // bit k: byte k - 1 is a word byte
  const starts = w0 & ~prevW;
  // Ends: the non-word byte right after a word; after it an X byte, or a blank then a blank or
  // an operator. In this block, and in the next block's first 16 bytes (a word starting here
  // that is not long ends there).
  const boNext = (bo0 >> 1) | (mBO << 63);
  const follow0 = ~w0 & prevW & (x0 | (b0 & boNext));
  const prevW1 = (w1 << 1) | (w0 >> 63);
  const follow1 = ~w1 & prevW1 & (mX | (mB & (mBO >> 1))) & 0xFFFF;
  // Word starts with at least `long` word bytes from there: r = AND of W over [k, k + covered),
  // built from acc = AND over [k, k + span) for span = 1, 2, 4, 8 (the window w0:w1 shifted).
  let rLo: u64 = <u64>-1;
  let accLo = w0;
  let accHi = w1;
  let covered = 0;
  let span = 1;
  let n = long;
  while (n > 0) {
    if ((n & 1) != 0) {
      rLo &= covered == 0 ? accLo : (accLo >> <u64>covered) | (accHi << <u64>(64 - covered));
      covered += span;
    }
    n >>= 1;
    if (n == 0) break;
    accLo &= (accLo >> <u64>span) | (accHi << <u64>(64 - span));
    accHi &= accHi >> <u64>span;
    span <<= 1;
  }
  let cand = (starts & rLo) | (d0 & ~prevW);
  // Each followed end's word starts at the last word start before it; one that started in an
  // earlier block was that block's candidate.
  let f = follow0;
  tick(<i32>popcnt(f));
  while (f != 0) {
    const before = starts & ((<u64>1 << ctz(f)) - 1);
    if (before != 0) cand |= <u64>1 << (63 - clz(before));
    f &= f - 1;
  }
  if (follow1 != 0 && (w1 & ~prevW1 & ((<u64>1 << ctz(follow1)) - 1)) == 0 && starts != 0) {
    // The first followed end in the next block closes a word that started here (the last start).
    cand |= <u64>1 << (63 - clz(starts));
  }
  ffBase = b;
  ffMask = cand;
}

// @ts-ignore: decorator
@inline function isWordByte(c: u32): u64 {
  return <u64>(c - 0x30 < 10 || (c | 0x20) - 0x61 < 26 || c == 0x5F);
}
