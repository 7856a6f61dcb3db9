// Slack tokens and webhook URLs. Tokens are "xox" + a kind letter, then dash-separated
// segments: numeric ids, then one alphanumeric secret (bot, user, app, legacy, workspace and
// refresh forms differ only in how many ids come first), or the rotating "xoxe" forms whose
// secret is one long alphanumeric segment after a version.
import { byteAt, cls, hasLit, isPlaceholder, runLen, ALNUM, C_DIGIT, C_DASH, WORD, B64URL, C_PLUSSLASH } from "./secrets-bytes";
import { secretSubtype } from "./secrets-family";
import { Findings, PiiType } from "./findings";
import { tick } from "./work";

const SUB_TOKEN = secretSubtype("slack_token", "slack");
const SUB_CONFIG = secretSubtype("slack_config_token", "slack");
const SUB_WEBHOOK = secretSubtype("slack_webhook_url", "slack");

const MAX_TOKEN = 300;

function isKind(b: u32): bool {
  // a: app/workspace, b: bot, p: user, o: legacy, s: session, r: refresh, e: rotating
  return b == 0x61 || b == 0x62 || b == 0x70 || b == 0x6f || b == 0x73 || b == 0x72 || b == 0x65;
}

/** At i ('x'): a Slack token; adds it and returns its end, else -1. */
export function matchSlackToken(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  if (!hasLit(ptr, i, end, "xox") || i + 5 > end) return -1;
  let j = i + 3;
  let sub = SUB_TOKEN;
  // Configuration tokens: "xoxe.xoxp-" / "xoxe.xoxb-".
  if (hasLit(ptr, j, end, "e.xox")) {
    j += 5;
    sub = SUB_CONFIG;
  }
  if (j + 2 > end || !isKind(byteAt(ptr, j)) || byteAt(ptr, j + 1) != 0x2d) return -1;
  j += 2;
  const bodyStart = j;
  const run = runLen(ptr, j, end, ALNUM | C_DASH, MAX_TOKEN);
  if (run > MAX_TOKEN || run < 10) return -1;
  const bodyEnd = j + run;
  if (bodyEnd < end && (cls(byteAt(ptr, bodyEnd)) & WORD) != 0) return -1;
  // Segments: all but the last numeric, the last an alphanumeric secret of 8+ bytes.
  tick(2 * (bodyEnd - bodyStart + 1));
  let segStart = bodyStart;
  let segments = 0;
  let lastStart = bodyStart;
  for (let k = bodyStart; k <= bodyEnd; k++) {
    if (k == bodyEnd || byteAt(ptr, k) == 0x2d) {
      if (k == segStart) return -1; // empty segment ("--", trailing '-')
      segments++;
      lastStart = segStart;
      segStart = k + 1;
    }
  }
  if (segments < 2) return -1;
  for (let k = bodyStart; k < lastStart - 1; k++) {
    const b = byteAt(ptr, k);
    if (b != 0x2d && (cls(b) & C_DIGIT) == 0) return -1;
  }
  const secretLen = bodyEnd - lastStart;
  if (secretLen < 8 || isPlaceholder(ptr, lastStart, bodyEnd)) return -1;
  out.add(i, bodyEnd, PiiType.Secret, sub, 95);
  return bodyEnd;
}

/** At i ('h'): an incoming-webhook / workflow URL on hooks.slack.com. */
export function matchSlackWebhook(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  let j = i;
  if (hasLit(ptr, j, end, "https://")) j += 8;
  else if (hasLit(ptr, j, end, "http://")) j += 7;
  else return -1;
  if (!hasLit(ptr, j, end, "hooks.slack.com/")) return -1;
  j += 16;
  if (hasLit(ptr, j, end, "services/")) j += 9;
  else if (hasLit(ptr, j, end, "workflows/")) j += 10;
  else if (hasLit(ptr, j, end, "triggers/")) j += 9;
  else return -1;
  // Path of ids and the secret: base64url and '/' only.
  const run = runLen(ptr, j, end, B64URL | C_PLUSSLASH, 200);
  if (run < 20 || run > 200) return -1;
  out.add(i, j + run, PiiType.Secret, SUB_WEBHOOK, 95);
  return j + run;
}
