// Byte-range helpers for bodies in linear memory. A range is (ptr, len); nothing here
// allocates. ASCII literals are compared through their static UTF-16 data in place, so a
// filter can write `eqAscii(p, n, "text/event-stream")` on the hot path without building a
// string. Literals must be ASCII: a non-ASCII code unit never equals a byte.

// @ts-ignore: decorator
@inline function lower(c: u32): u32 {
  return c - 0x41 < 26 ? c | 0x20 : c;
}

/** ASCII lower-case of one byte; other bytes unchanged. */
export function asciiLower(c: u32): u32 {
  return lower(c);
}

/** [ptr, ptr+len) equals the ASCII literal exactly. */
export function eqAscii(ptr: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (n != len) return false;
  const s = changetype<usize>(lit);
  for (let i: usize = 0; i < n; i++) {
    if (<u32>load<u8>(ptr + i) != <u32>load<u16>(s + (i << 1))) return false;
  }
  return true;
}

/** Same as eqAscii, ignoring ASCII case (header names, media types). */
export function eqAsciiNoCase(ptr: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  if (n != len) return false;
  const s = changetype<usize>(lit);
  for (let i: usize = 0; i < n; i++) {
    if (lower(<u32>load<u8>(ptr + i)) != lower(<u32>load<u16>(s + (i << 1)))) return false;
  }
  return true;
}

export function startsWithAscii(ptr: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  return n <= len && eqAscii(ptr, n, lit);
}

export function startsWithAsciiNoCase(ptr: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  return n <= len && eqAsciiNoCase(ptr, n, lit);
}

/** Two byte ranges are equal. */
export function eqBytes(a: usize, aLen: usize, b: usize, bLen: usize): bool {
  if (aLen != bLen) return false;
  return aLen == 0 || memory.compare(a, b, aLen) == 0;
}

export function eqBytesNoCase(a: usize, aLen: usize, b: usize, bLen: usize): bool {
  if (aLen != bLen) return false;
  for (let i: usize = 0; i < aLen; i++) {
    if (lower(<u32>load<u8>(a + i)) != lower(<u32>load<u8>(b + i))) return false;
  }
  return true;
}

/** Offset of the first `byte` in the range, or -1. */
export function indexOfByte(ptr: usize, len: usize, byte: u8): isize {
  for (let i: usize = 0; i < len; i++) {
    if (load<u8>(ptr + i) == byte) return <isize>i;
  }
  return -1;
}

/** Offset of the first CR or LF, or -1 (line scanning needs either). */
export function indexOfLineEnd(ptr: usize, len: usize): isize {
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(ptr + i);
    if (c == 0x0A || c == 0x0D) return <isize>i;
  }
  return -1;
}

/** Offset of the first occurrence of the byte sequence [seq, seq+seqLen), or -1. Empty matches at 0. */
export function indexOfBytes(ptr: usize, len: usize, seq: usize, seqLen: usize): isize {
  if (seqLen == 0) return 0;
  if (seqLen > len) return -1;
  const first = load<u8>(seq);
  const last = len - seqLen;
  for (let i: usize = 0; i <= last; i++) {
    if (load<u8>(ptr + i) == first && memory.compare(ptr + i, seq, seqLen) == 0) return <isize>i;
  }
  return -1;
}

/** Offset of the first occurrence of an ASCII literal, or -1. */
export function indexOfAscii(ptr: usize, len: usize, lit: string): isize {
  const n = <usize>lit.length;
  if (n == 0) return 0;
  if (n > len) return -1;
  const s = changetype<usize>(lit);
  const first = <u8>load<u16>(s);
  const last = len - n;
  for (let i: usize = 0; i <= last; i++) {
    if (load<u8>(ptr + i) != first) continue;
    let k: usize = 1;
    while (k < n && <u32>load<u8>(ptr + i + k) == <u32>load<u16>(s + (k << 1))) k++;
    if (k == n) return <isize>i;
  }
  return -1;
}

/** Case-insensitive indexOfAscii (e.g. a parameter inside a header value). */
export function indexOfAsciiNoCase(ptr: usize, len: usize, lit: string): isize {
  const n = <usize>lit.length;
  if (n == 0) return 0;
  if (n > len) return -1;
  const last = len - n;
  for (let i: usize = 0; i <= last; i++) {
    if (eqAsciiNoCase(ptr + i, n, lit)) return <isize>i;
  }
  return -1;
}

// @ts-ignore: decorator
@inline export function isAsciiSpace(c: u32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D;
}

/** Leading bytes that are JSON/HTTP whitespace (SP, HT, LF, CR). */
export function countLeadingSpace(ptr: usize, len: usize): usize {
  let i: usize = 0;
  while (i < len && isAsciiSpace(<u32>load<u8>(ptr + i))) i++;
  return i;
}

/** Trailing bytes that are SP, HT, LF or CR. */
export function countTrailingSpace(ptr: usize, len: usize): usize {
  let i: usize = 0;
  while (i < len && isAsciiSpace(<u32>load<u8>(ptr + len - 1 - i))) i++;
  return i;
}
