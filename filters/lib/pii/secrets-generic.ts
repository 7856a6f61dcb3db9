// Opt-in generic secrets: the value of an assignment whose name says it is a key, token, secret
// or password, when the value looks random (Shannon entropy, mixed classes, length bounds). Off
// by default because code-heavy prompts are full of `key = something`.
import { byteAt, cls, classMix, entropy, hasLitCI, isPlaceholder, C_DIGIT, WORD, C_DASH, C_DOT, C_PLUSSLASH, C_EQ, C_TILDE } from "./secrets-bytes";
import { nameHas } from "./secrets-assign";
import { secretSubtype } from "./secrets-family";
import { Findings, PiiType } from "./findings";
import { tick } from "./work";

const SUB_GENERIC = secretSubtype("generic_secret", "generic");
const SUB_PASSWORD = secretSubtype("generic_password", "generic");

const MIN_SECRET = 16;
const MIN_PASSWORD = 8;
const MAX_VALUE = 200;
/** Bits per byte: random base64 of 16+ bytes scores ~3.7-4, identifiers and words ~2.5-3.2. */
const SECRET_ENTROPY: f64 = 3.5;
const PASSWORD_ENTROPY: f64 = 2.5;

const VALUE: u32 = WORD | C_DASH | C_DOT | C_PLUSSLASH | C_EQ | C_TILDE;

function valueByte(b: u32): bool {
  // The base64/URL-safe alphabets plus the punctuation passwords use; not quotes, spaces,
  // commas, semicolons or brackets, which end a value in code.
  return (cls(b) & VALUE) != 0 || b == 0x21 || b == 0x40 || b == 0x23 || b == 0x25 || b == 0x5e || b == 0x26 || b == 0x2a;
}

function hasDigit(ptr: usize, s: i32, e: i32): bool {
  tick(max(0, e - s));
  for (let i = s; i < e; i++) if ((cls(byteAt(ptr, i)) & C_DIGIT) != 0) return true;
  return false;
}

/** Names that hold something about a secret rather than the secret. */
function describesSecret(ptr: usize, ns: i32, ne: i32): bool {
  return nameHas(ptr, ns, ne, "id") || nameHas(ptr, ns, ne, "name") || nameHas(ptr, ns, ne, "url") ||
    nameHas(ptr, ns, ne, "path") || nameHas(ptr, ns, ne, "file") || nameHas(ptr, ns, ne, "type") ||
    nameHas(ptr, ns, ne, "length") || nameHas(ptr, ns, ne, "len") || nameHas(ptr, ns, ne, "size") ||
    nameHas(ptr, ns, ne, "count") || nameHas(ptr, ns, ne, "field") || nameHas(ptr, ns, ne, "header") ||
    nameHas(ptr, ns, ne, "public") || nameHas(ptr, ns, ne, "source");
}

/** Name [ns, ne) assigned the value at v; adds a generic finding and returns its end, or -1. */
export function matchGeneric(ptr: usize, ns: i32, ne: i32, v: i32, end: i32, out: Findings): i32 {
  // The value first (cheap, and most values are too short for either kind), then the name.
  let s = v;
  if (hasLitCI(ptr, s, end, "bearer ")) s += 7;
  else if (hasLitCI(ptr, s, end, "basic ")) s += 6;
  let j = s;
  const stop = min<i32>(end, s + MAX_VALUE + 1);
  while (j < stop && valueByte(byteAt(ptr, j))) j++;
  tick(j - s + 1);
  const n = j - s;
  if (n > MAX_VALUE || n < MIN_PASSWORD) return -1;
  const password = nameHas(ptr, ns, ne, "password") || nameHas(ptr, ns, ne, "passwd") || nameHas(ptr, ns, ne, "pwd");
  const secret = password || nameHas(ptr, ns, ne, "secret") || nameHas(ptr, ns, ne, "token") ||
    nameHas(ptr, ns, ne, "key") || nameHas(ptr, ns, ne, "apikey") || nameHas(ptr, ns, ne, "auth") ||
    nameHas(ptr, ns, ne, "credential") || nameHas(ptr, ns, ne, "credentials");
  if (!secret || describesSecret(ptr, ns, ne)) return -1;
  const least = password ? MIN_PASSWORD : MIN_SECRET;
  if (n < least) return -1;
  if (isPlaceholder(ptr, s, j)) return -1;
  // Two or more dots: a host name or a dotted identifier, not a key.
  tick(j - s);
  let dots = 0;
  for (let k = s; k < j; k++) if (byteAt(ptr, k) == 0x2e) dots++;
  if (dots >= 2) return -1;
  const h = entropy(ptr, s, j);
  if (password) {
    if (h < PASSWORD_ENTROPY) return -1;
  } else {
    if (h < SECRET_ENTROPY) return -1;
    // Random tokens hold digits and letters; words, dotted names and paths rarely both.
    if (classMix(ptr, s, j) < 2 || !hasDigit(ptr, s, j)) return -1;
  }
  out.add(s, j, PiiType.Secret, password ? SUB_PASSWORD : SUB_GENERIC, 60);
  return j;
}
