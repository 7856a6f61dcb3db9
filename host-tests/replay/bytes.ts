// Bytes in reports and JSON output: text when the bytes are valid UTF-8, base64 otherwise.
const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export type EncodedBytes = string | { base64: string };

export function utf8OrUndefined(b: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(b);
  } catch {
    return undefined;
  }
}

export function encodeBytes(b: Uint8Array): EncodedBytes {
  const text = utf8OrUndefined(b);
  return text !== undefined ? text : { base64: Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64") };
}

export function decodeBytes(e: EncodedBytes): Uint8Array {
  return typeof e === "string" ? new TextEncoder().encode(e) : new Uint8Array(Buffer.from(e.base64, "base64"));
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

export function indexOfBytes(hay: Uint8Array, needle: Uint8Array): number {
  if (needle.length === 0) return 0;
  return Buffer.from(hay.buffer, hay.byteOffset, hay.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
}

export function formatSize(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)}KiB`;
  return `${(n / 1024 / 1024).toFixed(1)}MiB`;
}
