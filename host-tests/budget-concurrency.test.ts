// Bounded overshoot under concurrency: N requests in flight at once across 4 worker VMs against
// one budget. Envoy's workers run in parallel; here every get_shared_data may be followed (the
// harness's afterGet hook) by another worker's whole admission before the first worker writes,
// so the compare-and-swap path is taken, not just the happy one.
import { afterAll, describe, expect, it } from "vitest";
import { ManualClock } from "./harness/clock";
import type { EnvoyHost } from "./harness/host";
import type { HttpStream } from "./harness/api";
import { prng } from "./replay/split";
import { closeProbeHosts } from "./support/probe";
import { budgetHost, recorded, withBody } from "./support/budget";

afterAll(closeProbeHosts);

const BASE = recorded("openai/chat-basic"); // 9 prompt tokens
const PROMPT = 9;

interface Flight {
  reservation: number;
  stream: HttpStream;
  decided?: "admitted" | "refused";
  sendBody(): void;
  respond(): Promise<void>;
}

/** Opens a request on `worker` (headers only); its body, and so its admission, comes later. */
function open(host: EnvoyHost, worker: number, maxTokens: number, order: Flight[]): Flight {
  const ex = withBody(BASE, (b) => (b.max_tokens = maxTokens));
  const f: Flight = {
    reservation: PROMPT + maxTokens,
    stream: undefined as unknown as HttpStream,
    sendBody: () => f.stream.sendRequestData(ex.request.body, true),
    respond: async () => {
      f.stream.sendResponseHeaders([[":status", "200"], ...ex.response.headers], false);
      f.stream.sendResponseData(ex.response.body, true);
      await f.stream.done;
    },
  };
  f.stream = host.newStream(
    {
      onUpstreamData: (_d, end) => {
        if (end && !f.decided) {
          f.decided = "admitted";
          order.push(f);
        }
      },
      onDownstreamHeaders: (h) => {
        if (!f.decided && h.find(([k]) => k === ":status")?.[1] === "429") {
          f.decided = "refused";
          order.push(f);
        }
      },
    },
    { worker },
  );
  f.stream.sendRequestHeaders([[":method", "POST"], [":path", ex.request.path], [":authority", "api.openai.com"], ...ex.request.headers], false);
  return f;
}

/**
 * Sends every body; after some get_shared_data calls, a flight on another worker is admitted in
 * between (never the same worker: a VM runs one callback at a time, in Envoy as here).
 */
function admitAll(host: EnvoyHost, flights: Flight[], rand: () => number, interleave: number): void {
  const waiting = [...flights];
  let nested = 0;
  host.sharedData.afterGet = (_vm, _key, worker) => {
    if (nested > 0 || rand() >= interleave) return;
    const i = waiting.findIndex((f) => f.stream.worker !== worker);
    if (i < 0) return;
    nested++;
    waiting.splice(i, 1)[0].sendBody();
    nested--;
  };
  while (waiting.length > 0) waiting.shift()!.sendBody();
  host.sharedData.afterGet = undefined;
}

/** Counts set_shared_data calls that lost a compare-and-swap race. */
function countCasMismatches(host: EnvoyHost): () => number {
  let n = 0;
  const set = host.sharedData.set.bind(host.sharedData);
  host.sharedData.set = (vmId, key, value, cas) => {
    const r = set(vmId, key, value, cas);
    if (r === 8) n++;
    return r;
  };
  return () => n;
}

describe("reserve before admit, across 4 workers", () => {
  for (const [n, seed] of [[10, 1], [40, 2], [100, 3], [100, 4]] as const) {
    it(`N=${n} (seed ${seed}): admitted reservations never exceed the budget, and each decision is the one a serial ledger makes`, async () => {
      const rand = prng(seed);
      const budget = 2000 + Math.floor(rand() * 3000);
      const clock = new ManualClock(Date.UTC(2026, 0, 1, 9, 0, 0));
      const host = await budgetHost({ rules: [{ name: "shared", limit: { tokens: budget }, window: { calendar: "hour" } }] }, { workers: 4, clock });
      const order: Flight[] = [];
      const mismatches = countCasMismatches(host);
      const flights = Array.from({ length: n }, (_, i) => open(host, i % 4, 20 + Math.floor(rand() * 400), order));
      admitAll(host, flights, rand, 0.5);
      expect(order).toHaveLength(n);
      // Lost races happened, and were retried rather than written over.
      expect(mismatches()).toBeGreaterThan(0);

      // Replayed serially in decision order, a ledger admits exactly the same requests.
      let used = 0;
      for (const f of order) {
        const fits = used + f.reservation <= budget;
        expect(f.decided).toBe(fits ? "admitted" : "refused");
        if (fits) used += f.reservation;
      }
      const admitted = flights.filter((f) => f.decided === "admitted");
      const reserved = admitted.reduce((s, f) => s + f.reservation, 0);
      expect(reserved).toBeLessThanOrEqual(budget);
      expect(admitted.length).toBeGreaterThan(0);

      // Exhausted while they are in flight: nothing more that does not fit gets in, on any worker.
      const late = Array.from({ length: 8 }, (_, i) => open(host, i % 4, budget - reserved - PROMPT + 1 + i, order));
      admitAll(host, late, rand, 0.5);
      expect(late.map((f) => f.decided)).toEqual(late.map(() => "refused"));

      // Settlement: each call used 18 tokens; the spend is what was used, far below the budget.
      await Promise.all(admitted.map((f) => f.respond()));
      const spend = 18 * admitted.length;
      expect(spend).toBeLessThanOrEqual(budget + Math.max(...flights.map((f) => f.reservation)));
      await Promise.all([...flights, ...late].filter((f) => f.decided === "refused").map((f) => f.stream.done));
    });
  }

  it("after exhaustion nothing is admitted until the window moves", async () => {
    const clock = new ManualClock(Date.UTC(2026, 0, 1, 9, 30, 0));
    const host = await budgetHost({ rules: [{ name: "shared", limit: { tokens: 1000 }, window: { calendar: "hour" } }] }, { workers: 4, clock });
    const order: Flight[] = [];
    const hold = Array.from({ length: 4 }, (_, i) => open(host, i, 241, order)); // 4 × 250 = the whole budget
    admitAll(host, hold, prng(9), 0.5);
    expect(hold.every((f) => f.decided === "admitted")).toBe(true);
    for (const minutes of [0, 10, 29]) {
      if (minutes) await host.advance(minutes === 10 ? 10 * 60_000 : 19 * 60_000);
      const probe = Array.from({ length: 4 }, (_, i) => open(host, i, 1, order));
      admitAll(host, probe, prng(minutes), 0.5);
      expect(probe.map((f) => f.decided)).toEqual(["refused", "refused", "refused", "refused"]);
    }
    await host.advance(60_000); // 10:00: a new hour
    const after = Array.from({ length: 4 }, (_, i) => open(host, i, 1, order));
    admitAll(host, after, prng(5), 0.5);
    expect(after.every((f) => f.decided === "admitted")).toBe(true);
    await Promise.all([...hold, ...after].map((f) => f.respond()));
  });
});
