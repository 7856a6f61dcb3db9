// URL_CREDENTIALS: `scheme://user:password@host[:port]`. Anchored on "://". The entity reported
// is the URL from its scheme to the end of host[:port]: the password alone would leave the
// user and host (what an attacker needs with it), and labelled data marks the whole
// `scheme://user:pass@host` too. The path, query and fragment are not included.
// Userinfo runs to the LAST `@` before the authority ends, because real passwords contain
// unescaped `@` ("user:p@ss@host").
import { Findings, PiiType, subtypeId } from "./findings";
import { at, findBytes3, isAlnum, isAlpha, isDigit, isSpace } from "./detect-chars";
import { WordList } from "./context";
import { tick } from "./work";

const SUB_BASIC = subtypeId("basic_auth");
const SUB_DB = subtypeId("connection_string");

const DB_SCHEMES = new WordList(
  "postgres postgresql mysql mariadb redis rediss mongodb amqp amqps mssql sqlserver oracle jdbc cockroachdb clickhouse cassandra couchdb neo4j nats kafka memcached elasticsearch",
);
const AUTH_SCHEMES = new WordList("http https ftp ftps sftp ssh git svn smtp smtps imap imaps pop3 ldap ldaps ws$ wss$ rtsp telnet webdav dav$ s3$ sip$");

const MAX_SCHEME = 32;
const MAX_AUTHORITY = 512;

export function detectUrlCredentials(ptr: usize, len: usize, out: Findings): void {
  const n = <i32>len;
  let i = 0;
  while (true) {
    tick(1);
    i = findBytes3(ptr, n, i, 0x3A, 0x2F, 0x2F); // "://"
    if (i + 2 >= n) break;
    const c = i;
    i += 3;
    // Scheme backwards: a letter then letters, digits, + - .
    let s = c;
    while (s > 0 && c - s <= MAX_SCHEME && isSchemeByte(at(ptr, n, s - 1))) { tick(1); s--; }
    while (s < c && !isAlpha(at(ptr, n, s))) { tick(1); s++; }
    if (s == c || c - s > MAX_SCHEME) continue;
    // Authority: up to the first byte that ends it; remember the last '@' and the first ':'.
    const u = c + 3;
    let k = u;
    let lastAt = -1;
    while (k < n && k - u < MAX_AUTHORITY && !endsAuthority(at(ptr, n, k))) {
      tick(1);
      if (at(ptr, n, k) == 0x40) lastAt = k;
      k++;
    }
    if (lastAt < 0) continue;
    tick(lastAt - u);
    let colon = -1;
    for (let j = u; j < lastAt; j++) if (at(ptr, n, j) == 0x3A) { colon = j; break; }
    // The user may be empty (redis://:secret@host), the password may not.
    if (colon < 0 || colon + 1 == lastAt) continue;
    if (isPlaceholder(ptr, n, colon + 1, lastAt)) continue;
    const h = hostEnd(ptr, n, lastAt + 1);
    if (h == 0) continue;
    const db = DB_SCHEMES.findIn(ptr, n, s, s + 1);
    const known = db || AUTH_SCHEMES.findIn(ptr, n, s, s + 1);
    let score = known ? 90 : 75;
    // A raw '@' inside an http/ftp password makes the split ambiguous (browsers and curl
    // disagree on it), so it is reported below the default threshold; database drivers do
    // split at the last '@', and connection strings are often written that way.
    if (!db && hasAt(ptr, n, colon + 1, lastAt)) score = 45;
    out.add(s, h, PiiType.UrlCredentials, db ? SUB_DB : SUB_BASIC, score);
    i = h;
  }
}

@inline function isSchemeByte(b: u32): bool {
  return isAlnum(b) || b == 0x2B || b == 0x2D || b == 0x2E;
}

function endsAuthority(b: u32): bool {
  if (isSpace(b) || b < 0x20) return true;
  switch (b) {
    case 0x2F: case 0x3F: case 0x23: case 0x22: case 0x27: case 0x3C: case 0x3E: case 0x60:
    case 0x5C: case 0x28: case 0x29: case 0x7B: case 0x7D: case 0x5B: case 0x5D:
      return true;
  }
  return false;
}

/** Template values ("${DB_PASS}", "<password>", "****", "%s") are not credentials. */
function isPlaceholder(ptr: usize, n: i32, s: i32, e: i32): bool {
  const b = at(ptr, n, s);
  if (b == 0x24 || b == 0x7B || b == 0x3C || b == 0x25) return true;
  tick(e - s);
  let stars = true;
  for (let k = s; k < e; k++) if (at(ptr, n, k) != 0x2A) stars = false;
  return stars;
}

/**
 * End of host[:port] at h (a name, an IPv4, or a bracketed IPv6), or 0. ASCII only (IDN hosts
 * travel as punycode in URLs): in CJK text the next word often follows the host unspaced.
 */
function hostEnd(ptr: usize, n: i32, h: i32): i32 {
  let k = h;
  if (at(ptr, n, k) == 0x5B) {
    while (k < n && k - h < 64 && at(ptr, n, k) != 0x5D) { tick(1); k++; }
    if (at(ptr, n, k) != 0x5D) return 0;
    k++;
  } else {
    while (k < n && k - h < 256) {
      tick(1);
      const b = at(ptr, n, k);
      if (isAlnum(b) || b == 0x2D || b == 0x2E || b == 0x5F) k++;
      else break;
    }
    while (k > h && at(ptr, n, k - 1) == 0x2E) { tick(1); k--; }
    if (k == h) return 0;
  }
  if (at(ptr, n, k) == 0x3A && isDigit(at(ptr, n, k + 1))) {
    k++;
    let d = 0;
    while (d < 6 && isDigit(at(ptr, n, k))) { k++; d++; }
  }
  return k;
}

function hasAt(ptr: usize, n: i32, s: i32, e: i32): bool {
  tick(e - s);
  for (let k = s; k < e; k++) if (at(ptr, n, k) == 0x40) return true;
  return false;
}
