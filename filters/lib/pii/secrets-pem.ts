// PEM private key blocks: "-----BEGIN <label> PRIVATE KEY[ BLOCK]-----" through the END line,
// reported whole. Blocks also appear JSON-escaped (service-account files: "\n" as two bytes),
// so nothing here depends on real line breaks. The END search is memoised per scan: positions
// only grow, so however many BEGIN lines a text holds, the bytes are searched for END once.
import { byteAt, cls, hasLit, C_UPPER, C_SPACE, B64, C_EQ } from "./secrets-bytes";
import { secretSubtype } from "./secrets-family";
import { Findings, PiiType } from "./findings";
import { tick } from "./work";

const SUB_PEM = secretSubtype("private_key", "private_key");
/** Largest block looked for (a 16k-bit RSA key is ~12 KiB of base64). */
const MAX_BLOCK = 65536;
const MAX_LABEL = 64;

let endFrom: i32 = 0; // searched [.., endFrom) already
let endAt: i32 = -1; // first "-----END" at or after the last search start, or -1 for none

/** Forgets the memo (start of every scan). */
export function resetPem(): void {
  endFrom = 0;
  endAt = -1;
}

function nextEnd(ptr: usize, from: i32, end: i32): i32 {
  if (endAt >= from) return endAt;
  if (endAt < 0 && endFrom > from) return -1; // searched already, none ahead
  let i = max<i32>(from, endFrom);
  while (i + 8 <= end) {
    tick(1);
    if (byteAt(ptr, i) == 0x2d && hasLit(ptr, i, end, "-----END")) {
      endAt = i;
      endFrom = i + 1;
      return i;
    }
    i++;
  }
  endFrom = end;
  endAt = -1;
  return -1;
}

/** At i ('-'): a private key block; adds it and returns its end, else -1. */
export function matchPem(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  if (!hasLit(ptr, i, end, "-----BEGIN ")) return -1;
  // Label: upper-case words up to the closing dashes, must say PRIVATE KEY.
  let j = i + 11;
  const labelStart = j;
  const stop = min<i32>(end, j + MAX_LABEL);
  while (j < stop && ((cls(byteAt(ptr, j)) & C_UPPER) != 0 || byteAt(ptr, j) == 0x20)) { tick(1); j++; }
  if (!hasLit(ptr, j, end, "-----")) return -1;
  let label = false;
  for (let k = labelStart; k + 11 <= j; k++) if (hasLit(ptr, k, j, "PRIVATE KEY")) { label = true; break; }
  if (!label) return -1;
  const headerEnd = j + 5;
  const e = nextEnd(ptr, headerEnd, end);
  if (e >= 0 && e - i <= MAX_BLOCK) {
    // END line: "-----END", its label, then the dashes (tolerating a short count).
    let k = e + 8;
    const lstop = min<i32>(end, k + MAX_LABEL);
    while (k < lstop && ((cls(byteAt(ptr, k)) & C_UPPER) != 0 || byteAt(ptr, k) == 0x20)) { tick(1); k++; }
    let dashes = 0;
    while (k < end && dashes < 5 && byteAt(ptr, k) == 0x2d) { k++; dashes++; }
    out.add(i, k, PiiType.Secret, SUB_PEM, 95);
    return k;
  }
  // No END (truncated paste): the header and the base64 body that follows.
  let k = headerEnd;
  const bstop = min<i32>(end, i + MAX_BLOCK);
  while (k < bstop) {
    tick(1);
    const b = byteAt(ptr, k);
    if ((cls(b) & (B64 | C_EQ | C_SPACE)) != 0 || b == 0x5c) k++;
    else break;
  }
  out.add(i, k, PiiType.Secret, SUB_PEM, 85);
  return k;
}
