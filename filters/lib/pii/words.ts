// Exact-word lists (customer names, project code names...): Aho-Corasick over UTF-8 bytes, one
// pass over the text whatever the number of words. Reports leftmost, then longest, non-overlapping
// occurrences, optionally ASCII-case-insensitive and optionally only as whole words.
//
// Leftmost-longest on top of Aho-Corasick (which reports matches by where they end): a
// candidate starting at s is final once no live trie path can still start at or before s, i.e.
// once (position - depth of the current state) > s. Candidates wait in a ring indexed by start
// (only the longest per start is kept); a frontier walks the ring and emits in order. The ring
// spans the longest word, so nothing live is ever overwritten.
import { tick } from "./work";

/** Word bytes above this total are refused (keeps edge keys in 32 bits and memory bounded). */
export const MAX_WORD_BYTES: i32 = 4 << 20;

@inline function foldByte(b: i32): i32 {
  return b >= 0x41 && b <= 0x5a ? b | 0x20 : b;
}

export class WordList {
  readonly caseInsensitive: bool;
  readonly wholeWords: bool;
  /** Number of distinct words kept. */
  words: i32 = 0;
  maxLen: i32 = 0;

  private nodes: i32 = 1; // node 0 is the root
  private rootNext: StaticArray<i32> = new StaticArray<i32>(256);
  // Edges of non-root nodes in an open-addressed table keyed node<<8|byte.
  private keys: StaticArray<u32>;
  private vals: StaticArray<i32>;
  private mask: u32;
  private depth: StaticArray<i32>;
  private terminal: StaticArray<bool>;
  private fail: StaticArray<i32>;
  /** Nearest proper suffix (via fail links) that ends a word; 0 = none. */
  private dict: StaticArray<i32>;
  // Child lists and the byte into each node, for the breadth-first pass that builds fail links.
  private inByte: StaticArray<u8>;
  private firstChild: StaticArray<i32>;
  private nextSibling: StaticArray<i32>;
  // Pending candidates by start offset modulo ringSize.
  private ringStart: StaticArray<i32> = new StaticArray<i32>(0);
  private ringEnd: StaticArray<i32> = new StaticArray<i32>(0);
  private ringSize: i32 = 1;

  /** Occurrences found by the last scan (parallel, in text order). */
  count: i32 = 0;
  starts: StaticArray<i32> = new StaticArray<i32>(16);
  ends: StaticArray<i32> = new StaticArray<i32>(16);

  constructor(list: string[], caseInsensitive: bool, wholeWords: bool) {
    this.caseInsensitive = caseInsensitive;
    this.wholeWords = wholeWords;
    const encoded = new Array<ArrayBuffer>(0);
    let total = 0;
    for (let i = 0; i < list.length; i++) {
      const buf = String.UTF8.encode(unchecked(list[i]));
      if (buf.byteLength == 0 || total + buf.byteLength > MAX_WORD_BYTES) continue;
      total += buf.byteLength;
      encoded.push(buf);
    }
    const cap = total + 1;
    let tableSize: u32 = 16;
    while (tableSize < <u32>(cap * 2)) tableSize <<= 1;
    this.keys = new StaticArray<u32>(tableSize);
    this.vals = new StaticArray<i32>(tableSize);
    this.mask = tableSize - 1;
    this.depth = new StaticArray<i32>(cap);
    this.terminal = new StaticArray<bool>(cap);
    this.fail = new StaticArray<i32>(cap);
    this.dict = new StaticArray<i32>(cap);
    this.firstChild = new StaticArray<i32>(cap);
    this.nextSibling = new StaticArray<i32>(cap);
    this.inByte = new StaticArray<u8>(cap);
    for (let i = 0; i < encoded.length; i++) this.insert(unchecked(encoded[i]));
    this.buildLinks();
    this.ringSize = this.maxLen + 2;
    this.ringStart = new StaticArray<i32>(this.ringSize);
    this.ringEnd = new StaticArray<i32>(this.ringSize);
  }

  @inline private child(node: i32, b: i32): i32 {
    if (node == 0) {
      const c = unchecked(this.rootNext[b]);
      return c == 0 ? -1 : c;
    }
    const key = (<u32>node << 8) | <u32>b;
    let h = (key * 0x9e3779b1) & this.mask;
    while (true) {
      tick(1);
      const k = unchecked(this.keys[h]);
      if (k == key) return unchecked(this.vals[h]);
      if (k == 0) return -1;
      h = (h + 1) & this.mask;
    }
  }

  private addChild(node: i32, b: i32, c: i32): void {
    if (node == 0) unchecked(this.rootNext[b] = c);
    else {
      const key = (<u32>node << 8) | <u32>b;
      let h = (key * 0x9e3779b1) & this.mask;
      while (unchecked(this.keys[h]) != 0) h = (h + 1) & this.mask;
      unchecked(this.keys[h] = key);
      unchecked(this.vals[h] = c);
    }
    unchecked(this.nextSibling[c] = this.firstChild[node]);
    unchecked(this.firstChild[node] = c);
  }

  private insert(word: ArrayBuffer): void {
    const p = changetype<usize>(word);
    const n = word.byteLength;
    let node = 0;
    for (let i = 0; i < n; i++) {
      let b = <i32>load<u8>(p + <usize>i);
      if (this.caseInsensitive) b = foldByte(b);
      let c = this.child(node, b);
      if (c < 0) {
        c = this.nodes++;
        unchecked(this.depth[c] = i + 1);
        unchecked(this.inByte[c] = <u8>b);
        this.addChild(node, b, c);
      }
      node = c;
    }
    if (!unchecked(this.terminal[node])) {
      unchecked(this.terminal[node] = true);
      this.words++;
      if (n > this.maxLen) this.maxLen = n;
    }
  }

  /** Fail and dictionary links, breadth first (a node's links need its parent's). */
  private buildLinks(): void {
    const queue = new StaticArray<i32>(this.nodes);
    let head = 0;
    let tail = 0;
    for (let v = unchecked(this.firstChild[0]); v != 0; v = unchecked(this.nextSibling[v])) unchecked(queue[tail++] = v);
    while (head < tail) {
      const u = unchecked(queue[head++]);
      for (let v = unchecked(this.firstChild[u]); v != 0; v = unchecked(this.nextSibling[v])) {
        unchecked(queue[tail++] = v);
        // The longest proper suffix of v's path that is also a path: extend u's fail chain by v's byte.
        const b = <i32>unchecked(this.inByte[v]);
        let f = unchecked(this.fail[u]);
        let target = 0;
        while (true) {
          const c = this.child(f, b);
          if (c >= 0) {
            target = c;
            break;
          }
          if (f == 0) break;
          f = unchecked(this.fail[f]);
        }
        unchecked(this.fail[v] = target);
        unchecked(this.dict[v] = unchecked(this.terminal[target]) ? target : unchecked(this.dict[target]));
      }
    }
  }

  /** Scans [ptr, ptr+len); occurrences land in count/starts/ends. */
  scan(ptr: usize, len: i32): void {
    this.count = 0;
    if (this.words == 0) return;
    const ci = this.caseInsensitive;
    const whole = this.wholeWords;
    const ring = this.ringSize;
    for (let k = 0; k < ring; k++) unchecked(this.ringStart[k] = -1);
    let state = 0;
    let frontier = 0; // next offset that may start an occurrence
    for (let i = 0; i < len; i++) {
      tick(1);
      let b = <i32>load<u8>(ptr + <usize>i);
      if (ci) b = foldByte(b);
      while (true) {
        const c = this.child(state, b);
        if (c >= 0) {
          state = c;
          break;
        }
        if (state == 0) break;
        tick(1);
        state = unchecked(this.fail[state]);
      }
      const end = i + 1;
      if (state != 0 && (!whole || !wordAt(ptr, len, end))) {
        let o = unchecked(this.terminal[state]) ? state : unchecked(this.dict[state]);
        while (o != 0) {
          tick(1);
          const s = end - unchecked(this.depth[o]);
          if (s >= frontier && (!whole || !wordBefore(ptr, s))) this.candidate(s, end);
          o = unchecked(this.dict[o]);
        }
      }
      frontier = this.flush(frontier, end - unchecked(this.depth[state]));
    }
    this.flush(frontier, len);
  }

  private candidate(s: i32, e: i32): void {
    const k = s % this.ringSize;
    if (unchecked(this.ringStart[k]) != s) {
      unchecked(this.ringStart[k] = s);
      unchecked(this.ringEnd[k] = e);
    } else if (e > unchecked(this.ringEnd[k])) unchecked(this.ringEnd[k] = e);
  }

  /** Emits settled candidates that start before `limit`; returns the new frontier. */
  private flush(p: i32, limit: i32): i32 {
    while (p < limit) {
      tick(1);
      const k = p % this.ringSize;
      if (unchecked(this.ringStart[k]) == p) {
        const e = unchecked(this.ringEnd[k]);
        unchecked(this.ringStart[k] = -1);
        this.emit(p, e);
        p = e;
      } else p++;
    }
    return p;
  }

  private emit(s: i32, e: i32): void {
    const n = this.count;
    if (n == this.starts.length) {
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    unchecked(this.starts[n] = s);
    unchecked(this.ends[n] = e);
    this.count = n + 1;
  }
}

function grow(a: StaticArray<i32>): StaticArray<i32> {
  const b = new StaticArray<i32>(a.length * 2);
  memory.copy(changetype<usize>(b), changetype<usize>(a), <usize>a.length * 4);
  return b;
}

// ---- word boundaries -------------------------------------------------------------------------
// A word character is an ASCII letter, digit or underscore, or a non-ASCII code point outside
// the punctuation, symbol, space and emoji blocks (no Unicode tables in the filter: letters of
// every script count, and so do a few symbols outside the listed blocks).

function isWordCodePoint(cp: i32): bool {
  if (cp < 0x80) return (cp >= 0x30 && cp <= 0x39) || ((cp | 0x20) >= 0x61 && (cp | 0x20) <= 0x7a) || cp == 0x5f;
  if (cp < 0xc0) return cp == 0xaa || cp == 0xb5 || cp == 0xba; // Latin-1 punctuation and symbols
  if (cp == 0xd7 || cp == 0xf7) return false; // × ÷
  if (cp >= 0x2000 && cp <= 0x2bff) return false; // general punctuation .. misc symbols and arrows
  if (cp >= 0x3000 && cp <= 0x303f) return false; // CJK punctuation
  if (cp >= 0xfe30 && cp <= 0xfe4f) return false; // CJK compatibility forms
  if (cp >= 0xff00 && cp <= 0xff0f) return false; // fullwidth punctuation
  if (cp >= 0xff1a && cp <= 0xff20) return false;
  if (cp >= 0xff3b && cp <= 0xff40) return false;
  if (cp >= 0xff5b && cp <= 0xff65) return false;
  if (cp >= 0x1f000 && cp <= 0x1faff) return false; // emoji and pictographs
  if (cp == 0xfffd) return false; // invalid UTF-8
  return true;
}

/** Whether the code point starting at offset i (i < len) is a word character. */
function wordAt(ptr: usize, len: i32, i: i32): bool {
  if (i >= len) return false;
  const b0 = <i32>load<u8>(ptr + <usize>i);
  if (b0 < 0x80) return isWordCodePoint(b0);
  let n = 0;
  let cp = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) { n = 1; cp = b0 & 0x1f; }
  else if (b0 >= 0xe0 && b0 <= 0xef) { n = 2; cp = b0 & 0x0f; }
  else if (b0 >= 0xf0 && b0 <= 0xf4) { n = 3; cp = b0 & 0x07; }
  else return false;
  for (let k = 1; k <= n; k++) {
    if (i + k >= len) return false;
    const c = <i32>load<u8>(ptr + <usize>(i + k));
    if ((c & 0xc0) != 0x80) return false;
    cp = (cp << 6) | (c & 0x3f);
  }
  return isWordCodePoint(cp);
}

/** Whether the code point ending just before offset s is a word character. */
function wordBefore(ptr: usize, s: i32): bool {
  if (s <= 0) return false;
  let i = s - 1;
  // Back over at most three continuation bytes to the lead byte.
  while (i > 0 && s - i < 4 && (load<u8>(ptr + <usize>i) & 0xc0) == 0x80) i--;
  return wordAt(ptr, s, i);
}
