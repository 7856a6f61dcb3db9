// The seed scenario: consumers A, B and C with 10,000 / 20,000 / 5,000 tokens an hour on
// gpt-4o-mini and a 50,000-token model-wide hour. A recorded gpt-4o-mini mix is replayed for
// 90 minutes, one request a minute, each answered 25 minutes later (long agent runs) (so several are in flight).
// Who is refused, when and by which rule is checked against a serial model of the ledger fed
// with the meter's own figures for each recording.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "./harness/clock";
import type { EnvoyHost } from "./harness/host";
import type { Exchange, HttpStream } from "./harness/api";
import { closeProbeHosts, trackedHost } from "./support/probe";
import { as, budgetHost, meterFilter, recorded, withBody } from "./support/budget";

afterAll(closeProbeHosts);

const MIX = ["openai/chat-basic", "openai/chat-n2", "openai/chat-stream-tool-calls", "openai/chat-tool-call"];
// D to G are other consumers on the default 10,000: without them A, B and C (35,000 together) could never reach the model-wide hour.
const CONSUMERS = ["A", "B", "C", "D", "E", "F", "G"];
const CAPS = [2500, 4000, 1200, 5000, 1800, 6000];
const LIMITS: Record<string, number> = { A: 10_000, B: 20_000, C: 5_000, D: 10_000, E: 10_000, F: 10_000, G: 10_000 };
const MODEL_LIMIT = 50_000;
const START = Date.UTC(2026, 4, 4, 9, 0, 0);
const MINUTE = 60_000;
const LATENCY = 25 * MINUTE;
const REQUESTS = 90;

const config = {
  rules: [
    { name: "consumer", match: { models: ["gpt-4o-mini*"] }, key: [{ header: "x-consumer" }], limit: { tokens: 10_000 }, overrides: { B: 20_000, C: 5_000 }, window: { calendar: "hour" } },
    { name: "model-hourly", match: { models: ["gpt-4o-mini*"] }, key: ["model"], limit: { tokens: MODEL_LIMIT }, window: { calendar: "hour" } },
  ],
};

interface Figures { prompt: number; n: number; used: number }
const figures = new Map<string, Figures>();

beforeAll(async () => {
  // What the meter makes of each recording: prompt tokens at admission, input + output at the end.
  const meter: EnvoyHost = await trackedHost([meterFilter()]);
  for (const name of MIX) {
    const r = await meter.exchange(recorded(name));
    const req = JSON.parse(new TextDecoder().decode(r.filterState["tollgate.request_tokens"]));
    const usage = JSON.parse(new TextDecoder().decode(r.filterState["tollgate.usage"]));
    figures.set(name, { prompt: req.prompt, n: req.n, used: usage.input + usage.output });
  }
});

interface Planned { k: number; at: number; consumer: string; name: string; cap: number; ex: Exchange }

function plan(): Planned[] {
  return Array.from({ length: REQUESTS }, (_, k) => {
    const name = MIX[k % MIX.length];
    const cap = CAPS[k % CAPS.length];
    const consumer = CONSUMERS[k % CONSUMERS.length];
    return { k, at: START + k * MINUTE, consumer, name, cap, ex: withBody(as(recorded(name), [["x-consumer", consumer]]), (b) => (b.max_tokens = cap)) };
  });
}

type Decision = { k: number; consumer: string; minute: number; decision: string; rule?: string };

/** A serial ledger per (rule, key), calendar hours, reserve-all-or-nothing, settle in the same hour only. */
function model(requests: Planned[]): Decision[] {
  const ledgers = new Map<string, { hour: number; used: number }>();
  const hourOf = (t: number) => Math.floor(t / 3_600_000);
  const used = (key: string, t: number) => {
    const l = ledgers.get(key);
    return l && l.hour === hourOf(t) ? l.used : 0;
  };
  const add = (key: string, hour: number, delta: number) => {
    const l = ledgers.get(key);
    if (!l || l.hour < hour) ledgers.set(key, { hour, used: Math.max(0, delta) });
    else if (l.hour === hour) l.used = Math.max(0, l.used + delta);
  };
  const out: Decision[] = [];
  const pending: Array<{ due: number; hour: number; reserve: number; used: number; keys: string[] }> = [];
  for (const p of requests) {
    for (const s of pending.filter((x) => x.due <= p.at).sort((a, b) => a.due - b.due)) {
      for (const key of s.keys) add(key, s.hour, s.used - s.reserve);
      pending.splice(pending.indexOf(s), 1);
    }
    const f = figures.get(p.name)!;
    const reserve = f.prompt + p.cap * f.n;
    const checks: Array<[string, string, number]> = [["consumer", `consumer/${p.consumer}`, LIMITS[p.consumer]], ["model-hourly", "model/gpt-4o-mini", MODEL_LIMIT]];
    const refusedBy = checks.find(([, key, limit]) => used(key, p.at) + reserve > limit);
    const minute = (p.at - START) / MINUTE;
    if (refusedBy) {
      out.push({ k: p.k, consumer: p.consumer, minute, decision: "rejected", rule: refusedBy[0] });
      continue;
    }
    for (const [, key] of checks) add(key, hourOf(p.at), reserve);
    pending.push({ due: p.at + LATENCY, hour: hourOf(p.at), reserve, used: f.used, keys: checks.map((c) => c[1]) });
    out.push({ k: p.k, consumer: p.consumer, minute, decision: "admitted" });
  }
  return out;
}

/** Drives the host through the plan on a manual clock: admissions on the minute, answers 25 minutes later. */
async function replay(host: EnvoyHost, clock: ManualClock, requests: Planned[]): Promise<Decision[]> {
  const out: Decision[] = [];
  const inFlight: Array<{ due: number; stream: HttpStream; ex: Exchange }> = [];
  const answer = async (f: (typeof inFlight)[number]) => {
    f.stream.sendResponseHeaders([[":status", String(f.ex.response.status)], ...f.ex.response.headers], false);
    f.stream.sendResponseData(f.ex.response.body, true);
    await f.stream.done;
  };
  for (const p of requests) {
    const due = inFlight.filter((f) => f.due <= p.at);
    for (const f of due) {
      await host.advance(Number(BigInt(f.due) - clock.nowNs() / 1_000_000n));
      await answer(f);
      inFlight.splice(inFlight.indexOf(f), 1);
    }
    await host.advance(Number(BigInt(p.at) - clock.nowNs() / 1_000_000n));
    let status = 0;
    let rule: string | undefined;
    const stream = host.newStream({
      onDownstreamHeaders: (h) => {
        status = Number(h.find(([k]) => k === ":status")?.[1]);
        rule = h.find(([k]) => k === "x-tollgate-budget-rule")?.[1];
      },
    });
    stream.sendRequestHeaders([[":method", "POST"], [":path", p.ex.request.path], [":authority", "api.openai.com"], ...p.ex.request.headers], false);
    stream.sendRequestData(p.ex.request.body, true);
    const minute = (p.at - START) / MINUTE;
    if (status === 429) {
      out.push({ k: p.k, consumer: p.consumer, minute, decision: "rejected", rule });
      await stream.done;
    } else {
      out.push({ k: p.k, consumer: p.consumer, minute, decision: "admitted" });
      inFlight.push({ due: p.at + LATENCY, stream, ex: p.ex });
    }
  }
  for (const f of inFlight) await answer(f);
  return out;
}

describe("seed scenario: A 10k, B 20k, C 5k an hour on gpt-4o-mini, 50k model-wide", () => {
  it("refuses exactly whom a serial ledger would, when it would, by the rule it would", async () => {
    const clock = new ManualClock(START);
    const host = await budgetHost(config, { workers: 4, clock });
    const requests = plan();
    const expected = model(requests);
    const got = await replay(host, clock, requests);
    expect(got).toEqual(expected);

    const refused = got.filter((d) => d.decision === "rejected");
    const first = (c: string) => refused.find((d) => d.consumer === c && d.rule === "consumer")?.minute ?? Infinity;
    // The smallest budget runs out first, the largest last (or never within the hour).
    expect(first("C")).toBeLessThan(first("A"));
    expect(first("A")).toBeLessThan(first("B"));
    // The model-wide hour refuses someone whose own budget still had room.
    expect(refused.some((d) => d.rule === "model-hourly")).toBe(true);
    // In the new hour each consumer's first request that fits its whole budget is admitted again.
    for (const c of ["A", "B", "C"]) {
      const fits = (d: Decision) => {
        const p = requests[d.k];
        const f = figures.get(p.name)!;
        return f.prompt + p.cap * f.n <= LIMITS[c];
      };
      const firstFitting = got.find((d) => d.consumer === c && d.minute >= 60 && fits(d));
      expect(firstFitting?.decision).toBe("admitted");
    }
    const m = host.metrics();
    expect(m["tollgate.budget.rejected.rule=.consumer;"] ?? 0).toBe(refused.filter((d) => d.rule === "consumer").length);
    expect(m["tollgate.budget.rejected.rule=.model-hourly;"] ?? 0).toBe(refused.filter((d) => d.rule === "model-hourly").length);
  });
});
