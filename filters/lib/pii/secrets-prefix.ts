// The prefix-table engine: formats that announce themselves with a literal prefix ("ghp_",
// "xoxb-", "AKIA"...) followed by one or more segments of a known alphabet and length. Rules are
// bucketed by their first byte (longest prefixes first) and flattened at module init into tables
// keyed by the first two bytes, so a position costs one bit test unless its byte pair starts some
// prefix; then only that pair's rules are tried and the segments are read with capped runs.
import {
  byteAt, classMix, cls, containsCI, entropy, isPlaceholder, C_EQ, C_SPACE, WORD,
} from "./secrets-bytes";
import { secretSubtype } from "./secrets-family";
import { Findings, PiiType } from "./findings";
import { tick } from "./work";

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
  // The scan's gates assume these: a pair of bytes to look up, the first a word byte.
  assert(prefix.length >= 2 && (cls(prefix.charCodeAt(0)) & WORD) != 0 && !frozen,
    "prefix rules: 2+ byte prefixes starting with a word byte, declared before freezePrefixRules");
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

// ---- the matcher's tables, flattened once at module init (freezePrefixRules) ----------------
// Every prefix has 2+ bytes, so the rules that can match at i all start with the byte pair at i:
// a 65536-bit set of the pairs some prefix starts with rejects almost every position with one
// load. The rules are then grouped by pair (a position only ever tries its pair's group; within
// a group, the bucket's order: longest prefix first, declaration order on ties), and every rule
// is plain numbers in flat arrays: prefix bytes, flags, and its segments.

let frozen = false;
/** The shortest prefixed match: prefix, segment minimums and separators ("AP0" + 8 = 11). */
export let minPrefixedLen: i32 = i32.MAX_VALUE;
const pairBits: usize = memory.data(2048 * 4, 4); // static: the scan's gate reads it unspilled
/**
 * Second gate: 65536 bits hashed from the first three bytes of every prefix (a 2-byte prefix
 * sets its pair with every third byte). English words share many pairs with prefixes ("li" of
 * "lin_api_", "wh" of "whsec_"), far fewer triples.
 */
const tripleBits: usize = memory.data(2048 * 4, 4);

// @ts-ignore: decorator
@inline function tripleHash(b: u32, b1: u32, b2: u32): u32 {
  return ((b * 0x9e3779b1) ^ (b1 * 0x85ebca77) ^ (b2 * 0xc2b2ae3d)) >>> 16;
}

function setTriple(b: u32, b1: u32, b2: u32): void {
  const h = tripleHash(b, b1, b2);
  const w = tripleBits + (<usize>(h >>> 5) << 2);
  store<u32>(w, load<u32>(w) | (1 << (h & 31)));
}
/** Groups of the first byte b: [groupFrom[b], groupFrom[b + 1]). */
const groupFrom = new StaticArray<i32>(257);
let groupSecond = new StaticArray<u8>(0);
let groupRuleFrom = new StaticArray<i32>(0);
let groupRuleTo = new StaticArray<i32>(0);
// Rules in group order.
let rPrefixAt = new StaticArray<i32>(0);
let rPrefixLen = new StaticArray<i32>(0);
let rFlags = new StaticArray<i32>(0);
let rSub = new StaticArray<i32>(0);
let rScore = new StaticArray<i32>(0);
let rSegFrom = new StaticArray<i32>(0);
let rSegTo = new StaticArray<i32>(0);
let prefixBytes = new StaticArray<u8>(0);
let sAlpha = new StaticArray<u32>(0);
let sMin = new StaticArray<i32>(0);
let sMax = new StaticArray<i32>(0);
let sSep = new StaticArray<u32>(0);

/** Builds the matcher's tables from the declared rules (once, after the last prefixRule). */
export function freezePrefixRules(): void {
  if (frozen) return;
  frozen = true;
  let nRules = 0;
  let nSegs = 0;
  let nBytes = 0;
  let nGroups = 0;
  for (let b = 0; b < 256; b++) {
    const list = unchecked(buckets[b]);
    if (list === null) continue;
    const seen = new StaticArray<bool>(256);
    for (let k = 0; k < list.length; k++) {
      const r = unchecked(list[k]);
      nRules++;
      nSegs += r.segs.length;
      nBytes += r.prefix.length;
      const c = r.prefix.charCodeAt(1) & 0xff;
      if (!unchecked(seen[c])) { unchecked(seen[c] = true); nGroups++; }
    }
  }
  groupSecond = new StaticArray<u8>(nGroups);
  groupRuleFrom = new StaticArray<i32>(nGroups);
  groupRuleTo = new StaticArray<i32>(nGroups);
  rPrefixAt = new StaticArray<i32>(nRules);
  rPrefixLen = new StaticArray<i32>(nRules);
  rFlags = new StaticArray<i32>(nRules);
  rSub = new StaticArray<i32>(nRules);
  rScore = new StaticArray<i32>(nRules);
  rSegFrom = new StaticArray<i32>(nRules);
  rSegTo = new StaticArray<i32>(nRules);
  prefixBytes = new StaticArray<u8>(nBytes);
  sAlpha = new StaticArray<u32>(nSegs);
  sMin = new StaticArray<i32>(nSegs);
  sMax = new StaticArray<i32>(nSegs);
  sSep = new StaticArray<u32>(nSegs);
  let g = 0;
  let ri = 0;
  let si = 0;
  let bi = 0;
  for (let b = 0; b < 256; b++) {
    unchecked(groupFrom[b] = g);
    const list = unchecked(buckets[b]);
    if (list === null) continue;
    const done = new StaticArray<bool>(256);
    for (let k = 0; k < list.length; k++) {
      const c = unchecked(list[k]).prefix.charCodeAt(1) & 0xff;
      if (unchecked(done[c])) continue;
      unchecked(done[c] = true);
      const pair = (b << 8) | c;
      const w = pairBits + (<usize>(pair >>> 5) << 2);
      store<u32>(w, load<u32>(w) | (1 << (pair & 31)));
      unchecked(groupSecond[g] = <u8>c);
      unchecked(groupRuleFrom[g] = ri);
      // The bucket's rules with this second byte, in bucket order.
      for (let m = k; m < list.length; m++) {
        const r = unchecked(list[m]);
        const p = r.prefix;
        if ((p.charCodeAt(1) & 0xff) != c) continue;
        if (p.length == 2) for (let t: u32 = 0; t < 256; t++) setTriple(b, c, t);
        else setTriple(b, c, p.charCodeAt(2) & 0xff);
        unchecked(rPrefixAt[ri] = bi);
        unchecked(rPrefixLen[ri] = p.length);
        for (let q = 0; q < p.length; q++) unchecked(prefixBytes[bi++] = <u8>p.charCodeAt(q));
        unchecked(rFlags[ri] = r.flags);
        unchecked(rSub[ri] = r.sub);
        unchecked(rScore[ri] = r.score);
        unchecked(rSegFrom[ri] = si);
        const segs = r.segs;
        let least = p.length;
        for (let q = 0; q < segs.length; q++) least += unchecked(segs[q]).min + (unchecked(segs[q]).sep != 0 ? 1 : 0);
        if (least < minPrefixedLen) minPrefixedLen = least;
        for (let q = 0; q < segs.length; q++) {
          const sg = unchecked(segs[q]);
          unchecked(sAlpha[si] = sg.alpha);
          unchecked(sMin[si] = sg.min);
          unchecked(sMax[si] = sg.max);
          unchecked(sSep[si] = sg.sep);
          si++;
        }
        unchecked(rSegTo[ri] = si);
        ri++;
      }
      unchecked(groupRuleTo[g] = ri);
      g++;
    }
  }
  unchecked(groupFrom[256] = g);
}

function delimiterBefore(ptr: usize, i: i32): bool {
  if (i == 0) return true;
  const b = byteAt(ptr, i - 1);
  return (cls(b) & C_SPACE) != 0 || b == 0x22 || b == 0x27 || b == 0x60 || b == 0x3d || b == 0x3a || b == 0x2c || b == 0x28;
}

/** Ends the match at the maximal run: the next byte may not continue a word. */
// @ts-ignore: decorator
@inline function boundaryAfter(ptr: usize, j: i32, end: i32): bool {
  return j >= end || (cls(byteAt(ptr, j)) & WORD) == 0;
}

/** Rule r (its first two bytes already seen at i) at i: the match's end, or -1. */
function matchRule(r: i32, ptr: usize, i: i32, end: i32): i32 {
  const n = unchecked(rPrefixLen[r]);
  if (i + n > end) return -1;
  const pa = unchecked(rPrefixAt[r]);
  for (let k = 2; k < n; k++) if (byteAt(ptr, i + k) != <u32>unchecked(prefixBytes[pa + k])) return -1;
  const flags = unchecked(rFlags[r]);
  if ((flags & F_PREV_DELIM) != 0 && !delimiterBefore(ptr, i)) return -1;
  const bodyStart = i + n;
  let j = bodyStart;
  const segTo = unchecked(rSegTo[r]);
  for (let s = unchecked(rSegFrom[r]); s < segTo; s++) {
    const alpha = unchecked(sAlpha[s]);
    const mx = unchecked(sMax[s]);
    // The run, capped at max + 1 bytes (longer than the format allows is all that matters).
    const stop = min<i32>(end, j + mx + 1);
    let k = j;
    while (k < stop && (cls(byteAt(ptr, k)) & alpha) != 0) k++;
    tick(k - j + 1);
    const run = k - j;
    if (run < unchecked(sMin[s]) || run > mx) return -1;
    j = k;
    const sep = unchecked(sSep[s]);
    if (sep != 0) {
      if (j >= end || byteAt(ptr, j) != sep) return -1;
      j++;
    }
  }
  const bodyEnd = j;
  if ((flags & F_PAD) != 0) {
    let pads = 0;
    while (j < end && pads < 3 && (cls(byteAt(ptr, j)) & C_EQ) != 0) { j++; pads++; }
  }
  if (!boundaryAfter(ptr, j, end)) return -1;
  if ((flags & F_ALLOW_PLACEHOLDER) == 0) {
    if (isPlaceholder(ptr, bodyStart, bodyEnd)) return -1; // (which includes "example")
  } else if (containsCI(ptr, bodyStart, bodyEnd, "example")) {
    // Documentation keys say so (AWS's AKIAIOSFODNN7EXAMPLE), even where stand-ins are allowed.
    return -1;
  }
  if ((flags & F_MIX3) != 0 && classMix(ptr, bodyStart, bodyEnd) < 3) return -1;
  if ((flags & F_ENDS_AA) != 0 && (byteAt(ptr, bodyEnd - 1) != 0x41 || byteAt(ptr, bodyEnd - 2) != 0x41)) return -1;
  if ((flags & F_NEED_DASH) != 0) {
    let dash = false;
    tick(bodyEnd - bodyStart);
    for (let k = bodyStart; k < bodyEnd; k++) if (byteAt(ptr, k) == 0x2d) { dash = true; break; }
    if (!dash) return -1;
  }
  if ((flags & F_ENTROPY) != 0 && entropy(ptr, bodyStart, bodyEnd) < 3.0) return -1;
  return j;
}

/** Some prefix starts with bytes b, b1 (one bit test: the scan's per-position gate). */
// @ts-ignore: decorator
@inline export function prefixPair(b: u32, b1: u32): bool {
  const pair = ((b & 0xff) << 8) | (b1 & 0xff);
  return (load<u32>(pairBits + (<usize>(pair >>> 5) << 2)) & (1 << (pair & 31))) != 0;
}

/**
 * Some prefix may start at i, whose first two bytes are b, b1: the pair's bit, then the hashed
 * triple's (a third byte past the end reads as 0: only 2-byte prefixes, set for every third
 * byte, could still fit, and none does without its body).
 */
// @ts-ignore: decorator
@inline export function prefixMayStart(ptr: usize, i: i32, end: i32, b: u32, b1: u32): bool {
  if (!prefixPair(b, b1)) return false;
  const h = tripleHash(b & 0xff, b1 & 0xff, i + 2 < end ? byteAt(ptr, i + 2) : 0);
  return (load<u32>(tripleBits + (<usize>(h >>> 5) << 2)) & (1 << (h & 31))) != 0;
}

/** Tries every prefixed format at i; on a match adds it and returns its end, else -1. */
export function matchPrefixed(ptr: usize, i: i32, end: i32, out: Findings): i32 {
  if (i + 1 >= end || !prefixPair(byteAt(ptr, i), byteAt(ptr, i + 1))) return -1;
  const b = byteAt(ptr, i);
  const c = byteAt(ptr, i + 1);
  const gEnd = unchecked(groupFrom[b + 1]);
  for (let g = unchecked(groupFrom[b]); g < gEnd; g++) {
    tick(1);
    if (<u32>unchecked(groupSecond[g]) != c) continue;
    const rEnd = unchecked(groupRuleTo[g]);
    for (let r = unchecked(groupRuleFrom[g]); r < rEnd; r++) {
      tick(1);
      const e = matchRule(r, ptr, i, end);
      if (e > i) {
        out.add(i, e, PiiType.Secret, unchecked(rSub[r]), unchecked(rScore[r]));
        return e;
      }
    }
    return -1;
  }
  return -1;
}
