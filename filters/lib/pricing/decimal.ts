// Prices arrive as JSON number literals (USD per 1M tokens). Read from the literal's text, never
// through f64, so 0.075 is exactly 75 000 pico-USD per token as in the oracle's picoPerToken.

/** Above this a price is surely a typo, and products with token counts stay far from u64. */
export const MAX_PICO: i64 = 1_000_000_000_000_000; // $1e9 per 1M tokens

/**
 * Pico-USD per token for a JSON number literal, or -1 when it is negative, has more than six
 * decimals, exceeds MAX_PICO or is not a number literal.
 */
export function picoFromLiteral(s: string): i64 {
  const n = s.length;
  let i = 0;
  if (n == 0 || s.charCodeAt(0) == 0x2D) return -1;
  let digits: i64 = 0;
  let digitCount = 0; // significant digits kept in `digits`
  let scale = 0; // value = digits × 10^-scale
  let sawDigit = false;
  let inFrac = false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x2E) {
      if (inFrac) return -1;
      inFrac = true;
      continue;
    }
    if (c < 0x30 || c > 0x39) break;
    sawDigit = true;
    if (inFrac) scale++;
    if (digits == 0 && c == 0x30) continue;
    // 19 digits would overflow; anything that long is beyond MAX_PICO or beyond 6 decimals
    // unless it is trailing zeros, which are handled by dropping them.
    if (digitCount >= 18) {
      if (c != 0x30) return -1;
      if (inFrac) { scale--; continue; }
      return -1;
    }
    digits = digits * 10 + <i64>(c - 0x30);
    digitCount++;
  }
  if (!sawDigit) return -1;
  if (i < n) {
    const c = s.charCodeAt(i);
    if (c != 0x65 && c != 0x45) return -1;
    i++;
    let neg = false;
    if (i < n && (s.charCodeAt(i) == 0x2B || s.charCodeAt(i) == 0x2D)) {
      neg = s.charCodeAt(i) == 0x2D;
      i++;
    }
    let e = 0;
    let expDigits = 0;
    for (; i < n; i++) {
      const d = s.charCodeAt(i);
      if (d < 0x30 || d > 0x39) return -1;
      if (e < 10000) e = e * 10 + (d - 0x30);
      expDigits++;
    }
    if (expDigits == 0) return -1;
    scale += neg ? e : -e;
  }
  if (digits == 0) return 0;
  // pico = digits × 10^(6 - scale)
  let shift = 6 - scale;
  while (shift < 0) {
    if (digits % 10 != 0) return -1;
    digits /= 10;
    shift++;
  }
  while (shift > 0) {
    if (digits > MAX_PICO) return -1;
    digits *= 10;
    shift--;
  }
  return digits > MAX_PICO ? -1 : digits;
}
