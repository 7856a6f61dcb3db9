// The OTLP record encoder (filters/audit/otlp-encode.ts) on its own, through the audit-sink
// entry's plain exports: random canonical records of every shape come back byte for byte after
// OpenTelemetry's decoder, anything that is not one JSON object is refused without a trap, and
// the encoding speed on a record shaped like the audit filter's.
import { beforeAll, describe, expect, it } from "vitest";
import { loadTestWasm, textAt, withBytesIn, type TestWasmBase } from "./support/test-wasm";
import { decodeOtlpLogs } from "./support/collector";

interface SinkWasm extends TestWasmBase {
  as_alloc(len: number): number;
  as_free(ptr: number): void;
  as_otlp(ptr: number, len: number, timeNs: bigint, observedNs: bigint): number;
  as_out_ptr(): number;
  as_out_len(): number;
}

let x: SinkWasm;
beforeAll(async () => {
  x = await loadTestWasm<SinkWasm>("audit-sink");
});

const enc = new TextEncoder();

function encode(record: string | Uint8Array, t = 1n, o = 2n): { status: number; out: string } {
  const bytes = typeof record === "string" ? enc.encode(record) : record;
  return withBytesIn(x, x.as_alloc, x.as_free, bytes, (p, n) => {
    const status = x.as_otlp(p, n, t, o);
    return { status, out: status === 0 ? textAt(x, x.as_out_ptr(), x.as_out_len()) : "" };
  });
}

const wrap = (logRecords: string[]) => `{"resourceLogs":[{"scopeLogs":[{"logRecords":[${logRecords.join(",")}]}]}]}`;

// A small deterministic PRNG (mulberry32), so a failure names a reproducible case.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHARS = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\b', '\f', '\r', '\u0000', '\u0001', '\u001f', '\u007f', 'é', '€', '日', '\u2028', '\u2029', '😀', '\ud83d\ude80', '{', '}', '[', ']', ',', ':'];

function randomValue(r: () => number, depth: number): unknown {
  const k = Math.floor(r() * (depth > 4 ? 5 : 7));
  switch (k) {
    case 0: return Array.from({ length: Math.floor(r() * 12) }, () => CHARS[Math.floor(r() * CHARS.length)]).join("");
    case 1: return Math.floor((r() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
    case 2: return Math.floor(r() * 1000);
    case 3: return r() < 0.5;
    case 4: return null;
    case 5: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: return randomObject(r, depth + 1);
  }
}

function randomObject(r: () => number, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const n = Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    // Never an array-index key: CHAIN.md's canonical form has none (JavaScript would reorder it).
    const key = "k" + Array.from({ length: Math.floor(r() * 4) }, () => CHARS[Math.floor(r() * CHARS.length)]).join("");
    o[key] = randomValue(r, depth);
  }
  return o;
}

describe("otlp record encoder", () => {
  it("round-trips 500 random canonical records through OpenTelemetry's decoder byte for byte", () => {
    const r = rng(20261123);
    const lines: string[] = [];
    const logRecords: string[] = [];
    for (let i = 0; i < 500; i++) {
      const line = JSON.stringify({ schema: "tollgate.audit/v1", seq: i + 1, ...randomObject(r, 0) });
      const { status, out } = encode(line, BigInt(i), BigInt(i + 1));
      expect(status, line).toBe(0);
      lines.push(line);
      logRecords.push(out);
    }
    const back = decodeOtlpLogs(wrap(logRecords));
    expect(back.map((b) => b.line)).toEqual(lines);
    expect(back.map((b) => b.logRecord.timeUnixNano)).toEqual(lines.map((_, i) => String(i)));
  });

  it("refuses what is not exactly one JSON object, without trapping", () => {
    const r = rng(7);
    const good = JSON.stringify({ schema: "s", a: [1, { b: "c\"d" }], e: null });
    for (let cut = 0; cut < good.length; cut++) expect(encode(good.slice(0, cut)).status, good.slice(0, cut)).toBe(1);
    for (const bad of ["[1,2]", '"str"', "12", "null", good + "x", good + good, "{\"a\":}", "{\"a\" 1}", "{'a':1}", "{\"a\":01}", "{\"a\":\"\\q\"}"]) {
      expect(encode(bad).status, bad).toBe(1);
    }
    for (let i = 0; i < 300; i++) {
      const bytes = Uint8Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256));
      if (bytes[0] === 0x7b) bytes[0] = 0x5b;
      expect(encode(bytes).status).toBe(1);
    }
    // Still working after all that.
    expect(decodeOtlpLogs(wrap([encode(good).out]))[0].line).toBe(good);
  });

  it("encodes a record shaped like the audit filter's quickly (reported, not asserted)", () => {
    const record = JSON.stringify({
      schema: "tollgate.audit/v1", time: "2026-01-01T00:00:00.000Z", request_id: "5f1c2a7e-1d2b-4c3d-9e8f-0a1b2c3d4e5f",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", span_id: "00f067aa0ba902b7", route: "openai", authority: "api.openai.com",
      method: "POST", path: "/v1/chat/completions", tenant: "acme", key_hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
      provider: "openai", operation: "chat", model: { requested: "gpt-4o-mini", served: "gpt-4o-mini-2024-07-18" }, stream: true, status: 200,
      outcome: "completed", tokens: { input: 1234, output: 567, cached: 0, source: "reported" }, request_tokens: 1240, cost_micro_usd: 525,
      budget: { rule: "tenant-hourly", reserved: 4096, settled: 1801, remaining: 998199, degraded: null },
      pii: [{ type: "email", count: 2, action: "redact" }], timing: { start_ms: 1767225600000, ttfb_ms: 312, duration_ms: 2281 },
      policy: "3b5d5c3712955042212316173ccf37be800e4f2a1b2c3d4e5f60718293a4b5c6", chain: "tollgate/3f9c0a1b2c3d4e5f", seq: 42,
      prev: "a".repeat(64), alg: "sha256", key_id: null, hash: "b".repeat(64),
    });
    const bytes = enc.encode(record);
    const p = x.as_alloc(bytes.length);
    new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
    for (let i = 0; i < 2000; i++) x.as_otlp(p, bytes.length, 1n, 2n);
    // CPU time of this process, not wall time: the machine is shared, and waiting for a core is
    // not the encoder's cost.
    const n = 20000;
    const c0 = process.cpuUsage();
    for (let i = 0; i < n; i++) x.as_otlp(p, bytes.length, 1n, 2n);
    const c = process.cpuUsage(c0);
    const ns = ((c.user + c.system) * 1000) / n;
    const outLen = x.as_out_len();
    x.as_free(p);
    console.log(`otlp encode: ${bytes.length} B record -> ${outLen} B LogRecord, ${ns.toFixed(0)} ns CPU/record, ${((bytes.length / ns) * 1e3).toFixed(0)} MB/s of record`);
    expect(outLen).toBeGreaterThan(bytes.length);
  });
});
