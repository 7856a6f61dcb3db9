// A small JSON writer for what filters publish (filter state such as
// {"input":12,"output":40,"source":"reported"}, audit lines, local-reply bodies), writing
// UTF-8 bytes straight into a capped ByteBuffer. Commas and colons are placed by the writer;
// a write that would pass the cap or break nesting sets `failed` and later writes do nothing,
// so a caller checks once at the end.
import { ByteBuffer } from "../bytes/buffer";
import { formatI64, formatU64 } from "../bytes/number";

const MAX_NEST: i32 = 64;
const HEX = "0123456789abcdef";

export class JsonWriter {
  readonly out: ByteBuffer;
  failed: bool = false;
  private depth: i32 = 0;
  // Bit d: the container at depth d already has a member (next one needs a comma).
  private hasMember: u64 = 0;
  // Bit d: the container at depth d is an object.
  private isObject: u64 = 0;
  private afterKey: bool = false;
  private done: bool = false;
  private num: StaticArray<u8> = new StaticArray<u8>(24);

  constructor(maxBytes: usize = 4096) {
    this.out = new ByteBuffer(maxBytes, min<usize>(maxBytes, 256));
  }

  reset(): void {
    this.out.clear();
    this.failed = false;
    this.depth = 0;
    this.hasMember = 0;
    this.isObject = 0;
    this.afterKey = false;
    this.done = false;
  }

  get ptr(): usize { return this.out.ptr; }
  get length(): usize { return this.out.length; }
  /** A complete document was written and nothing failed. */
  get ok(): bool { return !this.failed && this.done && this.depth == 0; }

  private put(ok: bool): void { if (!ok) this.failed = true; }

  // Separator before a value; false when a value is not allowed here.
  private beforeValue(): bool {
    if (this.failed) return false;
    if (this.depth == 0) {
      if (this.done) { this.failed = true; return false; }
      return true;
    }
    const bit = <u64>1 << <u64>(this.depth - 1);
    if (this.isObject & bit) {
      if (!this.afterKey) { this.failed = true; return false; }
      this.afterKey = false;
      return true;
    }
    if (this.hasMember & bit) this.put(this.out.appendByte(0x2C));
    this.hasMember |= bit;
    return !this.failed;
  }

  private afterValue(): void {
    if (this.depth == 0) this.done = true;
  }

  private open(object: bool): void {
    if (!this.beforeValue()) return;
    if (this.depth >= MAX_NEST) { this.failed = true; return; }
    this.put(this.out.appendByte(object ? 0x7B : 0x5B));
    const bit = <u64>1 << <u64>this.depth;
    this.hasMember &= ~bit;
    if (object) this.isObject |= bit; else this.isObject &= ~bit;
    this.depth++;
  }

  private close(object: bool): void {
    if (this.failed) return;
    if (this.depth == 0 || this.afterKey) { this.failed = true; return; }
    const bit = <u64>1 << <u64>(this.depth - 1);
    if (((this.isObject & bit) != 0) != object) { this.failed = true; return; }
    this.depth--;
    this.put(this.out.appendByte(object ? 0x7D : 0x5D));
    this.afterValue();
  }

  beginObject(): JsonWriter { this.open(true); return this; }
  endObject(): JsonWriter { this.close(true); return this; }
  beginArray(): JsonWriter { this.open(false); return this; }
  endArray(): JsonWriter { this.close(false); return this; }

  /** An object key given as UTF-8 bytes (escaped as needed). */
  keyBytes(ptr: usize, len: usize): JsonWriter {
    if (this.failed) return this;
    const bit = this.depth == 0 ? 0 : <u64>1 << <u64>(this.depth - 1);
    if (bit == 0 || (this.isObject & bit) == 0 || this.afterKey) { this.failed = true; return this; }
    if (this.hasMember & bit) this.put(this.out.appendByte(0x2C));
    this.hasMember |= bit;
    this.quoted(ptr, len, 0);
    this.put(this.out.appendByte(0x3A));
    this.afterKey = true;
    return this;
  }

  /** An object key from an ASCII literal, e.g. key("input"). */
  key(lit: string): JsonWriter {
    if (this.failed) return this;
    const bit = this.depth == 0 ? 0 : <u64>1 << <u64>(this.depth - 1);
    if (bit == 0 || (this.isObject & bit) == 0 || this.afterKey) { this.failed = true; return this; }
    if (this.hasMember & bit) this.put(this.out.appendByte(0x2C));
    this.hasMember |= bit;
    this.quoted(changetype<usize>(lit), <usize>lit.length, 1);
    this.put(this.out.appendByte(0x3A));
    this.afterKey = true;
    return this;
  }

  int(v: i64): JsonWriter {
    if (!this.beforeValue()) return this;
    const buf = changetype<usize>(this.num);
    this.put(this.out.append(buf, formatI64(v, buf)));
    this.afterValue();
    return this;
  }

  uint(v: u64): JsonWriter {
    if (!this.beforeValue()) return this;
    const buf = changetype<usize>(this.num);
    this.put(this.out.append(buf, formatU64(v, buf)));
    this.afterValue();
    return this;
  }

  /** A fixed-point number: fixed(12500, 9) writes 0.0000125 (trailing zeros dropped). */
  fixed(v: i64, scale: i32): JsonWriter {
    if (!this.beforeValue()) return this;
    if (scale <= 0 || scale > 18) {
      const buf = changetype<usize>(this.num);
      this.put(this.out.append(buf, formatI64(v, buf)));
      this.afterValue();
      return this;
    }
    const neg = v < 0;
    const mag: u64 = neg ? <u64>0 - <u64>v : <u64>v;
    let p: u64 = 1;
    for (let i = 0; i < scale; i++) p *= 10;
    const whole = mag / p;
    let frac = mag - whole * p;
    if (neg) this.put(this.out.appendByte(0x2D));
    const buf = changetype<usize>(this.num);
    this.put(this.out.append(buf, formatU64(whole, buf)));
    if (frac != 0) {
      let digits = scale;
      while (frac % 10 == 0) { frac /= 10; digits--; }
      this.put(this.out.appendByte(0x2E));
      const n = formatU64(frac, buf);
      for (let z = <i32>n; z < digits; z++) this.put(this.out.appendByte(0x30));
      this.put(this.out.append(buf, n));
    }
    this.afterValue();
    return this;
  }

  bool(b: bool): JsonWriter {
    if (!this.beforeValue()) return this;
    this.put(this.out.appendAscii(b ? "true" : "false"));
    this.afterValue();
    return this;
  }

  null(): JsonWriter {
    if (!this.beforeValue()) return this;
    this.put(this.out.appendAscii("null"));
    this.afterValue();
    return this;
  }

  /** A string value from UTF-8 bytes (quotes, backslashes and control bytes escaped). */
  stringBytes(ptr: usize, len: usize): JsonWriter {
    if (!this.beforeValue()) return this;
    this.quoted(ptr, len, 0);
    this.afterValue();
    return this;
  }

  /** A string value from an ASCII literal. */
  string(lit: string): JsonWriter {
    if (!this.beforeValue()) return this;
    this.quoted(changetype<usize>(lit), <usize>lit.length, 1);
    this.afterValue();
    return this;
  }

  /** Already-encoded JSON (e.g. a span copied from a body) as one value. */
  raw(ptr: usize, len: usize): JsonWriter {
    if (!this.beforeValue()) return this;
    this.put(this.out.append(ptr, len));
    this.afterValue();
    return this;
  }

  // shift 0: bytes; shift 1: UTF-16 code units of an ASCII literal.
  private quoted(ptr: usize, len: usize, shift: i32): void {
    const out = this.out;
    this.put(out.appendByte(0x22));
    let runStart: usize = 0;
    for (let i: usize = 0; i < len; i++) {
      const c = shift == 0 ? <u32>load<u8>(ptr + i) : <u32>load<u16>(ptr + (i << 1));
      if (c >= 0x20 && c != 0x22 && c != 0x5C) {
        if (shift == 1) this.put(out.appendByte(<u8>c));
        continue;
      }
      if (shift == 0 && i > runStart) this.put(out.append(ptr + runStart, i - runStart));
      runStart = i + 1;
      this.put(out.appendByte(0x5C));
      if (c == 0x22 || c == 0x5C) this.put(out.appendByte(<u8>c));
      else if (c == 0x0A) this.put(out.appendByte(0x6E));
      else if (c == 0x0D) this.put(out.appendByte(0x72));
      else if (c == 0x09) this.put(out.appendByte(0x74));
      else if (c == 0x08) this.put(out.appendByte(0x62));
      else if (c == 0x0C) this.put(out.appendByte(0x66));
      else {
        this.put(out.appendAscii("u00"));
        this.put(out.appendByte(<u8>HEX.charCodeAt(<i32>(c >> 4))));
        this.put(out.appendByte(<u8>HEX.charCodeAt(<i32>(c & 15))));
      }
    }
    if (shift == 0 && len > runStart) this.put(out.append(ptr + runStart, len - runStart));
    this.put(out.appendByte(0x22));
  }
}
