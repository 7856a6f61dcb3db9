// The SECRET scan's fast-forward: 64 bytes at a time, SIMD masks of the text find the next
// position where the scan loop (detect-secrets.ts) might do anything but step over the byte, so
// the loop runs only there. The masks select a superset of the loop's own gates, so skipping
// never changes a finding:
// - a word start whose word is long (at least minTok - 1 bytes: the loop's "token long enough",
//   also when a continuation byte would make it so);
// - a word start whose word is followed by a byte the loop's gates can go on with (a token's
//   continuation byte, an operator, a quote: the X class below), or by a blank then a blank or
//   an operator (an assignment "name = v");
// - a '-', '~' or '.' (or any X byte) not right after a word byte (PEM, curl's -u, Azure).
// Every position the loop would visit in between is one where it only steps on (non-START
// bytes, words no gate lets through), and every position returned is one it would visit: the
// loop never stands inside a word (the byte before its position is never a word byte), so a
// word start or a non-word byte after a non-word byte is reached by stepping.
// Masks need 64 bytes of look-ahead past their block; the last 128 bytes of a text are left to
// the loop itself.

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

// @ts-ignore: decorator
@inline function has(c: v128, bits: u8): u32 {
  return <u32>i8x16.bitmask(i8x16.ne(v128.and(c, i8x16.splat(bits)), i8x16.splat(0)));
}

// Masks of one 64-byte block, bit k = byte base + k.
let mW: u64 = 0;
let mX: u64 = 0;
let mB: u64 = 0;
let mBO: u64 = 0;

// @ts-ignore: decorator
@inline function blockMasks(p: usize): void {
  let w: u64 = 0, x: u64 = 0, b: u64 = 0, bo: u64 = 0;
  for (let k = 0; k < 4; k++) {
    const v = v128.load(p + (<usize>k << 4));
    const c = classes(v);
    const s = <u64>(k << 4);
    w |= <u64><u32>i8x16.bitmask(wordBytes(v)) << s;
    x |= <u64>has(c, X_BITS) << s;
    b |= <u64>has(c, BLANK_BITS) << s;
    bo |= <u64>has(c, BLANK_OP_BITS) << s;
  }
  mW = w;
  mX = x;
  mB = b;
  mBO = bo;
}

/** Where the block of the masks mW.. starts (the look-ahead of the last block computed). */
let laBase: i32 = -1;

// The cached block: candidates in [ffBase, ffNext) are the bits of ffMask (bit k = ffBase + k).
let ffBase: i32 = 0;
let ffNext: i32 = 0;
let ffMask: u64 = 0;

/** Forgets the cached block (a new text). */
export function resetSkip(): void {
  ffBase = 0;
  ffNext = 0;
  ffMask = 0;
  laBase = -1;
}

/**
 * The first position at or after i (a position the scan loop visits) where its gates may let
 * something through; or a position within 128 bytes of the end, from where the loop reads on
 * by itself. `long` = minTok - 1.
 */
export function nextCandidate(ptr: usize, i: i32, end: i32, long: i32): i32 {
  while (true) {
    if (i >= ffBase && i < ffNext) {
      const m = ffMask & (<u64>-1 << <u64>(i - ffBase));
      if (m != 0) return ffBase + <i32>ctz(m);
      i = ffNext;
      continue;
    }
    if (i + 128 > end) return i;
    computeBlock(ptr, i, long);
  }
}

/** Candidates of the block at b (the byte before b is not a word byte, or b = 0). */
function computeBlock(ptr: usize, b: i32, long: i32): void {
  const p = ptr + <usize>b;
  // This block's masks are the last block's look-ahead when it starts where that one ended.
  let w0: u64, x0: u64, b0: u64, bo0: u64;
  if (laBase == b) {
    w0 = mW;
    x0 = mX;
    b0 = mB;
    bo0 = mBO;
  } else {
    blockMasks(p);
    w0 = mW;
    x0 = mX;
    b0 = mB;
    bo0 = mBO;
  }
  blockMasks(p + 64);
  laBase = b + 64;
  const w1 = mW;
  const bo1 = mBO;
  const prevW = w0 << 1; // bit k: byte k - 1 is a word byte (byte b - 1 is not)
  const starts = w0 & ~prevW;
  // Ends: the non-word byte right after a word.
  const ends = ~w0 & prevW;
  // After the word: an X byte, or a blank then a blank or an operator.
  const boNext = (bo0 >> 1) | (bo1 << 63);
  const follow = ends & (x0 | (b0 & boNext));
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
  let cand = (starts & rLo) | (x0 & ~prevW);
  // Word starts of the followed words: each end's word starts at the last start before it.
  let f = follow;
  while (f != 0) {
    const e = ctz(f);
    const before = starts & ((<u64>1 << e) - 1);
    cand |= <u64>1 << (63 - clz(before));
    f &= f - 1;
  }
  ffBase = b;
  // A word running past the block is decided in the next block, which starts at its first
  // byte (so "the byte before is not a word byte" holds there too).
  let next = b + 64;
  if ((w0 >> 63) != 0) {
    const last = 63 - <i32>clz(starts);
    if (last > 0) next = b + last;
  }
  ffNext = next;
  ffMask = next - b < 64 ? cand & ((<u64>1 << <u64>(next - b)) - 1) : cand;
}
