// Values of JSON number spans. Usage counts are integers but some serializers write them as
// 12.0 or 1.2e3; readJsonInteger accepts every spelling of an integral value.
import {
  NUM_OK, parseInteger, parseF64, parseFixed, parsedI64, parsedF64,
} from "../bytes/number";

export { NUM_OK, NUM_EMPTY, NUM_INVALID, NUM_OVERFLOW, NUM_FRACTION, parsedI64, parsedF64 } from "../bytes/number";

/** Integral value of a number span: NUM_OK with parsedI64(), else a NUM_* status. */
export function readJsonInteger(ptr: usize, len: usize): i32 {
  return parseInteger(ptr, len);
}

/** The integer value, or `fallback` when the span is not an integral i64. */
export function jsonIntegerOr(ptr: usize, len: usize, fallback: i64): i64 {
  return parseInteger(ptr, len) == NUM_OK ? parsedI64() : fallback;
}

/** f64 value of a number span (prices, `cost`, timings): NUM_OK with parsedF64(). */
export function readJsonNumber(ptr: usize, len: usize): i32 {
  return parseF64(ptr, len);
}

/** Fixed-point value with `scale` fractional digits ("0.00042", 9 → 420000): NUM_OK with parsedI64(). */
export function readJsonFixed(ptr: usize, len: usize, scale: i32): i32 {
  return parseFixed(ptr, len, scale);
}
