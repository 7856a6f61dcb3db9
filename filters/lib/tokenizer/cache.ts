// Piece → token count memo for the count path. Real traffic repeats the same multi-token pieces
// (CJK sentences, words outside the vocabulary, indentation and digit runs) across requests, and a
// hit replaces a merge that costs tens of rank lookups with one hash and one byte compare.
//
// Bounded and allocation-free after the first use: a fixed slot table and a fixed byte arena,
// both raw heap memory (never GC-managed). When the arena fills, everything is dropped at once;
// there is no per-entry eviction, so nothing is ever freed piecemeal. Entries are verified by
// comparing the bytes, so a hash collision can cost a miss but never a wrong count. Ids are not
// cached: the id path stays the plain merge, and counts are what metering calls per request.

/** Slots (power of two); 16 bytes each. */
const SLOTS: u32 = 4096;
/** Probes per lookup; a full neighbourhood overwrites its first slot. */
const PROBES: u32 = 4;
/** Bytes of piece text kept; reaching it drops every entry. */
const ARENA_BYTES: u32 = 256 << 10;
/** Longer pieces are not kept: one would evict too much of the arena. */
export const CACHE_MAX_PIECE: u32 = 16 << 10;
/** Shorter pieces merge about as fast as they hash. */
export const CACHE_MIN_PIECE: u32 = 4;

/** Bytes this cache adds once it is first used. */
export const CACHE_BYTES: u32 = SLOTS * 16 + ARENA_BYTES;

let slotsAt: usize = 0;
let arenaAt: usize = 0;
let arenaUsed: u32 = 0;
/** Slot of the last miss from cachedCount, for cacheStore. */
let missSlot: usize = 0;
let missHash: u32 = 0;
let missFirst: usize = 0;

function hashPiece(p: usize, len: u32, encoding: i32): u32 {
  let h: u64 = (<u64>len << 8 | <u64>encoding) * 0x9e3779b97f4a7c15;
  let i: usize = 0;
  const n = <usize>len;
  while (i + 8 <= n) {
    h = (h ^ load<u64>(p + i)) * 0x9e3779b97f4a7c15;
    h ^= h >>> 29;
    i += 8;
  }
  let tail: u64 = 0;
  let shift: u64 = 0;
  while (i < n) {
    tail |= <u64>load<u8>(p + i) << shift;
    shift += 8;
    i++;
  }
  h = (h ^ tail) * 0xbf58476d1ce4e5b9;
  h ^= h >>> 32;
  // 0 marks an empty slot's length, not its hash, so any value is a valid hash.
  return <u32>h;
}

// @ts-ignore: decorator
@inline
function sameBytes(a: usize, b: usize, n: usize): bool {
  let i: usize = 0;
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

function clear(): void {
  memory.fill(slotsAt, 0, <usize>SLOTS * 16);
  arenaUsed = 0;
}

/**
 * Count of the piece [p, p+len) in `encoding` if it is cached, else -1 (and the slot to fill is
 * remembered for cacheStore). Callers keep len within [CACHE_MIN_PIECE, CACHE_MAX_PIECE].
 */
export function cachedCount(p: usize, len: u32, encoding: i32): i32 {
  if (slotsAt == 0) {
    slotsAt = heap.alloc(<usize>SLOTS * 16);
    arenaAt = heap.alloc(<usize>ARENA_BYTES);
    clear();
  }
  const h = hashPiece(p, len, encoding);
  // Length word: piece length, encoding in the top bit; 0 only for an empty slot.
  const key: u32 = len | <u32>encoding << 31;
  const first = h & (SLOTS - 1);
  missHash = h;
  missFirst = slotsAt + (<usize>first << 4);
  for (let k: u32 = 0; k < PROBES; k++) {
    const s = slotsAt + (<usize>((first + k) & (SLOTS - 1)) << 4);
    const w = load<u32>(s, 4);
    if (w == 0) { missSlot = s; return -1; }
    if (load<u32>(s) == h && w == key && sameBytes(arenaAt + <usize>load<u32>(s, 8), p, <usize>len)) {
      return <i32>load<u32>(s, 12);
    }
  }
  missSlot = missFirst;
  return -1;
}

/** Records the count of the piece whose lookup (cachedCount) just missed. */
export function cacheStore(p: usize, len: u32, encoding: i32, count: u32): void {
  if (arenaUsed + len > ARENA_BYTES) {
    // Dropping everything keeps the arena a bump allocator. The piece goes to the head of its
    // probe sequence, where a lookup on the now empty table stops.
    clear();
    missSlot = missFirst;
  }
  const s = missSlot;
  store<u32>(s, missHash);
  store<u32>(s, len | <u32>encoding << 31, 4);
  store<u32>(s, arenaUsed, 8);
  store<u32>(s, count, 12);
  memory.copy(arenaAt + <usize>arenaUsed, p, <usize>len);
  arenaUsed += len;
}
