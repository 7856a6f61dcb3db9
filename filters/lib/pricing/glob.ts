// Model-name globs (PRICING.md): "*" any run, "?" one character, whole name, ASCII
// case-insensitive. Both sides are bytes: the hot path matches the model span of a body
// without making a string. Globs are stored lower-cased, so only the name byte is folded.

@inline function lower(b: u32): u32 {
  return b - 0x41 < 26 ? b | 0x20 : b;
}

// "?" is one character, as in the oracle's regex: a whole UTF-8 sequence, not one byte.
// A malformed or truncated sequence counts its bytes one at a time.
@inline function charLen(ptr: usize, i: usize, len: usize): usize {
  const b = <u32>load<u8>(ptr + i);
  const n: usize = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF8 ? 4 : 1;
  if (n == 1 || i + n > len) return 1;
  for (let k: usize = 1; k < n; k++) if ((<u32>load<u8>(ptr + i + k) & 0xC0) != 0x80) return 1;
  return n;
}

/**
 * Whether the whole name [namePtr, +nameLen) matches the lower-cased glob [globPtr, +globLen).
 * Iterative with one backtrack point (the last "*"), so a hostile name or glob costs at most
 * O(globLen × nameLen) and never recurses.
 */
export function globMatch(globPtr: usize, globLen: usize, namePtr: usize, nameLen: usize): bool {
  let g: usize = 0;
  let n: usize = 0;
  let starG: isize = -1;
  let starN: usize = 0;
  while (n < nameLen) {
    if (g < globLen) {
      const c = <u32>load<u8>(globPtr + g);
      if (c == 0x2A) { // *
        starG = <isize>g;
        g++;
        starN = n;
        continue;
      }
      if (c == 0x3F) { // ?
        n += charLen(namePtr, n, nameLen);
        g++;
        continue;
      }
      if (c == lower(<u32>load<u8>(namePtr + n))) {
        g++;
        n++;
        continue;
      }
    }
    if (starG < 0) return false;
    // Let the last "*" swallow one more character and retry from just after it.
    g = <usize>starG + 1;
    starN += charLen(namePtr, starN, nameLen);
    n = starN;
  }
  while (g < globLen && load<u8>(globPtr + g) == 0x2A) g++;
  return g == globLen;
}
