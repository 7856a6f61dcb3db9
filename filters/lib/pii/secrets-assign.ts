// Assignments: `NAME <op> value` in env files, code, YAML and JSON (`KEY=v`, `key: v`,
// `"key": "v"`, `key := "v"`, `KEY ?= v`, `key ::= v`). Formats without a prefix are only
// reported here, when the name carries the service's keyword (a bare UUID or 40 hex bytes is
// not a secret; `HEROKU_API_KEY=<uuid>` is). Reading is bounded: names up to 80 bytes,
// at most 8 spaces around the operator.
import { byteAt, cls, containsCI, hasLitCI, C_LOWER, C_UPPER, WORD, C_DASH, C_DOT } from "./secrets-bytes";
import { tick } from "./work";

export const MAX_NAME = 80;
/** Bytes of a name (identifiers, dotted and dashed keys). */
export const NAME: u32 = WORD | C_DASH | C_DOT;

/** End of the name read by the last valueAfterName (exclusive). */
export let nameEnd: i32 = 0;

function skipBlanks(ptr: usize, j: i32, end: i32): i32 {
  let n = 0;
  while (j < end && n < 8) {
    const b = byteAt(ptr, j);
    if (b != 0x20 && b != 0x09) break;
    j++;
    n++;
  }
  return j;
}

/**
 * At i (a name's first byte): the start of the assigned value, past the operator and an opening
 * quote, or -1 when no assignment follows the name.
 */
export function valueAfterName(ptr: usize, i: i32, end: i32): i32 {
  let j = i;
  const stop = min<i32>(end, i + MAX_NAME + 1);
  while (j < stop && (cls(byteAt(ptr, j)) & NAME) != 0) { tick(1); j++; }
  if (j == stop && j < end) return -1;
  if (j - i < 2) return -1;
  nameEnd = j;
  return valueAfterNameEnd(ptr, j, end);
}

/**
 * At j (just past a name): the start of the assigned value, past the operator and an opening
 * quote, or -1 when no assignment follows. Depends on j only, so every name ending at j (the
 * word starts of "db.user-password") shares one answer.
 */
// @ts-ignore: decorator
@inline export function valueAfterNameEnd(ptr: usize, j: i32, end: i32): i32 {
  if (j < end && (byteAt(ptr, j) == 0x22 || byteAt(ptr, j) == 0x27)) j++; // closing quote of a JSON/YAML key
  j = skipBlanks(ptr, j, end);
  let op = 0;
  let assigns = false;
  while (j < end && op < 4) {
    const b = byteAt(ptr, j);
    if (b == 0x3a || b == 0x3d) assigns = true;
    else if (b != 0x3f && b != 0x21 && b != 0x3e) break;
    j++;
    op++;
  }
  if (!assigns) return -1;
  j = skipBlanks(ptr, j, end);
  if (j < end) {
    const b = byteAt(ptr, j);
    if (b == 0x22 || b == 0x27 || b == 0x60) j++;
  }
  return j < end ? j : -1;
}

/**
 * The name [s, e) mentions `kw` (lower case, starting with a letter) as a word part: the keyword is not continued by
 * another lower-case letter ("sumo_key", "SumoLogic", "SUMO" but not "sumObj" or "summon").
 * `allowTail` is a continuation that still counts ("logic" for "sumologic").
 */
export function nameHas(ptr: usize, s: i32, e: i32, kw: string, allowTail: string = ""): bool {
  const n = kw.length;
  const first = <u32>load<u16>(changetype<usize>(kw)); // a lower-case letter
  for (let i = s; i + n <= e; i++) {
    tick(1);
    if ((byteAt(ptr, i) | 0x20) != first || !hasLitCI(ptr, i, e, kw)) continue;
    const k = i + n;
    if (k >= e) return true;
    const b = byteAt(ptr, k);
    const prevUpper = (cls(byteAt(ptr, k - 1)) & C_UPPER) != 0;
    const c = cls(b);
    // Continued by a letter of the same word: lower after anything, upper after upper.
    const continues = (c & C_LOWER) != 0 || ((c & C_UPPER) != 0 && prevUpper);
    if (!continues) return true;
    if (allowTail.length > 0 && hasLitCI(ptr, k, e, allowTail)) return true;
  }
  return false;
}

/** The name [s, e) contains `kw` anywhere (lower case). */
export function nameContains(ptr: usize, s: i32, e: i32, kw: string): bool {
  return containsCI(ptr, s, e, kw);
}
