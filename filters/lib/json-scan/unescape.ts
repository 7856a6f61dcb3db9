// Decoding of a JSON string span (the bytes between the quotes) into UTF-8, so a tokenizer or
// a pattern matcher sees the text the client meant, not its escaped spelling.
import { isHex } from "./scanner";

/** A backslash sequence the scanner would have rejected (only for spans it did not check). */
export const UNESCAPE_MALFORMED: isize = -1;
/** The output does not fit in outCap bytes. */
export const UNESCAPE_NO_ROOM: isize = -2;

/** The value of the 4 hex digits at p (checked by the caller: the scanner or hex4Valid). */
export function hex4(p: usize): u32 {
  let v: u32 = 0;
  for (let k: usize = 0; k < 4; k++) {
    const c = <u32>load<u8>(p + k);
    v = (v << 4) | (c - 0x30 < 10 ? c - 0x30 : (c | 0x20) - 0x61 + 10);
  }
  return v;
}

function hex4Valid(p: usize): bool {
  for (let k: usize = 0; k < 4; k++) if (!isHex(<u32>load<u8>(p + k))) return false;
  return true;
}

/** UTF-8 length of a code point (callers pass only scalar values or U+FFFD). */
// @ts-ignore: decorator
@inline function utf8Len(cp: u32): usize {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

function putUtf8(out: usize, cp: u32): void {
  if (cp < 0x80) {
    store<u8>(out, <u8>cp);
  } else if (cp < 0x800) {
    store<u8>(out, <u8>(0xC0 | (cp >> 6)));
    store<u8>(out + 1, <u8>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    store<u8>(out, <u8>(0xE0 | (cp >> 12)));
    store<u8>(out + 1, <u8>(0x80 | ((cp >> 6) & 0x3F)));
    store<u8>(out + 2, <u8>(0x80 | (cp & 0x3F)));
  } else {
    store<u8>(out, <u8>(0xF0 | (cp >> 18)));
    store<u8>(out + 1, <u8>(0x80 | ((cp >> 12) & 0x3F)));
    store<u8>(out + 2, <u8>(0x80 | ((cp >> 6) & 0x3F)));
    store<u8>(out + 3, <u8>(0x80 | (cp & 0x3F)));
  }
}

/**
 * Decodes the escapes of a string span into [out, out+outCap) and returns the byte count, or
 * UNESCAPE_MALFORMED / UNESCAPE_NO_ROOM. \uXXXX surrogate pairs become one code point; a lone
 * surrogate becomes U+FFFD (as browsers and Python's "replace" do). Unescaped bytes are copied
 * unchanged. The output is never longer than the input (every escape shrinks or keeps its
 * length), so outCap >= len always suffices and out == ptr decodes in place.
 */
export function unescapeJsonString(ptr: usize, len: usize, out: usize, outCap: usize): isize {
  let i: usize = 0;
  let o: usize = 0;
  while (i < len) {
    // Copy the run up to the next backslash in one go.
    let j = i;
    while (j < len && load<u8>(ptr + j) != 0x5C) j++;
    if (j > i) {
      const n = j - i;
      if (outCap - o < n) return UNESCAPE_NO_ROOM;
      memory.copy(out + o, ptr + i, n);
      o += n;
      i = j;
      if (i >= len) break;
    }
    if (i + 1 >= len) return UNESCAPE_MALFORMED;
    const e = <u32>load<u8>(ptr + i + 1);
    let cp: u32 = 0;
    if (e == 0x75) {
      if (len - i < 6 || !hex4Valid(ptr + i + 2)) return UNESCAPE_MALFORMED;
      cp = hex4(ptr + i + 2);
      i += 6;
      if (cp >= 0xD800 && cp < 0xDC00) {
        // A high surrogate counts only with a low one right after it; otherwise the next escape
        // is left to be decoded on its own.
        if (len - i >= 6 && load<u8>(ptr + i) == 0x5C && load<u8>(ptr + i + 1) == 0x75 && hex4Valid(ptr + i + 2)) {
          const lo = hex4(ptr + i + 2);
          if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
          } else cp = 0xFFFD;
        } else cp = 0xFFFD;
      } else if (cp >= 0xDC00 && cp < 0xE000) {
        cp = 0xFFFD;
      }
    } else {
      if (e == 0x22 || e == 0x5C || e == 0x2F) cp = e;
      else if (e == 0x6E) cp = 0x0A;
      else if (e == 0x74) cp = 0x09;
      else if (e == 0x72) cp = 0x0D;
      else if (e == 0x62) cp = 0x08;
      else if (e == 0x66) cp = 0x0C;
      else return UNESCAPE_MALFORMED;
      i += 2;
    }
    const n = utf8Len(cp);
    if (outCap - o < n) return UNESCAPE_NO_ROOM;
    putUtf8(out + o, cp);
    o += n;
  }
  return <isize>o;
}
