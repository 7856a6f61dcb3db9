// Process-wide state and timers as Envoy provides them (digest §7.3-7.5): tick timers per root
// per worker VM (Envoy wasm.cc setTimerPeriod/tickHandler), shared data keyed by vm_id with one
// global CAS counter (cpp-host shared_data.cc), shared queues keyed by (vm_id, name) with
// posted on_queue_ready (cpp-host shared_queue.cc).
import { afterEach, describe, expect, it } from "vitest";
import type { LogRecord, WasmFilterConfig } from "./harness/api";
import { ManualClock, settle } from "./harness/index";
import type { EnvoyHost } from "./harness/host";
import { closeProbeHosts, emptyExchange, probeFilter, probeLines, probeValues, trackedHost } from "./support/probe";

afterEach(closeProbeHosts);

/** Lets posted callbacks (on_queue_ready) run, as Envoy's dispatcher would after the stream. */
async function drain(): Promise<void> {
  for (let i = 0; i < 5; i++) await settle();
}

const start = (filters: WasmFilterConfig[], workers = 1, clock?: ManualClock): Promise<EnvoyHost> => trackedHost(filters, { workers, clock });

const probe = probeFilter;

const get = (worker?: number) => emptyExchange("/s", worker);

const ticks = (logs: LogRecord[], filter?: string) =>
  logs.filter((l) => l.message.startsWith("probe on_tick enter") && (filter === undefined || l.filter === filter));
const enterOf = (l: LogRecord) => JSON.parse(l.message.slice(l.message.indexOf("{")));

describe("timers", () => {
  it("ticks each worker's root once per period, first one period after the call", async () => {
    const clock = new ManualClock();
    const host = await start([probe("t", "vm-t", { on_configure: [{ op: "set_tick_period", ms: 1000 }] })], 2, clock);
    await host.advance(999);
    expect(ticks(host.logs)).toHaveLength(0);
    await host.advance(1);
    // Every worker has its own VM and root, so N workers tick N times; the canary is discarded
    // after startup and never ticks.
    expect(ticks(host.logs).map((l) => l.worker).sort()).toEqual([0, 1]);
    await host.advance(1000);
    expect(ticks(host.logs).map((l) => l.worker).sort()).toEqual([0, 0, 1, 1]);
    expect(ticks(host.logs).every((l) => enterOf(l).context === 1)).toBe(true);
  });

  it("stops ticking after a period of 0", async () => {
    const clock = new ManualClock();
    const host = await start([probe("t", "vm-t", { on_configure: [{ op: "set_tick_period", ms: 100 }], "on_tick#2": [{ op: "set_tick_period", ms: 0 }] })], 2, clock);
    await host.advance(1000);
    expect(ticks(host.logs).filter((l) => l.worker === 0)).toHaveLength(2);
    expect(ticks(host.logs).filter((l) => l.worker === 1)).toHaveLength(2);
  });

  it("replaces the period when called again", async () => {
    const clock = new ManualClock();
    const t0 = clock.nowNs();
    const host = await start(
      [probe("t", "vm-t", { on_configure: [{ op: "set_tick_period", ms: 1000 }], on_tick: [{ op: "get_current_time" }], "on_tick#1": [{ op: "set_tick_period", ms: 250 }, { op: "get_current_time" }] })],
      1,
      clock,
    );
    await host.advance(1500);
    const at = probeValues(host.logs, "on_tick", "get_current_time").map((v) => (BigInt(v.ns) - t0) / 1_000_000n);
    expect(at).toEqual([1000n, 1250n, 1500n]);
  });

  it("stops ticking a VM that trapped in on_tick", async () => {
    const clock = new ManualClock();
    const host = await start([probe("t", "vm-t", { on_configure: [{ op: "set_tick_period", ms: 100 }], "on_tick#2": [{ op: "trap" }] })], 2, clock);
    await host.advance(1000);
    // A failed VM gets no more callbacks; the other worker's VM is unaffected.
    expect(host.traps.map((t) => t.function)).toEqual(["proxy_on_tick", "proxy_on_tick"]);
    expect(ticks(host.logs).filter((l) => l.worker === 0)).toHaveLength(2);
    expect(ticks(host.logs).filter((l) => l.worker === 1)).toHaveLength(2);
  });

  it("keeps one period per root when plugins share a VM, and a stream's call sets its root's timer", async () => {
    const clock = new ManualClock();
    const host = await start(
      [
        probe("fast", "shared", { on_configure: [{ op: "set_tick_period", ms: 100 }] }),
        probe("slow", "shared", { on_configure: [{ op: "set_tick_period", ms: 300 }] }),
        probe("lazy", "shared", { on_request_headers: [{ op: "set_tick_period", ms: 200 }] }),
      ],
      1,
      clock,
    );
    expect(host.vmsOn(0)).toHaveLength(1);
    await host.exchange(get());
    await host.advance(600);
    expect(ticks(host.logs, "fast")).toHaveLength(6);
    expect(ticks(host.logs, "slow")).toHaveLength(2);
    // proxy_set_tick_period_milliseconds acts on the caller's root, even from a stream context.
    expect(ticks(host.logs, "lazy")).toHaveLength(3);
    expect(new Set(ticks(host.logs, "fast").map((l) => enterOf(l).context))).toEqual(new Set([1]));
    expect(new Set(ticks(host.logs, "slow").map((l) => enterOf(l).context))).toEqual(new Set([2]));
    expect(new Set(ticks(host.logs, "lazy").map((l) => enterOf(l).context))).toEqual(new Set([3]));
  });
});

describe("shared data", () => {
  it("follows Envoy's CAS rules: missing key takes any cas, cas 0 always wins, a stale cas mismatches", async () => {
    const host = await start([
      probe("sd", "vm-sd", {
        on_request_headers: [
          { op: "get_shared_data", key: "k" },
          { op: "set_shared_data", key: "k", text: "a", cas: 12345 },
          { op: "get_shared_data", key: "k" },
          { op: "set_shared_data", key: "k", text: "b", cas: 0 },
          { op: "set_shared_data", key: "k", text: "c", cas: "last" },
          { op: "get_shared_data", key: "k" },
          { op: "set_shared_data", key: "k", text: "d", cas: "last" },
          { op: "get_shared_data", key: "k" },
        ],
      }),
    ]);
    const r = await host.exchange(get());
    const gets = probeValues(r.logs, "on_request_headers", "get_shared_data");
    const sets = probeValues(r.logs, "on_request_headers", "set_shared_data").map((v) => v.result);
    expect(gets[0].result).toBe("NotFound");
    expect(sets).toEqual(["Ok", "Ok", "CasMismatch", "Ok"]);
    expect(gets.slice(1).map((g) => g.text)).toEqual(["a", "b", "d"]);
    // Every write bumps the cas, so the value read before the cas-0 write was stale.
    expect(gets[1].cas).not.toBe(gets[2].cas);
    expect(gets[2].cas).not.toBe(gets[3].cas);
    expect(gets.slice(1).every((g) => g.cas !== 0)).toBe(true);
  });

  it("is one map per vm_id across worker VMs", async () => {
    const host = await start(
      [probe("sd", "vm-sd", { on_request_headers: [{ op: "get_shared_data", key: "hits" }, { op: "set_shared_data", key: "hits", text: "seen", cas: "last" }] })],
      2,
    );
    const first = await host.exchange(get(0));
    const second = await host.exchange(get(1));
    expect(probeValues(first.logs, "on_request_headers", "get_shared_data")[0].result).toBe("NotFound");
    const seen = probeValues(second.logs, "on_request_headers", "get_shared_data")[0];
    expect(second.worker).toBe(1);
    expect(seen).toMatchObject({ result: "Ok", text: "seen" });
    // The cas read on worker 1 is the one worker 0's write produced, so a CAS write succeeds.
    expect(probeValues(second.logs, "on_request_headers", "set_shared_data")[0].result).toBe("Ok");
  });

  it("is shared by different VMs with the same vm_id and separate from other vm_ids, the empty one included", async () => {
    const get_ = (key: string) => ({ on_request_headers: [{ op: "get_shared_data", key }] });
    const host = await start([
      probe("writer", "ns", { on_request_headers: [{ op: "set_shared_data", key: "k", text: "from-ns" }] }, { vmConfiguration: "{}" }),
      probe("reader", "ns", get_("k"), { vmConfiguration: "{ }" }),
      probe("other", "ns2", get_("k")),
      probe("empty-writer", "", { on_request_headers: [{ op: "set_shared_data", key: "e", text: "from-empty" }] }),
      probe("empty-reader", "", get_("e"), { vmConfiguration: "{ }" }),
      probe("x-reader", "x", get_("e")),
    ]);
    // Different vm configuration means a different VM, but shared data follows the vm_id alone.
    expect(host.vmsOn(0)).toHaveLength(6);
    const r = await host.exchange(get());
    const got = (filter: string) => r.logs.filter((l) => l.filter === filter && l.message.startsWith("probe on_request_headers get_shared_data")).map((l) => JSON.parse(l.message.slice(l.message.indexOf("{"))));
    expect(got("reader")[0]).toMatchObject({ result: "Ok", text: "from-ns" });
    expect(got("other")[0].result).toBe("NotFound");
    expect(got("empty-reader")[0]).toMatchObject({ result: "Ok", text: "from-empty" });
    expect(got("x-reader")[0].result).toBe("NotFound");
  });
});

describe("shared queues", () => {
  it("returns the same token on re-registration and calls only the latest registrant", async () => {
    const host = await start([
      probe("first", "q", { on_configure: [{ op: "register_queue", name: "jobs" }] }),
      probe("second", "q", { on_configure: [{ op: "register_queue", name: "jobs" }] }, { vmConfiguration: "{ }" }),
      probe("producer", "p", { on_request_headers: [{ op: "resolve_queue", vm_id: "q", name: "jobs" }, { op: "enqueue", text: "job-1" }] }),
    ]);
    const tokens = probeValues(host.logs, "on_configure", "register_queue");
    expect(tokens).toHaveLength(4); // canary and worker, for each plugin
    expect(new Set(tokens.map((t) => t.id)).size).toBe(1);
    expect(tokens[0].id).toBeGreaterThanOrEqual(1);

    await host.exchange(get());
    await drain();
    const ready = probeLines(host.logs, "on_queue_ready", "enter");
    expect(ready.map((l) => l.value)).toEqual([{ context: 1, call: 1, queue: tokens[0].id }]);
    expect(host.logs.filter((l) => l.message.startsWith("probe on_queue_ready enter")).map((l) => [l.filter, l.worker])).toEqual([["second", 0]]);
  });

  it("delivers on_queue_ready on the registrant's worker, whatever worker enqueued", async () => {
    const host = await start(
      [probe("q", "vm-q", { on_configure: [{ op: "register_queue", name: "jobs" }], on_request_headers: [{ op: "enqueue", text: "from-a-stream" }], on_queue_ready: [{ op: "dequeue" }] })],
      2,
    );
    const r = await host.exchange(get(0));
    await drain();
    expect(r.worker).toBe(0);
    // Worker 1 registered last, so its root owns the queue.
    const ready = host.logs.filter((l) => l.message.startsWith("probe on_queue_ready"));
    expect(ready.map((l) => l.worker)).toEqual([1, 1]);
    expect(probeValues(host.logs, "on_queue_ready", "dequeue")).toEqual([{ result: "Ok", len: 13, text: "from-a-stream" }]);
  });

  it("delivers on_queue_ready after the enqueuing callback, once per enqueue, and dequeues FIFO then Empty", async () => {
    const host = await start([
      probe("q", "vm-q", {
        on_configure: [{ op: "register_queue", name: "jobs" }],
        on_request_headers: [{ op: "enqueue", text: "one" }, { op: "enqueue", text: "two" }, { op: "log", message: "after enqueue" }],
        "on_queue_ready#1": [{ op: "dequeue" }, { op: "dequeue" }, { op: "dequeue" }],
      }),
    ]);
    await host.exchange(get());
    await drain();
    const trace = host.logs.filter((l) => l.worker === 0).map((l) => l.message);
    const firstReady = trace.findIndex((m) => m.startsWith("probe on_queue_ready enter"));
    const afterEnqueue = trace.indexOf("after enqueue");
    const headersEnd = trace.findIndex((m) => m.startsWith("probe on_request_headers log"));
    // Posted to the dispatcher, never run inside proxy_enqueue_shared_queue.
    expect(afterEnqueue).toBeGreaterThan(-1);
    expect(firstReady).toBeGreaterThan(headersEnd);
    expect(probeValues(host.logs, "on_request_headers", "enqueue").map((v) => v.result)).toEqual(["Ok", "Ok"]);
    expect(probeLines(host.logs, "on_queue_ready", "enter")).toHaveLength(2);
    const dq = probeValues(host.logs, "on_queue_ready", "dequeue");
    expect(dq.map((v) => v.text ?? v.result)).toEqual(["one", "two", "Empty"]);
  });

  it("answers NotFound for unknown names and tokens, and resolves an empty vm_id to the caller's own", async () => {
    const host = await start(
      [
        probe("q", "vm-q", {
          on_configure: [{ op: "register_queue", name: "jobs" }],
          on_request_headers: [
            { op: "resolve_queue", name: "jobs" },
            { op: "resolve_queue", vm_id: "vm-q", name: "jobs" },
            { op: "resolve_queue", vm_id: "elsewhere", name: "jobs" },
            { op: "resolve_queue", name: "nope" },
            { op: "enqueue", queue: 9999, text: "x" },
            { op: "dequeue", queue: 9999 },
          ],
        }),
      ],
    );
    const r = await host.exchange(get());
    const registered = probeValues(host.logs.filter((l) => l.worker === 0), "on_configure", "register_queue")[0].id;
    const resolved = probeValues(r.logs, "on_request_headers", "resolve_queue");
    expect(resolved[0]).toMatchObject({ result: "Ok", id: registered });
    expect(resolved[1]).toMatchObject({ result: "Ok", id: registered });
    expect(resolved.slice(2).map((v) => v.result)).toEqual(["NotFound", "NotFound"]);
    expect(probeValues(r.logs, "on_request_headers", "enqueue")[0].result).toBe("NotFound");
    expect(probeValues(r.logs, "on_request_headers", "dequeue")[0].result).toBe("NotFound");
  });
});
