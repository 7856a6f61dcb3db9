// Standard base64 (RFC 4648 §4, '+' '/' and '=' padding) for the `bytes` member of Bedrock
// InvokeModelWithResponseStream chunks: AWS serialises blobs this way. Decoding is strict — a
// chunk we cannot read exactly is passed on as it came and counted, never guessed at — except
// that missing padding is accepted, since it loses nothing.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const INVALID: u8 = 0xff;

// Byte -> 6-bit value, INVALID for every byte outside the alphabet (built once per VM).
const DECODE = new StaticArray<u8>(256);
const ENCODE = new StaticArray<u8>(64);
for (let i = 0; i < 256; i++) unchecked(DECODE[i] = INVALID);
for (let i = 0; i < 64; i++) {
  const c = <u8>ALPHABET.charCodeAt(i);
  unchecked(ENCODE[i] = c);
  unchecked(DECODE[c] = <u8>i);
}

/** Bytes base64Encode writes for `len` input bytes (padded). */
export function base64EncodedLength(len: usize): usize {
  return (len + 2) / 3 * 4;
}

/** Upper bound of the bytes base64Decode writes for `len` input bytes. */
export function base64DecodedMax(len: usize): usize {
  return (len + 3) / 4 * 3;
}

/** Writes [src, src+len) as padded base64 at `out` (base64EncodedLength(len) bytes). */
export function base64Encode(src: usize, len: usize, out: usize): void {
  const table = changetype<usize>(ENCODE);
  let i: usize = 0;
  let o = out;
  for (; i + 3 <= len; i += 3) {
    const v = (<u32>load<u8>(src + i) << 16) | (<u32>load<u8>(src + i + 1) << 8) | <u32>load<u8>(src + i + 2);
    store<u8>(o, load<u8>(table + (v >> 18)));
    store<u8>(o + 1, load<u8>(table + ((v >> 12) & 63)));
    store<u8>(o + 2, load<u8>(table + ((v >> 6) & 63)));
    store<u8>(o + 3, load<u8>(table + (v & 63)));
    o += 4;
  }
  const rest = len - i;
  if (rest == 0) return;
  const v = (<u32>load<u8>(src + i) << 16) | (rest == 2 ? <u32>load<u8>(src + i + 1) << 8 : 0);
  store<u8>(o, load<u8>(table + (v >> 18)));
  store<u8>(o + 1, load<u8>(table + ((v >> 12) & 63)));
  store<u8>(o + 2, rest == 2 ? load<u8>(table + ((v >> 6) & 63)) : 0x3d);
  store<u8>(o + 3, 0x3d);
}

/**
 * Decodes [src, src+len) into `out` (room for base64DecodedMax(len)); the byte count, or -1 for
 * anything but base64: a byte outside the alphabet, padding that is not at the end, a last group
 * of one character, or leftover bits that are not zero (which would re-encode differently).
 */
export function base64Decode(src: usize, len: usize, out: usize): isize {
  // Padding: at most two '=' and only at the very end.
  let n = len;
  if (n > 0 && load<u8>(src + n - 1) == 0x3d) n--;
  if (n > 0 && load<u8>(src + n - 1) == 0x3d) n--;
  if (n < len && len % 4 != 0) return -1;
  const table = changetype<usize>(DECODE);
  let i: usize = 0;
  let o = out;
  for (; i + 4 <= n; i += 4) {
    const a = <u32>load<u8>(table + <usize>load<u8>(src + i));
    const b = <u32>load<u8>(table + <usize>load<u8>(src + i + 1));
    const c = <u32>load<u8>(table + <usize>load<u8>(src + i + 2));
    const d = <u32>load<u8>(table + <usize>load<u8>(src + i + 3));
    // An INVALID (0xff) in any of the four sets bit 7 of the OR.
    if (((a | b | c | d) & 0x80) != 0) return -1;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    store<u8>(o, <u8>(v >> 16));
    store<u8>(o + 1, <u8>(v >> 8));
    store<u8>(o + 2, <u8>v);
    o += 3;
  }
  const rest = n - i;
  if (rest == 1) return -1;
  if (rest >= 2) {
    const a = <u32>load<u8>(table + <usize>load<u8>(src + i));
    const b = <u32>load<u8>(table + <usize>load<u8>(src + i + 1));
    const c = rest == 3 ? <u32>load<u8>(table + <usize>load<u8>(src + i + 2)) : 0;
    if (((a | b | c) & 0x80) != 0) return -1;
    const v = (a << 18) | (b << 12) | (c << 6);
    // Bits below the last whole byte must be zero, or the chunk would not re-encode the same.
    if (rest == 2 ? (v & 0xffff) != 0 : (v & 0xff) != 0) return -1;
    store<u8>(o, <u8>(v >> 16));
    o++;
    if (rest == 3) {
      store<u8>(o, <u8>(v >> 8));
      o++;
    }
  }
  return <isize>(o - out);
}
