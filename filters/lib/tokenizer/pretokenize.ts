// The split stage: hand-written scanners equivalent to the encodings' pre-tokenizer regexes as
// js-tiktoken runs them (JavaScript `u` regexes, leftmost alternative wins, backtracking):
//
// cl100k_base:
//   ('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)
//   |[^\r\n\p{L}\p{N}]?\p{L}+ |\p{N}{1,3} | ?[^\s\p{L}\p{N}]+[\r\n]* |\s*[\r\n]+ |\s+(?!\S) |\s+
// o200k_base:
//   [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(C)?
//   |[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(C)?
//   |\p{N}{1,3} | ?[^\s\p{L}\p{N}]+[\r\n/]* |\s*[\r\n]+ |\s+(?!\S) |\s+
//   with C the same contraction list as cl100k's first alternative.
//
// Each scanner takes the start of a piece and returns its end; the caller loops. Backtracking is
// resolved analytically (comments at each place say which path the regex engine takes first).
// Code points are decoded from UTF-8 on the fly; an invalid sequence decodes to U+FFFD exactly as
// TextDecoder does (one U+FFFD per maximal subpart, WHATWG "UTF-8 decode"), which sets
// `sawInvalid` so the caller can substitute the bytes before the merge.
import {
  classOf, C_LL, C_N, C_WS, SET_L, SET_LOWER, SET_PUNCT, SET_UPPER,
} from "./tables";

let inputEnd: usize = 0;
let cpLen: usize = 0;
// Sticky: an invalid UTF-8 sequence was decoded since the caller last cleared it.
let sawInvalid: bool = false;

export function invalidSeen(): bool {
  return sawInvalid;
}

export function beginInput(end: usize): void {
  inputEnd = end;
  sawInvalid = false;
}

export function clearInvalid(): void {
  sawInvalid = false;
}

/** Code point at p (p < inputEnd); its byte length goes to cpLen. */
export function decodeAt(p: usize): u32 {
  const b0 = <u32>load<u8>(p);
  if (b0 < 0x80) { cpLen = 1; return b0; }
  let need: usize;
  let lower: u32 = 0x80;
  let upper: u32 = 0xbf;
  let cp: u32;
  if (b0 >= 0xc2 && b0 <= 0xdf) { need = 1; cp = b0 & 0x1f; }
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    need = 2; cp = b0 & 0x0f;
    if (b0 == 0xe0) lower = 0xa0;
    else if (b0 == 0xed) upper = 0x9f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    need = 3; cp = b0 & 0x07;
    if (b0 == 0xf0) lower = 0x90;
    else if (b0 == 0xf4) upper = 0x8f;
  } else { cpLen = 1; sawInvalid = true; return 0xfffd; }
  for (let k: usize = 1; k <= need; k++) {
    // A byte that cannot continue the sequence is not consumed: it starts the next code point.
    if (p + k >= inputEnd) { cpLen = k; sawInvalid = true; return 0xfffd; }
    const b = <u32>load<u8>(p + k);
    if (b < lower || b > upper) { cpLen = k; sawInvalid = true; return 0xfffd; }
    lower = 0x80;
    upper = 0xbf;
    cp = cp << 6 | (b & 0x3f);
  }
  cpLen = need + 1;
  return cp;
}

/** Length of the maximal subpart at p if it is invalid, else 0 (used for byte substitution). */
export function invalidLenAt(p: usize): usize {
  const saved = sawInvalid;
  sawInvalid = false;
  decodeAt(p);
  const bad = sawInvalid;
  sawInvalid = saved;
  return bad ? cpLen : 0;
}

export function lastLen(): usize {
  return cpLen;
}

// @ts-ignore: decorator
@inline
function inSet(cls: u32, set: u32): bool {
  return ((1 << cls) & set) != 0;
}

/** Not \r, \n, a letter or a number: the optional one-character prefix of a word. */
// @ts-ignore: decorator
@inline
function isPrefix(cp: u32, cls: u32): bool {
  return !inSet(cls, SET_L | (1 << C_N)) && cp != 0x0d && cp != 0x0a;
}

/** The contraction suffix at e (ASCII only), or e when there is none. */
function contraction(e: usize): usize {
  if (e + 1 >= inputEnd || load<u8>(e) != 0x27) return e;
  const b1 = <u32>load<u8>(e + 1) | 0x20; // ASCII lower case; no other byte maps onto s,t,m,d,r,v,l
  if (b1 == 0x73 || b1 == 0x74 || b1 == 0x6d || b1 == 0x64) return e + 2;
  if (e + 2 >= inputEnd) return e;
  const b2 = <u32>load<u8>(e + 2) | 0x20;
  if ((b1 == 0x72 || b1 == 0x76) && b2 == 0x65) return e + 3;
  if (b1 == 0x6c && b2 == 0x6c) return e + 3;
  return e;
}

/** Maximal run of code points whose class is in `set`, from p. */
function runOf(p: usize, set: u32): usize {
  while (p < inputEnd) {
    const b = load<u8>(p);
    if (b < 0x80) {
      if (!inSet(classOf(b), set)) break;
      p++;
      continue;
    }
    const cp = decodeAt(p);
    if (!inSet(classOf(cp), set)) break;
    p += cpLen;
  }
  return p;
}

/** [^\s\p{L}\p{N}]+ then the trailing newline class ([\r\n]* or [\r\n/]*). */
function punctPiece(p: usize, slash: bool): usize {
  p = runOf(p, SET_PUNCT);
  while (p < inputEnd) {
    const b = load<u8>(p);
    if (b == 0x0d || b == 0x0a || (slash && b == 0x2f)) p++;
    else break;
  }
  return p;
}

/** \s*[\r\n]+ | \s+(?!\S) | \s+ from p, where p is whitespace. */
function spacePiece(p: usize): usize {
  const start = p;
  let lastStart = p;
  let afterNewline: usize = 0;
  while (p < inputEnd) {
    const b = <u32>load<u8>(p);
    if (b < 0x80) {
      // ASCII, the bulk of indentation and blank lines: no decode call.
      if (classOf(b) != C_WS) break;
      lastStart = p;
      p++;
      if (b == 0x0a || b == 0x0d) afterNewline = p;
      continue;
    }
    const cp = decodeAt(p);
    if (classOf(cp) != C_WS) break;
    lastStart = p;
    p += cpLen;
  }
  // \s* backtracks until [\r\n]+ can match: the piece ends after the run's last newline.
  if (afterNewline != 0) return afterNewline;
  // \s+(?!\S): at the end of input the whole run; otherwise the run minus its last code point,
  // which is left to precede the next word.
  if (p >= inputEnd || lastStart == start) return p;
  return lastStart;
}

/** Up to three code points of \p{N} from p (p is one). */
function numberPiece(p: usize): usize {
  for (let k = 0; k < 3 && p < inputEnd; k++) {
    const cp = decodeAt(p);
    if (classOf(cp) != C_N) break;
    p += cpLen;
  }
  return p;
}

// ---- cl100k_base ----------------------------------------------------------------------------

export function cl100kPieceEnd(p: usize): usize {
  const c0 = decodeAt(p);
  const l0 = cpLen;
  const k0 = classOf(c0);
  if (c0 == 0x27) {
    const e = contraction(p);
    if (e != p) return e;
  }
  if (isPrefix(c0, k0) && p + l0 < inputEnd) {
    const c1 = decodeAt(p + l0);
    if (inSet(classOf(c1), SET_L)) return runOf(p + l0, SET_L);
  }
  if (inSet(k0, SET_L)) return runOf(p, SET_L);
  if (k0 == C_N) return numberPiece(p);
  if (c0 == 0x20 && p + 1 < inputEnd) {
    const c1 = decodeAt(p + 1);
    if (inSet(classOf(c1), SET_PUNCT)) return punctPiece(p + 1, false);
  }
  if (inSet(k0, SET_PUNCT)) return punctPiece(p, false);
  return spacePiece(p);
}

// ---- o200k_base -----------------------------------------------------------------------------

/**
 * [UPPER]*[LOWER]+ from s, or 0 when it cannot match. The engine tries U* at its longest first
 * and gives back one code point at a time until LOWER+ can start, so LOWER+ starts at the
 * furthest position p (within the U* run, or just after it) whose code point is LOWER.
 */
function wordLower(s: usize): usize {
  let q = s;
  let lastLower: usize = 0;
  let lastLowerLen: usize = 0;
  let kAfter: u32 = C_WS;
  while (q < inputEnd) {
    const b = <u32>load<u8>(q);
    let k: u32;
    let l: usize = 1;
    if (b < 0x80) k = classOf(b); // most words are ASCII: no decode call
    else { k = classOf(decodeAt(q)); l = cpLen; }
    if (!inSet(k, SET_UPPER)) { kAfter = k; break; }
    if (inSet(k, SET_LOWER)) { lastLower = q; lastLowerLen = l; }
    q += l;
  }
  // Just after the U* run: only Ll is LOWER without being UPPER.
  if (q < inputEnd && kAfter == C_LL) return runOf(q, SET_LOWER);
  // Otherwise LOWER+ starts at the last LOWER inside the run and stops right after it: what
  // follows it in the run is Lu/Lt, and what follows the run is not LOWER.
  if (lastLowerLen != 0) return lastLower + lastLowerLen;
  return 0;
}

/** [UPPER]+[LOWER]* from s, or 0 when s is not UPPER. Greedy, never needs to backtrack. */
function wordUpper(s: usize): usize {
  const q = runOf(s, SET_UPPER);
  if (q == s) return 0;
  return runOf(q, SET_LOWER);
}

export function o200kPieceEnd(p: usize): usize {
  const c0 = decodeAt(p);
  const l0 = cpLen;
  const k0 = classOf(c0);
  const pre = isPrefix(c0, k0) && p + l0 < inputEnd;
  // Alternative 1 with the prefix, then without; then alternative 2 likewise. A mark (\p{M}) can
  // be both the prefix and part of the word, hence the four tries.
  let e: usize = 0;
  if (pre) e = wordLower(p + l0);
  if (e == 0 && inSet(k0, SET_UPPER | SET_LOWER)) e = wordLower(p);
  if (e == 0 && pre) e = wordUpper(p + l0);
  if (e == 0 && inSet(k0, SET_UPPER)) e = wordUpper(p);
  if (e != 0) return contraction(e);
  if (k0 == C_N) return numberPiece(p);
  if (c0 == 0x20 && p + 1 < inputEnd) {
    const c1 = decodeAt(p + 1);
    if (inSet(classOf(c1), SET_PUNCT)) return punctPiece(p + 1, true);
  }
  if (inSet(k0, SET_PUNCT)) return punctPiece(p, true);
  return spacePiece(p);
}
