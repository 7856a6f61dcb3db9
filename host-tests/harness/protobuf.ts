// Minimal protobuf encoding for the messages Envoy hands out as property values:
// config.core.v3.Node, config.core.v3.Metadata and google.protobuf.Struct.
const enc = new TextEncoder();

export class ProtoWriter {
  private parts: number[] = [];

  varint(v: number | bigint): this {
    let n = BigInt.asUintN(64, BigInt(v));
    while (n >= 0x80n) {
      this.parts.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    this.parts.push(Number(n));
    return this;
  }
  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  bytes(field: number, b: Uint8Array): this {
    this.tag(field, 2).varint(b.length);
    for (const x of b) this.parts.push(x);
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, enc.encode(s));
  }
  uint(field: number, v: number | bigint): this {
    return this.tag(field, 0).varint(v);
  }
  double(field: number, v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    this.tag(field, 1);
    for (const x of b) this.parts.push(x);
    return this;
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function encodeValue(v: unknown): Uint8Array {
  const w = new ProtoWriter();
  if (v === null || v === undefined) w.uint(1, 0);
  else if (typeof v === "number") w.double(2, v);
  else if (typeof v === "string") w.string(3, v);
  else if (typeof v === "boolean") w.uint(4, v ? 1 : 0);
  else if (Array.isArray(v)) {
    const list = new ProtoWriter();
    for (const e of v) list.bytes(1, encodeValue(e));
    w.bytes(6, list.finish());
  } else w.bytes(5, encodeStruct(v as Record<string, unknown>));
  return w.finish();
}

export function encodeStruct(obj: Record<string, unknown>): Uint8Array {
  const w = new ProtoWriter();
  for (const [k, v] of Object.entries(obj)) {
    w.bytes(1, new ProtoWriter().string(1, k).bytes(2, encodeValue(v)).finish());
  }
  return w.finish();
}

export function encodeMetadata(filterMetadata: Record<string, Record<string, unknown>>): Uint8Array {
  const w = new ProtoWriter();
  for (const [ns, s] of Object.entries(filterMetadata)) {
    w.bytes(1, new ProtoWriter().string(1, ns).bytes(2, encodeStruct(s)).finish());
  }
  return w.finish();
}

export function encodeNode(node: { id?: string; cluster?: string; metadata?: Record<string, unknown> }): Uint8Array {
  const w = new ProtoWriter();
  if (node.id) w.string(1, node.id);
  if (node.cluster) w.string(2, node.cluster);
  if (node.metadata && Object.keys(node.metadata).length) w.bytes(3, encodeStruct(node.metadata));
  return w.finish();
}

/**
 * Reads one protobuf message level: field number -> last value (varints as numbers,
 * length-delimited fields as byte views; fixed32/64 skipped). null when the bytes are not a
 * well-formed message, which is how Envoy tells a serialized proto from a plain string.
 */
export function readProtoFields(b: Uint8Array): Map<number, Uint8Array | number> | null {
  const out = new Map<number, Uint8Array | number>();
  let p = 0;
  const varint = (): number | null => {
    let r = 0, s = 0, x: number;
    do {
      if (p >= b.length || s > 63) return null;
      x = b[p++];
      r += (x & 0x7f) * 2 ** s;
      s += 7;
    } while (x & 0x80);
    return r;
  };
  while (p < b.length) {
    const tag = varint();
    if (tag === null || tag < 8) return null;
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 0) {
      const v = varint();
      if (v === null) return null;
      out.set(field, v);
    } else if (wire === 2) {
      const len = varint();
      if (len === null || p + len > b.length) return null;
      out.set(field, b.subarray(p, p + len));
      p += len;
    } else if (wire === 1 || wire === 5) {
      p += wire === 1 ? 8 : 4;
      if (p > b.length) return null;
    } else {
      return null;
    }
  }
  return out;
}
