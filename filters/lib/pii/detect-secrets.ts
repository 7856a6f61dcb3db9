// SECRET detectors (provider keys and tokens, JWTs, PEM private keys, keyword-gated service
// secrets, opt-in generic assignments). One pass over the UTF-8 bytes: only positions that
// start a word are considered, each dispatches on its first byte to the few formats that can
// start there (the prefix table, then the shaped formats), and a match moves the scan past
// itself. Every matcher reads a bounded number of bytes, so the scan is linear whatever the input.
// Speed: the loop only stands where secrets-candidates.ts marked the text (long token runs the
// token gate lets through, names an assignment with a long value follows, and the few '-', '.'
// and '~' a PEM header, curl or an Azure secret can start at); there the same inline gates as
// before (a bit test on the first two bytes for the prefix table, a load or two per shaped
// format, one read of each name run) decide before any matcher is called.
import { Findings } from "./findings";
import {
  byteAt, cls, B64URL, C_ASSIGN, C_BLANK, C_CONT, C_DASH, C_DIGIT, C_DOT, C_HEX, C_LOWER, C_OP, C_OPX, C_QUOTE, C_UNDER, C_UPPER, C_SPACE, C_TILDE, WORD,
} from "./secrets-bytes";
import { familyOf } from "./secrets-family";
import { matchPrefixed, minPrefixedLen } from "./secrets-prefix";
import { tokenMayStart } from "./secrets-token-gate";
import { PREFIX_RULES_READY } from "./secrets-prefix-rules";
import { matchSlackToken, matchSlackWebhook } from "./secrets-slack";
import { matchJwt } from "./secrets-jwt";
import { matchPem, resetPem } from "./secrets-pem";
import { matchAzureSecret, matchDigitLed, matchDiscord, matchSidekiqUrl } from "./secrets-shapes";
import { matchCurlUser } from "./secrets-curl";
import { MAX_NAME, NAME, valueAfterNameEnd } from "./secrets-assign";
import { VALUE14 } from "./secrets-keyword";
import { matchKeywordValue } from "./secrets-keyword";
import { matchGeneric } from "./secrets-generic";
import { markSecretCandidates, nextSecretCandidate } from "./secrets-candidates";
import { nameEnd, wordEnd } from "./simd-bytes";
import { tick } from "./work";

/** A token-shaped secret starting at i (no context needed); its end, or -1. */
function tokenAt(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  const b = byteAt(ptr, i);
  let e = matchPrefixed(ptr, i, end, out);
  if (e > 0) return e;
  switch (b) {
    case 0x78: return matchSlackToken(ptr, i, end, out); // x
    case 0x65: return matchJwt(ptr, i, end, out); // e
    case 0x68: return matchSlackWebhook(ptr, i, end, out); // h
    case 0x2d: return matchPem(ptr, i, end, out); // -
    default: break;
  }
  if (b == 0x4d || b == 0x4e || b == 0x4f) {
    e = matchDiscord(ptr, i, end, out);
    if (e > 0) return e;
  }
  const c = cls(b);
  if ((c & C_DIGIT) != 0) {
    e = matchDigitLed(ptr, i, end, out);
    if (e > 0) return e;
  }
  if ((c & C_HEX) != 0) {
    e = matchSidekiqUrl(ptr, i, end, out);
    if (e > 0) return e;
  }
  return matchAzureSecret(ptr, i, end, out);
}


const C_BLANK_SHIFT: u32 = 14; // C_BLANK == 1 << 14

/**
 * valueAfterNameEnd(j) can find an operator: after the name comes a quote, an operator byte, or
 * a blank then a blank or an operator byte. Prose words ("word word", "word,") stop here.
 */
// @ts-ignore: decorator
@inline function operatorMayFollow(ptr: usize, j: i32, end: i32): bool {
  if (j >= end) return false;
  // Without branches on the bytes (prose mixes blanks and punctuation after words, which a
  // branch would mispredict): C_BLANK of the first byte selects the second byte's test.
  const c = cls(byteAt(ptr, j));
  const c1 = cls(byteNear(ptr, j + 1, end));
  const blank = <u32>0 - ((c >> C_BLANK_SHIFT) & 1); // all ones after a blank
  return ((c & (C_QUOTE | C_OP)) | (c1 & (C_BLANK | C_OP) & blank)) != 0;
}

/**
 * Without generic assignments, a value at v can only be reported as a token (tokenMayStart) or
 * a keyword-gated format (secrets-keyword), all of which open with 14+ value bytes except
 * Sidekiq's "8hex:8hex": one or two loads rule most values ("true", "John", 42) out.
 */
// @ts-ignore: decorator
@inline function valueMayMatch(ptr: usize, v: i32, end: i32): bool {
  const b = byteAt(ptr, v);
  return (cls(byteNear(ptr, v + 13, end)) & VALUE14) != 0 || byteNear(ptr, v + 8, end) == 0x3a ||
    tokenMayStart(ptr, v, end, b, v + 1 < end ? byteAt(ptr, v + 1) : 0);
}

/** The byte at k clamped into [0, end) (end > 0). */
// @ts-ignore: decorator
@inline function byteNear(ptr: usize, k: i32, end: i32): u32 {
  return byteAt(ptr, min<i32>(k, end - 1));
}

/** curl's "-u"/"--user" after a blank may start at i ('-'), b1 the byte after. */
// @ts-ignore: decorator
@inline function curlMayStart(ptr: usize, i: i32, end: i32, b1: u32): bool {
  return i > 0 && (cls(byteAt(ptr, i - 1)) & C_SPACE) != 0 && (b1 == 0x75 || (b1 == 0x2d && byteNear(ptr, i + 2, end) == 0x75));
}

/**
 * The bytes anything here can start with: prefixes (letters and digits), the shaped formats
 * (letters, digits, '-' of PEM), Azure secrets (word bytes, '~', '.'), curl's '-u' and names.
 */
const START: u32 = WORD | C_DASH | C_TILDE | C_DOT;

/** A value start where tokenAt found nothing (it depends on the bytes only: no need to retry). */
let tokenMissAt: i32 = -1;

/**
 * The shortest token tokenAt can match at a word start: the prefixed formats' shortest, or the
 * shaped formats' (a Slack token, "xoxb-" + 10 bytes, is the shortest of those; PEM blocks start
 * with '-', a C_CONT byte).
 */
let minTokenLen: i32 = 0;
const MIN_SHAPED_LEN: i32 = 15;

// Per-scan state of the assignment gate. A name is a run of NAME bytes; every word start inside
// one run ("db.user-password" has three) ends its name at the same byte, so the run's end and
// what follows it (an operator and a value, or not) are read once per run, not once per word
// start. Valid for positions in [.., runEnd): positions only grow within a scan.
let runEnd: i32 = -1;
/** Value start after runEnd's operator, or -1. */
let runValue: i32 = -1;

export function detectSecrets(ptr: usize, len: usize, out: Findings, genericAssignments: bool): void {
  if (!PREFIX_RULES_READY) return;
  minTokenLen = min<i32>(MIN_SHAPED_LEN, minPrefixedLen);
  const end = <i32>min<usize>(len, <usize>i32.MAX_VALUE);
  if (end <= 0) return;
  resetPem();
  tokenMissAt = -1;
  runEnd = -1;
  runValue = -1;
  const minTok = minTokenLen;
  markSecretCandidates(ptr, end, minTok, genericAssignments);
  let i = 0;
  // The loop reads each word once and looks at the two bytes after it; only the rare word start
  // where something can begin goes to wordStart (out of line, so this loop stays small). A token
  // is at least minTok bytes, and one that goes on past its first word part does so with a
  // C_CONT byte followed by more of it (never a blank); an assignment needs an operator after
  // the name (operatorMayFollow, on the same two bytes); curl's "-u" and PEM's "-----" start
  // with '-', a C_CONT byte. Prose words (short, then a blank or punctuation) stop here.
  while (i < end) {
    tick(1);
    // Straight to the next position where a gate below may open (secrets-candidates.ts).
    i = nextSecretCandidate(i, end);
    if (i >= end) break;
    // i starts a word: it is the first byte, or the byte before is not a word byte.
    const c = cls(byteAt(ptr, i));
    if ((c & START) == 0) {
      // Blanks, quotes, brackets, most punctuation and non-ASCII bytes start nothing.
      i++;
      continue;
    }
    if ((c & WORD) == 0) {
      // '-', '~' or '.': a PEM header ("-----B"), curl's "-u"/"--user" after a blank, or an
      // Azure secret (whose "Q~" is at i + 4). Lines of dashes stop here, one load a dash.
      const b = byteAt(ptr, i);
      const b1 = byteAt(ptr, min<i32>(i + 1, end - 1));
      const may = b == 0x2d
        ? (b1 == 0x2d && byteAt(ptr, min<i32>(i + 5, end - 1)) == 0x42) || curlMayStart(ptr, i, end, b1)
        : i + 37 <= end && byteAt(ptr, i + 5) == 0x7e && byteAt(ptr, i + 4) == 0x51;
      i = may ? wordStart(ptr, i, end, out, genericAssignments, i, c) : i + 1;
      continue;
    }
    // The word part at i, and the classes of the two bytes after it (loads clamped to the text:
    // a clamped byte only lets a position through).
    const w = wordEnd(ptr, i + 1, end);
    const a = w < end ? cls(byteAt(ptr, w)) : 0;
    const a2 = cls(byteAt(ptr, min<i32>(w + 1, end - 1)));
    const n = w - i;
    // A token: long enough as one word, or going on with C_CONT then a non-blank (or ending
    // with that C_CONT byte, when that makes it long enough).
    const tokenish = <i32>(n >= minTok) | (<i32>((a & C_CONT) != 0) & (<i32>((a2 & C_SPACE) == 0) | <i32>(n + 1 >= minTok)));
    // An assignment to a name ending at w: operatorMayFollow(w).
    let assignish = <i32>((a & C_ASSIGN) != 0) | (<i32>((a & C_OPX) != 0) & <i32>((a2 & C_OP) != 0)) |
      (<i32>((a & (C_QUOTE | C_BLANK)) != 0) & <i32>((a2 & (C_BLANK | C_OP)) != 0));
    if ((a & (C_DASH | C_DOT)) != 0) {
      // The name goes on ("db.password", "api-key"), or ends after the '.'/'-' ("x. = 1").
      const a3 = cls(byteAt(ptr, min<i32>(w + 2, end - 1)));
      assignish |= <i32>((a2 & (NAME | C_QUOTE | C_OP)) != 0) | (<i32>((a2 & C_BLANK) != 0) & <i32>((a3 & (C_BLANK | C_OP)) != 0));
    }
    if ((tokenish | assignish) != 0) {
      i = wordStart(ptr, i, end, out, genericAssignments, w, a);
      continue;
    }
    // The rest of the word, and the byte after it, follow a word byte: no word starts there.
    i = w + 1;
  }
}

/**
 * Word start i that the scan's first gate let through (its word part ends at w, the byte there
 * of class a): the token gate, the run's assignment gate, curl's; then the matchers. Returns
 * where the scan goes on.
 */
function wordStart(ptr: usize, i: i32, end: i32, out: Findings, generic: bool, w: i32, a: u32): i32 {
  const b = byteAt(ptr, i);
  const c = cls(b);
  const b1 = i + 1 < end ? byteAt(ptr, i + 1) : 0;
  const token = (w - i >= minTokenLen || ((a & C_CONT) != 0)) && tokenMayStart(ptr, i, end, b, b1);
  if ((c & (C_LOWER | C_UPPER | C_UNDER)) != 0) {
    if (i >= runEnd) {
      // A new run: its word part, then the dotted/dashed rest.
      let j = w;
      if ((a & (C_DASH | C_DOT)) != 0) j = nameEnd(ptr, j, end);
      runEnd = j;
      runValue = operatorMayFollow(ptr, j, end) ? valueAfterNameEnd(ptr, j, end) : -1;
      if (runValue >= 0 && !generic && !valueMayMatch(ptr, runValue, end)) runValue = -1;
    }
    // Names of 2..MAX_NAME bytes (a longer one is not read as a name at all).
    if (token || (runValue >= 0 && runEnd - i >= 2 && runEnd - i <= MAX_NAME)) {
      return wordStartAt(ptr, i, end, out, generic, token, runEnd, runValue);
    }
  } else if (token || (b == 0x2d && curlMayStart(ptr, i, end, b1))) {
    return wordStartAt(ptr, i, end, out, generic, token, runEnd, -1);
  }
  return (c & WORD) != 0 ? w + 1 : i + 1;
}

/**
 * Word start i, where the gates let something through: a token (`token`), curl's '-u', or an
 * assignment to the name [i, runEnd) of the value at runValue (-1: none). Adds what matches;
 * returns where the scan goes on.
 */
function wordStartAt(ptr: usize, i: i32, end: i32, out: Findings, generic: bool, token: bool, runEnd: i32, runValue: i32): i32 {
  const b = byteAt(ptr, i);
  const c = cls(b);
  let e = token ? tokenAt(ptr, i, end, out) : -1;
  if (e < 0 && b == 0x2d && i > 0 && (cls(byteAt(ptr, i - 1)) & C_SPACE) != 0) e = matchCurlUser(ptr, i, end, out);
  if (e < 0 && runValue >= 0 && (c & (C_LOWER | C_UPPER | C_UNDER)) != 0 && runEnd - i >= 2 && runEnd - i <= MAX_NAME) {
    e = assignmentAt(ptr, i, runEnd, runValue, end, out, generic);
  }
  if (e > i) {
    // Past the match, and past the rest of a word it ends inside of.
    i = e;
    while (i < end && (cls(byteAt(ptr, i - 1)) & WORD) != 0) { tick(1); i++; }
    return i;
  }
  if ((c & WORD) == 0) return i + 1;
  return wordEnd(ptr, i + 1, end) + 1;
}

/** Name [i, ne) assigned the value at v: a secret (token formats first, then keyword-gated, then generic). */
function assignmentAt(ptr: usize, i: i32, ne: i32, v: i32, end: i32, out: Findings, generic: bool): i32 {
  let e: i32;
  if (v != tokenMissAt) {
    const b = byteAt(ptr, v);
    if (tokenMayStart(ptr, v, end, b, v + 1 < end ? byteAt(ptr, v + 1) : 0)) {
      e = tokenAt(ptr, v, end, out);
      if (e > 0) return e;
    }
    tokenMissAt = v;
  }
  e = matchKeywordValue(ptr, i, ne, v, end, out);
  if (e > 0 || !generic) return e;
  return matchGeneric(ptr, i, ne, v, end, out);
}

/** The family a SECRET subtype belongs to ("aws", "github", "slack", ..., "other_service"). */
export function secretFamily(subtype: i32): string {
  return familyOf(subtype);
}
