// The audit http sink (filters/audit/http-sink.ts) through the filters/testing/audit-sink entry:
// each replayed stream writes one synthetic record, the sink ships it to a real HTTP collector
// on loopback (host-tests/support/collector.ts). What an operator relies on: batches by size and
// by timer, every record exactly once and in chain order, nothing lost while the collector is
// down within the buffer bound, the drop counter equal to what was lost beyond it (or the lost
// records in the log), rejected batches not retried, timeouts retried, a last flush at shutdown.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { Exchange, HostOptions } from "./harness/api";
import { ManualClock } from "./harness/clock";
import type { EnvoyHost } from "./harness/host";
import { closeProbeHosts, trackedHost } from "./support/probe";
import { Collector } from "./support/collector";
import { filterVerdicts, schemaErrorPaths } from "./support/config-check";
import { readFileSync } from "node:fs";

const WASM = join(__dirname, "../dist/audit-sink.wasm");
const M = "tollgate.audit.http.";

let collector: Collector;
beforeEach(async () => {
  collector = await Collector.start();
});
afterEach(async () => {
  await closeProbeHosts();
  await collector.stop();
});

let vmSeq = 0;
function sinkHost(http: Record<string, unknown>, options: HostOptions = {}, extra: Record<string, unknown> = {}): Promise<EnvoyHost> {
  const configuration = JSON.stringify({ http: { cluster: "collector", ...http }, ...extra });
  return trackedHost([{ name: "audit-sink", rootId: "audit-sink", vmId: `audit-sink-${++vmSeq}`, code: WASM, configuration }], {
    clusters: { collector: collector.url },
    ...options,
  });
}

function request(id: string, headers: Array<[string, string]> = [], worker?: number): Exchange {
  return {
    request: { method: "POST", path: "/v1/chat/completions", authority: "api.example.com", headers: [["x-request-id", id], ...headers], body: new Uint8Array() },
    response: { status: 200, headers: [], body: new Uint8Array() },
    attributes: worker === undefined ? undefined : { worker },
  };
}

async function send(h: EnvoyHost, n: number, from = 1): Promise<void> {
  for (let i = from; i < from + n; i++) await h.exchange(request(`r${i}`));
}

/** Waits (bounded) for what the loopback network will deliver; never a timing assertion. */
async function until(cond: () => boolean, what: string, maxMs = 5000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** No callout in flight: every answer so far was handled by the VM (the transport settles a callout, then calls back, in one go). */
const idle = (h: EnvoyHost) => until(() => h.callouts.inFlight === 0, "no callout in flight");

/** Lets in-flight loopback traffic land, to show that nothing more arrives. */
const quiet = () => new Promise((r) => setTimeout(r, 60));

const records = () => collector.ndjsonLines().map((l) => JSON.parse(l));
const ids = () => records().map((r) => r.request_id);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => `r${a + i}`);
const metric = (h: EnvoyHost, name: string) => h.metrics()[M + name] ?? 0;
const fallbackRecords = (h: EnvoyHost) =>
  h.logs.filter((l) => l.message.startsWith("audit-fallback ")).map((l) => JSON.parse(l.message.slice("audit-fallback ".length)));

describe("ndjson delivery", () => {
  it("sends full batches at once and the rest when the flush interval has passed, with the configured request", async () => {
    const clock = new ManualClock();
    const h = await sinkHost(
      { format: "ndjson", path: "/ingest/audit", authority: "logs.internal", headers: { authorization: "Bearer t0k" }, batch_max_records: 4, flush_interval_ms: 5000 },
      { clock },
    );
    await send(h, 10);
    await until(() => collector.accepted().length === 2, "two full batches");
    await quiet();
    expect(collector.requests).toHaveLength(2);
    expect(collector.requests.map((r) => r.body.toString().split("\n").length - 1)).toEqual([4, 4]);

    // The last two wait for the timer: nothing at 4.8 s, sent on the tick at 5 s.
    await h.advance!(4800);
    await quiet();
    expect(collector.requests).toHaveLength(2);
    await h.advance!(200);
    await until(() => collector.accepted().length === 3, "the timer flush");
    await idle(h);

    const r = collector.requests[0];
    expect(r.method).toBe("POST");
    expect(r.path).toBe("/ingest/audit");
    expect(r.headers.host).toBe("logs.internal");
    expect(r.headers["content-type"]).toBe("application/x-ndjson");
    expect(r.headers.authorization).toBe("Bearer t0k");
    expect(ids()).toEqual(range(1, 10));
    // Each line is the record as written: canonical JSON, seq 1.. on one chain.
    for (const line of collector.ndjsonLines()) expect(JSON.stringify(JSON.parse(line))).toBe(line);
    expect(records().map((x) => x.seq)).toEqual(range(1, 10).map((_, i) => i + 1));
    expect(new Set(records().map((x) => x.chain)).size).toBe(1);
    expect(metric(h, "delivered")).toBe(10);
    expect(metric(h, "batches.result=.ok;")).toBe(3);
    expect(metric(h, "buffered")).toBe(0);
  });

  it("cuts batches at batch_max_bytes", async () => {
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_bytes: 1024, flush_interval_ms: 1 });
    const pad = "x".repeat(300);
    for (let i = 1; i <= 9; i++) await h.exchange(request(`r${i}`, [["x-audit-extra", JSON.stringify(pad)]]));
    await until(() => ids().length === 9, "all records");
    for (const r of collector.requests) expect(r.body.length).toBeLessThanOrEqual(1024);
    expect(collector.requests.length).toBeGreaterThanOrEqual(4);
    expect(ids()).toEqual(range(1, 9));
  });

  it("gets records from every worker VM to the collector, each chain complete and in order", async () => {
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_records: 3, flush_interval_ms: 10 }, { workers: 4 });
    for (let i = 1; i <= 40; i++) await h.exchange(request(`r${i}`, [], i % 4));
    await until(() => ids().length === 40, "all 40 records");
    await idle(h);
    const byChain = new Map<string, any[]>();
    for (const r of records()) byChain.set(r.chain, [...(byChain.get(r.chain) ?? []), r]);
    expect(byChain.size).toBe(4);
    for (const rs of byChain.values()) expect(rs.map((r) => r.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect([...ids()].sort()).toEqual(range(1, 40).sort());
    expect(metric(h, "delivered")).toBe(40);
  });
});

describe("collector down", () => {
  it("loses nothing within the buffer bound: retried with backoff until the collector is back, in order", async () => {
    const clock = new ManualClock();
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_records: 5, flush_interval_ms: 100, retry_initial_ms: 100, retry_max_ms: 800, buffer_max_records: 100 }, { clock });
    await collector.stop();
    await send(h, 30);
    // Connection refused comes back as Envoy's 503: each attempt fails, the backoff doubles.
    for (let i = 0; i < 8; i++) {
      await h.advance!(800);
      await quiet();
    }
    expect(metric(h, "batches.result=.retry;")).toBeGreaterThanOrEqual(4);
    expect(metric(h, "retries")).toBeGreaterThanOrEqual(3);
    expect(metric(h, "buffered")).toBe(30);
    await collector.listen();
    for (let i = 0; i < 20 && ids().length < 30; i++) {
      await h.advance!(800);
      await until(() => collector.requests.every((r) => r.status !== 0), "answers");
      await quiet();
    }
    await idle(h);
    expect(ids()).toEqual(range(1, 30));
    expect(metric(h, "delivered")).toBe(30);
    expect(metric(h, "buffered")).toBe(0);
    expect(Object.keys(h.metrics()).filter((k) => k.startsWith(M + "dropped"))).toEqual([]);
  });

  // The first batch is held by the collector, so it is in flight (pinned) while more records
  // arrive: the buffer (6) holds the 4 in flight and 2 more, so records 5..8 are evicted.
  async function overflowRun(onOverflow: "drop_oldest" | "log") {
    const clock = new ManualClock();
    let n = 0;
    collector.answer = () => (++n === 1 ? "hold" : 200);
    const h = await sinkHost(
      { format: "ndjson", path: "/a", batch_max_records: 4, flush_interval_ms: 50, retry_initial_ms: 50, buffer_max_records: 6, on_overflow: onOverflow },
      { clock },
    );
    await send(h, 10);
    await until(() => collector.requests.length === 1, "the first batch");
    collector.release(503);
    await quiet();
    for (let i = 0; i < 10 && ids().length < 6; i++) {
      await h.advance!(50);
      await quiet();
    }
    await idle(h);
    return h;
  }

  it("beyond the bound drops the oldest records not in flight and counts exactly those", async () => {
    const h = await overflowRun("drop_oldest");
    expect(ids()).toEqual(["r1", "r2", "r3", "r4", "r9", "r10"]);
    expect(metric(h, "dropped.reason=.overflow;")).toBe(4);
    expect(metric(h, "fallback_logged")).toBe(0);
    expect(fallbackRecords(h)).toEqual([]);
    expect(metric(h, "delivered")).toBe(6);
  });

  it("with on_overflow log the evicted records appear in the log instead, each once", async () => {
    const h = await overflowRun("log");
    expect(ids()).toEqual(["r1", "r2", "r3", "r4", "r9", "r10"]);
    expect(fallbackRecords(h).map((r) => r.request_id)).toEqual(["r5", "r6", "r7", "r8"]);
    expect(metric(h, "dropped.reason=.overflow;")).toBe(4);
    expect(metric(h, "fallback_logged")).toBe(4);
  });

  it("a long outage evicting hundreds of records while a batch hangs keeps the count exact and the newest records", async () => {
    const clock = new ManualClock();
    let calls = 0;
    collector.answer = () => (++calls === 1 ? "hold" : 200);
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_records: 4, flush_interval_ms: 50, retry_initial_ms: 50, buffer_max_records: 10 }, { clock });
    await send(h, 300);
    await until(() => collector.requests.length === 1, "the held batch");
    expect(metric(h, "dropped.reason=.overflow;")).toBe(290);
    collector.release(503);
    for (let i = 0; i < 20 && ids().length < 10; i++) {
      await h.advance!(50);
      await idle(h);
    }
    expect(ids()).toEqual([...range(1, 4), ...range(295, 300)]);
    expect(metric(h, "delivered")).toBe(10);
  });

  it("a batch that times out is resent after the backoff and delivered once", async () => {
    const clock = new ManualClock();
    let n = 0;
    collector.answer = () => (++n === 1 ? "hold" : 200);
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_records: 3, timeout_ms: 2000, retry_initial_ms: 100, flush_interval_ms: 100 }, { clock });
    await send(h, 3);
    await until(() => collector.requests.length === 1, "the first attempt");
    await h.advance!(1900);
    await quiet();
    expect(collector.requests).toHaveLength(1);
    await h.advance!(100); // the callout timeout: Envoy answers 504
    await quiet();
    expect(metric(h, "batches.result=.retry;")).toBe(1);
    await h.advance!(100);
    await until(() => collector.accepted().length === 1, "the retry");
    await idle(h);
    expect(ids()).toEqual(range(1, 3));
    expect(metric(h, "retries")).toBe(1);
    expect(metric(h, "delivered")).toBe(3);
  });

  it("honours Retry-After on 429 (within retry_max_ms)", async () => {
    const clock = new ManualClock();
    let n = 0;
    collector.answer = () => (++n === 1 ? { status: 429, headers: { "retry-after": "3" } } : 200);
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_records: 2, retry_initial_ms: 100, retry_max_ms: 10000, flush_interval_ms: 100 }, { clock });
    await send(h, 2);
    await until(() => collector.requests.length === 1 && collector.requests[0].status === 429, "the 429");
    await quiet();
    await h.advance!(2900);
    await quiet();
    expect(collector.requests).toHaveLength(1);
    await h.advance!(100);
    await until(() => collector.accepted().length === 1, "the retry after 3 s");
  });
});

describe("unknown cluster", () => {
  it("keeps the records and retries with backoff (the cluster may come with the next CDS update), warning once", async () => {
    const clock = new ManualClock();
    const h = await sinkHost({ cluster: "not-yet", format: "ndjson", path: "/a", batch_max_records: 2, retry_initial_ms: 100, retry_max_ms: 400 }, { clock });
    await send(h, 3);
    for (let i = 0; i < 10; i++) await h.advance!(100);
    expect(metric(h, "buffered")).toBe(3);
    // Attempts at 0, 100, 300, 700 (backoff 100, 200, 400) within the first second.
    expect(metric(h, "batches.result=.retry;")).toBe(4);
    expect(h.logs.filter((l) => l.message.includes("proxy_http_call to cluster 'not-yet' failed"))).toHaveLength(1);
    expect(Object.keys(h.metrics()).filter((k) => k.startsWith(M + "dropped"))).toEqual([]);
  });
});

describe("collector refuses", () => {
  it("drops a batch answered 400 without retrying it, counted as rejected; the next batches still go", async () => {
    const clock = new ManualClock();
    let n = 0;
    collector.answer = () => (++n === 1 ? 400 : 200);
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_records: 3, retry_initial_ms: 50, flush_interval_ms: 50 }, { clock });
    await send(h, 3);
    await until(() => collector.requests.length === 1 && collector.requests[0].status === 400, "the 400");
    for (let i = 0; i < 5; i++) await h.advance!(100);
    await quiet();
    expect(collector.requests).toHaveLength(1);
    expect(metric(h, "dropped.reason=.rejected;")).toBe(3);
    expect(metric(h, "batches.result=.rejected;")).toBe(1);
    expect(metric(h, "retries")).toBe(0);
    expect(metric(h, "buffered")).toBe(0);
    await send(h, 3, 4);
    await until(() => collector.accepted().length === 1, "the next batch");
    expect(ids()).toEqual(range(4, 6));
  });

  it("retries 408 and every 5xx, drops on 404 and 413", async () => {
    const clock = new ManualClock();
    const statuses = [408, 500, 502, 404, 413];
    let n = 0;
    collector.answer = () => statuses[n++] ?? 200;
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_records: 1, retry_initial_ms: 10, retry_max_ms: 10, flush_interval_ms: 10 }, { clock });
    await send(h, 3);
    for (let i = 0; i < 20 && collector.requests.length < 6; i++) {
      await until(() => collector.requests.every((r) => r.status !== 0), "answers");
      await h.advance!(10);
      await quiet();
    }
    expect(collector.requests.map((r) => r.status)).toEqual([408, 500, 502, 404, 413, 200]);
    // r1 survives three failures and the 404; r2 is refused by 413, r3 goes through.
    expect(collector.requests.map((r) => JSON.parse(r.body.toString()).request_id)).toEqual(["r1", "r1", "r1", "r1", "r2", "r3"]);
    expect(metric(h, "dropped.reason=.rejected;")).toBe(2);
  });
});

describe("records the sink cannot keep", () => {
  it("counts malformed and oversized records, and logs them with on_overflow log", async () => {
    const h = await sinkHost({ format: "ndjson", path: "/a", buffer_max_bytes: 1024, on_overflow: "log", flush_interval_ms: 1 });
    await h.exchange(request("x", [["x-audit-raw", "not json {"]]));
    await h.exchange(request("x", [["x-audit-raw", "[1,2]"]]));
    await h.exchange(request("x", [["x-audit-raw", JSON.stringify({ big: "y".repeat(1100) })]]));
    await h.exchange(request("r1"));
    await until(() => ids().length === 1, "the good record");
    await idle(h);
    expect(metric(h, "dropped.reason=.malformed;")).toBe(2);
    expect(metric(h, "dropped.reason=.too_large;")).toBe(1);
    expect(h.logs.filter((l) => l.message.startsWith("audit-fallback ")).map((l) => l.message.slice(15, 25))).toEqual(["not json {", "[1,2]", '{"big":"yy']);
    expect(ids()).toEqual(["r1"]);
  });
});

describe("reconfiguration", () => {
  // Envoy keys root contexts by plugin: a plugin started again with the same key gets
  // onConfigure on its existing root, which builds a new sink. Nothing the old one held may be lost.
  it("a second onConfigure hands the buffered records and the batch in flight to the new sink", async () => {
    const clock = new ManualClock();
    let calls = 0;
    collector.answer = () => (++calls === 1 ? "hold" : 200);
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_records: 4, flush_interval_ms: 60000 }, { clock });
    await send(h, 6);
    await until(() => collector.requests.length === 1, "the held batch");
    const [root] = h.rootsOf("audit-sink");
    expect(root.configure()).toBe(true);
    collector.release(200);
    await idle(h);
    await send(h, 2, 7);
    await until(() => collector.accepted().length === 2, "the second batch");
    await idle(h);
    expect(ids()).toEqual(range(1, 8));
    expect(records().map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(metric(h, "delivered")).toBe(8);
    expect(metric(h, "buffered")).toBe(0);
  });
});

describe("shutdown", () => {
  it("on_done sends what is buffered and calls proxy_done once it is delivered", async () => {
    const clock = new ManualClock();
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_records: 2, flush_interval_ms: 60000 }, { clock });
    await send(h, 5);
    await until(() => collector.accepted().length === 2, "the two full batches");
    await quiet();
    expect(ids()).toEqual(range(1, 4));
    const [root] = h.rootsOf("audit-sink");
    const r = root.vm.call("proxy_on_done", root.id, root.id);
    root.vm.drainAfterCallActions();
    expect(r).toBe(0); // not done yet: Envoy waits for proxy_done
    root.awaitingDone = true;
    await until(() => ids().length === 5, "the last flush");
    await until(() => !root.awaitingDone, "proxy_done");
    expect(ids()).toEqual(range(1, 5));
  });

  it("on_done with nothing buffered is done at once", async () => {
    const h = await sinkHost({ format: "ndjson", path: "/a" });
    const [root] = h.rootsOf("audit-sink");
    expect(root.vm.call("proxy_on_done", root.id, root.id)).toBe(1);
  });

  it("on_done with the collector down gives up after one attempt and counts the rest as dropped", async () => {
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_records: 100, flush_interval_ms: 60000 }, { clock: new ManualClock() });
    await collector.stop();
    await send(h, 3);
    const [root] = h.rootsOf("audit-sink");
    expect(root.vm.call("proxy_on_done", root.id, root.id)).toBe(0);
    root.vm.drainAfterCallActions();
    root.awaitingDone = true;
    await until(() => !root.awaitingDone, "proxy_done");
    expect(metric(h, "dropped.reason=.shutdown;")).toBe(3);
    expect(metric(h, "buffered")).toBe(0);
  });
});

describe("metrics off", () => {
  it("defines no http sink stat when the audit filter's metrics are disabled, and still delivers", async () => {
    const h = await sinkHost({ format: "ndjson", path: "/a", batch_max_records: 2 }, {}, { metrics: false });
    await send(h, 2);
    await until(() => ids().length === 2, "the batch");
    await idle(h);
    expect(Object.keys(h.metrics()).filter((k) => k.startsWith(M))).toEqual([]);
  });
});

describe("configuration", () => {
  const code = () => WASM;
  const { filterErrorPath, filterVerdict } = filterVerdicts(
    (config) => ({ name: "audit-sink", rootId: "audit-sink", vmId: `cfg-${++vmSeq}`, code: code(), configuration: JSON.stringify(config) }),
    "audit-sink configuration: ",
  );
  it.each([
    [{ http: {} }, "$.http.cluster"],
    [{ http: { cluster: "" } }, "$.http.cluster"],
    [{ http: { cluster: "c", format: "ndjson" } }, "$.http.path"],
    [{ http: { cluster: "c", format: "xml" } }, "$.http.format"],
    [{ http: { cluster: "c", path: "v1/logs" } }, "$.http.path"],
    [{ http: { cluster: "c", headers: { "content-type": "text/plain" } } }, "$.http.headers.content-type"],
    [{ http: { cluster: "c", headers: { Authorization: "x" } } }, "$.http.headers.Authorization"],
    [{ http: { cluster: "c", headers: { authorization: 5 } } }, "$.http.headers.authorization"],
    [{ http: { cluster: "c", batch_max_records: 0 } }, "$.http.batch_max_records"],
    [{ http: { cluster: "c", retry_initial_ms: 500, retry_max_ms: 100 } }, "$.http.retry_max_ms"],
    [{ http: { cluster: "c", on_overflow: "block" } }, "$.http.on_overflow"],
    [{ http: { cluster: "c", resource_attributes: { "service.name": "x" } } }, "$.http.resource_attributes.service.name"],
    [{ http: { cluster: "c", colour: "blue" } }, "$.http.colour"],
  ])("rejects %j at %s", async (config, path) => {
    expect(await filterErrorPath(config)).toBe(path);
  });
  // HTTP-SINK.md's fragment is what the audit filter's config.schema.json carries for
  // sinks.http: same rules (descriptions may differ), and it agrees with the filter.
  const doc = readFileSync(join(__dirname, "../filters/audit/HTTP-SINK.md"), "utf8");
  const fragment = JSON.parse(doc.split("## JSON Schema fragment")[1].split("```json")[1].split("```")[0]);
  const strip = (v: any): any =>
    Array.isArray(v) ? v.map(strip) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter(([k]) => k !== "description").map(([k, x]) => [k, strip(x)])) : v;
  it("documents the same sinks.http schema as the audit filter's config.schema.json", () => {
    const full = JSON.parse(readFileSync(join(__dirname, "../filters/audit/config.schema.json"), "utf8"));
    expect(strip(fragment)).toEqual(strip(full.properties.sinks.properties.http));
  });
  it("the fragment and the filter agree on every case above", async () => {
    const { errorPaths } = schemaErrorPaths(fragment);
    const bad: Array<Record<string, unknown>> = [
      {}, { cluster: "" }, { cluster: "c", format: "xml" }, { cluster: "c", path: "v1/logs" }, { cluster: "c", headers: { "content-type": "x" } },
      { cluster: "c", headers: { Authorization: "x" } }, { cluster: "c", batch_max_records: 0 }, { cluster: "c", on_overflow: "block" },
      { cluster: "c", resource_attributes: { "service.name": "x" } }, { cluster: "c", colour: "blue" }, { cluster: "c", timeout_ms: 600001 },
      { cluster: "c", format: "ndjson" },
    ];
    for (const http of bad) {
      expect(errorPaths(http), JSON.stringify(http)).not.toEqual([]);
      expect(await filterVerdict({ http }), JSON.stringify(http)).not.toBeNull();
    }
    const good = { cluster: "c", headers: { authorization: "Bearer x" }, resource_attributes: { "service.namespace": "n" }, on_overflow: "log" };
    expect(errorPaths(good)).toEqual([]);
    expect(await filterVerdict({ http: good })).toBeNull();
  });
  it("accepts a full block", async () => {
    expect(await filterVerdict({
      http: {
        cluster: "c", authority: "a", path: "/x", headers: { authorization: "Bearer x" }, format: "ndjson", batch_max_records: 10,
        batch_max_bytes: 4096, flush_interval_ms: 10, timeout_ms: 100, retry_initial_ms: 10, retry_max_ms: 100,
        buffer_max_records: 10, buffer_max_bytes: 4096, on_overflow: "log", resource_attributes: { "deployment.environment.name": "prod" },
      },
    })).toBeNull();
  });
});
