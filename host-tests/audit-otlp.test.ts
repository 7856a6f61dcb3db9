// OTLP/HTTP JSON delivery of audit records: what the collector receives is decoded with
// OpenTelemetry's protobuf definitions (support/collector.ts: fromObject + verify, through the
// binary encoding and back, every field sent must be one the decoder knows), and each log body
// turned back into JSON must be the record byte for byte, so chains shipped over OTLP verify.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { Exchange, HostOptions } from "./harness/api";
import { ManualClock } from "./harness/clock";
import type { EnvoyHost } from "./harness/host";
import { closeProbeHosts, trackedHost } from "./support/probe";
import { attributesOf, Collector, decodeOtlpLogs } from "./support/collector";

const WASM = join(__dirname, "../dist/audit-sink.wasm");
const START_MS = Date.UTC(2026, 0, 1);
const ZERO_HASH = "0".repeat(64);

let collector: Collector;
beforeEach(async () => {
  collector = await Collector.start();
});
afterEach(async () => {
  await closeProbeHosts();
  await collector.stop();
});

let vmSeq = 0;
function sinkHost(http: Record<string, unknown>, options: HostOptions = {}): Promise<EnvoyHost> {
  const configuration = JSON.stringify({ http: { cluster: "otel", ...http } });
  return trackedHost([{ name: "audit-sink", rootId: "audit-sink", vmId: `audit-otlp-${++vmSeq}`, code: WASM, configuration }], {
    clusters: { otel: collector.url },
    clock: new ManualClock(START_MS),
    ...options,
  });
}

function request(headers: Array<[string, string]>, worker?: number): Exchange {
  return {
    request: { method: "POST", path: "/v1/messages", authority: "api.example.com", headers, body: new Uint8Array() },
    response: { status: 200, headers: [], body: new Uint8Array() },
    attributes: worker === undefined ? undefined : { worker },
  };
}

async function until(cond: () => boolean, what: string, maxMs = 5000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

// Values a record can hold, including the awkward ones for a byte-level conversion: escapes,
// raw non-ASCII and U+2028, nesting, empty containers, null, big integers, negative numbers.
const EXTRAS: unknown[] = [
  { tokens: { input: 12, output: 40, source: "reported" }, cost_micro_usd: 1234, stream: false },
  { pii: [{ type: "email", count: 2, action: "redact" }, { type: "ssn", count: 0, action: "block" }], degraded: null },
  { text: 'quote " backslash \\ slash / tab \t nl \n ctl \u0001 \u001f', uni: "é 😀 \u2028 日本", empty: "" },
  { deep: { a: { b: { c: [[], {}, [1, [2, [3]]], { z: true, a: false }] } } }, big: 9007199254740991, neg: -42, zero: 0 },
  [],
  "just a string",
];

function expectedLine(chain: string, seq: number, id: string, outcome: string, ids: { trace?: string; span?: string }, extra?: unknown): string {
  const rec: Record<string, unknown> = { schema: "tollgate.audit/v1", chain, seq, request_id: id, outcome };
  if (ids.trace !== undefined) rec.trace_id = ids.trace;
  if (ids.span !== undefined) rec.span_id = ids.span;
  if (extra !== undefined) rec.extra = extra;
  rec.hash = ZERO_HASH;
  return JSON.stringify(rec);
}

describe("otlp logs", () => {
  it("sends ExportLogsServiceRequests the OpenTelemetry decoder accepts, each record once and rebuilt byte for byte", async () => {
    const h = await sinkHost({ batch_max_records: 4, flush_interval_ms: 100 }, { node: { id: "envoy-7" } });
    const trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    const span = "00f067aa0ba902b7";
    for (let i = 0; i < EXTRAS.length; i++) {
      const headers: Array<[string, string]> = [["x-request-id", `req-${i}`], ["x-outcome", i % 2 ? "rejected" : "completed"], ["x-audit-extra", JSON.stringify(EXTRAS[i])]];
      if (i === 0) headers.push(["x-trace-id", trace], ["x-span-id", span]);
      await h.exchange(request(headers));
    }
    await h.exchange(request([["x-request-id", "req-plain"]]));
    await until(() => collector.accepted().length === 1, "the full batch");
    await h.advance!(100);
    await until(() => collector.otlpRecords().length === EXTRAS.length + 1, "every record");

    const req = collector.requests[0];
    expect(req.path).toBe("/v1/logs");
    expect(req.headers["content-type"]).toBe("application/json");
    expect(req.headers.host).toBe("otel");

    const got = collector.otlpRecords();
    const chain = JSON.parse(got[0].line).chain;
    expect(chain).toMatch(/^sinktest\/[0-9a-f]{16}$/);
    const expected = EXTRAS.map((x, i) => expectedLine(chain, i + 1, `req-${i}`, i % 2 ? "rejected" : "completed", i === 0 ? { trace, span } : {}, x));
    expected.push(expectedLine(chain, EXTRAS.length + 1, "req-plain", "completed", {}));
    expect(got.map((r) => r.line)).toEqual(expected);

    for (const [i, r] of got.entries()) {
      const lr = r.logRecord;
      expect(lr.timeUnixNano).toBe(String(BigInt(START_MS) * 1_000_000n));
      expect(BigInt(lr.observedTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(lr.timeUnixNano));
      expect(lr.severityNumber).toBe(9);
      expect(lr.severityText).toBe("INFO");
      expect(lr.eventName).toBe("tollgate.audit");
      expect(attributesOf(lr)).toEqual({
        "tollgate.audit.schema": "tollgate.audit/v1",
        "tollgate.audit.chain": chain,
        "tollgate.audit.seq": i + 1,
        "tollgate.outcome": JSON.parse(r.line).outcome,
      });
      expect(lr.traceId).toBe(i === 0 ? trace : "");
      expect(lr.spanId).toBe(i === 0 ? span : "");
      expect(r.scope).toMatchObject({ name: "tollgate.audit", version: "0.1.0" });
      expect(attributesOf(r.resource)).toEqual({ "service.name": "tollgate", "service.version": "0.1.0", "service.instance.id": "envoy-7" });
    }
  });

  it("writes intValue as a decimal string, null as an empty AnyValue and keeps member order", async () => {
    const h = await sinkHost({ batch_max_records: 1 });
    await h.exchange(request([["x-request-id", "r"], ["x-audit-extra", '{"b":1,"a":null,"c":[true]}']]));
    await until(() => collector.accepted().length === 1, "the batch");
    const raw = JSON.parse(collector.requests[0].body.toString());
    const body = raw.resourceLogs[0].scopeLogs[0].logRecords[0].body;
    const extra = body.kvlistValue.values.find((kv: any) => kv.key === "extra").value;
    expect(extra).toEqual({
      kvlistValue: { values: [
        { key: "b", value: { intValue: "1" } },
        { key: "a", value: {} },
        { key: "c", value: { arrayValue: { values: [{ boolValue: true }] } } },
      ] },
    });
    expect(body.kvlistValue.values.map((kv: any) => kv.key)).toEqual(["schema", "chain", "seq", "request_id", "outcome", "extra", "hash"]);
  });

  it("sets trace and span ids only from well-formed W3C ids", async () => {
    const h = await sinkHost({ batch_max_records: 4 });
    const cases: Array<[string, string]> = [
      ["00000000000000000000000000000000", "0000000000000000"], // all zero: invalid in W3C and OTLP
      ["4bf92f3577b34da6a3ce929d0e0e473", "00f067aa0ba902b"], // too short
      ["4bf92f3577b34da6a3ce929d0e0e473g", "00f067aa0ba902bx"], // not hex
      ["4BF92F3577B34DA6A3CE929D0E0E4736", "00F067AA0BA902B7"], // upper case hex is still hex
    ];
    for (const [t, s] of cases) await h.exchange(request([["x-trace-id", t], ["x-span-id", s]]));
    await until(() => collector.otlpRecords().length === 4, "the batch");
    const ids = collector.otlpRecords().map((r) => [r.logRecord.traceId, r.logRecord.spanId]);
    expect(ids).toEqual([["", ""], ["", ""], ["", ""], ["4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"]]);
  });

  it("adds configured resource attributes and honours path and authority", async () => {
    const h = await sinkHost({ batch_max_records: 1, path: "/otlp/v1/logs", authority: "otel.internal", resource_attributes: { "deployment.environment.name": "prod", "service.namespace": "ai \"gw\"" } });
    await h.exchange(request([["x-request-id", "r"]]));
    await until(() => collector.otlpRecords().length === 1, "the batch");
    expect(collector.requests[0].path).toBe("/otlp/v1/logs");
    expect(collector.requests[0].headers.host).toBe("otel.internal");
    expect(attributesOf(collector.otlpRecords()[0].resource)).toEqual({
      // The harness's default node id is Envoy's --service-node.
      "service.name": "tollgate", "service.version": "0.1.0", "service.instance.id": "tollgate-harness",
      "deployment.environment.name": "prod", "service.namespace": 'ai "gw"',
    });
  });

  it("keeps OTLP bodies under batch_max_bytes and loses nothing across many batches and workers", async () => {
    const h = await sinkHost({ batch_max_records: 50, batch_max_bytes: 4096, flush_interval_ms: 10 }, { workers: 4 });
    for (let i = 0; i < 60; i++) await h.exchange(request([["x-request-id", `r${i}`], ["x-audit-extra", JSON.stringify(EXTRAS[i % 4])]], i % 4));
    for (let i = 0; i < 50 && collector.otlpRecords().length < 60; i++) {
      await h.advance!(10);
      await new Promise((r) => setTimeout(r, 10));
    }
    const got = collector.otlpRecords().map((r) => JSON.parse(r.line));
    expect(got.map((r) => r.request_id).sort()).toEqual(Array.from({ length: 60 }, (_, i) => `r${i}`).sort());
    for (const r of collector.accepted()) expect(r.body.length).toBeLessThanOrEqual(4096);
    const chains = new Map<string, number[]>();
    for (const r of got) chains.set(r.chain, [...(chains.get(r.chain) ?? []), r.seq]);
    expect(chains.size).toBe(4);
    for (const seqs of chains.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
  });
});

describe("partial success", () => {
  it("counts the records a 200 answer's partialSuccess refused, and does not resend the batch", async () => {
    let calls = 0;
    collector.answer = () => (++calls === 1 ? { status: 200, body: '{"partialSuccess":{"errorMessage":"2 too old","rejectedLogRecords":"2"}}' } : 200);
    const h = await sinkHost({ batch_max_records: 3, flush_interval_ms: 10, retry_initial_ms: 10 });
    for (let i = 0; i < 3; i++) await h.exchange(request([["x-request-id", `r${i}`]]));
    await until(() => collector.accepted().length === 1 && h.callouts.inFlight === 0, "the answer");
    for (let i = 0; i < 3; i++) await h.advance!(10);
    await new Promise((r) => setTimeout(r, 50));
    expect(collector.requests).toHaveLength(1);
    expect(h.metrics()["tollgate.audit.http.delivered"]).toBe(1);
    expect(h.metrics()["tollgate.audit.http.dropped.reason=.partial;"]).toBe(2);
    expect(h.metrics()["tollgate.audit.http.retries"] ?? 0).toBe(0);
  });
});

describe("the decoder check itself", () => {
  it("refuses a payload with a field OTLP does not have, or a wrong type", () => {
    const ok = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: "1", body: { stringValue: "x" } }] }] }] };
    expect(decodeOtlpLogs(JSON.stringify(ok))).toHaveLength(1);
    const misspelt = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNanos: "1", body: { stringValue: "x" } }] }] }] };
    expect(() => decodeOtlpLogs(JSON.stringify(misspelt))).toThrow(/timeUnixNanos/);
    const badType = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { kvlistValue: { values: [{ key: "a", value: { intValue: "x1" } }] } } }] }] }] };
    expect(() => decodeOtlpLogs(JSON.stringify(badType))).toThrow();
  });
});
