// IP_ADDRESS: IPv4 dotted quads (octets 0-255; a multi-digit octet with a leading zero is
// rejected because inet_aton reads it as octal, so "010.1.1.1" is ambiguous), and IPv6 in full,
// compressed (`::`) and IPv4-embedded forms, with an optional `%zone` and an optional CIDR
// prefix. A quad glued to more dotted numbers (1.2.3.4.5) is a version or an OID, not an
// address, and so is anything after "version".
import { Findings, PiiType, subtypeId } from "./findings";
import { at, isDigit, isHex, isWordByte, isAlnum } from "./detect-chars";
import { DigitRuns } from "./digit-runs";
import { colonMayStart } from "./ip-starts";
import { alnumEnd, wordEnd } from "./simd-bytes";
import { NOT_PII_WORDS } from "./context";
import { tick } from "./work";

const SUB_V4 = subtypeId("ipv4");
const SUB_V6 = subtypeId("ipv6");

export function detectIpAddresses(ptr: usize, len: usize, runs: DigitRuns, out: Findings): void {
  const n = <i32>len;
  runs.classifyOnce(ptr, n);
  let i = 0;
  // The next digit or ':' at or after i that may start an address comes from the digit-run
  // index: its IP candidates (runs followed by a hex letter, '.' or ':', at a word start or
  // after at most four hex letters at one) and its colons, of which only those where step may
  // read an address are visited (ip-starts.ts). A run or colon left out is one this loop would
  // skip: a run to its end or its token's end (no '.' or ':' right after its hex part, so
  // whatever step reads from it fails the shape test) or to its word's end (inside a word
  // nothing starts an address, nor in the rest of that word), a colon to the next byte.
  // i only grows, so the cursors r (first candidate not ending by i) and m (next colon to
  // test) only move forward.
  const starts = runs.starts;
  const ends = runs.ends;
  const ips = runs.ips;
  const rc = runs.ipCount;
  const colons = runs.colons;
  const cc = runs.colonCount;
  let r = 0;
  let m = 0;
  let colon = -1; // the first colon to visit at or after i (n: none), once i passed the last one
  // Addresses start at a word start with a digit (v4, v6), a ':' ("::1") or a run of at most
  // four hex letters followed by a digit or ':' (fe80::, abcd:...). So the scan jumps to the
  // next candidate digit or ':' (0x30..0x3A) and looks back over at most four hex letters for
  // the start. Skipped positions are exactly those the byte-by-byte reading rejects or whose
  // failure skips only bytes that cannot start an address (see step).
  while (i < n) {
    tick(1);
    while (r < rc && unchecked(ends[unchecked(ips[r])]) <= i) { tick(1); r++; }
    if (colon < i) {
      colon = n;
      while (m < cc) {
        tick(1);
        const x = unchecked(colons[m++]);
        if (x >= i && colonMayStart(ptr, n, x)) { colon = x; break; }
      }
    }
    const d = r < rc ? max(i, unchecked(starts[unchecked(ips[r])])) : n;
    const c = min(d, colon);
    if (c >= n) break;
    if (c == d) {
      // A digit of a candidate run, reached inside it when the last step stopped there: then
      // it is glued to a digit, a word byte other than a hex letter, and step would skip the
      // rest of the word. Done in place.
      const p = at(ptr, n, c - 1);
      if (isWordByte(p) && !isHexLetter(p)) {
        i = wordEnd(ptr, c + 1, n);
        continue;
      }
    }
    let s = c;
    while (s > i && c - s < 4 && isHexLetter(at(ptr, n, s - 1))) s--;
    if (s < c && startsWord(ptr, n, s)) {
      i = step(ptr, n, s, out);
      continue;
    }
    i = step(ptr, n, c, out);
  }
}

@inline function isHexLetter(b: u32): bool {
  return (b | 0x20) - 0x61 < 6;
}

@inline function startsWord(ptr: usize, n: i32, i: i32): bool {
  const p = at(ptr, n, i - 1);
  return !isWordByte(p) && !(p == 0x2E && isDigit(at(ptr, n, i - 2)));
}

/** Reads an address at i when one starts there; returns where reading goes on. */
function step(ptr: usize, n: i32, i: i32, out: Findings): i32 {
  const b = at(ptr, n, i);
  if (!isHex(b) && b != 0x3A) return i + 1;
  const p = at(ptr, n, i - 1);
  if (!startsWord(ptr, n, i)) {
    // Inside a word: no byte of it starts a word.
    if (isWordByte(b) && isWordByte(p)) {
      return wordEnd(ptr, i + 1, n);
    }
    return i + 1;
  }
  // Cheap shape test first: from a hex byte, a v6 address needs 1-4 hex then ':', a v4 one
  // 1-3 digits then '.' (parseV6 and parseV4 return 0 otherwise).
  let h = 0;
  if (b != 0x3A) {
    while (h < 5 && isHex(at(ptr, n, i + h))) h++;
    const q = at(ptr, n, i + h);
    if (!(q == 0x3A && h <= 4) && !(q == 0x2E && h <= 3)) return skipToken(ptr, n, i);
  }
  if (p != 0x3A) {
    const e6 = parseV6(ptr, n, i);
    if (e6 > 0) {
      const e = withPrefix(ptr, n, e6, 128);
      out.add(i, e, PiiType.IpAddress, SUB_V6, score(ptr, n, i));
      return e;
    }
  }
  if (isDigit(b)) {
    const e4 = parseV4(ptr, n, i);
    if (e4 > 0 && v4Ends(ptr, n, e4)) {
      const e = withPrefix(ptr, n, e4, 32);
      out.add(i, e, PiiType.IpAddress, SUB_V4, score(ptr, n, i));
      return e;
    }
  }
  return skipToken(ptr, n, i);
}

/** After a failed start at i: skip the rest of this token, nothing inside it starts an address. */
function skipToken(ptr: usize, n: i32, i: i32): i32 {
  return alnumEnd(ptr, i + 1, n);
}

function score(ptr: usize, n: i32, s: i32): i32 {
  return NOT_PII_WORDS.before(ptr, n, s, 24) ? 35 : 85;
}

/** A quad must not run on into more dotted numbers or a word. */
function v4Ends(ptr: usize, n: i32, e: i32): bool {
  const q = at(ptr, n, e);
  if (isWordByte(q)) return false;
  if (q == 0x2E && isDigit(at(ptr, n, e + 1))) return false;
  return true;
}

/** End of a dotted quad at s, or 0. */
function parseV4(ptr: usize, n: i32, s: i32): i32 {
  let k = s;
  for (let o = 0; o < 4; o++) {
    if (o > 0) {
      if (at(ptr, n, k) != 0x2E) return 0;
      k++;
    }
    let d = 0;
    let v = 0;
    while (d < 4 && isDigit(at(ptr, n, k + d))) {
      v = v * 10 + <i32>(at(ptr, n, k + d) - 0x30);
      d++;
    }
    if (d == 0 || d > 3 || v > 255) return 0;
    if (d > 1 && at(ptr, n, k) == 0x30) return 0;
    k += d;
  }
  return k;
}

/** End of an IPv6 address at s (with its zone id), or 0. */
function parseV6(ptr: usize, n: i32, s: i32): i32 {
  let k = s;
  let groups = 0;
  let dbl = false;
  let digit = false;
  if (at(ptr, n, k) == 0x3A) {
    if (at(ptr, n, k + 1) != 0x3A) return 0;
    dbl = true;
    k += 2;
  }
  while (true) {
    tick(1);
    let h = 0;
    while (h < 5 && isHex(at(ptr, n, k + h))) {
      if (isDigit(at(ptr, n, k + h))) digit = true;
      h++;
    }
    if (h == 0) {
      if (!dbl || groups > 0 && at(ptr, n, k - 1) != 0x3A) return 0;
      break; // "...::" ends the address
    }
    if (h > 4) return 0;
    if (at(ptr, n, k + h) == 0x2E && isDigit(at(ptr, n, k + h + 1))) {
      // Embedded IPv4 takes the last two groups.
      const e4 = parseV4(ptr, n, k);
      if (e4 == 0 || groups > 6 || (groups == 0 && !dbl)) return 0;
      groups += 2;
      k = e4;
      digit = true;
      break;
    }
    groups++;
    k += h;
    if (at(ptr, n, k) != 0x3A) break;
    if (at(ptr, n, k + 1) == 0x3A) {
      if (dbl) break;
      dbl = true;
      k += 2;
      if (!isHex(at(ptr, n, k))) break;
      continue;
    }
    if (!isHex(at(ptr, n, k + 1))) break;
    k++;
    if (groups >= 8) return 0;
  }
  if (dbl ? groups > 7 : groups != 8) return 0;
  if (groups == 0 && at(ptr, n, k) != 0x2F) return 0; // a bare "::"
  if (!digit && groups < 3) return 0; // "a::b" reads as code, not an address
  // Zone id (fe80::1%eth0).
  if (at(ptr, n, k) == 0x25 && isAlnum(at(ptr, n, k + 1))) {
    let z = k + 1;
    while (z < n && z - k <= 16 && isAlnum(at(ptr, n, z))) { tick(1); z++; }
    k = z;
  }
  const q = at(ptr, n, k);
  if (isWordByte(q) || (q == 0x3A && isHex(at(ptr, n, k + 1))) || (q == 0x2E && isDigit(at(ptr, n, k + 1)))) return 0;
  return k;
}

/** Extends e over a CIDR prefix "/0".."/max" when one follows. */
function withPrefix(ptr: usize, n: i32, e: i32, maxBits: i32): i32 {
  if (at(ptr, n, e) != 0x2F || !isDigit(at(ptr, n, e + 1))) return e;
  let d = 0;
  let v = 0;
  while (d < 4 && isDigit(at(ptr, n, e + 1 + d))) {
    v = v * 10 + <i32>(at(ptr, n, e + 1 + d) - 0x30);
    d++;
  }
  if (d > 3 || v > maxBits || isWordByte(at(ptr, n, e + 1 + d))) return e;
  return e + 1 + d;
}
