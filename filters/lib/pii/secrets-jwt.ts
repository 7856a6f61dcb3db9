// JSON Web Tokens: base64url header "." payload ["." signature]. The header is decoded (only
// the header, at most 512 bytes of it) and must be a JSON object naming "alg"; the payload must
// start like a JSON object ("ey" is base64 of '{"'). The signature is optional because unsigned
// and truncated tokens still carry the claims.
import { byteAt, cls, hasLit, runLen, B64URL, C_EQ, WORD } from "./secrets-bytes";
import { secretSubtype } from "./secrets-family";
import { Findings, PiiType } from "./findings";
import { tick } from "./work";

const SUB_JWT = secretSubtype("jwt", "jwt");
const MAX_HEADER = 512;
const MAX_PART = 16384;

const decoded = new StaticArray<u8>(MAX_HEADER);

function b64val(b: u32): i32 {
  if (b >= 0x41 && b <= 0x5a) return <i32>b - 0x41;
  if (b >= 0x61 && b <= 0x7a) return <i32>b - 0x61 + 26;
  if (b >= 0x30 && b <= 0x39) return <i32>b - 0x30 + 52;
  if (b == 0x2d || b == 0x2b) return 62;
  if (b == 0x5f || b == 0x2f) return 63;
  return -1;
}

/** Decodes base64url [s, e) into `decoded`; returns the byte count. */
function decodeHeader(ptr: usize, s: i32, e: i32): i32 {
  let acc: u32 = 0;
  let bits = 0;
  let n = 0;
  tick(e - s);
  for (let i = s; i < e; i++) {
    const v = b64val(byteAt(ptr, i));
    if (v < 0) return -1;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n < MAX_HEADER) unchecked(decoded[n++] = <u8>((acc >> <u32>bits) & 0xff));
    }
  }
  return n;
}

function headerNamesAlg(n: i32): bool {
  if (n < 8 || unchecked(decoded[0]) != 0x7b) return false;
  tick(n);
  for (let i = 0; i + 5 <= n; i++) {
    if (unchecked(decoded[i]) == 0x22 && unchecked(decoded[i + 1]) == 0x61 && unchecked(decoded[i + 2]) == 0x6c &&
        unchecked(decoded[i + 3]) == 0x67 && unchecked(decoded[i + 4]) == 0x22) return true;
  }
  return false;
}

/** At i ("eyJ"): a JWT; adds it and returns its end, else -1. */
export function matchJwt(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  if (!hasLit(ptr, i, end, "eyJ")) return -1;
  const h = runLen(ptr, i, end, B64URL, MAX_HEADER);
  if (h < 10 || h > MAX_HEADER) return -1;
  let j = i + h;
  if (j >= end || byteAt(ptr, j) != 0x2e) return -1;
  if (!headerNamesAlg(decodeHeader(ptr, i, j))) return -1;
  j++;
  if (!hasLit(ptr, j, end, "ey")) return -1;
  const p = runLen(ptr, j, end, B64URL, MAX_PART);
  if (p < 10 || p > MAX_PART) return -1;
  j += p;
  if (j + 1 < end && byteAt(ptr, j) == 0x2e && (cls(byteAt(ptr, j + 1)) & B64URL) != 0) {
    const s = runLen(ptr, j + 1, end, B64URL, MAX_PART);
    if (s <= MAX_PART) {
      j += 1 + s;
      let pads = 0;
      while (j < end && pads < 2 && (cls(byteAt(ptr, j)) & C_EQ) != 0) { j++; pads++; }
    }
  }
  if (j < end && (cls(byteAt(ptr, j)) & WORD) != 0) return -1;
  out.add(i, j, PiiType.Secret, SUB_JWT, 90);
  return j;
}
