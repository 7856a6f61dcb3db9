// Envoy's HeaderMapImpl as a filter observes it: ordered entries, lowercase keys,
// pseudo-headers kept ahead of regular ones, setCopy = remove + append.
// Keys and values are held as byte strings (one char per octet), as HeaderString holds octets.
import type { HeaderList } from "./api";

const enc = new TextEncoder();
const dec = new TextDecoder();

export function toByteString(s: string): string {
  // Fast path: ASCII text is already its own byte string.
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return Buffer.from(enc.encode(s)).toString("latin1");
}

export function fromByteString(s: string): string {
  if (/^[\x00-\x7f]*$/.test(s)) return s;
  return dec.decode(Buffer.from(s, "latin1"));
}

export function byteStringToBytes(s: string): Uint8Array {
  // latin1 is exactly one byte per char code below 256, which is all a byte string holds.
  return Buffer.from(s, "latin1");
}

export function bytesToByteString(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("latin1");
}

function lower(key: string): string {
  return key.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

export class HeaderMap {
  private entries: Array<[string, string]> = [];

  static from(list: HeaderList): HeaderMap {
    const m = new HeaderMap();
    for (const [k, v] of list) m.add(toByteString(k), toByteString(v));
    return m;
  }

  get size(): number {
    return this.entries.length;
  }

  /** HeaderMap::byteSize(): key and value bytes, nothing for framing. */
  byteSize(): number {
    let n = 0;
    for (const [k, v] of this.entries) n += k.length + v.length;
    return n;
  }

  get(key: string): string | undefined {
    const k = lower(key);
    for (const [ek, ev] of this.entries) if (ek === k) return ev;
    return undefined;
  }

  getAll(key: string): string[] {
    const k = lower(key);
    return this.entries.filter(([ek]) => ek === k).map(([, v]) => v);
  }

  add(key: string, value: string): void {
    const k = lower(key);
    if (k.startsWith(":")) {
      let i = 0;
      while (i < this.entries.length && this.entries[i][0].startsWith(":")) i++;
      this.entries.splice(i, 0, [k, value]);
    } else {
      this.entries.push([k, value]);
    }
  }

  set(key: string, value: string): void {
    this.remove(key);
    this.add(key, value);
  }

  remove(key: string): void {
    const k = lower(key);
    this.entries = this.entries.filter(([ek]) => ek !== k);
  }

  clear(): void {
    this.entries = [];
  }

  pairs(): Array<[string, string]> {
    return this.entries.map(([k, v]) => [k, v]);
  }

  /** Text view for reports and events (UTF-8 decoded). */
  toList(): HeaderList {
    return this.entries.map(([k, v]) => [fromByteString(k), fromByteString(v)]);
  }

  clone(): HeaderMap {
    const m = new HeaderMap();
    m.entries = this.pairs();
    return m;
  }
}
