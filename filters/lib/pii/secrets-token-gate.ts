// The token gate of the SECRET scan: a few loads at a position that reject almost every place
// where no token format can start, before any matcher runs. Shared by the scan loop
// (detect-secrets.ts) and the candidate pass (secrets-candidates.ts), which applies it to the
// long token runs so the loop is not entered for them at all.
import { byteAt, cls, B64URL, C_DIGIT, C_HEX } from "./secrets-bytes";
import { prefixMayStart } from "./secrets-prefix";

// First bytes whose shaped format is told by its first 3-4 bytes ("xox", "eyJ", "http",
// "----"): [want, mask] per first byte, a little-endian u32 to compare with the masked load at
// i. Static memory, like secrets-bytes' class table.
const LEAD: usize = memory.data(256 * 8, 8);
function lead(b: u32, want: u32, mask: u32): void {
  store<u32>(LEAD + (<usize>b << 3), want);
  store<u32>(LEAD + (<usize>b << 3), mask, 4);
}
lead(0x78, 0x786f78, 0xffffff); // xox (Slack tokens)
lead(0x65, 0x4a7965, 0xffffff); // eyJ (JWT)
lead(0x68, 0x70747468, 0xffffffff); // http (Slack webhooks)
lead(0x2d, 0x2d2d2d2d, 0xffffffff); // ----- then B (PEM)

// @ts-ignore: decorator
@inline function byteIs(ptr: usize, k: i32, end: i32, want: u32): bool {
  return k < end && byteAt(ptr, k) == want;
}

/**
 * tokenAt(i) can match (b and b1 are the bytes at i and i + 1, b1 0 past the end): a few loads
 * that reject almost every word start. Each test is one that every matcher of its branch makes
 * before accepting: a prefix's first two bytes; "xox", "eyJ", "http", "-----B"; a Discord
 * token's 24-26 base64url bytes then '.'; a Telegram id's 8-10 digits then ':' or a Facebook
 * app id's 15-16 digits then '|' or "%7C"; the "://" before a Sidekiq URL's credentials; an Azure secret's "Q~"
 * at i + 4.
 */
// @ts-ignore: decorator
@inline export function tokenMayStart(ptr: usize, i: i32, end: i32, b: u32, b1: u32): bool {
  if (prefixMayStart(ptr, i, end, b, b1)) return true;
  const want = load<u32>(LEAD + (<usize>b << 3));
  if (want != 0) {
    if (i + 4 > end || (load<u32>(ptr + <usize>i) & load<u32>(LEAD + (<usize>b << 3), 4)) != want) return false;
    return b != 0x2d || byteIs(ptr, i + 5, end, 0x42);
  }
  if (b == 0x4d || b == 0x4e || b == 0x4f) {
    return i + 24 < end && (cls(byteAt(ptr, i + 23)) & B64URL) != 0 &&
      (byteAt(ptr, i + 24) == 0x2e || byteIs(ptr, i + 25, end, 0x2e) || byteIs(ptr, i + 26, end, 0x2e));
  }
  const c = cls(b);
  if ((c & C_DIGIT) != 0) {
    return i + 8 < end && (cls(byteAt(ptr, i + 7)) & C_DIGIT) != 0 &&
      (byteAt(ptr, i + 8) == 0x3a || byteIs(ptr, i + 9, end, 0x3a) || byteIs(ptr, i + 10, end, 0x3a) ||
        byteIs(ptr, i + 15, end, 0x7c) || byteIs(ptr, i + 16, end, 0x7c) ||
        byteIs(ptr, i + 15, end, 0x25) || byteIs(ptr, i + 16, end, 0x25));
  }
  if ((c & C_HEX) != 0 && i >= 3 && byteAt(ptr, i - 1) == 0x2f && byteAt(ptr, i - 2) == 0x2f && byteAt(ptr, i - 3) == 0x3a) return true;
  return i + 37 <= end && byteAt(ptr, i + 5) == 0x7e && byteAt(ptr, i + 4) == 0x51;
}
