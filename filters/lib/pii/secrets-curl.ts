// curl basic-auth credentials: `curl ... -u user:pass` / `--user user:pass`, quoted or not,
// the command possibly continued over lines with '\'. The argument is reported whole (quotes
// included) when it has a non-empty password that is neither a variable/template
// (`$APPID`, `${{ ... }}`, `<password>`) nor a stand-in word ("password", "pass", "secret").
import { byteAt, cls, hasLit, hasLitCI, C_SPACE } from "./secrets-bytes";
import { secretSubtype } from "./secrets-family";
import { Findings, PiiType } from "./findings";
import { tick } from "./work";

const SUB_CURL = secretSubtype("curl_auth_user", "generic");
/** How far back the `curl` command word is looked for (a continued command's earlier lines). */
const LOOKBACK = 512;
const MAX_ARG = 256;

function curlBefore(ptr: usize, i: i32): bool {
  const s = max<i32>(0, i - LOOKBACK);
  for (let k = i - 5; k >= s; k--) {
    tick(1);
    if (hasLit(ptr, k, i, "curl") && (k == 0 || (cls(byteAt(ptr, k - 1)) & C_SPACE) != 0 || byteAt(ptr, k - 1) == 0x24) &&
        (cls(byteAt(ptr, k + 4)) & C_SPACE) != 0) return true;
  }
  return false;
}

function isQuote(b: u32): bool {
  return b == 0x22 || b == 0x27;
}

const STANDINS = ["password", "passwd", "pass", "pwd", "secret", "token", "changeme", "xxx", "****", "..."];

function standIn(ptr: usize, s: i32, e: i32): bool {
  for (let k = 0; k < STANDINS.length; k++) {
    const w = unchecked(STANDINS[k]);
    if (e - s == w.length && hasLitCI(ptr, s, e, w)) return true;
  }
  return false;
}

/** At i ('-', after a blank): "-u"/"--user" with credentials; adds them and returns the end, else -1. */
export function matchCurlUser(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  let j: i32;
  if (hasLit(ptr, i, end, "-u")) j = i + 2;
  else if (hasLit(ptr, i, end, "--user")) j = i + 6;
  else return -1;
  if (j >= end) return -1;
  const sep = byteAt(ptr, j);
  if ((cls(sep) & C_SPACE) == 0 && !(sep == 0x3d && j == i + 6)) return -1;
  j++;
  while (j < end && (byteAt(ptr, j) == 0x20 || byteAt(ptr, j) == 0x09)) { tick(1); j++; }
  const a = j;
  const stop = min<i32>(end, a + MAX_ARG + 1);
  while (j < stop && (cls(byteAt(ptr, j)) & C_SPACE) == 0) { tick(1); j++; }
  const e = j;
  if (e - a < 3 || e - a > MAX_ARG) return -1;
  // Password = after the first ':' with quotes stripped; reject variables and templates.
  tick(e - a);
  let colon = -1;
  for (let k = a; k < e; k++) {
    const b = byteAt(ptr, k);
    if (b == 0x24 || b == 0x7b || b == 0x7d || b == 0x3c || b == 0x3e || b == 0x28 || b == 0x29 || b == 0x5b) return -1;
    if (b == 0x3a && colon < 0) colon = k;
  }
  if (colon < 0) return -1;
  let ps = colon + 1;
  let pe = e;
  while (ps < pe && isQuote(byteAt(ptr, ps))) { tick(1); ps++; }
  while (pe > ps && (isQuote(byteAt(ptr, pe - 1)) || byteAt(ptr, pe - 1) == 0x2c)) { tick(1); pe--; }
  if (pe - ps < 3 || standIn(ptr, ps, pe)) return -1;
  if (!curlBefore(ptr, i)) return -1;
  let re = e;
  while (re > a && byteAt(ptr, re - 1) == 0x2c) { tick(1); re--; }
  out.add(a, re, PiiType.Secret, SUB_CURL, 75);
  return re;
}
