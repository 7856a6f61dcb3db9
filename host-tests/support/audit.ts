// Test support for the audit filter: the full chain as envoy.yaml orders it (pii-redact →
// token-meter → budget → audit → router), the records read back from the log lines, and an
// independent recomputation of the hash chain from CHAIN.md (the verify CLI is separate).
import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { gunzipSync, inflateSync } from "node:zlib";
import { join, resolve } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { expect } from "vitest";
import type { Exchange, ExchangeResult, HostOptions, LogRecord, WasmFilterConfig } from "../harness/api";
import type { EnvoyHost } from "../harness/host";
import { BUDGET_WASM, METER_WASM } from "./budget";
import { trackedHost } from "./probe";
import { textPartsOracle } from "./text-parts-oracle";
import { eventStreamFrames, jsonArrayElements, sseEvents } from "./usage-oracle";

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
 * Replays one exchange through a host with the audit filter and returns what it logged: the
 * exchange must not trap and must write exactly one schema-valid record (its line and parsed form).
 */
export async function exchangeRecord(host: EnvoyHost, ex: Exchange): Promise<{ r: ExchangeResult; line: string; rec: any }> {
  const before = recordLines(host.logs).length;
  const r = await host.exchange(ex);
  expect(r.trap, ex.name).toBeUndefined();
  const lines = recordLines(host.logs).slice(before);
  expect(lines, ex.name).toHaveLength(1);
  const rec = JSON.parse(lines[0]);
  expect(validateRecord(rec), `${ex.name}: ${JSON.stringify(validateRecord.errors)}`).toBe(true);
  return { r, line: lines[0], rec };
}

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

// ---- content capture (audit-capture*.test.ts) ----------------------------------------------

export interface CapturedEntry { kind: string; index?: number; part?: number; text: string }

const KIND_NAMES: Record<number, string> = { 1: "text", 2: "tool", 3: "refusal" };
const capDec = new TextDecoder();
const headerOf = (h: Array<[string, string]>, name: string) => h.find(([k]) => k.toLowerCase() === name)?.[1] ?? "";

/** The request's text parts as CONFIG.md describes the capture, before redaction (oracle). */
export function expectedRequestCapture(provider: string, operation: string, body: Uint8Array): CapturedEntry[] | null {
  if (body.length === 0) return [];
  let doc: unknown;
  try { doc = JSON.parse(capDec.decode(body)); } catch { return null; }
  return textPartsOracle(provider, operation, false, doc).filter((p) => p.text !== "").map((p) => ({ kind: KIND_NAMES[p.kind], text: p.text }));
}

/** Each streamed event's JSON document, by the reply's content type (null: one JSON body). */
export function streamDocuments(headers: Array<[string, string]>, body: Uint8Array): unknown[] | null {
  const ct = headerOf(headers, "content-type").toLowerCase();
  const text = capDec.decode(body);
  const parse = (s: string) => { try { return JSON.parse(s); } catch { return undefined; } };
  if (ct.startsWith("text/event-stream")) return sseEvents(text).filter((e) => e.data !== "[DONE]").map((e) => parse(e.data)).filter((d) => d !== undefined);
  if (ct.startsWith("application/vnd.amazon.eventstream")) {
    return eventStreamFrames(body).frames.filter((f) => f.headers[":message-type"] === "event").map((f) => parse(capDec.decode(f.payload)));
  }
  if (ct.startsWith("application/x-ndjson") || ct.startsWith("application/jsonl")) return text.split("\n").filter((l) => l.trim()).map(parse).filter((d) => d !== undefined);
  return null;
}

/**
 * The reply's capture, before redaction (oracle): a JSON body's text parts with their channel;
 * a stream's text per channel, deltas joined, a whole value standing for a channel only while
 * no delta came for it.
 */
export function expectedResponseCapture(provider: string, operation: string, headers: Array<[string, string]>, body: Uint8Array): CapturedEntry[] | null {
  const enc = headerOf(headers, "content-encoding").toLowerCase();
  if (enc === "gzip" || enc === "x-gzip") body = new Uint8Array(gunzipSync(body));
  else if (enc === "deflate") body = new Uint8Array(inflateSync(body));
  else if (enc !== "" && enc !== "identity") return null;
  const ct = headerOf(headers, "content-type").toLowerCase();
  let docs = streamDocuments(headers, body);
  if (docs === null && operation === "stream-generate-content" && !ct.startsWith("text/event-stream")) {
    docs = jsonArrayElements(capDec.decode(body)).map((e) => JSON.parse(e));
  }
  const entry = (channel: number, text: string): CapturedEntry => ({ kind: KIND_NAMES[channel >>> 24], index: (channel >> 12) & 0xfff, part: channel & 0xfff, text });
  if (docs === null) {
    if (body.length === 0) return [];
    let doc: unknown;
    try { doc = JSON.parse(capDec.decode(body)); } catch { return null; }
    return textPartsOracle(provider, operation, true, doc).filter((p) => p.text !== "").map((p) => entry(p.channel, p.text));
  }
  const channels = new Map<number, { text: string; delta: boolean }>();
  for (const doc of docs) {
    for (const p of textPartsOracle(provider, operation, true, doc)) {
      const ch = channels.get(p.channel) ?? { text: "", delta: false };
      channels.set(p.channel, ch);
      if (p.continues) { ch.text += p.text; ch.delta = true; } else if (!ch.delta) ch.text = p.text;
    }
  }
  return [...channels].filter(([, c]) => c.text !== "").map(([id, c]) => entry(id, c.text));
}

const REDACTED = /\[(EMAIL|PHONE|CREDIT_CARD|IBAN|US_SSN|IP_ADDRESS|URL_CREDENTIALS|SECRET|CUSTOM|WORD)\]/;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Is `captured` the redacted form of `original`: the same text with some non-empty spans each
 * replaced by one `[TYPE]`? With `prefix`, `captured` may stop anywhere (truncation).
 */
export function isRedactionOf(captured: string, original: string, prefix = false): boolean {
  const pieces = captured.split(new RegExp(REDACTED.source, "g")).filter((_, i) => i % 2 === 0);
  const re = new RegExp(`^${pieces.map(escapeRe).join("[\\s\\S]+?")}${prefix ? "" : "$"}`);
  return re.test(original);
}

/** How many `[TYPE]` replacements a captured text holds. */
export function redactions(captured: string): number {
  return captured.split(new RegExp(REDACTED.source, "g")).length >> 1;
}
