// PHONE: runs of digit groups joined by spaces, dashes, dots and parentheses, optionally led by
// `+` and followed by an extension ("x123", "ext. 45"). Full-width forms (＋１　（６５０）) are
// read as their ASCII equivalents. A run is scored by its shape, then by the words around it:
// - `+` and a country code whose national length fits (table in detect-phone-plan.ts): strong;
// - NANP 3-3-4 shapes, "00"/"001" international prefixes, national numbers with a trunk 0: good;
// - other groupings and bare 10-digit runs: only with a phone word near ("phone", "fax", "call",
//   "mobile", or "office"/"fax" right after as in address blocks).
// Dates, times, IPv4 quads, SSN shapes, runs glued to words or longer than 15 digits are not
// phones; document words ("order", "invoice", "tracking") and a capitalised word right after
// (a street address: "704 1436 Redbud Dr") lower the score.
import { Findings, PiiType, subtypeId } from "./findings";
import { at, isAlpha, isDigit, isUpper, isWordByte } from "./detect-chars";
import { beforeBoth, NOT_PII_SPEC, WordList } from "./context";
import { callingCodeLength } from "./detect-phone-plan";
import { DigitRuns } from "./digit-runs";
import { phoneStops } from "./phone-stops";
import { tick } from "./work";

const SUB_INTL = subtypeId("international");
const SUB_NATIONAL = subtypeId("national");

const PHONE_WORDS = new WordList(
  "phone tel$ tel. tele call calling dial ring mobile mob$ mob. cell fax desk contact reach answering whatsapp sms$ text$ hotline landline ph$ ph. ph: direct telefon téléphone numero móvil",
);
const PHONE_AFTER_WORDS = new WordList("office fax mobile cell home work phone tel$ direct desk landline");
// With the shared "not personal data" words, so one lookup answers both.
const NOT_PHONE_WORDS = new WordList(NOT_PII_SPEC + " zip$ postal postcode po_box box$ ssn social_security card iban account acct$ routing");

const MAX_DIGITS = 15;
const MAX_GROUPS = 10;

// The current candidate (module-level scratch: no allocation per candidate).
const digits = new StaticArray<u8>(MAX_DIGITS + 2);
const glen = new StaticArray<i32>(MAX_GROUPS);
let nDigits = 0;
let nGroups = 0;
let plus = false;
let parens = false;
let trunkGroup = -1; // index of a "(0)" group after the country code
let dots = false;
let otherSeps = false;
let endPos = 0;

// ASCII bytes a phone number is written with: digits, + ( ) - . and the space.
const PHONE_ASCII: u64 = (<u64>0x3FF << 0x30) | (<u64>1 << 0x2B) | (<u64>1 << 0x28) | (<u64>1 << 0x29) |
  (<u64>1 << 0x2D) | (<u64>1 << 0x2E) | (<u64>1 << 0x20);

@inline function isPhoneAscii(b: u32): bool {
  return b < 0x40 && <bool>((PHONE_ASCII >> <u64>b) & 1);
}

/** Normalised phone character at i: low byte = ASCII form, bits 8.. = its UTF-8 width; 0 = none. */
@inline function pch(ptr: usize, n: i32, i: i32): u32 {
  const b = at(ptr, n, i);
  if (b < 0x40) return (PHONE_ASCII >> <u64>b) & 1 ? b | 0x100 : 0;
  if (b < 0x80) return 0;
  return pchWide(ptr, n, i, b);
}

function pchWide(ptr: usize, n: i32, i: i32, b: u32): u32 {
  const b1 = at(ptr, n, i + 1);
  const b2 = at(ptr, n, i + 2);
  if (b == 0xEF && b1 == 0xBC) {
    if (b2 >= 0x90 && b2 <= 0x99) return (0x30 + b2 - 0x90) | 0x300;
    if (b2 == 0x8B) return 0x2B | 0x300;
    if (b2 == 0x88) return 0x28 | 0x300;
    if (b2 == 0x89) return 0x29 | 0x300;
    if (b2 == 0x8D) return 0x2D | 0x300;
    if (b2 == 0x8E) return 0x2E | 0x300;
    return 0;
  }
  if (b == 0xE3 && b1 == 0x80 && b2 == 0x80) return 0x20 | 0x300; // ideographic space
  if (b == 0xC2 && b1 == 0xA0) return 0x20 | 0x200; // no-break space
  if (b == 0xE2 && b1 == 0x80 && b2 >= 0x90 && b2 <= 0x93) return 0x2D | 0x300; // hyphens, dashes
  return 0;
}

export function detectPhones(ptr: usize, len: usize, runs: DigitRuns, out: Findings): void {
  const n = <i32>len;
  let i = 0;
  // The next byte that may start a number (a digit, '+', '(' or 0xEF, the lead byte of the
  // full-width forms) at or after i comes from the digit-run index: its marks, and its runs
  // less those glued to what precedes them (phone-stops.ts; a stop there would only skip the
  // run). i only grows, so the cursors r (first kept run not ending by i) and m (first mark at
  // or after i) only move forward.
  const stops = phoneStops;
  stops.build(ptr, n, runs);
  const kept = stops.runs;
  const kc = stops.count;
  const starts = runs.starts;
  const ends = runs.ends;
  const marks = runs.marks;
  const mc = runs.markCount;
  let r = 0;
  let m = 0;
  let re = kc > 0 ? unchecked(ends[unchecked(kept[0])]) : n; // end of kept run r
  while (true) {
    tick(1);
    while (re <= i && r < kc) {
      tick(1);
      r++;
      re = r < kc ? unchecked(ends[unchecked(kept[r])]) : n;
    }
    while (m < mc && unchecked(marks[m]) < i) { tick(1); m++; }
    const d = r < kc ? max(i, unchecked(starts[unchecked(kept[r])])) : n;
    let width = 1; // of the character at i
    if (m < mc && unchecked(marks[m]) < d) {
      // A mark: '+', '(' or the lead byte of a full-width form.
      i = unchecked(marks[m]);
      const c = pch(ptr, n, i);
      const a = c & 0xFF;
      if (c == 0 || !(isDigit(a) || a == 0x2B || a == 0x28)) { i++; continue; }
      if (c == (0x100 | a)) {
        // '+' or '(' before a word, as in code and prose: readCandidate would read no digit
        // and the scan would go on at the next byte.
        const q = at(ptr, n, i + 1);
        if (q < 0x80 && !isDigit(q) && (a == 0x2B || !isPhoneAscii(q))) { i++; continue; }
      }
      width = c >> 8;
    } else {
      // An ASCII digit of kept run r (the first one ending after i), read without decoding it.
      i = d;
      if (i >= n) break;
      const e = re;
      // Short numbers followed by a word or punctuation: fewer than 7 digits, then at most
      // one phone character, then none. readCandidate would stop there and reject the run,
      // and the scan would go on after its digits.
      if (e - i < 7) {
        const q = at(ptr, n, e);
        if (q < 0x80 && (!isPhoneAscii(q) || (at(ptr, n, e + 1) < 0x80 && !isPhoneAscii(at(ptr, n, e + 1))))) {
          i = e;
          continue;
        }
      }
    }
    if (!startsAlone(ptr, n, i)) {
      // Inside a word or a longer number: skip the rest of this digit run.
      i += width;
      while (i < n && isDigit(at(ptr, n, i))) { tick(1); i++; }
      continue;
    }
    const ok = readCandidate(ptr, n, i);
    if (!ok) { i = max(i + width, endPos); continue; }
    let e = endPos;
    const ext = extensionEnd(ptr, n, e);
    const score = phoneScore(ptr, n, i, e, ext);
    if (ext > 0) e = ext;
    if (score > 0) out.add(i, e, PiiType.Phone, plus ? SUB_INTL : SUB_NATIONAL, score);
    i = max(i + 1, e);
  }
}

function startsAlone(ptr: usize, n: i32, i: i32): bool {
  const p = at(ptr, n, i - 1);
  if (isWordByte(p) || p == 0x2B) return false;
  if ((p == 0x2E || p == 0x2D || p == 0x2F || p == 0x2C || p == 0x3A) && isDigit(at(ptr, n, i - 2))) return false;
  return true;
}

/** Reads the run at s into the candidate state; false when it cannot be a phone number. */
function readCandidate(ptr: usize, n: i32, s: i32): bool {
  // Counters live in locals while reading and go to the module state at the end.
  const dig = changetype<usize>(digits);
  const gl = changetype<usize>(glen);
  let nd = 0;
  let ng = 0;
  plus = false;
  let hasParens = false;
  let trunk = -1;
  let hasDots = false;
  let hasOther = false;
  let k = s;
  let inGroup = false;
  let sepLen = 0;
  let spaces = 0;
  let open = false;
  let openGroup = -1;
  let lastDigitEnd = s;
  let tooLong = false;
  const first = pch(ptr, n, k);
  if ((first & 0xFF) == 0x2B) {
    plus = true;
    k += first >> 8;
    if (!isDigit(pch(ptr, n, k) & 0xFF)) { endPos = k; nDigits = 0; nGroups = 0; parens = false; trunkGroup = -1; dots = false; otherSeps = false; return false; }
  }
  while (k < n) {
    tick(1);
    let b = <u32>load<u8>(ptr + <usize>k);
    if (b - 0x30 < 10) {
      // A group's ASCII digits in one tight loop (most of what is read).
      if (!inGroup) {
        if (ng == MAX_GROUPS) { tooLong = true; break; }
        store<i32>(gl + (<usize>ng << 2), 0);
        ng++;
        inGroup = true;
      }
      const from = k;
      do {
        tick(1);
        if (nd <= MAX_DIGITS) store<u8>(dig + <usize>nd, <u8>(b - 0x30));
        nd++;
        k++;
        if (k >= n) break;
        b = <u32>load<u8>(ptr + <usize>k);
      } while (b - 0x30 < 10);
      const g = gl + (<usize>(ng - 1) << 2);
      store<i32>(g, load<i32>(g) + (k - from));
      sepLen = 0;
      spaces = 0;
      lastDigitEnd = k;
      if (nd > MAX_DIGITS + 1) tooLong = true;
      continue;
    }
    const c = pch(ptr, n, k);
    if (c == 0) break;
    const a = c & 0xFF;
    if (isDigit(a)) {
      if (!inGroup) {
        if (ng == MAX_GROUPS) { tooLong = true; break; }
        store<i32>(gl + (<usize>ng << 2), 0);
        ng++;
        inGroup = true;
      }
      if (nd <= MAX_DIGITS) store<u8>(dig + <usize>nd, <u8>(a - 0x30));
      nd++;
      const g = gl + (<usize>(ng - 1) << 2);
      store<i32>(g, load<i32>(g) + 1);
      sepLen = 0;
      spaces = 0;
      lastDigitEnd = k + (c >> 8);
    } else if (a == 0x2B) {
      break;
    } else {
      if (a == 0x28) {
        if (open) break;
        open = true;
        openGroup = ng;
      } else if (a == 0x29) {
        if (!open || !inGroup) break;
        open = false;
        hasParens = true;
        // "+41 (0)96 ...": the trunk 0 printed in parentheses is not dialled from abroad.
        if (plus && ng - 1 == openGroup && ng == 2 && unchecked(glen[1]) == 1 && unchecked(digits[nd - 1]) == 0) trunk = 1;
        lastDigitEnd = k + (c >> 8);
      } else if (a == 0x2E) {
        hasDots = true;
      } else {
        hasOther = true;
        if (a == 0x20) spaces++;
      }
      inGroup = false;
      sepLen++;
      if (sepLen > 3 || spaces > 1) break;
    }
    k += c >> 8;
    if (nd > MAX_DIGITS + 1) tooLong = true;
  }
  nDigits = nd;
  nGroups = ng;
  parens = hasParens;
  trunkGroup = trunk;
  dots = hasDots;
  otherSeps = hasOther;
  if (tooLong) {
    // Swallow the rest of the run so it is not re-read digit by digit.
    while (k < n) {
      tick(1);
      const c = pch(ptr, n, k);
      if (c == 0 || (c & 0xFF) == 0x2B) break;
      k += c >> 8;
    }
    endPos = k;
    return false;
  }
  // A "(" never closed is not part of the number.
  endPos = lastDigitEnd;
  return nd >= 7 && !open;
}

/** End of an extension ("x769", " x 1234", " ext. 503", "#12") after e, or 0. */
function extensionEnd(ptr: usize, n: i32, e: i32): i32 {
  let k = e;
  if (at(ptr, n, k) == 0x20) k++;
  const b = at(ptr, n, k) | 0x20;
  if (b == 0x78) {
    k++;
  } else if (b == 0x65 && (at(ptr, n, k + 1) | 0x20) == 0x78 && (at(ptr, n, k + 2) | 0x20) == 0x74) {
    k += 3;
    if ((at(ptr, n, k) | 0x20) == 0x6E) {
      // "extension"
      const tail = "ension";
      for (let j = 0; j < 5; j++) if ((at(ptr, n, k + j) | 0x20) != <u32>tail.charCodeAt(j)) return 0;
      k += 9 - 3;
    }
    if (at(ptr, n, k) == 0x2E) k++;
  } else {
    return 0;
  }
  if (at(ptr, n, k) == 0x20) k++;
  let d = 0;
  while (d < 7 && isDigit(at(ptr, n, k + d))) d++;
  if (d == 0 || d > 6 || isWordByte(at(ptr, n, k + d))) return 0;
  return k + d;
}

function val(from: i32, to: i32): i32 {
  let v = 0;
  for (let k = from; k < to; k++) v = v * 10 + <i32>unchecked(digits[k]);
  return v;
}

function phoneScore(ptr: usize, n: i32, s: i32, e: i32, ext: i32): i32 {
  const D = nDigits;
  const G = nGroups;
  if (D < 7 || D > MAX_DIGITS) return 0;
  // Glued to a word ("123abc"), or a time ("12:30"), or running into more dotted numbers.
  const q = at(ptr, n, e);
  if (ext == 0 && (isAlpha(q) || q == 0x5F)) return 0;
  if ((q == 0x3A || q == 0x2F || q == 0x2C) && isDigit(at(ptr, n, e + 1))) return 0;
  if (!plus && notAPhoneShape()) return 0;

  let score = 0;
  if (plus) {
    score = callingCodeLength(digits, D, trunkGroup >= 0 ? 1 : 0) > 0 ? 80 : 25;
  } else if (D >= 9 && unchecked(digits[0]) == 0 && unchecked(digits[1]) == 0 && !parens) {
    // International prefix "00" (and "001-" as US numbers are written from abroad).
    const rest = D - 2;
    if (unchecked(digits[2]) == 1 && D - 3 == 10) score = 70;
    else {
      // Re-check the country code on the digits after "00".
      for (let k = 0; k < rest; k++) unchecked(digits[k] = digits[k + 2]);
      score = callingCodeLength(digits, rest, 0) > 0 ? 65 : 30;
    }
  } else if (isNanp()) {
    score = 75;
  } else if (G == 1) {
    score = D == 10 || (D == 11 && unchecked(digits[0]) <= 1) ? 40 : 20;
  } else if (unchecked(digits[0]) == 0 && D >= 9 && D <= 13) {
    score = 60; // national number with its trunk 0: "020 7946 0958", "06-10446904"
  } else if (parens && D >= 8) {
    score = 55;
  } else if (D >= 8 && D <= 12) {
    score = 45;
  } else {
    score = 35;
  }

  const after = PHONE_AFTER_WORDS.after(ptr, n, e, 10);
  const before = beforeBoth(ptr, n, s, PHONE_WORDS, 32, NOT_PHONE_WORDS, 24);
  if ((before & 1) != 0 || after) score += 30;
  if ((before & 2) != 0) score -= 40;
  const p = at(ptr, n, s - 1);
  if (p == 0x23 || p == 0x24 || p == 0x2F) score -= 40;
  // "704 1436 Redbud Dr": a number followed by a capitalised word is a street address.
  if (!after && !plus && q == 0x20 && isUpper(at(ptr, n, e + 1)) && ext == 0) score -= 25;
  return score;
}

/** Dates, IPv4 quads and SSN shapes, which the run reader cannot tell from phones by itself. */
function notAPhoneShape(): bool {
  const G = nGroups;
  if (G >= 3) {
    const g0 = unchecked(glen[0]);
    const g1 = unchecked(glen[1]);
    const g2 = unchecked(glen[2]);
    // yyyy-mm-dd ...
    if (g0 == 4 && g1 <= 2 && g2 <= 2) {
      const y = val(0, 4);
      const m = val(4, 4 + g1);
      const d = val(4 + g1, 4 + g1 + g2);
      if (y >= 1900 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= 31) return true;
    }
    // dd-mm-yyyy, mm/dd/yyyy
    if (g0 <= 2 && g1 <= 2 && g2 == 4) {
      const y = val(g0 + g1, g0 + g1 + 4);
      if (y >= 1900 && y <= 2099 && val(0, g0) <= 31 && val(g0, g0 + g1) <= 31) return true;
    }
    if (G == 3 && g0 == 3 && g1 == 2 && g2 == 4 && !parens) return true; // SSN shape
  }
  if (G == 4 && dots && !otherSeps) {
    let quad = true;
    for (let k = 0; k < 4; k++) if (unchecked(glen[k]) > 3) quad = false;
    if (quad) return true;
  }
  // A long bare run is an account, card or order number.
  if (G == 1 && nDigits > 11) return true;
  return false;
}

/** North American 3-3-4, with an optional leading 1 and the area code in parentheses or not. */
function isNanp(): bool {
  const G = nGroups;
  const D = nDigits;
  if (D == 10 && G == 3) return unchecked(glen[0]) == 3 && unchecked(glen[1]) == 3 && unchecked(glen[2]) == 4;
  if (D == 11 && G == 4 && unchecked(digits[0]) == 1) {
    return unchecked(glen[0]) == 1 && unchecked(glen[1]) == 3 && unchecked(glen[2]) == 3 && unchecked(glen[3]) == 4;
  }
  if (D == 10 && G == 2 && parens) return unchecked(glen[0]) == 3 && unchecked(glen[1]) == 7;
  return false;
}
