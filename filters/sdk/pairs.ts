// Serialized pair maps (digest §4), the format of header maps, gRPC metadata, local-response
// headers, and map-valued properties:
//   u32 N | N × (u32 key_len, u32 val_len) | N × (key bytes, 0x00, value bytes, 0x00)
// little-endian. Reading never trusts the host: malformed input reads as an empty map.

export class HeaderPair {
  constructor(public key: string, public value: string) {}
}

export class BytesPair {
  constructor(public key: Uint8Array, public value: Uint8Array) {}
}

/**
 * A zero-copy view of a serialized map in linear memory. `valid` is false when the bytes do
 * not follow the format; such a view has count 0. Offsets are absolute pointers.
 */
export class PairsView {
  count: i32 = 0;
  valid: bool = true;
  // 4 entries per pair: keyPtr, keyLen, valuePtr, valueLen.
  private offsets: StaticArray<usize> = new StaticArray<usize>(0);

  constructor(ptr: usize, len: usize) {
    this.parse(ptr, len);
  }

  private parse(ptr: usize, len: usize): void {
    if (len == 0) return;
    if (len < 4) { this.valid = false; return; }
    const n = <usize>load<u32>(ptr);
    // Reject before multiplying so a huge N cannot wrap.
    if (n > (len - 4) / 10) { this.valid = false; return; }
    const offsets = new StaticArray<usize>(<i32>(n * 4));
    let data = ptr + 4 + n * 8;
    const end = ptr + len;
    for (let i: usize = 0; i < n; i++) {
      const kl = <usize>load<u32>(ptr + 4 + i * 8);
      const vl = <usize>load<u32>(ptr + 8 + i * 8);
      if (kl > end - data || end - data - kl < 1) { this.valid = false; return; }
      const kp = data;
      data += kl;
      if (load<u8>(data) != 0) { this.valid = false; return; }
      data += 1;
      if (vl > end - data || end - data - vl < 1) { this.valid = false; return; }
      const vp = data;
      data += vl;
      if (load<u8>(data) != 0) { this.valid = false; return; }
      data += 1;
      unchecked(offsets[<i32>(i * 4)] = kp);
      unchecked(offsets[<i32>(i * 4 + 1)] = kl);
      unchecked(offsets[<i32>(i * 4 + 2)] = vp);
      unchecked(offsets[<i32>(i * 4 + 3)] = vl);
    }
    if (data != end) { this.valid = false; return; }
    this.offsets = offsets;
    this.count = <i32>n;
  }

  keyPtr(i: i32): usize { return this.offsets[i * 4]; }
  keyLen(i: i32): usize { return this.offsets[i * 4 + 1]; }
  valuePtr(i: i32): usize { return this.offsets[i * 4 + 2]; }
  valueLen(i: i32): usize { return this.offsets[i * 4 + 3]; }

  key(i: i32): string { return String.UTF8.decodeUnsafe(this.keyPtr(i), this.keyLen(i)); }
  value(i: i32): string { return String.UTF8.decodeUnsafe(this.valuePtr(i), this.valueLen(i)); }

  /** Index of the first pair whose key equals `name` byte-for-byte (ASCII-exact), or -1. */
  find(name: string): i32 {
    const nameLen = <usize>String.UTF8.byteLength(name);
    for (let i = 0; i < this.count; i++) {
      if (this.keyLen(i) != nameLen) continue;
      if (keyEquals(this.keyPtr(i), nameLen, name)) return i;
    }
    return -1;
  }

  toHeaderPairs(): HeaderPair[] {
    const out = new Array<HeaderPair>(this.count);
    for (let i = 0; i < this.count; i++) {
      unchecked(out[i] = new HeaderPair(this.key(i), this.value(i)));
    }
    return out;
  }
}

function keyEquals(ptr: usize, len: usize, name: string): bool {
  // Compare as UTF-8 without allocating: only ASCII names can match byte-for-byte cheaply,
  // which is what header names are.
  if (<usize>name.length != len) return false;
  for (let i: usize = 0; i < len; i++) {
    const c = <u32>name.charCodeAt(<i32>i);
    if (c >= 0x80 || c != <u32>load<u8>(ptr + i)) return false;
  }
  return true;
}

/** Serialized size of a map with these byte lengths. */
function headerSize(n: i32): usize {
  return 4 + <usize>n * 8;
}

export function serializeHeaders(pairs: HeaderPair[]): ArrayBuffer {
  const n = pairs.length;
  let size = headerSize(n);
  for (let i = 0; i < n; i++) {
    const p = unchecked(pairs[i]);
    size += <usize>String.UTF8.byteLength(p.key) + <usize>String.UTF8.byteLength(p.value) + 2;
  }
  const out = new ArrayBuffer(<i32>size);
  const base = changetype<usize>(out);
  store<u32>(base, <u32>n);
  let data = base + headerSize(n);
  for (let i = 0; i < n; i++) {
    const p = unchecked(pairs[i]);
    const kl = String.UTF8.encodeUnsafe(changetype<usize>(p.key), p.key.length, data);
    data += kl;
    store<u8>(data++, 0);
    const vl = String.UTF8.encodeUnsafe(changetype<usize>(p.value), p.value.length, data);
    data += vl;
    store<u8>(data++, 0);
    store<u32>(base + 4 + <usize>i * 8, <u32>kl);
    store<u32>(base + 8 + <usize>i * 8, <u32>vl);
  }
  return out;
}

export function serializeBytesPairs(pairs: BytesPair[]): ArrayBuffer {
  const n = pairs.length;
  let size = headerSize(n);
  for (let i = 0; i < n; i++) {
    const p = unchecked(pairs[i]);
    size += <usize>p.key.length + <usize>p.value.length + 2;
  }
  const out = new ArrayBuffer(<i32>size);
  const base = changetype<usize>(out);
  store<u32>(base, <u32>n);
  let data = base + headerSize(n);
  for (let i = 0; i < n; i++) {
    const p = unchecked(pairs[i]);
    const kl = <usize>p.key.length;
    const vl = <usize>p.value.length;
    memory.copy(data, p.key.dataStart, kl);
    data += kl;
    store<u8>(data++, 0);
    memory.copy(data, p.value.dataStart, vl);
    data += vl;
    store<u8>(data++, 0);
    store<u32>(base + 4 + <usize>i * 8, <u32>kl);
    store<u32>(base + 8 + <usize>i * 8, <u32>vl);
  }
  return out;
}

export function deserializeHeaders(ptr: usize, len: usize): HeaderPair[] {
  return new PairsView(ptr, len).toHeaderPairs();
}

/** Property paths: segments joined with NUL (digest §4, "Property path"). */
export function serializePath(segments: string[]): ArrayBuffer {
  let size: usize = 0;
  for (let i = 0; i < segments.length; i++) {
    size += <usize>String.UTF8.byteLength(unchecked(segments[i]));
    if (i > 0) size += 1;
  }
  const out = new ArrayBuffer(<i32>size);
  let at = changetype<usize>(out);
  for (let i = 0; i < segments.length; i++) {
    if (i > 0) store<u8>(at++, 0);
    const s = unchecked(segments[i]);
    at += String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, at);
  }
  return out;
}
