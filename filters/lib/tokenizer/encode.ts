// Whole-input tokenization: split into pieces, merge each piece, sum or collect the ranks.
import { encodingDescriptor, ENCODING_CL100K, ENCODING_O200K } from "./tables";
import { countPiece, encodePiece, rankOf, NO_RANK, useEncoding, LONG_PIECE_LIMIT } from "./bpe";
import {
  beginInput, clearInvalid, cl100kPieceEnd, invalidLenAt, invalidSeen, lastLen, o200kPieceEnd,
} from "./pretokenize";

/** The image is not in this module, or the encoding is unknown. */
export const TOKENIZE_UNAVAILABLE: i32 = -1;
/** One pre-tokenized piece (an unbroken run) exceeds LONG_PIECE_LIMIT bytes. */
export const TOKENIZE_PIECE_TOO_LONG: i32 = -2;
/** The id buffer is smaller than 3 x len entries. */
export const TOKENIZE_OUT_TOO_SMALL: i32 = -3;

/** Encoding index for a name (`o200k_base`, `cl100k_base`), -1 if unknown. */
export function encodingByName(name: string): i32 {
  if (name == "o200k_base") return ENCODING_O200K;
  if (name == "cl100k_base") return ENCODING_CL100K;
  return -1;
}

// Scratch for pieces that contain invalid UTF-8 (bytes substituted by U+FFFD's EF BF BD).
let fixAt: usize = 0;
let fixCap: usize = 0;

function substituted(p: usize, len: usize): usize {
  const need = len * 3;
  if (need > fixCap) {
    if (fixAt != 0) heap.free(fixAt);
    fixCap = max<usize>(need, 256);
    fixAt = heap.alloc(fixCap);
  }
  let o = fixAt;
  let i: usize = 0;
  while (i < len) {
    const bad = invalidLenAt(p + i);
    if (bad != 0) {
      store<u8>(o, 0xef);
      store<u8>(o, 0xbf, 1);
      store<u8>(o, 0xbd, 2);
      o += 3;
      i += bad;
    } else {
      const n = lastLen();
      memory.copy(o, p + i, n);
      o += n;
      i += n;
    }
  }
  return o - fixAt; // the bytes are at fixAt
}

// Rank + 1 of each ASCII digit string of length 1-3 per encoding (0: not looked up yet), filled
// on first sight from the hash table: 1,110 entries x 2 encodings x 4 bytes.
const DIGIT_KEYS: i32 = 1110;
const digitRanks: usize = memory.data(DIGIT_KEYS * 2 * 4, 4);

function digitsRank(encoding: i32, p: usize, n: u32, v: u32): u32 {
  // "7" -> 7, "07" -> 17, "007" -> 117: strings of each length get their own block.
  const key = v + (n == 1 ? 0 : n == 2 ? 10 : 110);
  const at = digitRanks + ((<usize>encoding * <usize>DIGIT_KEYS + <usize>key) << 2);
  const known = load<u32>(at);
  if (known != 0) return known - 1;
  const r = rankOf(p, n);
  // NO_RANK + 1 would read as "unknown"; such strings just take the lookup every time.
  if (r != NO_RANK) store<u32>(at, r + 1);
  return r;
}

function run(ptr: usize, len: usize, encoding: i32, out: usize): i32 {
  const desc = encodingDescriptor(encoding);
  if (desc == 0) return TOKENIZE_UNAVAILABLE;
  useEncoding(desc);
  const end = ptr + len;
  beginInput(end);
  const o200k = encoding == ENCODING_O200K;
  let p = ptr;
  let total: i32 = 0;
  let o = out;
  while (p < end) {
    // ASCII digits: the piece is \p{N}{1,3} in both encodings (a digit is never a word prefix or
    // part of a word), and its rank comes from a small table instead of scan + hash.
    const d = <u32>load<u8>(p) - 0x30;
    if (d < 10) {
      let e = p + 1;
      let v = d;
      while (e < end && e - p < 3) {
        const x = <u32>load<u8>(e) - 0x30;
        if (x >= 10) break;
        v = v * 10 + x;
        e++;
      }
      // Shorter than three and followed by a non-ASCII byte: maybe another \p{N}, scan normally.
      if (e - p == 3 || e == end || load<u8>(e) < 0x80) {
        const r = digitsRank(encoding, p, <u32>(e - p), v);
        if (r != NO_RANK) {
          total++;
          if (o != 0) { store<u32>(o, r); o += 4; }
          p = e;
          continue;
        }
      }
    }
    clearInvalid();
    const e = o200k ? o200kPieceEnd(p) : cl100kPieceEnd(p);
    let q = p;
    let qlen = e - p;
    // Every code point of the piece was decoded while scanning it, so a clean flag means clean
    // bytes; a set flag may come from lookahead past the piece, and substituted() re-checks.
    if (invalidSeen()) {
      qlen = substituted(p, qlen);
      q = fixAt;
    }
    if (qlen > <usize>LONG_PIECE_LIMIT) return TOKENIZE_PIECE_TOO_LONG;
    const n = o != 0 ? encodePiece(q, <u32>qlen, o) : countPiece(q, <u32>qlen, encoding);
    total += <i32>n;
    if (o != 0) o += <usize>n << 2;
    p = e;
  }
  return total;
}

/**
 * Number of tokens in the UTF-8 bytes [ptr, ptr+len) for an encoding (ENCODING_O200K or
 * ENCODING_CL100K), or a negative TOKENIZE_* error. Never traps on any byte content.
 */
export function countTokens(ptr: usize, len: usize, encoding: i32): i32 {
  return run(ptr, len, encoding, 0);
}

/**
 * Token ids (ranks) of [ptr, ptr+len) written as u32 to `out`, which must have room for
 * 3 x len entries (an invalid byte can become U+FFFD's three bytes). Returns how many were
 * written, or a negative TOKENIZE_* error.
 */
export function encodeTokens(ptr: usize, len: usize, encoding: i32, out: usize, outCap: usize): i32 {
  if (outCap < len * 3 || out == 0) return TOKENIZE_OUT_TOO_SMALL;
  return run(ptr, len, encoding, out);
}
