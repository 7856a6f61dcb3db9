// Reads the other filters' filter state (tollgate.usage, .budget, .pii, …) in place: one
// validating pass over the property bytes, then lookups that re-scan only the object asked
// about. No tree, no AS strings. A document is accepted exactly when the configuration parser
// (lib/json parseJsonAt, depth 8) accepted it before, so the record keeps its bytes: a leading
// UTF-8 BOM is skipped; strings must be strict UTF-8; a duplicate key (compared after
// unescaping) anywhere rejects the document; nesting deeper than 8 rejects it.
import { ByteBuffer } from "../lib/bytes";
import { utf8InvalidOffset } from "../lib/json";
import {
  JsonScanner, TOK_ARRAY_START, TOK_END, TOK_KEY, TOK_NUMBER, TOK_OBJECT_END, TOK_OBJECT_START, TOK_STRING,
} from "../lib/json-scan";
import { decodeStateString } from "./state-text";

const MAX_DEPTH: i32 = 8;
// ±(2^53 − 1): integers a JSON reader holds exactly (CHAIN.md).
const MAX_SAFE: i64 = 9007199254740991;

/** One value of a document: kind 0 = absent (or the document was invalid), else a TOK_*. */
export class StateVal {
  kind: i32 = 0;
  /** Absolute span; strings inside the quotes, containers from bracket to bracket. */
  ptr: usize = 0;
  len: usize = 0;
  escaped: bool = false;

  get present(): bool { return this.kind != 0; }
  get isObject(): bool { return this.kind == TOK_OBJECT_START; }
  get isString(): bool { return this.kind == TOK_STRING; }

  clear(): StateVal {
    this.kind = 0;
    return this;
  }

  copy(o: StateVal): void {
    this.kind = o.kind;
    this.ptr = o.ptr;
    this.len = o.len;
    this.escaped = o.escaped;
  }
}

/** Reads the current token (just returned by s.next()) as a value, skipping a container. */
function take(s: JsonScanner, t: i32, out: StateVal): void {
  const start = s.tokenPtr;
  if (t == TOK_OBJECT_START || t == TOK_ARRAY_START) s.skip();
  out.kind = t;
  out.ptr = start;
  out.len = s.ptr + s.end - start;
  out.escaped = t == TOK_STRING && s.escaped;
}

/** The members of one object, in document order (the document must have passed validate). */
export class MemberIter {
  private s: JsonScanner = new JsonScanner(MAX_DEPTH);
  key: StateVal = new StateVal();
  value: StateVal = new StateVal();

  begin(obj: StateVal): void {
    this.s.reset(obj.ptr, obj.isObject ? obj.len : 0);
    if (obj.isObject) this.s.next();
  }

  next(): bool {
    const s = this.s;
    if (s.next() != TOK_KEY) return false;
    const k = this.key;
    k.kind = TOK_KEY;
    k.ptr = s.tokenPtr;
    k.len = s.tokenLen;
    k.escaped = s.escaped;
    take(s, s.next(), this.value);
    return true;
  }
}

export class StateReader {
  private s: JsonScanner = new JsonScanner(MAX_DEPTH);
  private it: MemberIter = new MemberIter();
  // The keys of the open objects, innermost last (ptr, len, escaped as 0/1), and where each
  // object's keys begin: the duplicate check looks only at the innermost object's.
  private keys: Array<usize> = new Array<usize>(0);
  private frames: Array<i32> = new Array<i32>(0);
  private a: ByteBuffer = new ByteBuffer(1 << 20, 256);
  private b: ByteBuffer = new ByteBuffer(1 << 20, 256);
  /** Decoded text of the last escaped string passed to text(). */
  private t: ByteBuffer = new ByteBuffer(1 << 20, 256);

  /** Validates [ptr, ptr+len) and sets `root` to its value, or clears it when invalid. */
  load(ptr: usize, len: usize, root: StateVal): bool {
    if (this.scan(ptr, len, root)) return true;
    root.kind = 0;
    return false;
  }

  private scan(ptr: usize, len: usize, root: StateVal): bool {
    root.kind = 0;
    if (len >= 3 && load<u8>(ptr) == 0xEF && load<u8>(ptr + 1) == 0xBB && load<u8>(ptr + 2) == 0xBF) {
      ptr += 3;
      len -= 3;
    }
    const s = this.s;
    const keys = this.keys;
    const frames = this.frames;
    keys.length = 0;
    frames.length = 0;
    s.reset(ptr, len);
    let first = true;
    while (true) {
      const t = s.next();
      if (t < 0) return false;
      if (t == TOK_END) break;
      if (first) {
        root.kind = t;
        root.ptr = s.tokenPtr;
        root.escaped = t == TOK_STRING && s.escaped;
        first = false;
      }
      if (t == TOK_OBJECT_START) frames.push(keys.length);
      else if (t == TOK_OBJECT_END) keys.length = frames.pop();
      else if (t == TOK_KEY || t == TOK_STRING) {
        if (utf8InvalidOffset(s.tokenPtr, s.tokenLen) >= 0) return false;
        if (t == TOK_KEY) {
          const from = unchecked(frames[frames.length - 1]);
          for (let i = from; i < keys.length; i += 3) {
            if (this.sameKey(unchecked(keys[i]), unchecked(keys[i + 1]), unchecked(keys[i + 2]) != 0, s.tokenPtr, s.tokenLen, s.escaped)) return false;
          }
          keys.push(s.tokenPtr);
          keys.push(s.tokenLen);
          keys.push(s.escaped ? 1 : 0);
        }
      }
      if (s.depth == 0) root.len = s.ptr + s.end - root.ptr;
    }
    return true;
  }

  private sameKey(p1: usize, l1: usize, e1: bool, p2: usize, l2: usize, e2: bool): bool {
    if (!e1 && !e2) return l1 == l2 && memory.compare(p1, p2, l1) == 0;
    if (e1) {
      this.a.clear();
      decodeStateString(this.a, p1, l1);
      p1 = this.a.ptr;
      l1 = this.a.length;
    }
    if (e2) {
      this.b.clear();
      decodeStateString(this.b, p2, l2);
      p2 = this.b.ptr;
      l2 = this.b.length;
    }
    return l1 == l2 && memory.compare(p1, p2, l1) == 0;
  }

  /** Whether a key or string equals the ASCII `name` after unescaping. */
  equals(v: StateVal, name: string): bool {
    let p = v.ptr, n = v.len;
    if (v.escaped) {
      this.a.clear();
      decodeStateString(this.a, p, n);
      p = this.a.ptr;
      n = this.a.length;
    }
    if (n != <usize>name.length) return false;
    const s = changetype<usize>(name);
    for (let i: usize = 0; i < n; i++) {
      if (<u32>load<u8>(p + i) != <u32>load<u16>(s + (i << 1))) return false;
    }
    return true;
  }

  /** Member `name` of `obj` into `out` (cleared when obj is no object or has no such member). */
  member(obj: StateVal, name: string, out: StateVal): StateVal {
    out.kind = 0;
    if (!obj.isObject) return out;
    const it = this.it;
    it.begin(obj);
    while (it.next()) {
      if (this.equals(it.key, name)) {
        out.copy(it.value);
        break;
      }
    }
    return out;
  }

  /** The text of a key or string: its own bytes, or decoded into a buffer (valid until the next call). */
  textPtr(v: StateVal): usize {
    if (!v.escaped) return v.ptr;
    this.t.clear();
    decodeStateString(this.t, v.ptr, v.len);
    return this.t.ptr;
  }

  /** Length of what textPtr(v) just returned. */
  textLen(v: StateVal): usize {
    return v.escaped ? this.t.length : v.len;
  }
}

/** An integer literal (no fraction or exponent) within ±(2^53 − 1); else `ok` is false. */
export class StateInt {
  ok: bool = false;
  value: i64 = 0;

  read(v: StateVal): StateInt {
    this.ok = false;
    if (v.kind != TOK_NUMBER) return this;
    let p = v.ptr;
    let n = v.len;
    const neg = load<u8>(p) == 0x2D;
    if (neg) {
      p++;
      n--;
    }
    // No leading zeros in JSON: 17 digits or more are beyond 2^53.
    if (n > 16) return this;
    let x: i64 = 0;
    for (let i: usize = 0; i < n; i++) {
      const d = <u32>load<u8>(p + i) - 0x30;
      if (d >= 10) return this; // '.', 'e', 'E'
      x = x * 10 + <i64>d;
    }
    if (x > MAX_SAFE) return this;
    this.value = neg ? -x : x;
    this.ok = true;
    return this;
  }
}
