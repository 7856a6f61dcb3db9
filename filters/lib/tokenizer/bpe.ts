// Byte-pair merge of one pre-tokenized piece, as tiktoken defines it: start from single bytes,
// repeatedly merge the adjacent pair whose concatenation has the lowest rank (the leftmost one
// on a tie), stop when no adjacent pair is a token. Two strategies with identical results:
// short pieces use the quadratic scan over a small array (cache-friendly, no allocation); long
// pieces use a linked list and a min-heap of (rank, position), O(n log n), so a 10,000-byte run
// costs milliseconds instead of seconds.

/** Pieces up to this many bytes take the quadratic path. */
export const SHORT_PIECE: u32 = 128;
export const NO_RANK: u32 = 0xffffffff;

import { cachedCount, cacheStore, CACHE_MAX_PIECE, CACHE_MIN_PIECE } from "./cache";

// The selected encoding (see useEncoding); globals rather than an object so the hot loops read
// them without a pointer chase.
let slotsAt: usize = 0;
let slotMask: u32 = 0;
let ckptsAt: usize = 0;
let blobAt: usize = 0;
let maxTokenLen: u32 = 0;
let byteRanksAt: usize = 0;
let pairsAt: usize = 0;

/** Selects the encoding whose descriptor is at `desc` (from tables.encodingDescriptor). */
export function useEncoding(desc: usize): void {
  slotsAt = <usize>load<u32>(desc, 0);
  slotMask = load<u32>(desc, 4);
  ckptsAt = <usize>load<u32>(desc, 8);
  blobAt = <usize>load<u32>(desc, 12);
  maxTokenLen = load<u32>(desc, 20);
  byteRanksAt = <usize>load<u32>(desc, 24);
  pairsAt = <usize>load<u32>(desc, 28);
}

export function maxTokenLength(): u32 {
  return maxTokenLen;
}

/** Rank of the token whose bytes are [p, p+len), or NO_RANK (0xffffffff). */
export function rankOf(p: usize, len: u32): u32 {
  if (len == 1) return load<u32>(byteRanksAt + (<usize>load<u8>(p) << 2));
  if (len == 2) return pairRank(<u32>load<u8>(p) << 8 | <u32>load<u8>(p, 1));
  if (len == 0 || len > maxTokenLen) return NO_RANK;
  let h: u32 = 0x811c9dc5;
  for (let i: usize = 0; i < <usize>len; i++) h = (h ^ <u32>load<u8>(p + i)) * 0x01000193;
  h ^= h >>> 16;
  h *= 0x85ebca6b;
  h ^= h >>> 13;
  h *= 0xc2b2ae35;
  h ^= h >>> 16;
  // Fingerprint and length share the slot word's top 14 bits: a mismatch there rejects a slot
  // without touching the token bytes, which is what almost every probe of a miss does.
  const tag: u32 = (h >>> 25) << 25 | (len - 1) << 18;
  let i = h & slotMask;
  while (true) {
    const w = load<u32>(slotsAt + (<usize>i << 2));
    if (w == 0) return NO_RANK;
    if ((w & 0xfffc0000) == tag && sameBytes(slotBytes(i), p, len)) return (w & 0x3ffff) - 1;
    i = (i + 1) & slotMask;
  }
}

/** Two-byte tokens: bit test, then popcount into the dense rank list (no hashing, 30 KB). */
// @ts-ignore: decorator
@inline
function pairRank(key: u32): u32 {
  const word = <usize>(key >>> 6);
  const bits = load<u64>(pairsAt + (word << 3));
  const bit = <u64>(key & 63);
  if (((bits >>> bit) & 1) == 0) return NO_RANK;
  const index = load<u32>(pairsAt + 8192 + (word << 2)) + <u32>popcnt<u64>(bits & ((<u64>1 << bit) - 1));
  return load<u32>(pairsAt + 12288 + (<usize>index << 2));
}

/** Where slot i's token bytes start: its block checkpoint plus the occupied slots before it. */
function slotBytes(i: u32): usize {
  let off = load<u32>(ckptsAt + (<usize>(i >>> 4) << 2));
  for (let j = i & ~15; j < i; j++) {
    const w = load<u32>(slotsAt + (<usize>j << 2));
    if (w != 0) off += ((w >>> 18) & 0x7f) + 1;
  }
  return blobAt + <usize>off;
}

// @ts-ignore: decorator
@inline
function sameBytes(a: usize, b: usize, len: u32): bool {
  let i: usize = 0;
  const n = <usize>len;
  while (i + 8 <= n) {
    if (load<u64>(a + i) != load<u64>(b + i)) return false;
    i += 8;
  }
  while (i < n) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
    i++;
  }
  return true;
}

// ---- short pieces: quadratic ---------------------------------------------------------------

// parts[k] = start offset of part k (parts[m] = len); pairRank[k] = rank of parts k and k+1
// merged; partRank[k] = rank of part k itself (only kept for the id path).
const shortStarts: usize = memory.data(<i32>(SHORT_PIECE + 2) * 4, 16);
const shortPairRank: usize = memory.data(<i32>(SHORT_PIECE + 2) * 4, 16);
const shortPartRank: usize = memory.data(<i32>(SHORT_PIECE + 2) * 4, 16);

// @ts-ignore: decorator
@inline
function pairRankAt(p: usize, starts: usize, k: u32, m: u32): u32 {
  // parts k and k+1 merged: bytes [starts[k], starts[k+2]); needs k+2 <= m.
  if (k + 2 > m) return NO_RANK;
  const s = load<u32>(starts + (<usize>k << 2));
  const e = load<u32>(starts + (<usize>(k + 2) << 2));
  return rankOf(p + <usize>s, e - s);
}

/**
 * Merges [p, p+len) with len <= SHORT_PIECE. Returns the token count; when `out` is not 0 the
 * ranks are also written there as u32.
 */
function mergeShort(p: usize, len: u32, out: usize): u32 {
  const starts = shortStarts;
  const pairRank = shortPairRank;
  const partRank = shortPartRank;
  let m = len; // number of parts
  for (let k: u32 = 0; k <= len; k++) store<u32>(starts + (<usize>k << 2), k);
  for (let k: u32 = 0; k < len; k++) {
    store<u32>(pairRank + (<usize>k << 2), k + 1 < len ? rankOf(p + <usize>k, 2) : NO_RANK);
    if (out != 0) store<u32>(partRank + (<usize>k << 2), load<u32>(byteRanksAt + (<usize>load<u8>(p + <usize>k) << 2)));
  }
  while (m > 1) {
    let best: u32 = NO_RANK;
    let at: u32 = 0;
    for (let k: u32 = 0; k + 1 < m; k++) {
      const r = load<u32>(pairRank + (<usize>k << 2));
      if (r < best) { best = r; at = k; }
    }
    if (best == NO_RANK) break;
    // Drop part at+1: shift starts (m+1 entries) and ranks (m entries) down by one.
    const tail = m - at - 1;
    memory.copy(starts + (<usize>(at + 1) << 2), starts + (<usize>(at + 2) << 2), <usize>tail << 2);
    memory.copy(pairRank + (<usize>(at + 1) << 2), pairRank + (<usize>(at + 2) << 2), <usize>(tail - 1) << 2);
    if (out != 0) {
      memory.copy(partRank + (<usize>(at + 1) << 2), partRank + (<usize>(at + 2) << 2), <usize>(tail - 1) << 2);
      store<u32>(partRank + (<usize>at << 2), best);
    }
    m--;
    store<u32>(pairRank + (<usize>at << 2), pairRankAt(p, starts, at, m));
    if (at > 0) store<u32>(pairRank + (<usize>(at - 1) << 2), pairRankAt(p, starts, at - 1, m));
  }
  if (out != 0) memory.copy(out, partRank, <usize>m << 2);
  return m;
}

// ---- long pieces: linked list + heap -------------------------------------------------------

// Scratch for the long path, grown on demand and kept (raw heap memory, not GC-managed).
let longAt: usize = 0;
let longCap: usize = 0;

/** Bytes of scratch the long path needs for a piece of `len` bytes. */
// @ts-ignore: decorator
@inline
function longScratchBytes(len: usize): usize {
  // next, prev, pairRank, partRank: u32 x (len + 1) each; heap: u64 x 3 len.
  return (len + 1) * 16 + len * 24;
}

/** Largest piece the long path accepts; beyond it the caller reports an error, never traps. */
export const LONG_PIECE_LIMIT: u32 = 1 << 20;

function ensureLong(bytes: usize): void {
  if (bytes <= longCap) return;
  if (longAt != 0) heap.free(longAt);
  let cap: usize = 1 << 16;
  while (cap < bytes) cap <<= 1;
  longAt = heap.alloc(cap);
  longCap = cap;
}

// Heap of u64 keys (rank << 32 | start): min-order is lowest rank, then leftmost.
let heapAt: usize = 0;
let heapLen: u32 = 0;

function heapPush(key: u64): void {
  let i = heapLen++;
  while (i > 0) {
    const parent = (i - 1) >>> 1;
    const pk = load<u64>(heapAt + (<usize>parent << 3));
    if (pk <= key) break;
    store<u64>(heapAt + (<usize>i << 3), pk);
    i = parent;
  }
  store<u64>(heapAt + (<usize>i << 3), key);
}

function heapPop(): u64 {
  const top = load<u64>(heapAt);
  const last = load<u64>(heapAt + (<usize>(--heapLen) << 3));
  const n = heapLen;
  let i: u32 = 0;
  while (true) {
    let child: u32 = 2 * i + 1;
    if (child >= n) break;
    let ck = load<u64>(heapAt + (<usize>child << 3));
    if (child + 1 < n) {
      const rk = load<u64>(heapAt + (<usize>(child + 1) << 3));
      if (rk < ck) { ck = rk; child++; }
    }
    if (ck >= last) break;
    store<u64>(heapAt + (<usize>i << 3), ck);
    i = child;
  }
  if (n > 0) store<u64>(heapAt + (<usize>i << 3), last);
  return top;
}

function mergeLong(p: usize, len: u32, out: usize): u32 {
  ensureLong(longScratchBytes(<usize>len));
  const n1 = <usize>len + 1;
  const next = longAt;
  const prev = next + (n1 << 2);
  const pairRank = prev + (n1 << 2);
  const partRank = pairRank + (n1 << 2);
  heapAt = partRank + (n1 << 2);
  heapLen = 0;
  // Parts are named by their start offset; next[s] is where part s ends.
  for (let s: u32 = 0; s < len; s++) {
    store<u32>(next + (<usize>s << 2), s + 1);
    store<u32>(prev + (<usize>s << 2), s - 1);
    const r = s + 1 < len ? rankOf(p + <usize>s, 2) : NO_RANK;
    store<u32>(pairRank + (<usize>s << 2), r);
    if (r != NO_RANK) heapPush(<u64>r << 32 | <u64>s);
    if (out != 0) store<u32>(partRank + (<usize>s << 2), load<u32>(byteRanksAt + (<usize>load<u8>(p + <usize>s) << 2)));
  }
  let count = len;
  while (heapLen > 0) {
    const key = heapPop();
    const r = <u32>(key >>> 32);
    const s = <u32>key;
    // Stale entries: the pair changed since (it only grows, so its rank differs) or s was merged
    // away (its pairRank is NO_RANK).
    if (load<u32>(pairRank + (<usize>s << 2)) != r) continue;
    const t = load<u32>(next + (<usize>s << 2));
    const u = load<u32>(next + (<usize>t << 2));
    store<u32>(next + (<usize>s << 2), u);
    if (u < len) store<u32>(prev + (<usize>u << 2), s);
    store<u32>(pairRank + (<usize>t << 2), NO_RANK);
    if (out != 0) store<u32>(partRank + (<usize>s << 2), r);
    count--;
    // s now spans [s, u): re-rank its pair with the next part and the previous part's pair.
    let nr = NO_RANK;
    if (u < len) nr = rankOf(p + <usize>s, load<u32>(next + (<usize>u << 2)) - s);
    store<u32>(pairRank + (<usize>s << 2), nr);
    if (nr != NO_RANK) heapPush(<u64>nr << 32 | <u64>s);
    if (s > 0) {
      const q = load<u32>(prev + (<usize>s << 2));
      const qr = rankOf(p + <usize>q, u - q);
      store<u32>(pairRank + (<usize>q << 2), qr);
      if (qr != NO_RANK) heapPush(<u64>qr << 32 | <u64>q);
    }
  }
  if (out != 0) {
    let s: u32 = 0;
    let k: usize = 0;
    while (s < len) {
      store<u32>(out + (k << 2), load<u32>(partRank + (<usize>s << 2)));
      k++;
      s = load<u32>(next + (<usize>s << 2));
    }
  }
  return count;
}

/**
 * Tokens of one piece [p, p+len) in the selected encoding; ranks to `out` when it is not 0 (room
 * for `len` u32s). The whole-piece lookup first is tiktoken's shortcut and part of its
 * definition: a piece that is itself a token is that token even where merging would differ.
 */
export function encodePiece(p: usize, len: u32, out: usize): u32 {
  if (len <= maxTokenLen) {
    const r = rankOf(p, len);
    if (r != NO_RANK) {
      if (out != 0) store<u32>(out, r);
      return 1;
    }
  }
  if (len <= SHORT_PIECE) return mergeShort(p, len, out);
  return mergeLong(p, len, out);
}

/**
 * Token count of one piece in the selected encoding (`encoding` is its index, which keys the
 * cache): encodePiece without ids, through the piece cache for pieces that need a merge.
 */
export function countPiece(p: usize, len: u32, encoding: i32): u32 {
  if (len <= maxTokenLen && rankOf(p, len) != NO_RANK) return 1;
  if (len < CACHE_MIN_PIECE || len > CACHE_MAX_PIECE) {
    return len <= SHORT_PIECE ? mergeShort(p, len, 0) : mergeLong(p, len, 0);
  }
  const hit = cachedCount(p, len, encoding);
  if (hit >= 0) return <u32>hit;
  const n = len <= SHORT_PIECE ? mergeShort(p, len, 0) : mergeLong(p, len, 0);
  cacheStore(p, len, encoding, n);
  return n;
}
