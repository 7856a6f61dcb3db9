// Standard base64 (RFC 4648, with padding) for op payloads and results that are not UTF-8.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function base64Encode(ptr: usize, len: usize): string {
  const out = new Array<string>();
  let i: usize = 0;
  while (i + 3 <= len) {
    const n = (<u32>load<u8>(ptr + i) << 16) | (<u32>load<u8>(ptr + i + 1) << 8) | <u32>load<u8>(ptr + i + 2);
    out.push(ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63) + ALPHABET.charAt((n >> 6) & 63) + ALPHABET.charAt(n & 63));
    i += 3;
  }
  const rest = len - i;
  if (rest == 1) {
    const n = <u32>load<u8>(ptr + i) << 16;
    out.push(ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63) + "==");
  } else if (rest == 2) {
    const n = (<u32>load<u8>(ptr + i) << 16) | (<u32>load<u8>(ptr + i + 1) << 8);
    out.push(ALPHABET.charAt(n >> 18) + ALPHABET.charAt((n >> 12) & 63) + ALPHABET.charAt((n >> 6) & 63) + "=");
  }
  return out.join("");
}

function sextet(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5A) return c - 0x41;
  if (c >= 0x61 && c <= 0x7A) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2B || c == 0x2D) return 62; // '+' or URL-safe '-'
  if (c == 0x2F || c == 0x5F) return 63; // '/' or URL-safe '_'
  return -1;
}

/** null when s is not base64. Padding is optional; whitespace is not allowed. */
export function base64Decode(s: string): Uint8Array | null {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) == 0x3D) end--;
  if (s.length - end > 2 || end % 4 == 1) return null;
  const out = new Uint8Array((end * 3) >> 2);
  let acc: u32 = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < end; i++) {
    const v = sextet(s.charCodeAt(i));
    if (v < 0) return null;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = <u8>((acc >> bits) & 0xFF);
    }
  }
  return out;
}
