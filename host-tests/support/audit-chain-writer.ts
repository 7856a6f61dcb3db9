// A small audit-record writer for the verifier's tests, written from filters/audit/CHAIN.md and
// kept apart from host-tests/cli/audit-verify.ts on purpose: the verifier cuts the hash member
// off the written line, this writer serializes the record without it; agreeing on a hash means
// both read the contract the same way. Also the tampering a log store could suffer.
import { createHash, createHmac } from "node:crypto";

export interface ChainWriterOptions {
  name?: string;
  /** 16 lowercase hex; default derived from the name, so fixtures are reproducible. */
  instance?: string;
  /** HMAC key (UTF-8), as configured in chain.hmac_key. */
  key?: string;
  keyId?: string;
}

/** One chain, as one audit root context would write it. */
export class ChainWriter {
  readonly chain: string;
  private seq = 0;
  private prev = "0".repeat(64);

  constructor(private opts: ChainWriterOptions = {}) {
    const name = opts.name ?? "tollgate";
    this.chain = `${name}/${opts.instance ?? createHash("sha256").update(name).digest("hex").slice(0, 16)}`;
  }

  /** The next record's line: `fields` (everything before the chain members) then the chain members and the hash. */
  next(fields: Record<string, unknown>): string {
    const record: Record<string, unknown> = {
      ...fields,
      chain: this.chain,
      seq: this.seq + 1,
      prev: this.prev,
      alg: this.opts.key ? "hmac-sha256" : "sha256",
      key_id: this.opts.key ? (this.opts.keyId ?? "k1") : null,
    };
    const hash = hashOf(this.prev, JSON.stringify(record), this.opts.key);
    this.seq++;
    this.prev = hash;
    return JSON.stringify({ ...record, hash });
  }
}

/** CHAIN.md: hex(SHA-256 or HMAC-SHA256 over prev || LF || record-without-hash). */
export function hashOf(prev: string, bodyWithoutHash: string, key?: string): string {
  const message = Buffer.concat([Buffer.from(prev, "ascii"), Buffer.from([0x0a]), Buffer.from(bodyWithoutHash, "utf8")]);
  return (key ? createHmac("sha256", Buffer.from(key, "utf8")) : createHash("sha256")).update(message).digest("hex");
}

/**
 * Re-hashes every record of `chain` from line index `from` on (0-based into `lines`), as a
 * forger holding no key would: plain SHA-256, the alg member left as written.
 */
export function rehashWithoutKey(lines: string[], chain: string, from: number): string[] {
  const out = [...lines];
  let prev: string | null = null;
  for (let i = 0; i < out.length; i++) {
    const r = JSON.parse(out[i]);
    if (r.chain !== chain) continue;
    if (i < from) {
      prev = r.hash;
      continue;
    }
    if (prev !== null) r.prev = prev;
    delete r.hash;
    const hash = hashOf(r.prev, JSON.stringify(r));
    out[i] = JSON.stringify({ ...r, hash });
    prev = hash;
  }
  return out;
}

/** Lines of several chains, interleaved round-robin as workers would write one log. */
export function interleave(...chains: string[][]): string[] {
  const out: string[] = [];
  for (let i = 0; chains.some((c) => i < c.length); i++) for (const c of chains) if (i < c.length) out.push(c[i]);
  return out;
}

// ---------------------------------------------------------------- record fixtures

/** The members of record `i` before the chain members, valid against record.schema.json. */
export function recordFields(i: number): Record<string, unknown> {
  const start = Date.UTC(2026, 10, 23, 17, 0, 0) + i * 1013;
  return {
    schema: "tollgate.audit/v1",
    time: new Date(start).toISOString(),
    request_id: `req-${i}`,
    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    span_id: "00f067aa0ba902b7",
    route: "llm",
    authority: "api.openai.com",
    method: "POST",
    path: "/v1/chat/completions",
    tenant: "acme",
    key_hash: "sha256:" + createHash("sha256").update(`key-${i % 3}`).digest("hex").slice(0, 32),
    provider: "openai",
    operation: "chat",
    model: { requested: "gpt-4o-mini", served: "gpt-4o-mini-2024-07-18" },
    stream: i % 2 === 1,
    status: 200,
    outcome: "completed",
    tokens: { input: 120 + i, output: 40, cached_input: 0, cache_write: null, reasoning: null, total: 160 + i, source: { input: "provider", output: "provider" } },
    request_tokens: { prompt: 118 + i, source: "estimate", output_cap: 256, n: 1 },
    cost_micro_usd: 1200 + i,
    budget: { decision: "admitted", rule: "tenant-hourly", unit: "tokens", limit: 1000000, reserved: 416, settled: 160 + i, remaining: 999000 - i, degraded: null },
    pii: { findings: [{ direction: "request", type: "EMAIL", action: "redact", count: 1 }], restored: 0, blocked: null },
    timing: { start, ttfb_ms: 210, duration_ms: 950 + i },
    policy: { version: "0123456789abcdef0123456789abcdef", filters: { "token-meter": "a".repeat(64), budget: "b".repeat(64), audit: "c".repeat(64) } },
  };
}
