// Service secrets without a prefix, reported only as the value of an assignment whose name
// carries the service's keyword: UUID-shaped keys (Heroku, Snyk), fixed-length alphanumerics
// (Sonar, Sumo Logic, Atlassian, Okta), AWS secret access keys and Sidekiq credentials.
import {
  byteAt, cls, entropy, isPlaceholder, runLen, ALNUM, B64, C_HEX, C_DASH, C_EQ, C_PLUSSLASH, WORD,
} from "./secrets-bytes";
import { nameContains, nameHas } from "./secrets-assign";
import { secretSubtype } from "./secrets-family";
import { Findings, PiiType } from "./findings";

const SUB_HEROKU = secretSubtype("heroku_api_key", "other_service");
const SUB_SNYK = secretSubtype("snyk_api_token", "other_service");
const SUB_SONAR = secretSubtype("sonar_api_token", "other_service");
const SUB_SUMO_ID = secretSubtype("sumologic_access_id", "other_service");
const SUB_SUMO_KEY = secretSubtype("sumologic_access_token", "other_service");
const SUB_ATLASSIAN = secretSubtype("atlassian_api_token", "other_service");
const SUB_OKTA = secretSubtype("okta_access_token", "other_service");
const SUB_AWS_SECRET = secretSubtype("aws_secret_access_key", "aws");
const SUB_SIDEKIQ = secretSubtype("sidekiq_secret", "other_service");
const SUB_DATADOG = secretSubtype("datadog_key", "other_service");
const SUB_MAILGUN = secretSubtype("mailgun_key", "other_service");

export const VALUE14: u32 = WORD | C_DASH | C_EQ | B64;

function wordAt(ptr: usize, j: i32, end: i32): bool {
  return j < end && (cls(byteAt(ptr, j)) & WORD) != 0;
}

/** A UUID (8-4-4-4-12 hex) at v; its end or -1. */
function uuidAt(ptr: usize, v: i32, end: i32): i32 {
  let j = v;
  const lens: StaticArray<i32> = [8, 4, 4, 4, 12];
  for (let k = 0; k < 5; k++) {
    const n = unchecked(lens[k]);
    if (runLen(ptr, j, end, C_HEX, n) != n) return -1;
    j += n;
    if (k < 4) {
      if (j >= end || byteAt(ptr, j) != 0x2d) return -1;
      j++;
    }
  }
  return wordAt(ptr, j, end) ? -1 : j;
}

/** Exactly n bytes of `mask` at v, not continued by a word byte; the end or -1. */
function exactAt(ptr: usize, v: i32, end: i32, mask: u32, n: i32): i32 {
  if (runLen(ptr, v, end, mask, n) != n || wordAt(ptr, v + n, end)) return -1;
  return v + n;
}

function add(out: Findings, s: i32, e: i32, sub: i32, score: i32): i32 {
  out.add(s, e, PiiType.Secret, sub, score);
  return e;
}

/** Name [ns, ne) assigned the value at v: a keyword-gated format; its end, or -1. */
export function matchKeywordValue(ptr: usize, ns: i32, ne: i32, v: i32, end: i32, out: Findings): i32 {
  // Every format below opens with 14+ bytes of VALUE14 (a UUID's "8hex-4hex", the 14-byte Sumo
  // id, longer alphanumeric/base64/hex keys) or is Sidekiq's "8hex:8hex": anything else (most
  // assigned values: words, numbers, short strings) is rejected before the name is looked at.
  if (runLen(ptr, v, end, VALUE14, 13) < 14 && !(v + 8 < end && byteAt(ptr, v + 8) == 0x3a)) return -1;
  const b0 = byteAt(ptr, v);
  let e = -1;
  if ((cls(b0) & C_HEX) != 0) {
    e = uuidAt(ptr, v, end);
    if (e > 0) {
      if (nameHas(ptr, ns, ne, "heroku")) return add(out, v, e, SUB_HEROKU, 80);
      if (nameHas(ptr, ns, ne, "snyk")) return add(out, v, e, SUB_SNYK, 80);
      return -1;
    }
  }
  // Each format: the value's shape first (one run read above serves the alphanumeric ones), then
  // the name's keyword, which costs a pass over the name.
  const an = runLen(ptr, v, end, ALNUM, 64);
  if (an == 40 && !wordAt(ptr, v + 40, end) && nameHas(ptr, ns, ne, "sonar")) {
    if (!isPlaceholder(ptr, v, v + 40)) return add(out, v, v + 40, SUB_SONAR, 80);
  }
  const sumoId = an == 14 && b0 == 0x73 && byteAt(ptr, v + 1) == 0x75 && !wordAt(ptr, v + 14, end);
  const sumoKey = an == 64 && !wordAt(ptr, v + 64, end);
  if ((sumoId || sumoKey) && nameHas(ptr, ns, ne, "sumo", "logic")) {
    if (sumoId && !isPlaceholder(ptr, v, v + 14)) return add(out, v, v + 14, SUB_SUMO_ID, 80);
    if (sumoKey && !isPlaceholder(ptr, v, v + 64)) return add(out, v, v + 64, SUB_SUMO_KEY, 80);
  }
  if (an == 24 && !wordAt(ptr, v + 24, end) &&
      (nameHas(ptr, ns, ne, "atlassian") || nameHas(ptr, ns, ne, "jira") || nameHas(ptr, ns, ne, "confluence"))) {
    if (!isPlaceholder(ptr, v, v + 24) && entropy(ptr, v, v + 24) >= 3.0) return add(out, v, v + 24, SUB_ATLASSIAN, 75);
  }
  if (b0 == 0x30 && byteAt(ptr, v + 1) == 0x30) {
    e = exactAt(ptr, v, end, WORD | C_DASH | C_EQ, 42);
    if (e > 0 && nameHas(ptr, ns, ne, "okta") && !isPlaceholder(ptr, v, e)) return add(out, v, e, SUB_OKTA, 80);
  }
  // The formats below read other alphabets, but their runs start with the alphanumeric one:
  // each needs the run to end at its length, or at a byte of its wider alphabet.
  const next = v + an < end ? byteAt(ptr, v + an) : 0;
  if (an != 40 && (cls(next) & C_PLUSSLASH) == 0 && an != 8 && an != 32 && an != 50 && next != 0x2d) return -1;
  e = an == 40 || (cls(next) & C_PLUSSLASH) != 0 ? exactAt(ptr, v, end, B64, 40) : -1;
  if (e > 0 && ((nameHas(ptr, ns, ne, "aws") && nameContains(ptr, ns, ne, "secret")) ||
      nameContains(ptr, ns, ne, "secret_access_key") || nameContains(ptr, ns, ne, "secretaccesskey"))) {
    if (!isPlaceholder(ptr, v, e) && entropy(ptr, v, e) >= 3.5) return add(out, v, e, SUB_AWS_SECRET, 85);
  }
  if (runLen(ptr, v, end, C_HEX, 8) == 8 && v + 17 <= end && byteAt(ptr, v + 8) == 0x3a) {
    e = exactAt(ptr, v + 9, end, C_HEX, 8);
    if (e > 0 && nameContains(ptr, ns, ne, "contribsys")) return add(out, v, e, SUB_SIDEKIQ, 85);
  }
  e = exactAt(ptr, v, end, C_HEX, 40);
  if (e < 0) e = exactAt(ptr, v, end, C_HEX, 32);
  if (e > 0 && nameHas(ptr, ns, ne, "datadog")) {
    if (!isPlaceholder(ptr, v, e) && entropy(ptr, v, e) >= 3.0) return add(out, v, e, SUB_DATADOG, 75);
  }
  e = exactAt(ptr, v, end, C_HEX | C_DASH, 50);
  if (e < 0) e = exactAt(ptr, v, end, C_HEX, 32);
  if (e > 0 && nameHas(ptr, ns, ne, "mailgun")) {
    if (!isPlaceholder(ptr, v, e)) return add(out, v, e, SUB_MAILGUN, 75);
  }
  return -1;
}
