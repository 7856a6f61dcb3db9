// `tollgate audit verify` on what dist/audit.wasm really writes: every recording replayed through
// token-meter → budget → audit on two workers (two chains), the harness' log lines written out as
// Envoy's default log format would print them, then the same file tampered with in each way a
// log store could suffer, each named at its line. And the http sink's OTLP/HTTP JSON batches as
// a loopback collector received them, one document per line.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LogRecord, WasmFilterConfig } from "./harness/api";
import { main } from "./cli/main";
import { allRecorded, as, budgetFilter, meterFilter } from "./support/budget";
import { closeProbeHosts, trackedHost } from "./support/probe";
import { Collector } from "./support/collector";
import { hashOf } from "./support/audit-chain-writer";

const AUDIT_WASM = resolve(__dirname, "../dist/audit.wasm");
const PREFIX = "TOLLGATE_AUDIT ";
const KEY = "e2e-audit-key-0123456789";
const dir = mkdtempSync(join(tmpdir(), "audit-verify-e2e-"));
let n = 0;

afterAll(closeProbeHosts);

function auditFilter(configuration: unknown, vmId: string): WasmFilterConfig {
  return { name: "audit", rootId: "audit", vmId, code: AUDIT_WASM, configuration: JSON.stringify(configuration) };
}

const BUDGET = { rules: [{ name: "tenant-hourly", key: [{ header: "x-tenant" }], limit: { tokens: 1e12 }, window: { calendar: "hour" } }] };

/** Every recording through the chain on 2 workers; all log lines, as Envoy's default format prints them. */
async function replayLog(audit: unknown): Promise<{ log: string[]; records: number }> {
  const vmId = `tollgate-verify-${++n}`;
  const host = await trackedHost([meterFilter({}, vmId), budgetFilter(BUDGET, vmId), auditFilter(audit, vmId)], { workers: 2, logLevel: 1 });
  const exchanges = allRecorded();
  for (const ex of exchanges) await host.exchange(as(ex, [["x-tenant", "acme"]]));
  const log = host.logs.map((l: LogRecord, i) => envoyLine(l, i));
  return { log, records: exchanges.length };
}

/** "[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v", Envoy's default --log-format. */
function envoyLine(l: LogRecord, i: number): string {
  const level = ["trace", "debug", "info", "warning", "error", "critical"][l.level];
  const t = new Date(Date.UTC(2026, 10, 23, 17, 0, 0) + i).toISOString().replace("T", " ").replace("Z", "");
  return `[${t}][${20 + (l.worker ?? 0)}][${level}][wasm] [source/extensions/common/wasm/context.cc:1192] ${l.line}`;
}

function file(lines: string[]): string {
  const f = join(dir, `e2e-${++n}.log`);
  writeFileSync(f, lines.join("\n") + "\n");
  return f;
}

async function verify(args: string[], env: Record<string, string> = {}) {
  let out = "", err = "";
  const status = await main(["audit", "verify", ...args, "--json"], { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, env } as never);
  return { status, err, result: out ? JSON.parse(out) : null };
}

const recordOf = (line: string) => JSON.parse(line.slice(line.indexOf(PREFIX) + PREFIX.length));
const isRecord = (line: string) => line.includes(PREFIX);

/** 0-based indexes of the log lines carrying records of `chain`, in order. */
function linesOfChain(log: string[], chain: string): number[] {
  return log.flatMap((l, i) => (isRecord(l) && recordOf(l).chain === chain ? [i] : []));
}

describe("audit verify on the filter's own output", () => {
  let plain: { log: string[]; records: number };
  let keyed: { log: string[]; records: number };
  let chains: string[];

  beforeAll(async () => {
    plain = await replayLog({ tenant: [{ header: "x-tenant" }], sinks: { log: { prefix: PREFIX } } });
    keyed = await replayLog({ chain: { name: "edge", hmac_key: KEY, key_id: "k-2026" }, sinks: { log: {} } });
    chains = [...new Set(plain.log.filter(isRecord).map((l) => recordOf(l).chain as string))];
  }, 120_000);

  it("passes the log of every recording: one chain per worker, one record per request", async () => {
    expect(plain.log.length).toBeGreaterThan(plain.records);
    expect(plain.log.filter((l) => !isRecord(l)).length, "other log lines are in the file too").toBeGreaterThan(0);
    const r = await verify([file(plain.log)]);
    expect(r.status, JSON.stringify(r.result?.failure) + r.err).toBe(0);
    expect(r.result.records).toBe(plain.records);
    expect(r.result.chains).toHaveLength(2);
    expect(r.result.chains.map((c: { chain: string }) => c.chain).sort()).toEqual([...chains].sort());
    for (const c of r.result.chains) {
      expect(c.firstSeq).toBe(1);
      expect(c.lastSeq).toBe(c.records);
      expect(c.alg).toBe("sha256");
    }
    expect(r.result.chains.reduce((s: number, c: { records: number }) => s + c.records, 0)).toBe(plain.records);
  });

  it("passes the bare records as NDJSON too", async () => {
    const ndjson = plain.log.filter(isRecord).map((l) => l.slice(l.indexOf(PREFIX) + PREFIX.length));
    const r = await verify([file(ndjson)]);
    expect(r.status).toBe(0);
    expect(r.result.formats).toEqual({ [join(dir, `e2e-${n}.log`)]: "ndjson" });
  });

  it("names a modified record", async () => {
    const log = [...plain.log];
    const i = linesOfChain(log, chains[0])[5];
    log[i] = log[i].replace(/"status":(\d+)/, (_, s) => `"status":${Number(s) === 200 ? 201 : 200}`);
    expect((await verify([file(log)])).result.failure).toMatchObject({ kind: "modified", line: i + 1, chain: chains[0], seq: 6 });
  });

  it("names a deleted record at the next record of its chain", async () => {
    const log = [...plain.log];
    const [, , gone, next] = linesOfChain(log, chains[1]);
    log.splice(gone, 1);
    expect((await verify([file(log)])).result.failure).toMatchObject({ kind: "deleted", line: next, chain: chains[1], seq: 4 });
  });

  it("names two swapped records as reordered", async () => {
    const log = [...plain.log];
    const idx = linesOfChain(log, chains[0]);
    const [a, b] = [idx[7], idx[8]];
    [log[a], log[b]] = [log[b], log[a]];
    const f = (await verify([file(log)])).result.failure;
    expect(f).toMatchObject({ kind: "reordered", line: a + 1, chain: chains[0], seq: 9 });
  });

  it("names a duplicated record", async () => {
    const log = [...plain.log];
    const idx = linesOfChain(log, chains[1]);
    log.splice(idx[4] + 1, 0, log[idx[2]]);
    expect((await verify([file(log)])).result.failure).toMatchObject({ kind: "duplicated", line: idx[4] + 2, chain: chains[1], seq: 3 });
  });

  it("cannot be fooled by a record changed and re-hashed on its own", async () => {
    const log = [...plain.log];
    const idx = linesOfChain(log, chains[0]);
    const r = recordOf(log[idx[3]]);
    r.cost_micro_usd = 0;
    delete r.hash;
    log[idx[3]] = log[idx[3]].slice(0, log[idx[3]].indexOf(PREFIX) + PREFIX.length) + JSON.stringify({ ...r, hash: hashOf(r.prev, JSON.stringify(r)) });
    expect((await verify([file(log)])).result.failure).toMatchObject({ kind: "modified", line: idx[4] + 1, seq: 5 });
  });

  it("verifies an HMAC chain only with its key, and names a chain re-hashed without it", async () => {
    const f = file(keyed.log);
    expect((await verify([f])).status).toBe(2);
    const ok = await verify([f, "--key-env", "AUDIT_KEY"], { AUDIT_KEY: KEY });
    expect(ok.status, JSON.stringify(ok.result?.failure)).toBe(0);
    expect(ok.result.chains.every((c: { alg: string; keyId: string }) => c.alg === "hmac-sha256" && c.keyId === "k-2026")).toBe(true);

    // A forger without the key rewrites one record and re-hashes the rest of its chain.
    const log = [...keyed.log];
    const chain = recordOf(log.find(isRecord)!).chain;
    const idx = linesOfChain(log, chain);
    let prev: string | null = null;
    for (const [k, i] of idx.entries()) {
      const r = recordOf(log[i]);
      if (k < 2) {
        prev = r.hash;
        continue;
      }
      if (k === 2) r.tenant = "someone-else";
      r.prev = prev;
      delete r.hash;
      const hash = hashOf(r.prev, JSON.stringify(r));
      log[i] = log[i].slice(0, log[i].indexOf(PREFIX) + PREFIX.length) + JSON.stringify({ ...r, hash });
      prev = hash;
    }
    const bad = await verify([file(log), "--key-env", "AUDIT_KEY"], { AUDIT_KEY: KEY });
    expect(bad.result.failure).toMatchObject({ kind: "bad hash", line: idx[2] + 1, chain, seq: 3 });
  });
});

function logRecordsIn(doc: string): number {
  const d = JSON.parse(doc) as { resourceLogs: Array<{ scopeLogs: Array<{ logRecords: unknown[] }> }> };
  return d.resourceLogs.reduce((s, rl) => s + rl.scopeLogs.reduce((t, sl) => t + sl.logRecords.length, 0), 0);
}

describe("audit verify on the http sink's OTLP batches", () => {
  it("passes what the collector received, and names a record changed inside a batch", async () => {
    const collector = await Collector.start();
    try {
      const vmId = `tollgate-verify-${++n}`;
      const http = { cluster: "collector", format: "otlp", batch_max_records: 4, flush_interval_ms: 20 };
      const host = await trackedHost([meterFilter({}, vmId), budgetFilter(BUDGET, vmId), auditFilter({ sinks: { http } }, vmId)], { workers: 2, clusters: { collector: collector.url } });
      const exchanges = allRecorded();
      for (const ex of exchanges) await host.exchange(as(ex, [["x-tenant", "acme"]]));
      const delivered = () => collector.accepted().reduce((s, r) => s + logRecordsIn(r.body.toString("utf8")), 0);
      const end = Date.now() + 10_000;
      while (delivered() < exchanges.length && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      expect(delivered()).toBe(exchanges.length);

      const docs = collector.accepted().map((r) => r.body.toString("utf8"));
      expect(docs.every((d) => !d.includes("\n"))).toBe(true);
      const ok = await verify([file(docs)]);
      expect(ok.status, JSON.stringify(ok.result?.failure) + ok.err).toBe(0);
      expect(ok.result.records).toBe(exchanges.length);
      expect(ok.result.chains).toHaveLength(2);
      expect(Object.values(ok.result.formats)).toEqual(["otlp"]);

      // The last record of the largest batch (batches cut by the timer vary in size): its
      // request path edited in the store.
      const sizes = docs.map(logRecordsIn);
      const k = sizes.indexOf(Math.max(...sizes));
      const doc = JSON.parse(docs[k]);
      const lr = doc.resourceLogs[0].scopeLogs[0].logRecords.at(-1);
      const path = lr.body.kvlistValue.values.find((kv: { key: string }) => kv.key === "path");
      path.value = { stringValue: path.value.stringValue + "/x" };
      const tampered = [...docs];
      tampered[k] = JSON.stringify(doc);
      const f = (await verify([file(tampered)])).result.failure;
      expect(f).toMatchObject({ kind: "modified", line: k + 1, index: sizes[k] });
    } finally {
      await collector.stop();
    }
  }, 60_000);
});
