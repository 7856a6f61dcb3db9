// SECRET detectors (provider keys and tokens, JWTs, PEM private keys, keyword-gated service
// secrets, opt-in generic assignments). One pass over the UTF-8 bytes: only positions that
// start a word are considered, each dispatches on its first byte to the few formats that can
// start there (the prefix table, then the shaped formats), and a match moves the scan past
// itself. Every matcher reads a bounded number of bytes, so the scan is linear whatever the input.
import { Findings } from "./findings";
import { byteAt, cls, isWordByte, C_DIGIT, C_HEX, C_LOWER, C_UPPER, C_SPACE } from "./secrets-bytes";
import { familyOf } from "./secrets-family";
import { matchPrefixed } from "./secrets-prefix";
import { PREFIX_RULES_READY } from "./secrets-prefix-rules";
import { matchSlackToken, matchSlackWebhook } from "./secrets-slack";
import { matchJwt } from "./secrets-jwt";
import { matchPem, resetPem } from "./secrets-pem";
import { matchAzureSecret, matchDigitLed, matchDiscord, matchSidekiqUrl } from "./secrets-shapes";
import { matchCurlUser } from "./secrets-curl";
import { nameEnd, valueAfterName } from "./secrets-assign";
import { matchKeywordValue } from "./secrets-keyword";
import { matchGeneric } from "./secrets-generic";

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

export function detectSecrets(ptr: usize, len: usize, out: Findings, genericAssignments: bool): void {
  if (!PREFIX_RULES_READY) return;
  const end = <i32>min<usize>(len, <usize>i32.MAX_VALUE);
  resetPem();
  let i = 0;
  while (i < end) {
    if (i > 0 && isWordByte(byteAt(ptr, i - 1))) {
      i++;
      continue;
    }
    const b = byteAt(ptr, i);
    const c = cls(b);
    if ((c & C_SPACE) != 0) {
      i++;
      continue;
    }
    let e = tokenAt(ptr, i, end, out);
    if (e < 0 && b == 0x2d && i > 0 && (cls(byteAt(ptr, i - 1)) & C_SPACE) != 0) e = matchCurlUser(ptr, i, end, out);
    if (e < 0 && ((c & (C_LOWER | C_UPPER)) != 0 || b == 0x5f)) e = assignmentAt(ptr, i, end, out, genericAssignments);
    i = e > i ? e : i + 1;
  }
}

/** At a name: a secret assigned to it (token formats first, then keyword-gated, then generic). */
function assignmentAt(ptr: usize, i: i32, end: i32, out: Findings, generic: bool): i32 {
  const v = valueAfterName(ptr, i, end);
  if (v < 0) return -1;
  const ne = nameEnd;
  let e = tokenAt(ptr, v, end, out);
  if (e > 0) return e;
  e = matchKeywordValue(ptr, i, ne, v, end, out);
  if (e > 0 || !generic) return e;
  return matchGeneric(ptr, i, ne, v, end, out);
}

/** The family a SECRET subtype belongs to ("aws", "github", "slack", ..., "other_service"). */
export function secretFamily(subtype: i32): string {
  return familyOf(subtype);
}
