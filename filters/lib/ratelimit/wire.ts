// Protobuf wire format primitives on linear memory. The reader never traps: every read is
// bounds-checked against an explicit end and failure is sticky in `ok`, because a response
// comes from the network and a trap would take down every stream on the VM.

export const WIRE_VARINT: u32 = 0;
export const WIRE_I64: u32 = 1;
export const WIRE_LEN: u32 = 2;
export const WIRE_I32: u32 = 5;

/** Bytes of the minimal varint for v (what every protobuf encoder emits). */
export function varintSize(v: u64): usize {
  let n: usize = 1;
  while (v >= 0x80) {
    v >>= 7;
    n++;
  }
  return n;
}

/** Writes the minimal varint for v at p; returns the position after it. */
export function storeVarint(p: usize, v: u64): usize {
  while (v >= 0x80) {
    store<u8>(p++, <u8>(v | 0x80));
    v >>= 7;
  }
  store<u8>(p++, <u8>v);
  return p;
}

/** Size of a length-delimited field with a one-byte tag (all field numbers here are < 16). */
export function lenFieldSize(len: usize): usize {
  return 1 + varintSize(<u64>len) + len;
}

/** Size of a varint field with a one-byte tag, 0 when the value is omitted (proto3 zero). */
export function varintFieldSize(v: u64): usize {
  return v == 0 ? 0 : 1 + varintSize(v);
}

export class WireReader {
  pos: usize = 0;
  ok: bool = true;
  /** Field number and wire type of the last key read. */
  field: u32 = 0;
  wire: u32 = 0;

  start(ptr: usize): void {
    this.pos = ptr;
    this.ok = true;
  }

  fail(): bool {
    this.ok = false;
    return false;
  }

  /** A varint of at most 10 bytes whose value fits 64 bits; 0 and ok = false otherwise. */
  varint(end: usize): u64 {
    let v: u64 = 0;
    let p = this.pos;
    for (let shift: u64 = 0; shift < 70; shift += 7) {
      if (p >= end) break;
      const b = <u64>load<u8>(p++);
      // The tenth byte holds bit 63 only; more would be an 11th byte or lost bits.
      if (shift == 63 && b > 1) break;
      v |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = p;
        return v;
      }
    }
    this.ok = false;
    return 0;
  }

  /** Reads a key; false at end or on error (tell them apart by `ok`). */
  key(end: usize): bool {
    if (!this.ok || this.pos >= end) return false;
    const k = this.varint(end);
    if (!this.ok) return false;
    // Keys are uint32 and field number 0 does not exist.
    if (k > 0xffffffff || (k >> 3) == 0) return this.fail();
    this.field = <u32>(k >> 3);
    this.wire = <u32>(k & 7);
    return true;
  }

  /** For a LEN field: checks the payload fits before end and returns its end (pos = its start). */
  len(end: usize): usize {
    const n = this.varint(end);
    if (!this.ok) return 0;
    if (n > <u64>(end - this.pos)) {
      this.ok = false;
      return 0;
    }
    return this.pos + <usize>n;
  }

  /** Skips the value of the last key. Groups (3, 4) and wire types 6, 7 are rejected. */
  skip(end: usize): bool {
    const w = this.wire;
    if (w == WIRE_VARINT) {
      this.varint(end);
      return this.ok;
    }
    if (w == WIRE_LEN) {
      const e = this.len(end);
      if (!this.ok) return false;
      this.pos = e;
      return true;
    }
    const n: usize = w == WIRE_I64 ? 8 : w == WIRE_I32 ? 4 : 0;
    if (n == 0 || end - this.pos < n) return this.fail();
    this.pos += n;
    return true;
  }

  /** The value of a varint field, or fail when the key's wire type is not varint. */
  varintField(end: usize): u64 {
    if (this.wire != WIRE_VARINT) {
      this.ok = false;
      return 0;
    }
    return this.varint(end);
  }

  /** The end of a LEN field's payload (pos = its start), or fail on another wire type. */
  lenField(end: usize): usize {
    if (this.wire != WIRE_LEN) {
      this.ok = false;
      return 0;
    }
    return this.len(end);
  }
}
