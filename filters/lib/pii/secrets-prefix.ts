// The prefix-table engine: formats that announce themselves with a literal prefix ("ghp_",
// "xoxb-", "AKIA"...) followed by one or more segments of a known alphabet and length. Rules are
// bucketed by their first byte, so a position costs one array load unless its byte starts some
// prefix; then the longest prefixes are tried first and the segments are read with capped runs.
import {
  byteAt, classMix, cls, containsCI, entropy, isPlaceholder, runLen, C_EQ, C_SPACE, WORD,
} from "./secrets-bytes";
import { secretSubtype } from "./secrets-family";
import { Findings, PiiType } from "./findings";

/** Accept bodies that look like stand-ins (formats whose documented samples are all x's). */
export const F_ALLOW_PLACEHOLDER: i32 = 1;
/** Body must hold a digit, a lower-case and an upper-case letter (short prefixes like "s."). */
export const F_MIX3: i32 = 2;
/** Up to three '=' of base64 padding may follow the last segment. */
export const F_PAD: i32 = 4;
/** The byte before must be a delimiter (start, space, quote, '=', ':', ',', '(' ): 2-3 byte prefixes. */
export const F_PREV_DELIM: i32 = 8;
/** Body ends in "AA" (Anthropic keys). */
export const F_ENDS_AA: i32 = 16;
/** Body must contain a '-' (formats whose one segment alphabet includes it: Tailscale). */
export const F_NEED_DASH: i32 = 32;
/** Body's Shannon entropy at least 3 bits per byte (weak prefixes). */
export const F_ENTROPY: i32 = 64;

class Seg {
  constructor(public alpha: u32, public min: i32, public max: i32, public sep: u32) {}
}

export class PrefixRule {
  segs: Seg[] = [];
  constructor(public prefix: string, public sub: i32, public score: i32, public flags: i32) {}

  /** Adds a segment; `sep` is the literal byte that must follow it (0 for the last). */
  seg(alpha: u32, min: i32, max: i32, sep: string = ""): PrefixRule {
    this.segs.push(new Seg(alpha, min, max, sep.length > 0 ? <u32>sep.charCodeAt(0) : 0));
    return this;
  }
}

const buckets = new Array<Array<PrefixRule> | null>(256);

/** Declares a prefixed format (module init). Longer prefixes of a bucket are tried first. */
export function prefixRule(prefix: string, name: string, family: string, score: i32, flags: i32 = 0): PrefixRule {
  const r = new PrefixRule(prefix, secretSubtype(name, family), score, flags);
  const b = prefix.charCodeAt(0) & 0xff;
  let list = unchecked(buckets[b]);
  if (list === null) {
    list = new Array<PrefixRule>();
    unchecked(buckets[b] = list);
  }
  // Insert after every rule with a prefix at least as long (declaration order kept on ties).
  list.push(r);
  let k = list.length - 1;
  while (k > 0 && unchecked(list[k - 1]).prefix.length < prefix.length) {
    unchecked(list[k] = list[k - 1]);
    k--;
  }
  unchecked(list[k] = r);
  return r;
}

function delimiterBefore(ptr: usize, i: i32): bool {
  if (i == 0) return true;
  const b = byteAt(ptr, i - 1);
  return (cls(b) & C_SPACE) != 0 || b == 0x22 || b == 0x27 || b == 0x60 || b == 0x3d || b == 0x3a || b == 0x2c || b == 0x28;
}

/** Ends the match at the maximal run: the next byte may not continue a word. */
function boundaryAfter(ptr: usize, j: i32, end: i32): bool {
  return j >= end || (cls(byteAt(ptr, j)) & WORD) == 0;
}

function matchRule(r: PrefixRule, ptr: usize, i: i32, end: i32): i32 {
  const p = r.prefix;
  const n = p.length;
  if (i + n > end) return -1;
  for (let k = 1; k < n; k++) if (byteAt(ptr, i + k) != <u32>p.charCodeAt(k)) return -1;
  const flags = r.flags;
  if ((flags & F_PREV_DELIM) != 0 && !delimiterBefore(ptr, i)) return -1;
  const bodyStart = i + n;
  let j = bodyStart;
  const segs = r.segs;
  for (let s = 0; s < segs.length; s++) {
    const g = unchecked(segs[s]);
    const run = runLen(ptr, j, end, g.alpha, g.max);
    if (run < g.min || run > g.max) return -1;
    j += run;
    if (g.sep != 0) {
      if (j >= end || byteAt(ptr, j) != g.sep) return -1;
      j++;
    }
  }
  const bodyEnd = j;
  if ((flags & F_PAD) != 0) {
    let pads = 0;
    while (j < end && pads < 3 && (cls(byteAt(ptr, j)) & C_EQ) != 0) { j++; pads++; }
  }
  if (!boundaryAfter(ptr, j, end)) return -1;
  if ((flags & F_ALLOW_PLACEHOLDER) == 0 && isPlaceholder(ptr, bodyStart, bodyEnd)) return -1;
  // Documentation keys say so (AWS's AKIAIOSFODNN7EXAMPLE), even where stand-ins are allowed.
  if (containsCI(ptr, bodyStart, bodyEnd, "example")) return -1;
  if ((flags & F_MIX3) != 0 && classMix(ptr, bodyStart, bodyEnd) < 3) return -1;
  if ((flags & F_ENDS_AA) != 0 && (byteAt(ptr, bodyEnd - 1) != 0x41 || byteAt(ptr, bodyEnd - 2) != 0x41)) return -1;
  if ((flags & F_NEED_DASH) != 0) {
    let dash = false;
    for (let k = bodyStart; k < bodyEnd; k++) if (byteAt(ptr, k) == 0x2d) { dash = true; break; }
    if (!dash) return -1;
  }
  if ((flags & F_ENTROPY) != 0 && entropy(ptr, bodyStart, bodyEnd) < 3.0) return -1;
  return j;
}

/** Tries every prefixed format at i; on a match adds it and returns its end, else -1. */
export function matchPrefixed(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  const list = unchecked(buckets[byteAt(ptr, i)]);
  if (list === null) return -1;
  for (let k = 0; k < list.length; k++) {
    const r = unchecked(list[k]);
    const e = matchRule(r, ptr, i, end);
    if (e > i) {
      out.add(i, e, PiiType.Secret, r.sub, r.score);
      return e;
    }
  }
  return -1;
}
