// The audit filter (dist/audit.wasm) shipping its records through the http sink: every recording
// replayed through token-meter → budget → audit on 4 workers reaches a real loopback collector
// exactly once, as NDJSON or OTLP, byte-identical to what the log sink writes beside it; and with
// the collector down, nothing is lost within the buffer bound while beyond it the drop counter
// equals exactly the records missing at the collector, which on_overflow "log" puts in the log.
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { HostOptions, WasmFilterConfig } from "./harness/api";
import { ManualClock } from "./harness/clock";
import type { EnvoyHost } from "./harness/host";
import { allRecorded, as, budgetFilter, meterFilter } from "./support/budget";
import { closeProbeHosts, trackedHost } from "./support/probe";
import { Collector } from "./support/collector";

const AUDIT_WASM = resolve(__dirname, "../dist/audit.wasm");
const PREFIX = "TOLLGATE_AUDIT ";
const BUDGET = { rules: [{ name: "tenant-hourly", key: [{ header: "x-tenant" }], limit: { tokens: 1e12 }, window: { calendar: "hour" } }] };
const M = "tollgate.audit.http.";

let collector: Collector;
beforeEach(async () => {
  collector = await Collector.start();
});
afterEach(async () => {
  await closeProbeHosts();
  await collector.stop();
});

let n = 0;
function chainHost(audit: unknown, options: HostOptions = {}): Promise<EnvoyHost> {
  const vmId = `tollgate-http-e2e-${++n}`;
  const auditFilter: WasmFilterConfig = { name: "audit", rootId: "audit", vmId, code: AUDIT_WASM, configuration: JSON.stringify(audit) };
  return trackedHost([meterFilter({}, vmId), budgetFilter(BUDGET, vmId), auditFilter], { clusters: { collector: collector.url }, ...options });
}

async function until(cond: () => boolean, what: string, maxMs = 15000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const logLines = (h: EnvoyHost) => h.logs.filter((l) => l.message.startsWith(PREFIX)).map((l) => l.message.slice(PREFIX.length));
const seqsByChain = (lines: string[]) => {
  const m = new Map<string, number[]>();
  for (const l of lines) {
    const r = JSON.parse(l);
    m.set(r.chain, [...(m.get(r.chain) ?? []), r.seq]);
  }
  return m;
};

describe.each(["ndjson", "otlp"] as const)("every recording over %s", (format) => {
  it("reaches the collector exactly once from all 4 workers, byte-identical to the log sink's records", async () => {
    const http = { cluster: "collector", format, path: format === "ndjson" ? "/audit" : undefined, batch_max_records: 7, flush_interval_ms: 20 };
    const h = await chainHost({ sinks: { log: {}, http } }, { workers: 4 });
    const exchanges = allRecorded();
    for (const ex of exchanges) await h.exchange(as(ex, [["x-tenant", "acme"]]));
    const received = () => (format === "ndjson" ? collector.ndjsonLines() : collector.otlpRecords().map((r) => r.line));
    await until(() => received().length >= exchanges.length, "every record at the collector");
    await until(() => h.callouts.inFlight === 0, "the last answer handled");

    const logged = logLines(h);
    expect(logged).toHaveLength(exchanges.length);
    expect([...received()].sort()).toEqual([...logged].sort());
    // Per chain (worker VM), in order and without gaps.
    const chains = seqsByChain(received());
    expect(chains.size).toBe(4);
    for (const seqs of chains.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(h.metrics()[M + "delivered"]).toBe(exchanges.length);
    expect(h.metrics()[M + "buffered"]).toBe(0);
  });
});

describe("otlp attributes from the audit filter's records", () => {
  it("mirror schema, chain, seq and outcome, and carry the W3C trace context as the log's ids", async () => {
    const http = { cluster: "collector", format: "otlp", batch_max_records: 1 };
    const h = await chainHost({ sinks: { http } });
    const [ex] = allRecorded();
    const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    await h.exchange(as(ex, [["x-tenant", "acme"], ["traceparent", traceparent]]));
    await until(() => collector.otlpRecords().length === 1, "the record");
    const [r] = collector.otlpRecords();
    const record = JSON.parse(r.line);
    expect(record.trace_id).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(r.logRecord.traceId).toBe(record.trace_id);
    expect(record.span_id).toBe("00f067aa0ba902b7");
    expect(r.logRecord.spanId).toBe(record.span_id);
    // timeUnixNano is the request start the record's `time` names (to the millisecond).
    expect(Number(BigInt(r.logRecord.timeUnixNano) / 1_000_000n)).toBe(Date.parse(record.time));
    const attrs = Object.fromEntries(r.logRecord.attributes.map((kv: any) => [kv.key, kv.value.stringValue ?? Number(kv.value.intValue)]));
    expect(attrs).toEqual({ "tollgate.audit.schema": record.schema, "tollgate.audit.chain": record.chain, "tollgate.audit.seq": record.seq, "tollgate.outcome": record.outcome });
  });
});

describe("collector down with the audit filter", () => {
  // The collector holds the first batch (in flight, pinned) and answers 503 once released; then
  // it is healthy. One worker, so one chain, whose seq numbers say exactly what went missing.
  async function run(buffer: number, onOverflow: "drop_oldest" | "log") {
    const clock = new ManualClock();
    let calls = 0;
    collector.answer = () => (++calls === 1 ? "hold" : 200);
    const http = { cluster: "collector", format: "ndjson", path: "/audit", batch_max_records: 5, flush_interval_ms: 100, retry_initial_ms: 100, buffer_max_records: buffer, on_overflow: onOverflow };
    const h = await chainHost({ sinks: { http } }, { clock });
    const exchanges = allRecorded().slice(0, 40);
    for (const ex of exchanges) await h.exchange(as(ex, [["x-tenant", "acme"]]));
    await until(() => collector.requests.length === 1, "the held batch");
    collector.release(503);
    for (let i = 0; i < 100 && (h.metrics()[M + "buffered"] ?? 0) > 0; i++) {
      await h.advance!(100);
      await until(() => h.callouts.inFlight === 0, "answers");
    }
    const seqs = collector.ndjsonLines().map((l) => JSON.parse(l).seq as number);
    const missing = exchanges.map((_, i) => i + 1).filter((s) => !seqs.includes(s));
    return { h, seqs, missing, total: exchanges.length };
  }

  it("loses nothing within the buffer bound, in order", async () => {
    const { h, seqs, total } = await run(1000, "drop_oldest");
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(h.metrics()[M + "dropped.reason=.overflow;"] ?? 0).toBe(0);
    expect(h.metrics()[M + "retries"]).toBeGreaterThanOrEqual(1);
  });

  it("beyond the bound, the drop counter equals exactly the records missing at the collector", async () => {
    const { h, seqs, missing, total } = await run(12, "drop_oldest");
    expect(missing.length).toBeGreaterThan(0);
    expect(h.metrics()[M + "dropped.reason=.overflow;"]).toBe(missing.length);
    expect(seqs.length + missing.length).toBe(total);
    // What did arrive is in chain order: the held batch first, then the newest records.
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(seqs.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(logLines(h)).toEqual([]);
  });

  it("with on_overflow log, exactly the missing records are in the log instead", async () => {
    const { h, missing } = await run(12, "log");
    expect(missing.length).toBeGreaterThan(0);
    expect(logLines(h).map((l) => JSON.parse(l).seq)).toEqual(missing);
    expect(h.metrics()[M + "fallback_logged"]).toBe(missing.length);
  });
});
