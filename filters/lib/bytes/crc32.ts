// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), as AWS event-stream frames use for
// their prelude and message checksums. The table is built once when the module initialises.

const TABLE = new StaticArray<u32>(256);
for (let n: u32 = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320 ^ (c >>> 1) : c >>> 1;
  unchecked(TABLE[n] = c);
}

/** Continues a CRC over more bytes: pass 0 to start, the previous result to continue. */
export function crc32Update(crc: u32, ptr: usize, len: usize): u32 {
  const t = changetype<usize>(TABLE);
  let c = ~crc;
  for (let i: usize = 0; i < len; i++) {
    c = load<u32>(t + (<usize>((c ^ <u32>load<u8>(ptr + i)) & 0xFF) << 2)) ^ (c >>> 8);
  }
  return ~c;
}

export function crc32(ptr: usize, len: usize): u32 {
  return crc32Update(0, ptr, len);
}
