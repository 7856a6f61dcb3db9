// The bundle (dist/tollgate.wasm): pii-redact → token-meter → budget loaded from one module into one
// VM per worker (same vm_id, same code, three root ids) must behave exactly like the three separate
// modules: same filter state, same bytes to the upstream and the client, same stats. A difference
// would mean module-level state of one filter leaking into another once they share linear memory.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Exchange, ExchangeResult, WasmFilterConfig } from "./harness/api";
import { ManualClock } from "./harness/clock";
import { allRecorded, as, recorded } from "./support/budget";
import { closeProbeHosts, trackedHost } from "./support/probe";

afterAll(closeProbeHosts);

const ROOT = resolve(__dirname, "..");
const dist = (name: string) => join(ROOT, "dist", `${name}.wasm`);
const dec = new TextDecoder();
const enc = new TextEncoder();

const CONFIGS: Record<string, unknown> = {
  "pii-redact": { entities: { EMAIL: { action: "tokenise" }, PHONE: { action: "mask" }, CREDIT_CARD: { action: "redact" } } },
  "token-meter": {},
  // Small enough that the later replays are refused: both admission and refusal paths compared.
  budget: { rules: [{ name: "tenant", key: [{ header: "x-tenant" }], limit: { tokens: 6000 }, window: { calendar: "hour" } }], default_output_cap: 256 },
};
const ORDER = ["pii-redact", "token-meter", "budget"];

let seq = 0;
function chain(bundle: boolean): WasmFilterConfig[] {
  const vmId = `bundle-${++seq}`;
  return ORDER.map((rootId) => ({
    name: rootId, rootId, vmId,
    code: bundle ? dist("tollgate") : dist(rootId),
    configuration: JSON.stringify(CONFIGS[rootId]),
  }));
}

// Personal data in the prompt and in the reply, so pii-redact rewrites bodies in both directions.
function withPii(ex: Exchange): Exchange {
  const req = JSON.parse(dec.decode(ex.request.body));
  req.messages[0].content = "Write to ann.lee@example.com or call +1 (415) 555-0100; card 4111 1111 1111 1111.";
  const res = JSON.parse(dec.decode(ex.response.body));
  res.choices[0].message.content = "I will mail ann.lee@example.com today.";
  return {
    ...ex,
    request: { ...ex.request, body: enc.encode(JSON.stringify(req)), chunks: undefined },
    response: { ...ex.response, body: enc.encode(JSON.stringify(res)), chunks: undefined },
  };
}

// Everything a user or the next filter can observe of one exchange.
function observed(r: ExchangeResult) {
  const text = (b?: Uint8Array) => (b === undefined ? undefined : dec.decode(b));
  return {
    trap: r.trap,
    worker: r.worker,
    filterState: Object.fromEntries(Object.entries(r.filterState).map(([k, v]) => [k, text(v)]).sort()),
    upstream: r.upstreamRequest && { headers: r.upstreamRequest.headers, body: text(r.upstreamRequest.body) },
    downstream: r.downstreamResponse && { status: r.downstreamResponse.status, headers: r.downstreamResponse.headers, body: text(r.downstreamResponse.body) },
    localReply: r.localReply && { status: r.localReply.status, headers: r.localReply.headers, body: text(r.localReply.body) },
    reset: r.reset,
  };
}

const withoutBuildInfo = (m: Record<string, number>) => Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith("tollgate.build_info")));

describe("the tollgate bundle", () => {
  it("registers the three root ids and not the audit filter's", async () => {
    const text = readFileSync(join(ROOT, "filters/tollgate/index.ts"), "utf8");
    expect([...text.matchAll(/registerRootContext\("([^"]+)"/g)].map((m) => m[1]).sort()).toEqual(["budget", "pii-redact", "token-meter"]);
    await expect(trackedHost([{ name: "audit", rootId: "audit", vmId: `bundle-${++seq}`, code: dist("tollgate"), configuration: "{}" }]))
      .rejects.toThrow(/audit/);
  });

  it("replays every recording with the same filter state, bytes and stats as the separate modules", async () => {
    // A fixed x-request-id: the host would otherwise make up a random one per run.
    const exchanges = [
      ...allRecorded().map((ex) => [ex, "acme"] as const),
      [withPii(recorded("openai/chat-basic")), "pii"] as const,
      [withPii(recorded("openai/chat-n2")), "pii"] as const,
    ].map(([ex, tenant], i) => as(ex, [["x-tenant", tenant], ["x-request-id", `replay-${i}`]]));
    const run = async (bundle: boolean) => {
      const host = await trackedHost(chain(bundle), { workers: 2, clock: new ManualClock(Date.parse("2026-01-01T10:00:00Z")) });
      const out = [];
      for (const ex of exchanges) out.push(observed(await host.exchange(ex)));
      return { out, metrics: withoutBuildInfo(host.metrics()), host };
    };
    const separate = await run(false);
    const bundled = await run(true);

    // One VM per worker holds all three roots (plus the canary's); three with separate modules.
    expect(bundled.host.vmsOn(0)).toHaveLength(1);
    expect(separate.host.vmsOn(0)).toHaveLength(3);

    for (let i = 0; i < exchanges.length; i++) {
      expect(bundled.out[i], exchanges[i].name ?? String(i)).toEqual(separate.out[i]);
      expect(bundled.out[i].trap).toBeUndefined();
    }
    expect(bundled.metrics).toEqual(separate.metrics);

    // The replay exercised every filter: metered, admitted and refused, PII rewritten both ways.
    const states = bundled.out.map((o) => o.filterState);
    expect(states.filter((s) => s["tollgate.usage"] !== undefined).length).toBeGreaterThan(20);
    const decisions = new Set(states.map((s) => s["tollgate.budget"] && JSON.parse(s["tollgate.budget"]).decision));
    expect(decisions).toContain("admitted");
    expect(decisions).toContain("rejected");
    const pii = bundled.out.filter((o) => o.filterState["tollgate.pii"] !== undefined);
    expect(pii.length).toBeGreaterThan(0);
    expect(pii.every((o) => !o.upstream?.body?.includes("ann.lee@example.com"))).toBe(true);
  });
});
