// ASCII number parsing over byte ranges, for header values ("retry-after: 20",
// "x-amzn-bedrock-input-token-count: 13") and JSON number spans. No allocation: each parser
// returns a status and leaves its value in a module slot read by parsedU64/I64/F64, so a
// hot-path caller pays no result object. Input is exactly the range: no whitespace trimming.

export const NUM_OK: i32 = 0;
/** The range is empty. */
export const NUM_EMPTY: i32 = 1;
/** A byte that does not belong to the number's syntax. */
export const NUM_INVALID: i32 = 2;
/** Syntactically fine but does not fit (u64 / i64 / fixed-point i64; f64 ±Infinity). */
export const NUM_OVERFLOW: i32 = 3;
/** parseInteger: the number has a non-zero fractional part (value truncated toward zero). */
export const NUM_FRACTION: i32 = 4;

let valueU64: u64 = 0;
let valueI64: i64 = 0;
let valueF64: f64 = 0;

export function parsedU64(): u64 { return valueU64; }
export function parsedI64(): i64 { return valueI64; }
export function parsedF64(): f64 { return valueF64; }

// @ts-ignore: decorator
@inline function digit(c: u32): u32 { return c - 0x30; }

/** Decimal digits only, e.g. "1024". Value in parsedU64(). */
export function parseU64(ptr: usize, len: usize): i32 {
  valueU64 = 0;
  if (len == 0) return NUM_EMPTY;
  let v: u64 = 0;
  for (let i: usize = 0; i < len; i++) {
    const d = digit(<u32>load<u8>(ptr + i));
    if (d > 9) return NUM_INVALID;
    if (v > (u64.MAX_VALUE - <u64>d) / 10) return NUM_OVERFLOW;
    v = v * 10 + <u64>d;
  }
  valueU64 = v;
  return NUM_OK;
}

/** Optional '-' or '+', then decimal digits. Value in parsedI64(). */
export function parseI64(ptr: usize, len: usize): i32 {
  valueI64 = 0;
  if (len == 0) return NUM_EMPTY;
  const c = <u32>load<u8>(ptr);
  const neg = c == 0x2D;
  const skip: usize = neg || c == 0x2B ? 1 : 0;
  const st = parseU64(ptr + skip, len - skip);
  if (st != NUM_OK) return st == NUM_EMPTY ? NUM_INVALID : st;
  const mag = valueU64;
  if (neg) {
    if (mag > (<u64>i64.MAX_VALUE) + 1) return NUM_OVERFLOW;
    valueI64 = <i64>(0 - mag);
  } else {
    if (mag > <u64>i64.MAX_VALUE) return NUM_OVERFLOW;
    valueI64 = <i64>mag;
  }
  return NUM_OK;
}

// The decimal scanner below reduces "[-+]d*[.d*][(e|E)[-+]d+]" to sign × digits × 10^exp10.
// Up to 19 significant digits are kept (they fit in a u64); later ones only shift the
// exponent and are remembered as `inexact` so fixed-point rounding can see them.
let decNeg = false;
let decDigits: u64 = 0;
let decExp: i32 = 0;
let decInexact = false;

const MAX_EXP_DIGITS: i32 = 100000;

function scanDecimal(ptr: usize, len: usize): i32 {
  decNeg = false; decDigits = 0; decExp = 0; decInexact = false;
  if (len == 0) return NUM_EMPTY;
  let i: usize = 0;
  let c = <u32>load<u8>(ptr);
  if (c == 0x2D || c == 0x2B) { decNeg = c == 0x2D; i++; }
  let sig = 0;
  let seen = 0;
  let exp: i32 = 0;
  while (i < len) {
    const d = digit(<u32>load<u8>(ptr + i));
    if (d > 9) break;
    seen++;
    if (sig < 19) {
      if (decDigits != 0 || d != 0) { decDigits = decDigits * 10 + <u64>d; if (decDigits != 0) sig++; }
    } else {
      exp++;
      if (d != 0) decInexact = true;
    }
    i++;
  }
  if (i < len && load<u8>(ptr + i) == 0x2E) {
    i++;
    while (i < len) {
      const d = digit(<u32>load<u8>(ptr + i));
      if (d > 9) break;
      seen++;
      if (sig < 19) {
        if (decDigits != 0 || d != 0) { decDigits = decDigits * 10 + <u64>d; if (decDigits != 0) sig++; }
        exp--;
      } else if (d != 0) decInexact = true;
      i++;
    }
  }
  if (seen == 0) return NUM_INVALID;
  if (i < len) {
    c = <u32>load<u8>(ptr + i);
    if (c != 0x65 && c != 0x45) return NUM_INVALID;
    i++;
    let eneg = false;
    if (i < len) {
      c = <u32>load<u8>(ptr + i);
      if (c == 0x2D || c == 0x2B) { eneg = c == 0x2D; i++; }
    }
    if (i >= len) return NUM_INVALID;
    let e: i32 = 0;
    while (i < len) {
      const d = digit(<u32>load<u8>(ptr + i));
      if (d > 9) return NUM_INVALID;
      // Saturate: past this, the value is 0 or infinite whatever the digits say.
      if (e < MAX_EXP_DIGITS) e = e * 10 + <i32>d;
      i++;
    }
    exp += eneg ? -e : e;
  }
  decExp = exp;
  return NUM_OK;
}

// Exact powers of ten in f64 (10^22 is the largest exactly representable).
const POW10 = memory.data<f64>([
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]);

// @ts-ignore: decorator
@inline function pow10f(k: i32): f64 { return load<f64>(POW10 + (<usize>k << 3)); }

/**
 * A decimal such as "0.0000125", "-3", "1.5e3" to f64, in parsedF64(). Correctly rounded when
 * the digits fit in 2^53 and |exponent| <= 22 (every usage and price figure seen); otherwise
 * within a few ulps. Out of range: NUM_OVERFLOW with ±Infinity.
 */
export function parseF64(ptr: usize, len: usize): i32 {
  valueF64 = 0;
  const st = scanDecimal(ptr, len);
  if (st != NUM_OK) return st;
  let v = <f64>decDigits;
  let e = decExp;
  if (decDigits != 0) {
    if (e > 0) {
      while (e > 22) { v *= 1e22; e -= 22; if (v == Infinity) break; }
      v *= pow10f(min(e, 22));
    } else if (e < 0) {
      // Divide in steps so that 1e-300-range values do not underflow an intermediate.
      while (e < -22) { v /= 1e22; e += 22; if (v == 0) break; }
      v /= pow10f(min(-e, 22));
    }
  }
  valueF64 = decNeg ? -v : v;
  return v == Infinity ? NUM_OVERFLOW : NUM_OK;
}

const U64_POW10_MAX: i32 = 19;

function pow10u(k: i32): u64 {
  let p: u64 = 1;
  for (let i = 0; i < k; i++) p *= 10;
  return p;
}

/**
 * A decimal as a fixed-point integer with `scale` fractional digits, rounded half away from
 * zero: ("0.0000125", 9) → 12500. Money without floats. Value in parsedI64().
 */
export function parseFixed(ptr: usize, len: usize, scale: i32): i32 {
  valueI64 = 0;
  const st = scanDecimal(ptr, len);
  if (st != NUM_OK) return st;
  if (scale < 0 || scale > 18) return NUM_INVALID;
  let mag: u64 = decDigits;
  const shift = decExp + scale;
  if (mag != 0) {
    if (shift > 0) {
      if (shift > U64_POW10_MAX) return NUM_OVERFLOW;
      const p = pow10u(shift);
      if (mag > u64.MAX_VALUE / p) return NUM_OVERFLOW;
      mag *= p;
    } else if (shift < 0) {
      if (-shift > U64_POW10_MAX) {
        mag = 0;
      } else {
        const p = pow10u(-shift);
        const q = mag / p;
        const r = mag - q * p;
        mag = q + (r * 2 >= p ? 1 : 0);
      }
    }
  }
  if (decNeg) {
    if (mag > (<u64>i64.MAX_VALUE) + 1) return NUM_OVERFLOW;
    valueI64 = <i64>(0 - mag);
  } else {
    if (mag > <u64>i64.MAX_VALUE) return NUM_OVERFLOW;
    valueI64 = <i64>mag;
  }
  return NUM_OK;
}

/**
 * A decimal whose value is an integer, in any spelling JSON allows: "12", "-3", "12.0", "1e3",
 * "2.5E1". Value in parsedI64(); NUM_FRACTION when it is not integral (value truncated).
 */
export function parseInteger(ptr: usize, len: usize): i32 {
  valueI64 = 0;
  const st = scanDecimal(ptr, len);
  if (st != NUM_OK) return st;
  let mag: u64 = decDigits;
  let frac = decInexact && decExp >= 0 ? false : decInexact;
  const e = decExp;
  if (mag != 0) {
    if (e > 0) {
      if (e > U64_POW10_MAX) return NUM_OVERFLOW;
      const p = pow10u(e);
      if (mag > u64.MAX_VALUE / p) return NUM_OVERFLOW;
      mag *= p;
    } else if (e < 0) {
      if (-e > U64_POW10_MAX) { frac = true; mag = 0; }
      else {
        const p = pow10u(-e);
        if (mag % p != 0) frac = true;
        mag /= p;
      }
    }
  }
  if (decNeg) {
    if (mag > (<u64>i64.MAX_VALUE) + 1) return NUM_OVERFLOW;
    valueI64 = <i64>(0 - mag);
  } else {
    if (mag > <u64>i64.MAX_VALUE) return NUM_OVERFLOW;
    valueI64 = <i64>mag;
  }
  return frac ? NUM_FRACTION : NUM_OK;
}

/** Whether the last parseF64/parseFixed dropped non-zero digits beyond 19 significant ones. */
export function parsedInexact(): bool { return decInexact; }

/** Writes v in decimal at out (room for 20 bytes); returns the byte count. */
export function formatU64(v: u64, out: usize): usize {
  let n: usize = 0;
  let t = v;
  do { n++; t /= 10; } while (t != 0);
  let p = out + n;
  do {
    p--;
    store<u8>(p, <u8>(0x30 + <u32>(v % 10)));
    v /= 10;
  } while (v != 0);
  return n;
}

/** Writes v in decimal at out (room for 20 bytes); returns the byte count. */
export function formatI64(v: i64, out: usize): usize {
  if (v < 0) {
    store<u8>(out, 0x2D);
    return 1 + formatU64(<u64>0 - <u64>v, out + 1);
  }
  return formatU64(<u64>v, out);
}

/** An HTTP `:status` value's three digits; 0 when they are not digits. */
export function parseHttpStatus(ptr: usize, len: usize): i32 {
  if (len < 3) return 0;
  let v = 0;
  for (let i: usize = 0; i < 3; i++) {
    const c = <i32>load<u8>(ptr + i) - 0x30;
    if (c < 0 || c > 9) return 0;
    v = v * 10 + c;
  }
  return v;
}
