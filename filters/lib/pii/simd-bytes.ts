// 64-byte masks of byte kinds with 16-byte SIMD compares: bit k of a mask is byte p + k. The
// scan's passes over a text (digit runs, the secrets' word gate) read the text through these,
// four v128 loads per 64 bytes, and then touch only the positions the masks select. Callers
// never read past their text: its last < 64 bytes go through the zeroed TAIL block (a 0 byte is
// none of the kinds asked for here).
import { tick } from "./work";

/** 64 bytes of scratch for a text's last partial block (static memory: no GC reference). */
export const TAIL: usize = memory.data(64, 16);

// @ts-ignore: decorator
@inline function bits(v0: v128, v1: v128, v2: v128, v3: v128): u64 {
  return <u64><u32>i8x16.bitmask(v0) | (<u64><u32>i8x16.bitmask(v1) << 16) |
    (<u64><u32>i8x16.bitmask(v2) << 32) | (<u64><u32>i8x16.bitmask(v3) << 48);
}

/** Bytes equal to c. */
// @ts-ignore: decorator
@inline export function byteMask(p: usize, c: u8): u64 {
  const k = i8x16.splat(c);
  return bits(
    i8x16.eq(v128.load(p), k), i8x16.eq(v128.load(p, 16), k),
    i8x16.eq(v128.load(p, 32), k), i8x16.eq(v128.load(p, 48), k),
  );
}

/** Bytes in [lo, lo + span) (unsigned). */
// @ts-ignore: decorator
@inline export function rangeMask64(p: usize, lo: u8, span: u8): u64 {
  const l = i8x16.splat(lo);
  const s = i8x16.splat(span);
  return bits(
    i8x16.lt_u(i8x16.sub(v128.load(p), l), s), i8x16.lt_u(i8x16.sub(v128.load(p, 16), l), s),
    i8x16.lt_u(i8x16.sub(v128.load(p, 32), l), s), i8x16.lt_u(i8x16.sub(v128.load(p, 48), l), s),
  );
}

/** ASCII digits. */
// @ts-ignore: decorator
@inline export function digitMask(p: usize): u64 {
  return rangeMask64(p, 0x30, 10);
}

/** ASCII letters (either case). */
// @ts-ignore: decorator
@inline export function alphaMask(p: usize): u64 {
  const l = i8x16.splat(0x61);
  const s = i8x16.splat(26);
  const c = i8x16.splat(0x20);
  return bits(
    i8x16.lt_u(i8x16.sub(v128.or(v128.load(p), c), l), s), i8x16.lt_u(i8x16.sub(v128.or(v128.load(p, 16), c), l), s),
    i8x16.lt_u(i8x16.sub(v128.or(v128.load(p, 32), c), l), s), i8x16.lt_u(i8x16.sub(v128.or(v128.load(p, 48), c), l), s),
  );
}

/**
 * The first index at or after i whose byte is not an ASCII letter or digit, nor one of the
 * (compile-time) extra bytes x1, x2, x3 (0: none), or end: 16 bytes a compare while they fit in
 * [i, end), then byte by byte.
 */
// @ts-ignore: decorator
@inline function runEnd(ptr: usize, i: i32, end: i32, x1: u8, x2: u8, x3: u8): i32 {
  while (i + 16 <= end) {
    tick(1);
    const v = v128.load(ptr + <usize>i);
    const digit = i8x16.lt_u(i8x16.sub(v, i8x16.splat(0x30)), i8x16.splat(10));
    const alpha = i8x16.lt_u(i8x16.sub(v128.or(v, i8x16.splat(0x20)), i8x16.splat(0x61)), i8x16.splat(26));
    let keep = v128.or(digit, alpha);
    if (x1 != 0) keep = v128.or(keep, i8x16.eq(v, i8x16.splat(x1)));
    if (x2 != 0) keep = v128.or(keep, i8x16.eq(v, i8x16.splat(x2)));
    if (x3 != 0) keep = v128.or(keep, i8x16.eq(v, i8x16.splat(x3)));
    const stop = ~i8x16.bitmask(keep) & 0xFFFF;
    if (stop != 0) return i + <i32>ctz(stop);
    i += 16;
  }
  while (i < end) {
    tick(1);
    const b = <u32>load<u8>(ptr + <usize>i);
    if (!(b - 0x30 < 10 || (b | 0x20) - 0x61 < 26 || (x1 != 0 && b == x1) || (x2 != 0 && b == x2) || (x3 != 0 && b == x3))) break;
    i++;
  }
  return i;
}

/** End of the run of word bytes (ASCII letters, digits, '_') from i: see runEnd. */
// @ts-ignore: decorator
@inline export function wordEnd(ptr: usize, i: i32, end: i32): i32 {
  return runEnd(ptr, i, end, 0x5F, 0, 0);
}

/** End of the run of ASCII letters and digits from i. */
// @ts-ignore: decorator
@inline export function alnumEnd(ptr: usize, i: i32, end: i32): i32 {
  return runEnd(ptr, i, end, 0, 0, 0);
}

/** End of the run of name bytes (word bytes, '-' and '.': "db.user-password") from i. */
// @ts-ignore: decorator
@inline export function nameEnd(ptr: usize, i: i32, end: i32): i32 {
  return runEnd(ptr, i, end, 0x5F, 0x2D, 0x2E);
}
