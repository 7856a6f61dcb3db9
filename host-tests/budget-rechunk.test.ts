// Chunk boundaries change no budget decision: every recording replayed with its request body cut
// at every byte (admission reads the request), with both bodies in one-byte chunks, and with
// random cuts (settlement reads the meter's usage of the response). Each replay charges its own
// key with a limit equal to the baseline's reservation (admitted only if the reservation is
// identical) or one less (always refused).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Exchange } from "./harness/api";
import type { EnvoyHost } from "./harness/host";
import { applyVariant, planVariants, type Variant } from "./replay/split";
import { closeProbeHosts } from "./support/probe";
import { allRecorded, as, budgetHost, budgetState } from "./support/budget";

let host: EnvoyHost;
beforeAll(async () => {
  host = await budgetHost({
    rules: [{ name: "per-run", key: [{ header: "x-run" }], limit: { tokens: 0 }, limit_from: ["metadata", "filter_metadata", "test", "limit"], window: { calendar: "day" } }],
  });
});
afterAll(closeProbeHosts);

let run = 0;
let decided = 0;
async function replay(ex: Exchange, limit: number) {
  const r = await host.exchange(as(ex, [["x-run", `run-${++run}`]], { metadata: { test: { limit } } }));
  expect(r.trap).toBeUndefined();
  return budgetState(r);
}

// Recordings the budget acts on: recognised LLM calls (the rule applies to every path).
const exchanges = allRecorded().filter((e) => e.request.body.length > 0);

describe("chunk boundaries change no budget decision", () => {
  it.each(exchanges.map((e) => [e.name!, e] as const))("%s", async (_name, ex) => {
    const base = await replay(ex, 1_000_000_000);
    if (base === undefined) return; // not an LLM call the meter recognises: nothing to decide
    decided++;
    const { reserved, settled } = base.rules[0];
    const variants: Variant[] = [
      ...planVariants({ kind: "every-byte" }, ex).filter((v) => v.label.startsWith("request@")),
      ...planVariants({ kind: "size", size: 1 }, ex),
      ...planVariants({ kind: "random", count: 4, seed: 7 }, ex).slice(1),
    ];
    for (const [i, v] of variants.entries()) {
      const tight = i % 5 === 0;
      const s = await replay(applyVariant(ex, v), tight ? reserved - 1 : reserved);
      if (tight) expect([v.label, s.decision, s.rules[0].reserved], v.label).toEqual([v.label, "rejected", reserved]);
      else expect([v.label, s.decision, s.rules[0].reserved, s.rules[0].settled]).toEqual([v.label, "admitted", reserved, settled]);
    }
  });

  it("covered the recordings (not skipped as unrecognised)", () => {
    expect(decided).toBeGreaterThanOrEqual(exchanges.length - 3);
  });
});
