// A strict JSON (RFC 8259) parser for configuration. It never traps: every malformed input
// yields an error with the byte offset and the reason. Strings become AS strings, which is
// fine for configuration; hot-path body scanning does not use this parser.
import { JsonValue, JsonKind } from "./value";
import { utf8InvalidOffset } from "./utf8";

export class JsonResult {
  constructor(
    public value: JsonValue | null,
    /** "" on success. */
    public error: string,
    /** Byte offset of the error; -1 on success. */
    public offset: i32,
  ) {}

  get ok(): bool { return this.value !== null; }

  /** "reason at byte N" — ready for a log line. */
  describe(): string {
    return this.ok ? "ok" : this.error + " at byte " + this.offset.toString();
  }
}

export const DEFAULT_MAX_DEPTH: i32 = 64;

class Parser {
  pos: usize = 0;
  error: string = "";
  errorAt: usize = 0;

  constructor(public base: usize, public len: usize, public maxDepth: i32) {}

  fail(reason: string, at: usize): JsonValue | null {
    if (this.error.length == 0) {
      this.error = reason;
      this.errorAt = at;
    }
    return null;
  }

  // @ts-ignore: decorator
  @inline peek(): u32 { return <u32>load<u8>(this.base + this.pos); }
  // @ts-ignore: decorator
  @inline atEnd(): bool { return this.pos >= this.len; }

  skipWs(): void {
    while (this.pos < this.len) {
      const c = this.peek();
      if (c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D) this.pos++;
      else break;
    }
  }

  unexpected(): JsonValue | null {
    if (this.atEnd()) return this.fail("unexpected end of input", this.pos);
    const c = this.peek();
    if (c >= 0x20 && c < 0x7F) {
      return this.fail("unexpected character '" + String.fromCharCode(c) + "'", this.pos);
    }
    return this.fail("unexpected byte 0x" + c.toString(16), this.pos);
  }

  value(depth: i32): JsonValue | null {
    this.skipWs();
    if (this.atEnd()) return this.fail("unexpected end of input", this.pos);
    const start = this.pos;
    const c = this.peek();
    let v: JsonValue | null;
    if (c == 0x7B) v = this.object(depth);
    else if (c == 0x5B) v = this.array(depth);
    else if (c == 0x22) {
      const s = this.string();
      if (s === null) return null;
      v = JsonValue.fromString(s);
    } else if (c == 0x74) v = this.literal("true", JsonValue.fromBool(true));
    else if (c == 0x66) v = this.literal("false", JsonValue.fromBool(false));
    else if (c == 0x6E) v = this.literal("null", JsonValue.null());
    else if (c == 0x2D || (c >= 0x30 && c <= 0x39)) v = this.number();
    else return this.unexpected();
    if (v !== null) v.offset = <i32>start;
    return v;
  }

  literal(word: string, v: JsonValue): JsonValue | null {
    const n = <usize>word.length;
    if (this.len - this.pos < n) return this.fail("invalid literal (expected " + word + ")", this.pos);
    for (let i: usize = 0; i < n; i++) {
      if (<u32>load<u8>(this.base + this.pos + i) != <u32>word.charCodeAt(<i32>i)) {
        return this.fail("invalid literal (expected " + word + ")", this.pos);
      }
    }
    this.pos += n;
    return v;
  }

  digits(): usize {
    let n: usize = 0;
    while (!this.atEnd()) {
      const c = this.peek();
      if (c < 0x30 || c > 0x39) break;
      this.pos++;
      n++;
    }
    return n;
  }

  number(): JsonValue | null {
    const start = this.pos;
    if (this.peek() == 0x2D) this.pos++;
    if (this.atEnd()) return this.fail("invalid number: no digits", this.pos);
    if (this.peek() == 0x30) {
      this.pos++;
      if (!this.atEnd() && this.peek() >= 0x30 && this.peek() <= 0x39) {
        return this.fail("invalid number: leading zero", start);
      }
    } else if (this.digits() == 0) {
      return this.fail("invalid number: no digits", this.pos);
    }
    if (!this.atEnd() && this.peek() == 0x2E) {
      this.pos++;
      if (this.digits() == 0) return this.fail("invalid number: no digits after '.'", this.pos);
    }
    if (!this.atEnd() && (this.peek() == 0x65 || this.peek() == 0x45)) {
      this.pos++;
      if (!this.atEnd() && (this.peek() == 0x2B || this.peek() == 0x2D)) this.pos++;
      if (this.digits() == 0) return this.fail("invalid number: no digits in exponent", this.pos);
    }
    const text = String.UTF8.decodeUnsafe(this.base + start, this.pos - start);
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.num = parseFloat(text);
    v.str = text;
    return v;
  }

  hex4(at: usize): i32 {
    if (this.len - at < 4) return -1;
    let v: i32 = 0;
    for (let i: usize = 0; i < 4; i++) {
      const c = <i32>load<u8>(this.base + at + i);
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else return -1;
      v = (v << 4) | d;
    }
    return v;
  }

  /** At the opening quote. Returns null on error. */
  string(): string | null {
    const open = this.pos;
    this.pos++;
    let out = "";
    let runStart = this.pos;
    while (true) {
      if (this.atEnd()) {
        this.fail("unterminated string", open);
        return null;
      }
      const c = this.peek();
      if (c == 0x22 || c == 0x5C) {
        const runLen = this.pos - runStart;
        if (runLen > 0) {
          const bad = utf8InvalidOffset(this.base + runStart, runLen);
          if (bad >= 0) {
            this.fail("invalid UTF-8 in string", runStart + <usize>bad);
            return null;
          }
          out += String.UTF8.decodeUnsafe(this.base + runStart, runLen);
        }
        if (c == 0x22) {
          this.pos++;
          return out;
        }
        // Escape.
        const escAt = this.pos;
        this.pos++;
        if (this.atEnd()) {
          this.fail("unterminated string", open);
          return null;
        }
        const e = this.peek();
        this.pos++;
        if (e == 0x22) out += "\"";
        else if (e == 0x5C) out += "\\";
        else if (e == 0x2F) out += "/";
        else if (e == 0x62) out += "\b";
        else if (e == 0x66) out += "\f";
        else if (e == 0x6E) out += "\n";
        else if (e == 0x72) out += "\r";
        else if (e == 0x74) out += "\t";
        else if (e == 0x75) {
          const u = this.hex4(this.pos);
          if (u < 0) {
            this.fail("invalid \\u escape", escAt);
            return null;
          }
          this.pos += 4;
          // Lone surrogates are kept as they are: JSON allows them and AS strings are UTF-16.
          out += String.fromCharCode(u);
        } else {
          this.fail("invalid escape '\\" + (e >= 0x20 && e < 0x7F ? String.fromCharCode(e) : "?") + "'", escAt);
          return null;
        }
        runStart = this.pos;
        continue;
      }
      if (c < 0x20) {
        this.fail("control character in string (must be escaped)", this.pos);
        return null;
      }
      this.pos++;
    }
    return null;
  }

  array(depth: i32): JsonValue | null {
    if (depth >= this.maxDepth) return this.fail("nesting deeper than " + this.maxDepth.toString(), this.pos);
    this.pos++;
    const arr = JsonValue.newArray();
    this.skipWs();
    if (!this.atEnd() && this.peek() == 0x5D) {
      this.pos++;
      return arr;
    }
    while (true) {
      const item = this.value(depth + 1);
      if (item === null) return null;
      arr.push(item);
      this.skipWs();
      if (this.atEnd()) return this.fail("unterminated array (expected ',' or ']')", this.pos);
      const c = this.peek();
      if (c == 0x2C) { this.pos++; continue; }
      if (c == 0x5D) { this.pos++; return arr; }
      return this.fail("expected ',' or ']' in array", this.pos);
    }
    return null;
  }

  object(depth: i32): JsonValue | null {
    if (depth >= this.maxDepth) return this.fail("nesting deeper than " + this.maxDepth.toString(), this.pos);
    this.pos++;
    const obj = JsonValue.newObject();
    this.skipWs();
    if (!this.atEnd() && this.peek() == 0x7D) {
      this.pos++;
      return obj;
    }
    while (true) {
      this.skipWs();
      if (this.atEnd()) return this.fail("unterminated object (expected a key)", this.pos);
      if (this.peek() != 0x22) return this.fail("expected a string key in object", this.pos);
      const keyAt = this.pos;
      const key = this.string();
      if (key === null) return null;
      // Duplicate keys are legal JSON but almost always a configuration mistake.
      if (obj.get(key) !== null) return this.fail("duplicate key \"" + key + "\"", keyAt);
      this.skipWs();
      if (this.atEnd() || this.peek() != 0x3A) return this.fail("expected ':' after object key", this.pos);
      this.pos++;
      const v = this.value(depth + 1);
      if (v === null) return null;
      obj.set(key, v);
      this.skipWs();
      if (this.atEnd()) return this.fail("unterminated object (expected ',' or '}')", this.pos);
      const c = this.peek();
      if (c == 0x2C) { this.pos++; continue; }
      if (c == 0x7D) { this.pos++; return obj; }
      return this.fail("expected ',' or '}' in object", this.pos);
    }
    return null;
  }
}

/** Parses UTF-8 JSON at ptr..ptr+len (e.g. a HostBytes from the plugin configuration). */
export function parseJsonAt(ptr: usize, len: usize, maxDepth: i32 = DEFAULT_MAX_DEPTH): JsonResult {
  const p = new Parser(ptr, len, maxDepth);
  // A UTF-8 byte order mark is tolerated: editors add it to config files.
  if (len >= 3 && load<u8>(ptr) == 0xEF && load<u8>(ptr + 1) == 0xBB && load<u8>(ptr + 2) == 0xBF) p.pos = 3;
  p.skipWs();
  if (p.atEnd()) return new JsonResult(null, "empty input", <i32>p.pos);
  const v = p.value(0);
  if (v === null) return new JsonResult(null, p.error, <i32>p.errorAt);
  p.skipWs();
  if (!p.atEnd()) return new JsonResult(null, "unexpected data after the JSON value", <i32>p.pos);
  return new JsonResult(v, "", -1);
}

export function parseJsonBytes(bytes: Uint8Array, maxDepth: i32 = DEFAULT_MAX_DEPTH): JsonResult {
  return parseJsonAt(bytes.dataStart, <usize>bytes.length, maxDepth);
}

export function parseJson(text: string, maxDepth: i32 = DEFAULT_MAX_DEPTH): JsonResult {
  const buf = String.UTF8.encode(text);
  return parseJsonAt(changetype<usize>(buf), <usize>buf.byteLength, maxDepth);
}
