// Strict UTF-8 validation over linear memory (no overlongs, no surrogates, ≤ U+10FFFF).

/** Offset of the first byte that starts an invalid sequence, or -1 when all is valid. */
export function utf8InvalidOffset(ptr: usize, len: usize): isize {
  let i: usize = 0;
  while (i < len) {
    const b0 = <u32>load<u8>(ptr + i);
    if (b0 < 0x80) { i++; continue; }
    let need: usize = 0;
    let min: u32 = 0;
    let cp: u32 = 0;
    if ((b0 & 0xE0) == 0xC0) { need = 1; min = 0x80; cp = b0 & 0x1F; }
    else if ((b0 & 0xF0) == 0xE0) { need = 2; min = 0x800; cp = b0 & 0x0F; }
    else if ((b0 & 0xF8) == 0xF0) { need = 3; min = 0x10000; cp = b0 & 0x07; }
    else return <isize>i;
    if (len - i <= need) return <isize>i;
    for (let k: usize = 1; k <= need; k++) {
      const b = <u32>load<u8>(ptr + i + k);
      if ((b & 0xC0) != 0x80) return <isize>i;
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp < 0xE000)) return <isize>i;
    i += need + 1;
  }
  return -1;
}

export function isValidUtf8(ptr: usize, len: usize): bool {
  return utf8InvalidOffset(ptr, len) < 0;
}
