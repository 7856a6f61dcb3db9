// Test support for the audit filter: the full chain as envoy.yaml orders it (pii-redact →
// token-meter → budget → audit → router), the records read back from the log lines, and an
// independent recomputation of the hash chain from CHAIN.md (the verify CLI is separate).
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import type { HostOptions, LogRecord, WasmFilterConfig } from "../harness/api";
import type { EnvoyHost } from "../harness/host";
import { BUDGET_WASM, METER_WASM } from "./budget";
import { trackedHost } from "./probe";

const ROOT = resolve(__dirname, "../..");
export const AUDIT_WASM = join(ROOT, "dist/audit.wasm");
export const PII_WASM = join(ROOT, "dist/pii-redact.wasm");
export const RECORD_SCHEMA = JSON.parse(readFileSync(join(ROOT, "filters/audit/record.schema.json"), "utf8"));
export const PREFIX = "TOLLGATE_AUDIT ";

export function auditFilter(configuration: unknown = {}, vmId = "tollgate", code: string | Uint8Array = AUDIT_WASM): WasmFilterConfig {
  return { name: "audit", rootId: "audit", vmId, code, configuration: JSON.stringify(configuration) };
}

export interface ChainConfigs {
  audit?: unknown;
  budget?: unknown;
  meter?: unknown;
  pii?: unknown;
  /** Per-filter overrides (e.g. failurePolicy), by root id. */
  extra?: Record<string, Partial<WasmFilterConfig>>;
}

let seq = 0;

/** pii-redact → token-meter → budget → audit, sharing one vm_id (as in envoy.yaml). */
export function fullChainHost(c: ChainConfigs = {}, options: HostOptions = {}): Promise<EnvoyHost> {
  const vmId = `tollgate-audit-${++seq}`;
  const e = c.extra ?? {};
  const f = (name: string, code: string, config: unknown): WasmFilterConfig =>
    ({ name, rootId: name, vmId, code, configuration: JSON.stringify(config), ...(e[name] ?? {}) });
  return trackedHost([
    f("pii-redact", PII_WASM, c.pii ?? {}),
    f("token-meter", METER_WASM, c.meter ?? {}),
    f("budget", BUDGET_WASM, c.budget ?? { rules: [] }),
    f("audit", AUDIT_WASM, c.audit ?? {}),
  ], options);
}

/** The record lines (without prefix) among log records, in order. */
export function recordLines(logs: LogRecord[], prefix = PREFIX): string[] {
  return logs.filter((l) => l.message.startsWith(prefix)).map((l) => l.message.slice(prefix.length));
}

export function records(logs: LogRecord[], prefix = PREFIX): any[] {
  return recordLines(logs, prefix).map((l) => JSON.parse(l));
}

const ajv = new Ajv2020({ allErrors: true, strict: true });
export const validateRecord = ajv.compile(RECORD_SCHEMA);

/**
 * CHAIN.md recomputed: per chain, seq runs 1, 2, …; prev is the previous hash (64 zeros first);
 * hash = SHA-256 or HMAC-SHA256 over prev || "\n" || the line without its hash member.
 * Returns the problems found (empty = the chains verify).
 */
export function chainProblems(lines: string[], hmacKey?: string): string[] {
  const problems: string[] = [];
  const last = new Map<string, { seq: number; hash: string }>();
  lines.forEach((line, i) => {
    const r = JSON.parse(line);
    if (JSON.stringify(r) !== line) problems.push(`line ${i + 1}: not canonical`);
    const tail = `,"hash":"${r.hash}"}`;
    if (!line.endsWith(tail)) { problems.push(`line ${i + 1}: hash is not the last member`); return; }
    const body = line.slice(0, line.length - tail.length) + "}";
    const prev = last.get(r.chain) ?? { seq: 0, hash: "0".repeat(64) };
    if (r.seq !== prev.seq + 1) problems.push(`line ${i + 1}: seq ${r.seq} after ${prev.seq}`);
    if (r.prev !== prev.hash) problems.push(`line ${i + 1}: prev does not match`);
    const message = Buffer.concat([Buffer.from(r.prev, "ascii"), Buffer.from("\n"), Buffer.from(body, "utf8")]);
    const expected = r.alg === "hmac-sha256"
      ? createHmac("sha256", hmacKey ?? "").update(message).digest("hex")
      : createHash("sha256").update(message).digest("hex");
    if (expected !== r.hash) problems.push(`line ${i + 1}: bad hash`);
    last.set(r.chain, { seq: r.seq, hash: r.hash });
  });
  return problems;
}
