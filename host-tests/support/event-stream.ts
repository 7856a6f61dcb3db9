// AWS event-stream frames (application/vnd.amazon.eventstream: Bedrock ConverseStream and
// InvokeModelWithResponseStream) for the tests, written and read in plain JS: a 12-byte
// prelude (total length, headers length, CRC32 of those 8 bytes), string headers (name length,
// name, type 7, value length u16, value), the payload, and the CRC32 of everything before it.
import { crc32 } from "node:zlib";

export interface EventStreamFrame {
  headers: Record<string, string>;
  payload: Uint8Array;
  /** The whole frame as it was in the body. */
  raw: Uint8Array;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One frame with string headers, in the order given. */
export function encodeEventStreamFrame(headers: [string, string][], payload: Uint8Array): Uint8Array {
  const hs = headers.map(([k, v]) => {
    const kb = enc.encode(k);
    const vb = enc.encode(v);
    const h = new Uint8Array(1 + kb.length + 3 + vb.length);
    h[0] = kb.length;
    h.set(kb, 1);
    h[1 + kb.length] = 7;
    new DataView(h.buffer).setUint16(2 + kb.length, vb.length);
    h.set(vb, 4 + kb.length);
    return h;
  });
  const hlen = hs.reduce((n, h) => n + h.length, 0);
  const total = 12 + hlen + payload.length + 4;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, total);
  dv.setUint32(4, hlen);
  dv.setUint32(8, crc32(out.subarray(0, 8)));
  let o = 12;
  for (const h of hs) {
    out.set(h, o);
    o += h.length;
  }
  out.set(payload, o);
  dv.setUint32(total - 4, crc32(out.subarray(0, total - 4)));
  return out;
}

/** Every frame of a body, and what is wrong with it (bad CRCs, non-string headers, stray bytes). */
export function decodeEventStream(b: Uint8Array): { frames: EventStreamFrame[]; errors: string[] } {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const frames: EventStreamFrame[] = [];
  const errors: string[] = [];
  for (let o = 0; o < b.length; ) {
    if (b.length - o < 16) {
      errors.push(`${b.length - o} stray bytes at ${o}`);
      break;
    }
    const total = dv.getUint32(o);
    const hlen = dv.getUint32(o + 4);
    if (crc32(b.subarray(o, o + 8)) !== dv.getUint32(o + 8)) errors.push(`prelude CRC at ${o}`);
    if (crc32(b.subarray(o, o + total - 4)) !== dv.getUint32(o + total - 4)) errors.push(`message CRC at ${o}`);
    const headers: Record<string, string> = {};
    for (let h = o + 12; h < o + 12 + hlen; ) {
      const n = b[h];
      const name = dec.decode(b.subarray(h + 1, h + 1 + n));
      if (b[h + 1 + n] !== 7) errors.push(`header ${name} is not a string`);
      const len = dv.getUint16(h + 2 + n);
      headers[name] = dec.decode(b.subarray(h + 4 + n, h + 4 + n + len));
      h += 4 + n + len;
    }
    frames.push({ headers, payload: b.subarray(o + 12 + hlen, o + total - 4), raw: b.subarray(o, o + total) });
    o += total;
  }
  return { frames, errors };
}
