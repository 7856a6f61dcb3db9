// Serialized pair maps (cpp-host src/pairs_util.cc):
//   u32 N | N x (u32 key_len, u32 val_len) | N x (key, 0x00, value, 0x00), little-endian.
import type { HeaderList } from "./api";

const MAX_PAIRS = 1024;
const MAX_BYTES = 1 << 20;
const utf8 = new TextEncoder();
const latin = new TextDecoder("latin1");

export type BytePairs = Array<[Uint8Array, Uint8Array]>;

export function encodePairs(pairs: HeaderList | BytePairs): Uint8Array {
  const items = pairs.map(([k, v]) => [typeof k === "string" ? utf8.encode(k) : k, typeof v === "string" ? utf8.encode(v) : v] as [Uint8Array, Uint8Array]);
  let size = 4;
  for (const [k, v] of items) size += 8 + k.length + v.length + 2;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, items.length, true);
  let p = 4;
  for (const [k, v] of items) {
    view.setUint32(p, k.length, true);
    view.setUint32(p + 4, v.length, true);
    p += 8;
  }
  for (const [k, v] of items) {
    out.set(k, p);
    p += k.length + 1;
    out.set(v, p);
    p += v.length + 1;
  }
  return out;
}

/**
 * Envoy's reader: any violation (missing NUL, trailing bytes, too many pairs, over 1 MiB)
 * yields an empty map, silently. Returns bytes so values with arbitrary octets survive.
 */
export function decodePairs(data: Uint8Array): BytePairs {
  if (data.length < 4 || data.length > MAX_BYTES) return [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const n = view.getUint32(0, true);
  if (n > MAX_PAIRS) return [];
  let p = 4 + n * 8;
  if (p > data.length) return [];
  const out: BytePairs = [];
  for (let i = 0; i < n; i++) {
    const kl = view.getUint32(4 + i * 8, true);
    const vl = view.getUint32(8 + i * 8, true);
    if (p + kl + 1 + vl + 1 > data.length) return [];
    if (data[p + kl] !== 0) return [];
    const key = data.subarray(p, p + kl);
    p += kl + 1;
    if (data[p + vl] !== 0) return [];
    const value = data.subarray(p, p + vl);
    p += vl + 1;
    out.push([key, value]);
  }
  if (p !== data.length) return [];
  return out;
}

/** Header bytes as Envoy's HeaderString keeps them: octets, shown here as latin1 strings. */
export function pairsToHeaders(pairs: BytePairs): HeaderList {
  return pairs.map(([k, v]) => [latin.decode(k), latin.decode(v)]);
}
