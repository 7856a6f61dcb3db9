// Byte classes shared by the structured detectors. Everything works on raw UTF-8 bytes: ASCII
// tests only, so invalid UTF-8 is just "not a letter/digit" and can never trap.
import { tick } from "./work";

/** The byte at i, or 0 outside [0, len): lets scanners peek either side without bounds checks. */
@inline export function at(ptr: usize, len: i32, i: i32): u32 {
  return i >= 0 && i < len ? <u32>load<u8>(ptr + <usize>i) : 0;
}

@inline export function isDigit(b: u32): bool { return b - 0x30 < 10; }
@inline export function isAlpha(b: u32): bool { return (b | 0x20) - 0x61 < 26; }
@inline export function isUpper(b: u32): bool { return b - 0x41 < 26; }
@inline export function isAlnum(b: u32): bool { return isDigit(b) || isAlpha(b); }
@inline export function isHex(b: u32): bool { return isDigit(b) || (b | 0x20) - 0x61 < 6; }
@inline export function lower(b: u32): u32 { return isUpper(b) ? b | 0x20 : b; }

/** Part of a word or identifier: an entity glued to one of these is not an entity. */
@inline export function isWordByte(b: u32): bool { return isAlnum(b) || b == 0x5F; }

@inline export function isSpace(b: u32): bool { return b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D; }

// ---- word-at-a-time skipping ----------------------------------------------------------------
// The detectors spend most of their time looking for an anchor byte ('@', ':', a digit) in text
// that has none. These read 8 bytes at a time (unaligned i64 loads: fine in wasm) and test all
// of them with a few integer operations (SWAR); the last < 8 bytes go byte by byte, so nothing
// is read outside [ptr, ptr+len). Every mask below is exact: bit 7 of a byte is set iff that
// byte matches (no false positives from carries), so ctz(mask) >> 3 is the first match.

const LO: u64 = 0x0101010101010101;
const HI: u64 = 0x8080808080808080;
const LOW7: u64 = 0x7F7F7F7F7F7F7F7F;

/** High bit of every byte of x equal to c. */
@inline export function eqMask(x: u64, c: u64): u64 {
  const y = x ^ (LO * c);
  return ~(((y & LOW7) + LOW7) | y | LOW7);
}

/** High bit of every byte of x in [lo, hi] (ASCII bounds: 0 ≤ lo ≤ hi < 0x80). */
@inline export function rangeMask(x: u64, lo: u64, hi: u64): u64 {
  const t = x & LOW7;
  return (t + LO * (0x80 - lo)) & ~(t + LO * (0x7F - hi)) & ~x & HI;
}

/** First index ≥ i of byte c in [0, n), or n. 64, then 16 bytes a step with SIMD compares. */
export function findByte(ptr: usize, n: i32, i: i32, c: u32): i32 {
  const k = i8x16.splat(<u8>c);
  while (i + 64 <= n) {
    tick(1);
    const p = ptr + <usize>i;
    const any = v128.or(v128.or(i8x16.eq(v128.load(p), k), i8x16.eq(v128.load(p, 16), k)),
      v128.or(i8x16.eq(v128.load(p, 32), k), i8x16.eq(v128.load(p, 48), k)));
    if (v128.any_true(any)) break;
    i += 64;
  }
  while (i + 16 <= n) {
    tick(1);
    const m = i8x16.bitmask(i8x16.eq(v128.load(ptr + <usize>i), k));
    if (m != 0) return i + <i32>ctz(m);
    i += 16;
  }
  while (i + 8 <= n) {
    tick(1);
    const m = eqMask(load<u64>(ptr + <usize>i), <u64>c);
    if (m != 0) return i + <i32>(ctz(m) >> 3);
    i += 8;
  }
  while (i < n && <u32>load<u8>(ptr + <usize>i) != c) { tick(1); i++; }
  return i;
}

/**
 * First index ≥ i where the three bytes c0 c1 c2 start, in [0, n), or n (none starts there or
 * later): 16 positions a step with three shifted SIMD compares while 18 bytes remain, then
 * byte by byte. A needle made of a common byte ("://" in code full of ':') stops only where the
 * whole of it is.
 */
export function findBytes3(ptr: usize, n: i32, i: i32, c0: u32, c1: u32, c2: u32): i32 {
  const k0 = i8x16.splat(<u8>c0);
  const k1 = i8x16.splat(<u8>c1);
  const k2 = i8x16.splat(<u8>c2);
  while (i + 18 <= n) {
    tick(1);
    const p = ptr + <usize>i;
    const m = i8x16.bitmask(v128.and(v128.and(i8x16.eq(v128.load(p), k0), i8x16.eq(v128.load(p, 1), k1)), i8x16.eq(v128.load(p, 2), k2)));
    if (m != 0) return i + <i32>ctz(m);
    i += 16;
  }
  while (i + 3 <= n) {
    tick(1);
    const p = ptr + <usize>i;
    if (<u32>load<u8>(p) == c0 && <u32>load<u8>(p, 1) == c1 && <u32>load<u8>(p, 2) == c2) return i;
    i++;
  }
  return n;
}

/** First index ≥ i of a byte in [lo, hi] (ASCII) in [0, n), or n. */
export function findRange(ptr: usize, n: i32, i: i32, lo: u32, hi: u32): i32 {
  while (i + 8 <= n) {
    tick(1);
    const m = rangeMask(load<u64>(ptr + <usize>i), <u64>lo, <u64>hi);
    if (m != 0) return i + <i32>(ctz(m) >> 3);
    i += 8;
  }
  while (i < n && <u32>load<u8>(ptr + <usize>i) - lo > hi - lo) { tick(1); i++; }
  return i;
}

/** First index ≥ i of an ASCII digit in [0, n), or n. */
@inline export function findDigit(ptr: usize, n: i32, i: i32): i32 {
  return findRange(ptr, n, i, 0x30, 0x39);
}
