// EMAIL: anchored on `@`. The local part is read backwards (RFC 5322 atom characters and dots,
// at most 64 bytes), the domain forwards (labels of letters, digits, hyphens or any non-ASCII
// byte, so IDN domains count as UTF-8; at most 255 bytes). The domain needs a dot and a TLD of
// letters (or a punycode/UTF-8 TLD); trailing dots and hyphens are sentence punctuation, not
// part of the address.
import { Findings, PiiType, subtypeId } from "./findings";
import { at, findByte, isAlnum, isAlpha } from "./detect-chars";
import { tick } from "./work";

const SUB_EMAIL = subtypeId("email");

const MAX_LOCAL = 64;
const MAX_DOMAIN = 255;

function isLocalByte(b: u32): bool {
  if (isAlnum(b)) return true;
  // ! # $ % & ' * + - / = ? ^ _ ` { | } ~ and the dot
  switch (b) {
    case 0x21: case 0x23: case 0x24: case 0x25: case 0x26: case 0x27: case 0x2A: case 0x2B:
    case 0x2D: case 0x2F: case 0x3D: case 0x3F: case 0x5E: case 0x5F: case 0x60: case 0x7B:
    case 0x7C: case 0x7D: case 0x7E: case 0x2E:
      return true;
  }
  return false;
}

@inline function isDomainByte(b: u32): bool {
  return isAlnum(b) || b == 0x2D || b >= 0x80;
}

export function detectEmails(ptr: usize, len: usize, out: Findings): void {
  const n = <i32>len;
  let i = 0;
  while (true) {
    tick(1);
    i = findByte(ptr, n, i, 0x40);
    if (i >= n) break;
    const a = i;
    const end = emailDomainEnd(ptr, n, a + 1);
    const start = end > 0 ? emailLocalStart(ptr, n, a) : -1;
    if (start >= 0 && end > 0) {
      out.add(start, end, PiiType.Email, SUB_EMAIL, 90);
      i = end;
    } else {
      i = a + 1;
    }
  }
}

/** Start of a valid local part ending at the `@` at a, or -1. */
function emailLocalStart(ptr: usize, n: i32, a: i32): i32 {
  let s = a;
  while (s > 0 && a - s < MAX_LOCAL + 1 && isLocalByte(at(ptr, n, s - 1))) { tick(1); s--; }
  if (a - s > MAX_LOCAL) return -1;
  // Slashes and quotes are legal but in running text they are the edge of a path or a string.
  while (s < a && (at(ptr, n, s) == 0x2E || at(ptr, n, s) == 0x2F || at(ptr, n, s) == 0x27 || at(ptr, n, s) == 0x60)) { tick(1); s++; }
  if (s == a || at(ptr, n, a - 1) == 0x2E) return -1;
  tick(a - s);
  for (let k = s + 1; k < a; k++) if (at(ptr, n, k) == 0x2E && at(ptr, n, k - 1) == 0x2E) return -1;
  const before = at(ptr, n, s - 1);
  // `user:pass@host` is a URL's userinfo and `a@b@c` a broken token: not addresses (a
  // `mailto:` prefix is the exception).
  if (before == 0x40) return -1;
  if (before == 0x3A && !isMailto(ptr, n, s - 1)) return -1;
  return s;
}

function isMailto(ptr: usize, n: i32, colon: i32): bool {
  if (colon < 6) return false;
  const m: StaticArray<u8> = [0x6D, 0x61, 0x69, 0x6C, 0x74, 0x6F];
  for (let k = 0; k < 6; k++) if ((at(ptr, n, colon - 6 + k) | 0x20) != <u32>m[k]) return false;
  return true;
}

/** End (exclusive) of a valid domain starting at d, or 0. */
function emailDomainEnd(ptr: usize, n: i32, d: i32): i32 {
  let e = d;
  while (e < n && e - d <= MAX_DOMAIN) {
    tick(1);
    const b = at(ptr, n, e);
    if (isDomainByte(b) || b == 0x2E) e++;
    else break;
  }
  if (e - d > MAX_DOMAIN) return 0;
  // Trailing dots and hyphens end the sentence, not the domain.
  while (e > d && (at(ptr, n, e - 1) == 0x2E || at(ptr, n, e - 1) == 0x2D)) { tick(1); e--; }
  if (e == d) return 0;
  // Walk the labels.
  let labels = 0;
  let ls = d;
  let lastStart = d;
  tick(e - d + 1);
  for (let k = d; k <= e; k++) {
    if (k == e || at(ptr, n, k) == 0x2E) {
      if (k == ls) return 0; // empty label
      if (at(ptr, n, ls) == 0x2D || at(ptr, n, k - 1) == 0x2D) return 0;
      labels++;
      lastStart = ls;
      ls = k + 1;
    }
  }
  if (labels < 2) return 0;
  if (!validTld(ptr, n, lastStart, e)) return 0;
  return e;
}

function validTld(ptr: usize, n: i32, s: i32, e: i32): bool {
  if (e - s < 2) return false;
  // Punycode TLD (xn--p1ai) or a UTF-8 one.
  if (e - s > 4 && (at(ptr, n, s) | 0x20) == 0x78 && (at(ptr, n, s + 1) | 0x20) == 0x6E && at(ptr, n, s + 2) == 0x2D && at(ptr, n, s + 3) == 0x2D) return true;
  tick(2 * (e - s));
  let ascii = true;
  for (let k = s; k < e; k++) if (at(ptr, n, k) >= 0x80) ascii = false;
  if (!ascii) return true;
  if (e - s > 24) return false;
  for (let k = s; k < e; k++) if (!isAlpha(at(ptr, n, k))) return false;
  return true;
}
