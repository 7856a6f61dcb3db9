// Extracts several values from one JSON document in a single pass of the scanner, e.g.
// `model`, `stream_options.include_usage`, `choices[*].delta.content`. Paths are compiled at
// configuration time (strings are fine there); matching works on bytes and allocates nothing.
//
// Path syntax: keys separated by '.', each optionally followed by array steps: `[*]` (or `[]`)
// any element, `[N]` element N. A path may start with an array step (`[*].usageMetadata`).
// Keys containing '.', '[' or ']' cannot be expressed. Up to 64 paths per set.
//
// Keys are compared after JSON unescaping, so `"mo\u0064el"` is `model` (a client cannot hide a
// field from the meter by spelling it differently than the upstream will read it).
import {
  JsonScanner, JSON_DEFAULT_MAX_DEPTH, TOK_END, TOK_KEY, TOK_OBJECT_START, TOK_ARRAY_START,
  TOK_OBJECT_END, TOK_ARRAY_END, TOK_STRING,
} from "./scanner";
import { unescapeJsonString } from "./unescape";

export const PATH_MAX: i32 = 64;
/** next() found a value for `path`; see kind/start/end. */
export const PATH_MATCH: i32 = 1;
/** The document is complete (errors are the scanner's JSON_ERR_* codes, < 0). */
export const PATH_DONE: i32 = 0;

const SEG_KEY: u8 = 0;
const SEG_ANY: u8 = 1;
const SEG_INDEX: u8 = 2;

// Escaped keys longer than this cannot match (path keys are short field names).
const KEY_SCRATCH: usize = 256;

export class JsonPathSet {
  // Segments of every path, flattened; path p owns [segFirst[p], segFirst[p] + segCount[p]).
  private segKind: u8[] = [];
  private segIndex: u32[] = [];
  private segKeyOff: u32[] = [];
  private segKeyLen: u32[] = [];
  private segFirst: i32[] = [];
  private segCount: i32[] = [];
  private keyBytes: ArrayBuffer = new ArrayBuffer(0);
  // lenMask[k]: paths with exactly k segments.
  private lenMask: u64[] = [];
  private all: u64 = 0;

  /** Adds a path; returns its index (slot number), or -1 if malformed or the set is full. */
  add(path: string): i32 {
    const p = this.segFirst.length;
    if (p >= PATH_MAX) return -1;
    const utf8 = String.UTF8.encode(path);
    const base = changetype<usize>(utf8);
    const n = <usize>utf8.byteLength;
    const first = this.segKind.length;
    let i: usize = 0;
    let count = 0;
    let ok = true;
    let keys = this.keyBytes.byteLength;
    const newKeys = new ArrayBuffer(keys + <i32>n);
    memory.copy(changetype<usize>(newKeys), changetype<usize>(this.keyBytes), <usize>keys);
    while (i < n && ok) {
      const c = load<u8>(base + i);
      if (c == 0x5B) { // [
        let j = i + 1;
        while (j < n && load<u8>(base + j) != 0x5D) j++;
        if (j >= n) { ok = false; break; }
        const inner = j - i - 1;
        if (inner == 0 || (inner == 1 && load<u8>(base + i + 1) == 0x2A)) {
          this.pushSeg(SEG_ANY, 0, 0, 0);
        } else {
          let v: u64 = 0;
          for (let k = i + 1; k < j && ok; k++) {
            const d = <u32>load<u8>(base + k) - 0x30;
            if (d > 9 || v > 0xFFFFFFF) ok = false;
            else v = v * 10 + d;
          }
          if (!ok) break;
          this.pushSeg(SEG_INDEX, <u32>v, 0, 0);
        }
        count++;
        i = j + 1;
        if (i < n && load<u8>(base + i) == 0x2E) {
          i++;
          if (i >= n) ok = false;
        }
        continue;
      }
      let j = i;
      while (j < n && load<u8>(base + j) != 0x2E && load<u8>(base + j) != 0x5B) {
        if (load<u8>(base + j) == 0x5D) ok = false;
        j++;
      }
      if (j == i || !ok) { ok = false; break; }
      memory.copy(changetype<usize>(newKeys) + <usize>keys, base + i, j - i);
      this.pushSeg(SEG_KEY, 0, <u32>keys, <u32>(j - i));
      keys += <i32>(j - i);
      count++;
      i = j;
      if (i < n && load<u8>(base + i) == 0x2E) {
        i++;
        if (i >= n) ok = false;
      }
    }
    if (!ok || count == 0) {
      this.segKind.length = first;
      this.segIndex.length = first;
      this.segKeyOff.length = first;
      this.segKeyLen.length = first;
      return -1;
    }
    this.keyBytes = newKeys;
    this.segFirst.push(first);
    this.segCount.push(count);
    while (this.lenMask.length <= count) this.lenMask.push(0);
    this.lenMask[count] = this.lenMask[count] | (<u64>1 << <u64>p);
    this.all |= <u64>1 << <u64>p;
    return p;
  }

  private pushSeg(kind: u8, index: u32, keyOff: u32, keyLen: u32): void {
    this.segKind.push(kind);
    this.segIndex.push(index);
    this.segKeyOff.push(keyOff);
    this.segKeyLen.push(keyLen);
  }

  get size(): i32 { return this.segFirst.length; }
  get allMask(): u64 { return this.all; }

  /** Paths whose length is exactly k. */
  // @ts-ignore: decorator
  @inline lengthMask(k: i32): u64 {
    return k < this.lenMask.length ? unchecked(this.lenMask[k]) : 0;
  }

  /** Paths of `alive` whose segment k is an object key equal to [key, key+keyLen). */
  matchKey(alive: u64, k: i32, key: usize, keyLen: usize): u64 {
    let out: u64 = 0;
    let m = alive;
    const kb = changetype<usize>(this.keyBytes);
    while (m != 0) {
      const p = <i32>ctz(m);
      m &= m - 1;
      if (k >= unchecked(this.segCount[p])) continue;
      const s = unchecked(this.segFirst[p]) + k;
      if (unchecked(this.segKind[s]) != SEG_KEY) continue;
      const n = <usize>unchecked(this.segKeyLen[s]);
      if (n == keyLen && memory.compare(kb + <usize>unchecked(this.segKeyOff[s]), key, n) == 0) out |= <u64>1 << <u64>p;
    }
    return out;
  }

  /** Paths of `alive` whose segment k accepts array element `index`. */
  matchIndex(alive: u64, k: i32, index: u32): u64 {
    let out: u64 = 0;
    let m = alive;
    while (m != 0) {
      const p = <i32>ctz(m);
      m &= m - 1;
      if (k >= unchecked(this.segCount[p])) continue;
      const s = unchecked(this.segFirst[p]) + k;
      const kind = unchecked(this.segKind[s]);
      if (kind == SEG_ANY || (kind == SEG_INDEX && unchecked(this.segIndex[s]) == index)) out |= <u64>1 << <u64>p;
    }
    return out;
  }
}

/**
 * Runs a JsonPathSet over one document. Pull style: next() returns PATH_MATCH for each value
 * found (a value matched by several paths is returned once per path), PATH_DONE at the end, or
 * a JSON_ERR_* code. Containers that no path can reach are skipped without path bookkeeping.
 * Values are reported in document order, containers when they close (their span is complete).
 */
export class JsonPathMatcher {
  readonly scanner: JsonScanner;
  // Per open container at depth L (index L): paths still alive for its children, paths that
  // match the container itself, where it started, and the next array element index.
  private alive: StaticArray<u64>;
  private self: StaticArray<u64>;
  private openAt: StaticArray<usize>;
  private nextIndex: StaticArray<u32>;
  private keyMask: u64 = 0;
  private pending: u64 = 0;
  private scratch: StaticArray<u8> = new StaticArray<u8>(<i32>KEY_SCRATCH);

  /** Index of the path matched by the last PATH_MATCH. */
  path: i32 = -1;
  /** TOK_STRING, TOK_NUMBER, TOK_TRUE, TOK_FALSE, TOK_NULL, TOK_OBJECT_START (object), TOK_ARRAY_START (array). */
  kind: i32 = 0;
  /** Span of the value (offsets from the document start); strings: inside the quotes. */
  start: usize = 0;
  end: usize = 0;
  /** A string value with backslash escapes: decode with unescapeJsonString. */
  escaped: bool = false;

  // Last match per path (slots), filled by matchAll; count 0 means not found.
  slotCount: StaticArray<u32> = new StaticArray<u32>(PATH_MAX);
  slotKind: StaticArray<i32> = new StaticArray<i32>(PATH_MAX);
  slotStart: StaticArray<usize> = new StaticArray<usize>(PATH_MAX);
  slotEnd: StaticArray<usize> = new StaticArray<usize>(PATH_MAX);
  slotEscaped: StaticArray<bool> = new StaticArray<bool>(PATH_MAX);

  constructor(public paths: JsonPathSet, maxDepth: i32 = JSON_DEFAULT_MAX_DEPTH) {
    const scanner = new JsonScanner(maxDepth);
    const n = scanner.maxDepth + 1;
    this.scanner = scanner;
    this.alive = new StaticArray<u64>(n);
    this.self = new StaticArray<u64>(n);
    this.openAt = new StaticArray<usize>(n);
    this.nextIndex = new StaticArray<u32>(n);
  }

  reset(ptr: usize, len: usize): void {
    this.scanner.reset(ptr, len);
    this.keyMask = 0;
    this.pending = 0;
    this.path = -1;
  }

  // Paths that reach a value starting now at depth d (d open containers around it).
  private valueMask(d: i32): u64 {
    if (d == 0) return this.paths.allMask;
    if (this.scanner.isObjectAt(d)) return this.keyMask;
    const idx = unchecked(this.nextIndex[d]);
    unchecked(this.nextIndex[d] = idx + 1);
    const a = unchecked(this.alive[d]);
    return a == 0 ? 0 : this.paths.matchIndex(a, d - 1, idx);
  }

  next(): i32 {
    const sc = this.scanner;
    while (true) {
      if (this.pending != 0) {
        this.path = <i32>ctz(this.pending);
        this.pending &= this.pending - 1;
        return PATH_MATCH;
      }
      const t = sc.next();
      if (t < 0) return t;
      if (t == TOK_END) return PATH_DONE;
      if (t == TOK_KEY) {
        const d = sc.depth;
        const a = unchecked(this.alive[d]);
        if (a == 0) { this.keyMask = 0; continue; }
        if (!sc.escaped) {
          this.keyMask = this.paths.matchKey(a, d - 1, sc.tokenPtr, sc.tokenLen);
        } else {
          const buf = changetype<usize>(this.scratch);
          const n = sc.tokenLen <= KEY_SCRATCH ? unescapeJsonString(sc.tokenPtr, sc.tokenLen, buf, KEY_SCRATCH) : -1;
          this.keyMask = n < 0 ? 0 : this.paths.matchKey(a, d - 1, buf, <usize>n);
        }
        continue;
      }
      if (t == TOK_OBJECT_START || t == TOK_ARRAY_START) {
        const d = sc.depth; // the new container's depth; its value sat at d - 1
        const vm = this.valueMask(d - 1);
        const selfMask = vm & this.paths.lengthMask(d - 1);
        const aliveMask = vm & ~selfMask;
        if (aliveMask == 0) {
          // Nothing inside can match: skip it whole, reporting it if it is itself a match.
          const from = sc.start;
          const r = sc.skip();
          if (r < 0) return r;
          if (selfMask != 0) {
            this.kind = t;
            this.start = from;
            this.end = sc.end;
            this.escaped = false;
            this.pending = selfMask;
          }
          continue;
        }
        unchecked(this.alive[d] = aliveMask);
        unchecked(this.self[d] = selfMask);
        unchecked(this.openAt[d] = sc.start);
        unchecked(this.nextIndex[d] = 0);
        continue;
      }
      if (t == TOK_OBJECT_END || t == TOK_ARRAY_END) {
        const d = sc.depth + 1;
        const selfMask = unchecked(this.self[d]);
        if (selfMask != 0) {
          this.kind = t == TOK_OBJECT_END ? TOK_OBJECT_START : TOK_ARRAY_START;
          this.start = unchecked(this.openAt[d]);
          this.end = sc.end;
          this.escaped = false;
          this.pending = selfMask;
        }
        continue;
      }
      // A scalar at depth sc.depth.
      const d = sc.depth;
      const vm = this.valueMask(d);
      const hit = vm & this.paths.lengthMask(d);
      if (hit != 0) {
        this.kind = t;
        this.start = sc.start;
        this.end = sc.end;
        this.escaped = t == TOK_STRING && sc.escaped;
        this.pending = hit;
      }
    }
    return PATH_DONE;
  }

  /**
   * Scans [ptr, ptr+len) to the end, keeping the last value found per path in the slots (last,
   * as JSON.parse keeps the last of duplicate keys). Returns PATH_DONE or the error; slots
   * filled before an error stay (a truncated body may still have yielded its usage).
   */
  matchAll(ptr: usize, len: usize): i32 {
    this.reset(ptr, len);
    for (let p = 0; p < PATH_MAX; p++) unchecked(this.slotCount[p] = 0);
    while (true) {
      const r = this.next();
      if (r != PATH_MATCH) return r;
      const p = this.path;
      unchecked(this.slotCount[p] = unchecked(this.slotCount[p]) + 1);
      unchecked(this.slotKind[p] = this.kind);
      unchecked(this.slotStart[p] = this.start);
      unchecked(this.slotEnd[p] = this.end);
      unchecked(this.slotEscaped[p] = this.escaped);
    }
    return PATH_DONE;
  }

  /** Whether path p was found by the last matchAll. */
  found(p: i32): bool { return p >= 0 && p < PATH_MAX && unchecked(this.slotCount[p]) != 0; }
}
