// Formats without a literal prefix but with a rigid shape: the exact segment lengths and
// separators are what make them distinctive enough to report without a keyword.
// - Discord bot token: base64 of the numeric bot id (starts M/N/O), '.', 6, '.', 27-38.
// - Telegram bot token: 8-10 digit bot id, ':', "AA" + 33 base64url.
// - Facebook app access token: 15-16 digit app id, '|' (or %7C), 27-40 secret.
// - Azure AD client secret: 3 bytes, a digit, "Q~", then 31-34 bytes.
// - Sidekiq Enterprise credentials in a gems URL: 8 hex ':' 8 hex '@' *.contribsys.com.
import {
  byteAt, cls, entropy, hasLit, hasLitCI, runLen, B64URL, C_DASH, C_DIGIT, C_DOT, C_HEX, C_TILDE, WORD,
} from "./secrets-bytes";
import { secretSubtype } from "./secrets-family";
import { Findings, PiiType } from "./findings";

const SUB_DISCORD = secretSubtype("discord_bot_token", "discord");
const SUB_TELEGRAM = secretSubtype("telegram_bot_token", "other_service");
const SUB_FACEBOOK = secretSubtype("facebook_access_token", "other_service");
const SUB_AZURE = secretSubtype("azure_ad_client_secret", "azure");
const SUB_SIDEKIQ_URL = secretSubtype("sidekiq_sensitive_url", "other_service");

function wordAt(ptr: usize, j: i32, end: i32): bool {
  return j < end && (cls(byteAt(ptr, j)) & WORD) != 0;
}

/** At i (M/N/O). */
export function matchDiscord(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  const a = runLen(ptr, i, end, B64URL, 26);
  if (a < 24 || a > 26) return -1;
  let j = i + a;
  if (j >= end || byteAt(ptr, j) != 0x2e) return -1;
  j++;
  const b = runLen(ptr, j, end, B64URL, 6);
  if (b != 6) return -1;
  j += 6;
  if (j >= end || byteAt(ptr, j) != 0x2e) return -1;
  j++;
  const c = runLen(ptr, j, end, B64URL, 38);
  if (c < 27 || c > 38) return -1;
  j += c;
  if (wordAt(ptr, j, end)) return -1;
  out.add(i, j, PiiType.Secret, SUB_DISCORD, 85);
  return j;
}

/** At i (a digit): Telegram bot token or Facebook app token. */
export function matchDigitLed(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  const d = runLen(ptr, i, end, C_DIGIT, 16);
  let j = i + d;
  if (j >= end) return -1;
  const sep = byteAt(ptr, j);
  if (sep == 0x3a && d >= 8 && d <= 10 && hasLit(ptr, j + 1, end, "AA")) {
    const t = runLen(ptr, j + 1, end, B64URL, 35);
    if (t != 35 || wordAt(ptr, j + 36, end)) return -1;
    out.add(i, j + 36, PiiType.Secret, SUB_TELEGRAM, 85);
    return j + 36;
  }
  if (d >= 15 && d <= 16) {
    let k = -1;
    if (sep == 0x7c) k = j + 1;
    else if (hasLitCI(ptr, j, end, "%7c")) k = j + 3;
    if (k < 0) return -1;
    const t = runLen(ptr, k, end, B64URL, 40);
    if (t < 27 || t > 40 || wordAt(ptr, k + t, end)) return -1;
    if (entropy(ptr, k, k + t) < 3.0) return -1;
    out.add(i, k + t, PiiType.Secret, SUB_FACEBOOK, 80);
    return k + t;
  }
  return -1;
}

const AZ_ALPHA: u32 = WORD | C_TILDE | C_DOT;
const AZ_BODY: u32 = AZ_ALPHA | C_DASH;

/** At i: an Azure AD client secret (its 4th..6th bytes are digit, 'Q', '~'). */
export function matchAzureSecret(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  if (i + 37 > end) return -1; // 3 + digit + "Q~" + at least 31
  if (byteAt(ptr, i + 4) != 0x51 || byteAt(ptr, i + 5) != 0x7e || (cls(byteAt(ptr, i + 3)) & C_DIGIT) == 0) return -1;
  for (let k = 0; k < 3; k++) if ((cls(byteAt(ptr, i + k)) & AZ_ALPHA) == 0) return -1;
  const t = runLen(ptr, i + 6, end, AZ_BODY, 34);
  if (t < 31 || t > 34) return -1;
  const e = i + 6 + t;
  if (wordAt(ptr, e, end)) return -1;
  // Real secrets are random; a row of tildes or x's is decoration.
  if (entropy(ptr, i + 6, e) < 3.0) return -1;
  out.add(i, e, PiiType.Secret, SUB_AZURE, 85);
  return e;
}

/** At i (hex): "cafebabe:deadbeef@" before a contribsys.com host. */
export function matchSidekiqUrl(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  if (i < 3 || !hasLit(ptr, i - 3, end, "://")) return -1;
  if (runLen(ptr, i, end, C_HEX, 8) != 8 || i + 18 > end || byteAt(ptr, i + 8) != 0x3a) return -1;
  if (runLen(ptr, i + 9, end, C_HEX, 8) != 8 || byteAt(ptr, i + 17) != 0x40) return -1;
  const h = i + 18;
  if (!hasLitCI(ptr, h, end, "gems.contribsys.com") && !hasLitCI(ptr, h, end, "enterprise.contribsys.com")) return -1;
  out.add(i, i + 17, PiiType.Secret, SUB_SIDEKIQ_URL, 90);
  return i + 17;
}
