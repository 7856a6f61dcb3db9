// The PII scan's step counter (filters/lib/pii/work.ts) through dist/pii-work.wasm: how many
// steps one scan of some bytes takes, with a chosen set of types on. Linearity is then checked
// on counts, which are exact and do not depend on how busy the machine is (speed itself is the
// benchmark's business, never a test's).
import { loadTestWasm, withBytesIn, type TestWasmBase } from "../support/test-wasm";

interface WorkExports extends TestWasmBase {
  pw_alloc(len: number): number;
  pw_free(ptr: number): void;
  pw_enable(t: number, on: number): void;
  pw_generic(on: number): void;
  pw_scan(ptr: number, len: number): number;
  pw_found(): number;
}

export const TYPE_IDS: Record<string, number> = {
  EMAIL: 1, PHONE: 2, CREDIT_CARD: 3, IBAN: 4, US_SSN: 5, IP_ADDRESS: 6, URL_CREDENTIALS: 7, SECRET: 8,
};

export interface WorkCounter {
  /** Steps of one scan of `bytes` and the number of findings it reported. */
  scan(bytes: Uint8Array): { steps: number; found: number };
}

/** A counter with `types` on (all built-in types when omitted) and generic secrets as given. */
export async function workCounter(types?: string[], generic = true): Promise<WorkCounter> {
  const x = await loadTestWasm<WorkExports>("pii-work");
  x.pw_enable(0, 0);
  for (const t of types ?? Object.keys(TYPE_IDS)) x.pw_enable(TYPE_IDS[t], 1);
  x.pw_generic(generic ? 1 : 0);
  return {
    scan: (bytes) => withBytesIn(x, x.pw_alloc, x.pw_free, bytes, (p, n) => ({ steps: x.pw_scan(p, n), found: x.pw_found() })),
  };
}

/** `unit` repeated to exactly n bytes (UTF-8). */
export function repeated(unit: string, n: number): Uint8Array {
  const b = new TextEncoder().encode(unit);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = b[i % b.length];
  return out;
}

export interface Growth { small: number; large: number; ratio: number; perByte: number }

/** Steps on `make(n)` and `make(4n)`: their ratio (4 when linear) and steps per byte of the larger. */
export function growth(counter: WorkCounter, make: (n: number) => Uint8Array, n = 16 << 10): Growth {
  const small = counter.scan(make(n)).steps;
  const bytes = make(4 * n);
  const large = counter.scan(bytes).steps;
  return { small, large, ratio: large / Math.max(small, 1), perByte: large / bytes.length };
}
