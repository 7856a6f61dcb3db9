// Custom metrics as Envoy keeps them (digest §7.6; Envoy context.cc defineMetric /
// incrementMetric / recordMetric / getMetric, custom_stat_namespaces_impl.cc,
// prometheus_stats.cc): per-VM ids with the kind in the low 2 bits, process-wide values under
// `wasmcustom.<name>`, and Prometheus names with the namespace stripped and no `envoy_` prefix.
import { afterEach, describe, expect, it } from "vitest";
import type { WasmFilterConfig } from "./harness/api";
import type { EnvoyHost } from "./harness/host";
import { closeProbeHosts, emptyExchange, probeFilter, probeValues, trackedHost } from "./support/probe";

afterEach(closeProbeHosts);

const start = (filters: WasmFilterConfig[], workers = 1): Promise<EnvoyHost> => trackedHost(filters, { workers });

const probe = probeFilter;

const get = (worker?: number) => emptyExchange("/m", worker);

const results = (logs: EnvoyHost["logs"], cb: string, op: string) => probeValues(logs, cb, op).map((v) => v.result);

describe("metric operations", () => {
  it("rejects counter increments <= 0 and adds record_metric values to a counter", async () => {
    const host = await start([
      probe("m", "vm-m", {
        on_configure: [{ op: "define_metric", type: "counter", name: "calls" }],
        on_request_headers: [
          { op: "increment_metric", metric: "calls", delta: 0 },
          { op: "increment_metric", metric: "calls", delta: -1 },
          { op: "increment_metric", metric: "calls", delta: 2 },
          { op: "record_metric", metric: "calls", value: 5 },
          { op: "get_metric", metric: "calls" },
        ],
      }),
    ]);
    const r = await host.exchange(get());
    // Counters only go up: Envoy answers BadArgument for offset <= 0, and "record" means add.
    expect(results(r.logs, "on_request_headers", "increment_metric")).toEqual(["BadArgument", "BadArgument", "Ok"]);
    expect(results(r.logs, "on_request_headers", "record_metric")).toEqual(["Ok"]);
    expect(probeValues(r.logs, "on_request_headers", "get_metric")).toEqual([{ result: "Ok", value: "7" }]);
    expect(host.metrics().calls).toBe(7);
  });

  it("adds and subtracts gauge increments and sets gauges on record", async () => {
    const host = await start([
      probe("m", "vm-m", {
        on_configure: [{ op: "define_metric", type: "gauge", name: "inflight" }],
        on_request_headers: [
          { op: "increment_metric", metric: "inflight", delta: 5 },
          { op: "increment_metric", metric: "inflight", delta: -2 },
          { op: "get_metric", metric: "inflight" },
          { op: "record_metric", metric: "inflight", value: 10 },
          { op: "get_metric", metric: "inflight" },
          { op: "increment_metric", metric: "inflight", delta: -4 },
          { op: "get_metric", metric: "inflight" },
        ],
      }),
    ]);
    const r = await host.exchange(get());
    expect(results(r.logs, "on_request_headers", "increment_metric")).toEqual(["Ok", "Ok", "Ok"]);
    expect(probeValues(r.logs, "on_request_headers", "get_metric").map((v) => v.value)).toEqual(["3", "10", "6"]);
    expect(host.metrics().inflight).toBe(6);
  });

  it("records histogram samples but refuses get and increment on them", async () => {
    const host = await start([
      probe("m", "vm-m", {
        on_configure: [{ op: "define_metric", type: "histogram", name: "latency" }],
        on_request_headers: [
          { op: "get_metric", metric: "latency" },
          { op: "increment_metric", metric: "latency", delta: 1 },
          { op: "record_metric", metric: "latency", value: 42 },
        ],
      }),
    ]);
    const r = await host.exchange(get());
    expect(results(r.logs, "on_request_headers", "get_metric")).toEqual(["BadArgument"]);
    expect(results(r.logs, "on_request_headers", "increment_metric")).toEqual(["BadArgument"]);
    expect(results(r.logs, "on_request_headers", "record_metric")).toEqual(["Ok"]);
    expect(host.metrics().latency).toBe(1);
  });

  it("answers NotFound for undefined ids and BadArgument for an unknown metric type", async () => {
    const host = await start([
      probe("m", "vm-m", {
        on_request_headers: [
          { op: "increment_metric", metric: 400, delta: 1 },
          { op: "record_metric", metric: 401, value: 1 },
          { op: "get_metric", metric: 400 },
          { op: "define_metric", type: 3, name: "weird" },
        ],
      }),
    ]);
    const r = await host.exchange(get());
    expect(results(r.logs, "on_request_headers", "increment_metric")).toEqual(["NotFound"]);
    expect(results(r.logs, "on_request_headers", "record_metric")).toEqual(["NotFound"]);
    expect(results(r.logs, "on_request_headers", "get_metric")).toEqual(["NotFound"]);
    expect(results(r.logs, "on_request_headers", "define_metric")).toEqual(["BadArgument"]);
  });
});

describe("metric ids and scope", () => {
  it("encodes the kind in the low two bits, numbering per VM", async () => {
    const defs = [
      { op: "define_metric", type: "counter", name: "c1" },
      { op: "define_metric", type: "counter", name: "c2" },
      { op: "define_metric", type: "gauge", name: "g1" },
      { op: "define_metric", type: "gauge", name: "g2" },
      { op: "define_metric", type: "histogram", name: "h1" },
      { op: "define_metric", type: "histogram", name: "h2" },
    ];
    const host = await start(
      [
        probe("a", "shared", { on_configure: defs }),
        probe("b", "shared", { on_configure: [{ op: "define_metric", type: "counter", name: "b1" }] }),
        probe("c", "elsewhere", { on_configure: [{ op: "define_metric", type: "counter", name: "c9" }] }),
      ],
      2,
    );
    const ids = (filter: string, worker: number) =>
      host.logs.filter((l) => l.filter === filter && l.worker === worker && l.message.startsWith("probe on_configure define_metric")).map((l) => JSON.parse(l.message.slice(l.message.indexOf("{"))).id);
    for (const w of [0, 1]) {
      expect(ids("a", w)).toEqual([4, 8, 5, 9, 6, 10]);
      // Same VM: the sequence continues; another VM starts its own.
      expect(ids("b", w)).toEqual([12]);
      expect(ids("c", w)).toEqual([4]);
    }
  });

  it("binds every definition of a name to one process-wide value, summed over workers", async () => {
    const host = await start(
      [
        probe("m", "vm-m", {
          on_configure: [{ op: "define_metric", type: "counter", name: "reqs" }],
          on_request_headers: [{ op: "increment_metric", metric: "reqs", delta: 1 }, { op: "get_metric", metric: "reqs" }],
        }),
        probe("again", "vm-m", {
          on_configure: [{ op: "define_metric", type: "counter", name: "reqs" }],
          on_request_headers: [{ op: "increment_metric", metric: "reqs", delta: 10 }, { op: "get_metric", metric: "reqs" }],
        }),
      ],
      2,
    );
    const seen: string[] = [];
    for (const w of [0, 1, 0]) {
      const r = await host.exchange(get(w));
      expect(r.worker).toBe(w);
      seen.push(...probeValues(r.logs, "on_request_headers", "get_metric").map((v) => v.value));
    }
    // get_metric reads the global stat, not a per-worker or per-id copy.
    expect(seen).toEqual(["1", "11", "12", "22", "23", "33"]);
    expect(host.metrics().reqs).toBe(33);
  });
});

describe("Prometheus exposition", () => {
  it("strips wasmcustom., adds no envoy_ prefix, sanitizes names and drops digit-leading ones", async () => {
    const host = await start([
      probe("m", "vm-m", {
        on_configure: [
          { op: "define_metric", type: "counter", name: "tollgate.requests-total" },
          { op: "define_metric", type: "gauge", name: "tollgate:in flight" },
          { op: "define_metric", type: "counter", name: "9lives" },
        ],
        on_request_headers: [
          { op: "increment_metric", metric: "tollgate.requests-total", delta: 3 },
          { op: "record_metric", metric: "tollgate:in flight", value: 2 },
          { op: "increment_metric", metric: "9lives", delta: 1 },
        ],
      }),
    ]);
    await host.exchange(get());
    const text = host.prometheus();
    const lines = text.split("\n");
    expect(lines).toContain("# TYPE tollgate_requests_total counter");
    expect(lines).toContain("tollgate_requests_total 3");
    expect(lines).toContain("# TYPE tollgate_in_flight gauge");
    expect(lines).toContain("tollgate_in_flight 2");
    expect(text).not.toContain("wasmcustom");
    expect(text).not.toContain("envoy_");
    expect(text).not.toContain("9lives");
    // /stats keeps the raw name, digit or not.
    expect(host.metrics()["9lives"]).toBe(1);
  });

  it("exports histograms as cumulative buckets with sum and count", async () => {
    const host = await start([
      probe("m", "vm-m", {
        on_configure: [{ op: "define_metric", type: "histogram", name: "upstream.latency_ms" }],
        on_request_headers: [
          { op: "record_metric", metric: "upstream.latency_ms", value: 3 },
          { op: "record_metric", metric: "upstream.latency_ms", value: 30 },
          { op: "record_metric", metric: "upstream.latency_ms", value: 3000 },
        ],
      }),
    ]);
    await host.exchange(get());
    const lines = host.prometheus().split("\n");
    expect(lines).toContain("# TYPE upstream_latency_ms histogram");
    expect(lines).toContain('upstream_latency_ms_bucket{le="1"} 0');
    expect(lines).toContain('upstream_latency_ms_bucket{le="5"} 1');
    expect(lines).toContain('upstream_latency_ms_bucket{le="50"} 2');
    expect(lines).toContain('upstream_latency_ms_bucket{le="2500"} 2');
    expect(lines).toContain('upstream_latency_ms_bucket{le="5000"} 3');
    expect(lines).toContain('upstream_latency_ms_bucket{le="+Inf"} 3');
    expect(lines).toContain("upstream_latency_ms_sum 3033");
    expect(lines).toContain("upstream_latency_ms_count 3");
  });
});
