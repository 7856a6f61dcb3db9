import { describe, it, expect } from "vitest";
import { resolve } from "node:path";
import type { Exchange, ExchangeResult, Host } from "./harness/api";
import { loadCassette } from "./replay/cassette";
import { applyVariant, countVariants, fixedChunks, parseSplit, planVariants, randomChunks, prng } from "./replay/split";
import { runExchanges } from "./replay/run";
import { createHost as routerOnly } from "./replay/testing/router-only-host";

const ex = (req: string, res: string, name = "x"): Exchange => ({
  name,
  request: { method: "POST", path: "/", headers: [], body: new TextEncoder().encode(req) },
  response: { status: 200, headers: [], body: new TextEncoder().encode(res), chunks: [res.length - 2, 2], gapsMs: [0, 5] },
});
const sum = (a: number[] | undefined) => (a ?? []).reduce((x, y) => x + y, 0);

describe("split modes", () => {
  it("parses every mode and rejects the rest", () => {
    expect(parseSplit("recorded")).toEqual({ kind: "recorded" });
    expect(parseSplit("size:7")).toEqual({ kind: "size", size: 7 });
    expect(parseSplit("every-byte")).toEqual({ kind: "every-byte" });
    expect(parseSplit("random:5:42")).toEqual({ kind: "random", count: 5, seed: 42 });
    const unseeded = parseSplit("random:3");
    expect(unseeded.kind === "random" && Number.isInteger(unseeded.seed)).toBe(true);
    for (const bad of ["size:0", "random:0", "bytes", "size:", "random:x"]) expect(() => parseSplit(bad)).toThrow(/--split/);
  });

  it("recorded keeps chunks and gaps; size:N cuts both bodies", () => {
    const e = ex("abcdefg", "0123456789");
    expect(planVariants({ kind: "recorded" }, e)).toEqual([{ label: "recorded", requestChunks: undefined, responseChunks: [8, 2], gapsMs: [0, 5] }]);
    const [v] = planVariants({ kind: "size", size: 4 }, e);
    expect(v.requestChunks).toEqual([4, 3]);
    expect(v.responseChunks).toEqual([4, 4, 2]);
    expect(v.gapsMs).toBeUndefined();
    expect(fixedChunks(0, 4)).toEqual([]);
  });

  it("every-byte: the baseline plus one two-chunk split per offset of each body", () => {
    const e = ex("abc", "0123456789");
    const plan = planVariants({ kind: "every-byte" }, e);
    expect(plan).toHaveLength(1 + 9 + 2);
    expect(countVariants({ kind: "every-byte" }, e)).toBe(plan.length);
    expect(plan[1]).toMatchObject({ label: "response@1", responseChunks: [1, 9] });
    expect(plan[9]).toMatchObject({ label: "response@9", responseChunks: [9, 1] });
    expect(plan[10]).toMatchObject({ label: "request@1", requestChunks: [1, 2], responseChunks: [8, 2] });
    const offsets = new Set(plan.slice(1, 10).map((v) => v.responseChunks![0]));
    expect(offsets.size).toBe(9);
  });

  it("random:N[:SEED] is deterministic per seed and exchange, and always covers the body", () => {
    const e = ex("a".repeat(100), "b".repeat(5000));
    const a = planVariants({ kind: "random", count: 20, seed: 7 }, e);
    const b = planVariants({ kind: "random", count: 20, seed: 7 }, e);
    const c = planVariants({ kind: "random", count: 20, seed: 8 }, e);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toHaveLength(21);
    for (const v of a.slice(1)) {
      expect(sum(v.requestChunks)).toBe(100);
      expect(sum(v.responseChunks)).toBe(5000);
      expect(v.responseChunks!.every((n) => n > 0)).toBe(true);
      expect(v.responseChunks!.length).toBeGreaterThanOrEqual(2);
    }
    // Another exchange name gives other splits with the same seed.
    expect(planVariants({ kind: "random", count: 20, seed: 7 }, { ...e, name: "y" })).not.toEqual(a);
    const r = prng(1);
    expect(randomChunks(1, r)).toEqual([1]);
    expect(randomChunks(0, r)).toEqual([]);
  });

  it("applyVariant re-chunks without touching the bytes", () => {
    const e = ex("abc", "0123456789");
    const v = applyVariant(e, { label: "t", requestChunks: [1, 2], responseChunks: [5, 5] });
    expect(v.response.body).toBe(e.response.body);
    expect(v.response.chunks).toEqual([5, 5]);
    expect(v.response.gapsMs).toBeUndefined();
    expect(e.response.chunks).toEqual([8, 2]);
  });
});

describe("split runs find chunk-boundary bugs", () => {
  // A host whose "filter" drops a byte when an SSE event's "\n\n" is cut between two chunks:
  // the kind of bug every-byte exists to find.
  function buggyHost(): Host {
    const inner = routerOnly([]);
    return {
      ...inner,
      async exchange(e: Exchange): Promise<ExchangeResult> {
        const r = await inner.exchange(e);
        const body = e.response.body;
        let off = 0;
        let broken = false;
        for (const n of e.response.chunks ?? [body.length]) {
          off += n;
          if (off < body.length && body[off - 1] === 0x0a && body[off] === 0x0a) broken = true;
        }
        if (broken) r.downstreamResponse!.body = r.downstreamResponse!.body.subarray(1);
        return r;
      },
    };
  }

  it("every-byte over a real SSE recording reports exactly the splits that cut a blank line", async () => {
    const cassette = loadCassette(resolve(__dirname, "recordings/cassettes/anthropic.yaml"));
    const item = cassette.exchanges.find((x) => x.name === "anthropic/messages-stream-text")!;
    const body = item.exchange.response.body;
    let expected = 0;
    for (let k = 1; k < body.length; k++) if (body[k - 1] === 0x0a && body[k] === 0x0a) expected++;
    expect(expected).toBeGreaterThan(3);
    const progress: number[] = [];
    const [o] = await runExchanges([item], { newHost: async () => buggyHost(), split: { kind: "every-byte" }, onProgress: (d) => progress.push(d) });
    expect(o.replays).toBe(1 + (body.length - 1) + (item.exchange.request.body.length - 1));
    expect(progress.at(-1)).toBe(o.replays);
    expect(o.mismatchCount).toBe(expected);
    expect(o.mismatches[0].label).toMatch(/^response@\d+$/);
    expect(o.mismatches[0].differences[0]).toMatch(/^downstreamResponse\.body: \d+ vs \d+ bytes, first difference at byte 0$/);
  });

  it("the router-only chain is split-invariant on every recording (random splits)", async () => {
    const items = loadCassette(resolve(__dirname, "recordings/cassettes/openai.yaml")).exchanges;
    const outcomes = await runExchanges(items, { newHost: async () => routerOnly([]), split: { kind: "random", count: 10, seed: 1 }, concurrency: 4 });
    expect(outcomes.map((o) => o.item.name)).toEqual(items.map((i) => i.name));
    expect(outcomes.every((o) => o.replays === 11 && o.mismatchCount === 0 && !o.error)).toBe(true);
  });

  it("a fresh host per replay when asked", async () => {
    const items = loadCassette(resolve(__dirname, "recordings/cassettes/groq.yaml")).exchanges;
    let made = 0;
    let closed = 0;
    const newHost = async () => {
      made++;
      const h = routerOnly([]);
      return { ...h, close: async () => void closed++ };
    };
    await runExchanges(items, { newHost, split: { kind: "random", count: 2, seed: 3 }, freshHost: true });
    expect(made).toBe(items.length * 3);
    expect(closed).toBe(made);
    made = closed = 0;
    await runExchanges(items, { newHost, split: { kind: "random", count: 2, seed: 3 } });
    expect([made, closed]).toEqual([1, 1]);
  });
});
