// Values taken from traffic, made safe for a record: valid UTF-8 (invalid bytes become U+FFFD,
// CHAIN.md) and bounded in length (cut at a character boundary). Plus the few fixed formats a
// record uses: lowercase hex, RFC 3339 UTC with milliseconds, W3C traceparent ids.
import { ByteBuffer } from "../lib/bytes";

const HEX = "0123456789abcdef";

/**
 * Appends the UTF-8 of `ptr..ptr+len` to `out`, each invalid sequence replaced by EF BF BD,
 * stopping before the output passes `max` bytes. Invalid means what RFC 3629 excludes (overlong
 * forms, surrogates, > U+10FFFF, truncated sequences); one U+FFFD stands for each maximal
 * subpart of an ill-formed sequence, as the WHATWG decoder (and JavaScript's TextDecoder) does,
 * so a verifier that decodes leniently reads the same text. Returns false if `out` refused bytes.
 */
export function appendSanitized(out: ByteBuffer, ptr: usize, len: usize, max: usize): bool {
  const start = out.length;
  let i: usize = 0;
  while (i < len) {
    const c = <u32>load<u8>(ptr + i);
    let n: usize = 0;
    if (c < 0x80) n = 1;
    else if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c >= 0xE0 && c <= 0xEF) n = 3;
    else if (c >= 0xF0 && c <= 0xF4) n = 4;
    // How many bytes of a well-formed sequence are present (the lead counts when n > 0).
    let good: usize = n > 0 ? 1 : 0;
    if (n > 1) {
      // The second byte's range depends on the lead (no overlongs, no surrogates, ≤ U+10FFFF).
      let lo: u32 = 0x80, hi: u32 = 0xBF;
      if (c == 0xE0) lo = 0xA0;
      else if (c == 0xED) hi = 0x9F;
      else if (c == 0xF0) lo = 0x90;
      else if (c == 0xF4) hi = 0x8F;
      while (good < n && i + good < len) {
        const ck = <u32>load<u8>(ptr + i + good);
        if (good == 1 ? ck < lo || ck > hi : ck < 0x80 || ck > 0xBF) break;
        good++;
      }
    }
    if (n > 0 && good == n) {
      if (out.length - start + n > max) break;
      if (!out.append(ptr + i, n)) return false;
      i += n;
    } else {
      if (out.length - start + 3 > max) break;
      if (!out.appendByte(0xEF) || !out.appendByte(0xBF) || !out.appendByte(0xBD)) return false;
      i += good > 0 ? good : 1;
    }
  }
  return true;
}

/** Lowercase hex of `len` bytes at `src`, written as ASCII at `dst` (2·len bytes). */
export function writeHex(src: usize, len: usize, dst: usize): void {
  for (let i: usize = 0; i < len; i++) {
    const b = <i32>load<u8>(src + i);
    store<u8>(dst + 2 * i, <u8>HEX.charCodeAt(b >> 4));
    store<u8>(dst + 2 * i + 1, <u8>HEX.charCodeAt(b & 15));
  }
}

export function hexString(src: usize, len: usize): string {
  const buf = new ArrayBuffer(<i32>(len << 1));
  writeHex(src, len, changetype<usize>(buf));
  return String.UTF8.decode(buf);
}

function pad(v: i64, width: i32): string {
  let s = v.toString();
  while (s.length < width) s = "0" + s;
  return s;
}

/**
 * "YYYY-MM-DDTHH:MM:SS.mmmZ" for Unix milliseconds (proleptic Gregorian, days-from-civil
 * inverted as in Howard Hinnant's date algorithms). Years outside 0..9999 are clamped.
 */
export function rfc3339Millis(unixMs: i64): string {
  const minMs: i64 = -62167219200000; // 0000-01-01T00:00:00Z
  const maxMs: i64 = 253402300799999; // 9999-12-31T23:59:59.999Z
  if (unixMs < minMs) unixMs = minMs;
  if (unixMs > maxMs) unixMs = maxMs;
  let days = unixMs / 86400000;
  let msOfDay = unixMs % 86400000;
  if (msOfDay < 0) { msOfDay += 86400000; days -= 1; }
  const z = days + 719468;
  const era = (z >= 0 ? z : z - 146096) / 146097;
  const doe = z - era * 146097;
  const yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  let y = yoe + era * 400;
  const doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const mp = (5 * doy + 2) / 153;
  const d = doy - (153 * mp + 2) / 5 + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y += 1;
  const h = msOfDay / 3600000;
  const mi = (msOfDay / 60000) % 60;
  const s = (msOfDay / 1000) % 60;
  const ms = msOfDay % 1000;
  return pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T" + pad(h, 2) + ":" + pad(mi, 2) + ":" + pad(s, 2) + "." + pad(ms, 3) + "Z";
}

function isLowerHex(c: u32): bool {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66);
}

function hexRun(ptr: usize, len: usize): bool {
  let nonZero = false;
  for (let i: usize = 0; i < len; i++) {
    const c = <u32>load<u8>(ptr + i);
    if (!isLowerHex(c)) return false;
    if (c != 0x30) nonZero = true;
  }
  return nonZero;
}

/** W3C Trace Context `traceparent` ids; both null unless the header is valid. */
export class TraceIds {
  traceId: string | null = null;
  spanId: string | null = null;
}

/**
 * version "-" trace-id(32) "-" parent-id(16) "-" flags(2), lowercase hex. Version ff is
 * invalid; version 00 is exactly 55 bytes; a later version may append "-" and more fields.
 * All-zero trace or parent ids are invalid.
 */
export function parseTraceparent(ptr: usize, len: usize, out: TraceIds): void {
  out.traceId = null;
  out.spanId = null;
  if (len < 55) return;
  const v0 = <u32>load<u8>(ptr), v1 = <u32>load<u8>(ptr + 1);
  if (!isLowerHex(v0) || !isLowerHex(v1) || (v0 == 0x66 && v1 == 0x66)) return;
  if (load<u8>(ptr + 2) != 0x2D || load<u8>(ptr + 35) != 0x2D || load<u8>(ptr + 52) != 0x2D) return;
  if (!isLowerHex(<u32>load<u8>(ptr + 53)) || !isLowerHex(<u32>load<u8>(ptr + 54))) return;
  const version00 = v0 == 0x30 && v1 == 0x30;
  if (version00 && len != 55) return;
  if (!version00 && len > 55 && load<u8>(ptr + 55) != 0x2D) return;
  if (!hexRun(ptr + 3, 32) || !hexRun(ptr + 36, 16)) return;
  out.traceId = String.UTF8.decodeUnsafe(ptr + 3, 32);
  out.spanId = String.UTF8.decodeUnsafe(ptr + 36, 16);
}
