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

/** STAND-IN until filters/audit/record.schema.json exists: the chain members and a closed outcome. */
const STAND_IN_SCHEMA = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  type: "object",
  required: ["schema", "chain", "seq", "prev", "alg", "key_id", "hash"],
  properties: {
    schema: { const: "tollgate.audit/v1" },
    outcome: { enum: ["completed", "rejected", "blocked", "upstream_error", "client_abort", "trapped_open"] },
    chain: { type: "string", pattern: "^[^/]+/[0-9a-f]{16}$" },
    seq: { type: "integer", minimum: 1 },
    prev: { type: "string", pattern: "^[0-9a-f]{64}$" },
    alg: { enum: ["sha256", "hmac-sha256"] },
    key_id: { type: ["string", "null"] },
    hash: { type: "string", pattern: "^[0-9a-f]{64}$" },
  },
};
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
export const SCHEMA_FILE = join(mkdtempSync(join(tmpdir(), "audit-schema-")), "record.schema.json");
writeFileSync(SCHEMA_FILE, JSON.stringify(STAND_IN_SCHEMA));

/** The members of record `i` before the chain members. */
export function recordFields(i: number): Record<string, unknown> {
  return {
    schema: "tollgate.audit/v1",
    time: `2026-11-23T17:00:${String(i % 60).padStart(2, "0")}.${String(i % 1000).padStart(3, "0")}Z`,
    request_id: `req-${i}`,
    trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
    path: "/v1/chat/completions",
    provider: "openai",
    model: { requested: "gpt-4o-mini", served: "gpt-4o-mini-2024-07-18" },
    stream: i % 2 === 1,
    status: 200,
    outcome: "completed",
    cost_micro_usd: 1200 + i,
  };
}
