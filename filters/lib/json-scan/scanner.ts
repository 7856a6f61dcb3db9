// A pull tokenizer over JSON bytes in linear memory: the hot-path counterpart of lib/json (which
// builds AS strings for configuration). It validates RFC 8259 grammar as it goes, never
// allocates after construction, and never traps: input it cannot accept ends the scan with an
// error code and the byte offset, and every later next() repeats that error.
//
// Strings are validated (escapes, no raw control bytes) but not decoded and not checked for
// UTF-8 validity: a token is a span of the input; unescapeJsonString decodes one on demand.

export const TOK_END: i32 = 0;
export const TOK_OBJECT_START: i32 = 1;
export const TOK_OBJECT_END: i32 = 2;
export const TOK_ARRAY_START: i32 = 3;
export const TOK_ARRAY_END: i32 = 4;
export const TOK_KEY: i32 = 5;
export const TOK_STRING: i32 = 6;
export const TOK_NUMBER: i32 = 7;
export const TOK_TRUE: i32 = 8;
export const TOK_FALSE: i32 = 9;
export const TOK_NULL: i32 = 10;

/** A byte that cannot appear there (includes trailing bytes after the top-level value). */
export const JSON_ERR_MALFORMED: i32 = -1;
/** More nested containers than the scanner's maxDepth. */
export const JSON_ERR_TOO_DEEP: i32 = -2;
/** The input ended inside a value: what was there is valid so far. */
export const JSON_ERR_TRUNCATED: i32 = -3;

export const JSON_DEFAULT_MAX_DEPTH: i32 = 64;
/** Depth limits above this are clamped (the stack is one byte per level). */
export const JSON_MAX_DEPTH_LIMIT: i32 = 4096;

const S_VALUE: i32 = 0;
const S_VALUE_OR_ARRAY_END: i32 = 1;
const S_KEY_OR_OBJECT_END: i32 = 2;
const S_KEY: i32 = 3;
const S_COLON: i32 = 4;
const S_AFTER_VALUE: i32 = 5;
const S_DONE: i32 = 6;
const S_ERROR: i32 = 7;

const IN_ARRAY: u8 = 0;
const IN_OBJECT: u8 = 1;

export class JsonScanner {
  private base: usize = 0;
  private len: usize = 0;
  private pos: usize = 0;
  private state: i32 = S_VALUE;
  // One byte per open container: IN_OBJECT or IN_ARRAY, index = depth - 1.
  private stack: StaticArray<u8>;
  readonly maxDepth: i32;

  /** Open containers after the last token (a START token counts itself, an END no longer). */
  depth: i32 = 0;
  /** Span of the last token, offsets from the range start. Strings and keys: inside the quotes. */
  start: usize = 0;
  end: usize = 0;
  /** The last string or key contains a backslash escape (its span is not its text). */
  escaped: bool = false;
  /** 0, or the sticky error code. */
  error: i32 = 0;
  /** Byte offset of the error (for TRUNCATED: the end of the input). */
  errorOffset: usize = 0;

  constructor(maxDepth: i32 = JSON_DEFAULT_MAX_DEPTH) {
    const d = maxDepth < 1 ? 1 : maxDepth > JSON_MAX_DEPTH_LIMIT ? JSON_MAX_DEPTH_LIMIT : maxDepth;
    this.maxDepth = d;
    this.stack = new StaticArray<u8>(d);
  }

  /** Starts a scan of [ptr, ptr+len); the range must stay valid while tokens are read. */
  reset(ptr: usize, len: usize): void {
    this.base = ptr;
    this.len = len;
    this.pos = 0;
    this.state = S_VALUE;
    this.depth = 0;
    this.start = 0;
    this.end = 0;
    this.escaped = false;
    this.error = 0;
    this.errorOffset = 0;
  }

  get ptr(): usize { return this.base; }
  get length(): usize { return this.len; }
  /** Absolute address of the last token's first byte. */
  get tokenPtr(): usize { return this.base + this.start; }
  get tokenLen(): usize { return this.end - this.start; }

  /** Whether the container at depth d (1 = outermost) is an object. */
  isObjectAt(d: i32): bool {
    if (d < 1 || d > this.depth) return false;
    return load<u8>(changetype<usize>(this.stack) + <usize>(d - 1)) == IN_OBJECT;
  }

  private fail(code: i32, at: usize): i32 {
    this.state = S_ERROR;
    this.error = code;
    this.errorOffset = at;
    return code;
  }

  private push(kind: u8): bool {
    if (this.depth >= this.maxDepth) return false;
    store<u8>(changetype<usize>(this.stack) + <usize>this.depth, kind);
    this.depth++;
    return true;
  }

  private top(): u8 {
    return load<u8>(changetype<usize>(this.stack) + <usize>(this.depth - 1));
  }

  private afterValue(): void {
    this.state = this.depth == 0 ? S_DONE : S_AFTER_VALUE;
  }

  /** The next token (TOK_*), TOK_END after the complete top-level value, or an error (< 0). */
  next(): i32 {
    if (this.state == S_ERROR) return this.error;
    const base = this.base;
    const len = this.len;
    while (true) {
      let p = this.pos;
      while (p < len) {
        const w = load<u8>(base + p);
        if (w != 0x20 && w != 0x0A && w != 0x0D && w != 0x09) break;
        p++;
      }
      this.pos = p;
      if (p >= len) {
        if (this.state == S_DONE) return TOK_END;
        return this.fail(JSON_ERR_TRUNCATED, len);
      }
      const c = <u32>load<u8>(base + p);
      const state = this.state;
      if (state == S_AFTER_VALUE) {
        const inObject = this.top() == IN_OBJECT;
        if (c == 0x2C) { // ,
          this.pos = p + 1;
          this.state = inObject ? S_KEY : S_VALUE;
          continue;
        }
        if ((c == 0x7D && inObject) || (c == 0x5D && !inObject)) return this.close(p, inObject);
        return this.fail(JSON_ERR_MALFORMED, p);
      }
      if (state == S_COLON) {
        if (c != 0x3A) return this.fail(JSON_ERR_MALFORMED, p);
        this.pos = p + 1;
        this.state = S_VALUE;
        continue;
      }
      if (state == S_KEY_OR_OBJECT_END || state == S_KEY) {
        if (c == 0x7D && state == S_KEY_OR_OBJECT_END) return this.close(p, true);
        if (c != 0x22) return this.fail(JSON_ERR_MALFORMED, p);
        const r = this.string(p);
        if (r < 0) return r;
        this.state = S_COLON;
        return TOK_KEY;
      }
      if (state == S_VALUE_OR_ARRAY_END && c == 0x5D) return this.close(p, false);
      if (state == S_DONE) return this.fail(JSON_ERR_MALFORMED, p);
      return this.value(p, c);
    }
    return TOK_END; // unreachable; keeps the compiler's flow analysis happy
  }

  private close(p: usize, object: bool): i32 {
    this.depth--;
    this.start = p;
    this.end = p + 1;
    this.pos = p + 1;
    this.afterValue();
    return object ? TOK_OBJECT_END : TOK_ARRAY_END;
  }

  private value(p: usize, c: u32): i32 {
    if (c == 0x7B || c == 0x5B) {
      const object = c == 0x7B;
      if (!this.push(object ? IN_OBJECT : IN_ARRAY)) return this.fail(JSON_ERR_TOO_DEEP, p);
      this.start = p;
      this.end = p + 1;
      this.pos = p + 1;
      this.state = object ? S_KEY_OR_OBJECT_END : S_VALUE_OR_ARRAY_END;
      return object ? TOK_OBJECT_START : TOK_ARRAY_START;
    }
    if (c == 0x22) {
      const r = this.string(p);
      if (r < 0) return r;
      this.afterValue();
      return TOK_STRING;
    }
    if (c == 0x2D || c - 0x30 < 10) return this.number(p);
    if (c == 0x74) return this.literal(p, "true", TOK_TRUE);
    if (c == 0x66) return this.literal(p, "false", TOK_FALSE);
    if (c == 0x6E) return this.literal(p, "null", TOK_NULL);
    return this.fail(JSON_ERR_MALFORMED, p);
  }

  // p is at the opening quote. Sets start/end/escaped and pos past the closing quote.
  private string(p: usize): i32 {
    const base = this.base;
    const len = this.len;
    let i = p + 1;
    let escaped = false;
    while (true) {
      if (i >= len) return this.fail(JSON_ERR_TRUNCATED, len);
      const c = <u32>load<u8>(base + i);
      if (c == 0x22) break;
      if (c == 0x5C) {
        escaped = true;
        if (i + 1 >= len) return this.fail(JSON_ERR_TRUNCATED, len);
        const e = <u32>load<u8>(base + i + 1);
        if (e == 0x75) { // \uXXXX
          for (let k: usize = 2; k < 6; k++) {
            if (i + k >= len) return this.fail(JSON_ERR_TRUNCATED, len);
            if (!isHex(<u32>load<u8>(base + i + k))) return this.fail(JSON_ERR_MALFORMED, i + k);
          }
          i += 6;
          continue;
        }
        if (e == 0x22 || e == 0x5C || e == 0x2F || e == 0x62 || e == 0x66 || e == 0x6E || e == 0x72 || e == 0x74) {
          i += 2;
          continue;
        }
        return this.fail(JSON_ERR_MALFORMED, i + 1);
      }
      if (c < 0x20) return this.fail(JSON_ERR_MALFORMED, i);
      i++;
    }
    this.start = p + 1;
    this.end = i;
    this.escaped = escaped;
    this.pos = i + 1;
    return 0;
  }

  private number(p: usize): i32 {
    const base = this.base;
    const len = this.len;
    let i = p;
    if (load<u8>(base + i) == 0x2D) i++;
    if (i >= len) return this.fail(JSON_ERR_TRUNCATED, len);
    let c = <u32>load<u8>(base + i);
    if (c == 0x30) i++;
    else if (c - 0x31 < 9) {
      i++;
      while (i < len && <u32>load<u8>(base + i) - 0x30 < 10) i++;
    } else return this.fail(JSON_ERR_MALFORMED, i);
    if (i < len && load<u8>(base + i) == 0x2E) {
      i++;
      if (i >= len) return this.fail(JSON_ERR_TRUNCATED, len);
      if (<u32>load<u8>(base + i) - 0x30 >= 10) return this.fail(JSON_ERR_MALFORMED, i);
      while (i < len && <u32>load<u8>(base + i) - 0x30 < 10) i++;
    }
    if (i < len) {
      c = <u32>load<u8>(base + i);
      if (c == 0x65 || c == 0x45) {
        i++;
        if (i < len) {
          c = <u32>load<u8>(base + i);
          if (c == 0x2B || c == 0x2D) i++;
        }
        if (i >= len) return this.fail(JSON_ERR_TRUNCATED, len);
        if (<u32>load<u8>(base + i) - 0x30 >= 10) return this.fail(JSON_ERR_MALFORMED, i);
        while (i < len && <u32>load<u8>(base + i) - 0x30 < 10) i++;
      }
    }
    this.start = p;
    this.end = i;
    this.pos = i;
    this.afterValue();
    return TOK_NUMBER;
  }

  private literal(p: usize, lit: string, tok: i32): i32 {
    const n = <usize>lit.length;
    const s = changetype<usize>(lit);
    for (let k: usize = 0; k < n; k++) {
      if (p + k >= this.len) return this.fail(JSON_ERR_TRUNCATED, this.len);
      if (<u32>load<u8>(this.base + p + k) != <u32>load<u16>(s + (k << 1))) return this.fail(JSON_ERR_MALFORMED, p + k);
    }
    this.start = p;
    this.end = p + n;
    this.pos = p + n;
    this.afterValue();
    return tok;
  }

  /**
   * Right after an OBJECT_START / ARRAY_START: consumes tokens to its matching end and returns
   * that END token (start/end are then the closing bracket), or an error. Called anywhere
   * else it consumes the rest of the enclosing container; at depth 0 it reads nothing.
   */
  skip(): i32 {
    const target = this.depth - 1;
    if (target < 0 || this.state == S_ERROR) return this.state == S_ERROR ? this.error : TOK_END;
    while (true) {
      const t = this.next();
      if (t < 0) return t;
      if ((t == TOK_OBJECT_END || t == TOK_ARRAY_END) && this.depth == target) return t;
      if (t == TOK_END) return this.fail(JSON_ERR_MALFORMED, this.pos); // cannot happen while nested
    }
    return TOK_END;
  }
}

// @ts-ignore: decorator
@inline export function isHex(c: u32): bool {
  return c - 0x30 < 10 || (c | 0x20) - 0x61 < 6;
}

/** Whether [ptr, ptr+len) is exactly one valid JSON value (whitespace around it allowed). */
export function isValidJson(ptr: usize, len: usize, maxDepth: i32 = JSON_DEFAULT_MAX_DEPTH): bool {
  const s = new JsonScanner(maxDepth);
  s.reset(ptr, len);
  while (true) {
    const t = s.next();
    if (t == TOK_END) return true;
    if (t < 0) return false;
  }
  return false;
}
