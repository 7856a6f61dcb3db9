// Each Tollgate filter on each host profile: the bundled recordings never trap, and what the
// filter does there is the row of the table in examples/kong/README.md and examples/apisix/README.md.
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { Exchange, ExchangeResult, HostOptions, WasmFilterConfig } from "./harness/api";
import { allRecorded, budgetFilter, meterFilter, recorded, withBody } from "./support/budget";
import { closeProbeHosts, trackedHost } from "./support/probe";

afterEach(closeProbeHosts);

type Kind = "envoy" | "kong" | "apisix";
const HOSTS: Kind[] = ["envoy", "kong", "apisix"];
const PII_WASM = join(__dirname, "../dist/pii-redact.wasm");
const dec = new TextDecoder();
const enc = new TextEncoder();
let seq = 0;

const host = (kind: Kind, extra: HostOptions = {}): HostOptions => ({ host: kind, ...extra });
const pii = (config: unknown, vmId: string): WasmFilterConfig => ({ name: "pii-redact", rootId: "pii-redact", vmId, code: PII_WASM, configuration: JSON.stringify(config) });

/** The recorded response cut into `n`-byte chunks, so hosts see a body arrive in pieces. */
function chunked(ex: Exchange, n = 64): Exchange {
  const sizes: number[] = [];
  for (let i = 0; i < ex.response.body.length; i += n) sizes.push(Math.min(n, ex.response.body.length - i));
  return { ...ex, response: { ...ex.response, chunks: sizes } };
}

function withReply(ex: Exchange, edit: (text: string) => string, n: number): Exchange {
  const body = enc.encode(edit(dec.decode(ex.response.body)));
  return chunked({ ...ex, response: { ...ex.response, body, headers: ex.response.headers.filter(([k]) => k.toLowerCase() !== "content-length") } }, n);
}

const body = (r: ExchangeResult) => dec.decode(r.downstreamResponse?.body ?? r.localReply?.body ?? new Uint8Array());
const sent = (r: ExchangeResult) => dec.decode(r.upstreamRequest?.body ?? new Uint8Array());

async function replayAll(filters: WasmFilterConfig[], options: HostOptions): Promise<{ results: ExchangeResult[]; metrics: Record<string, number> }> {
  const h = await trackedHost(filters, options);
  const results: ExchangeResult[] = [];
  for (const ex of allRecorded()) results.push(await h.exchange(chunked(ex)));
  return { results, metrics: h.metrics() };
}

describe("every recording through each filter on each host: no trap, the reply as recorded", () => {
  for (const kind of HOSTS) {
    it(`${kind}: token-meter, budget and pii-redact`, async () => {
      const vm = `f${++seq}`;
      const chain = [
        pii({ entities: { EMAIL: { action: "redact" } }, directions: { request: true, response: false } }, vm),
        meterFilter({ include_usage: { inject: true } }, vm),
        budgetFilter({ rules: [{ name: "all", key: ["model"], limit: { tokens: 100_000_000 }, window: { calendar: "hour" } }] }, vm),
      ];
      const { results } = await replayAll(chain, host(kind));
      const recordings = allRecorded();
      expect(results).toHaveLength(recordings.length);
      for (const [i, r] of results.entries()) {
        expect(r.trap, recordings[i].name).toBeUndefined();
        expect(r.downstreamResponse?.status, recordings[i].name).toBe(recordings[i].response.status);
        expect(body(r), recordings[i].name).toBe(dec.decode(recordings[i].response.body));
      }
    }, 120_000);
  }
});

describe("token-meter", () => {
  it("Envoy: figures in filter state and wasmcustom stats; Kong: the same stats as pw.token-meter.*, no filter state; APISIX: neither", async () => {
    const run = async (kind: Kind) => replayAll([meterFilter({}, `m${++seq}`)], host(kind));
    const envoy = await run("envoy");
    const kong = await run("kong");
    const apisix = await run("apisix");

    expect(envoy.results.some((r) => r.filterState["tollgate.usage"] !== undefined)).toBe(true);
    const envoyStats = Object.keys(envoy.metrics).filter((k) => k.startsWith("tollgate."));
    expect(envoyStats.length).toBeGreaterThan(10);
    // Kong counts exactly what Envoy counts, under its own prefix (timings aside: they depend
    // on the run).
    const untimed = (m: Record<string, number>, prefix = "") =>
      Object.fromEntries(Object.entries(m).filter(([k]) => !k.includes("_ms")).map(([k, v]) => [k.slice(prefix.length), v]));
    expect(Object.keys(kong.metrics).every((k) => k.startsWith("pw.token-meter."))).toBe(true);
    expect(untimed(kong.metrics, "pw.token-meter.")).toEqual(untimed(envoy.metrics));
    expect(kong.results.every((r) => Object.keys(r.filterState).length === 0)).toBe(true);

    expect(apisix.metrics).toEqual({});
    expect(apisix.results.every((r) => Object.keys(r.filterState).length === 0)).toBe(true);
  }, 120_000);

  it("include_usage injection rewrites the request on Envoy and Kong; APISIX forwards it unchanged", async () => {
    const ex = recorded("openai/chat-stream-no-usage");
    for (const kind of HOSTS) {
      const h = await trackedHost([meterFilter({ include_usage: { inject: true } }, `i${++seq}`)], host(kind));
      const r = await h.exchange(chunked(ex));
      expect(r.trap).toBeUndefined();
      const injected = JSON.parse(sent(r)).stream_options?.include_usage === true;
      expect([kind, injected]).toEqual([kind, kind !== "apisix"]);
    }
  });
});

describe("budget", () => {
  const local = { rules: [{ name: "hourly", key: ["model"], limit: { tokens: 9_000 }, window: { calendar: "hour" } }] };

  async function statuses(kind: Kind, config: unknown, n: number, extra: HostOptions = {}): Promise<string[]> {
    const vm = `b${++seq}`;
    const h = await trackedHost([meterFilter({}, vm), budgetFilter(config, vm)], host(kind, extra));
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await h.exchange(recorded("openai/chat-basic"));
      expect(r.trap).toBeUndefined();
      out.push(String(r.downstreamResponse?.status ?? r.localReply?.status));
    }
    return out;
  }

  it("local rules: Kong counts in shared data but, without the meter's figures, keeps each reservation; APISIX has no shared data and admits every call uncharged", async () => {
    // Each call reserves its prompt plus the default 4096-token output cap. Envoy settles it to
    // the meter's usage (a few dozen tokens), so six calls fit in 9 000; on Kong the budget
    // cannot read the meter's filter state, the reservation stands, and the third call is refused.
    expect(await statuses("envoy", local, 6)).toEqual(["200", "200", "200", "200", "200", "200"]);
    expect(await statuses("kong", local, 4)).toEqual(["200", "200", "429", "429"]);
    expect(await statuses("apisix", local, 4)).toEqual(["200", "200", "200", "200"]);
  });

  it("global rules never trap: without gRPC callouts (Kong traps on proxy_grpc_call, APISIX answers Unimplemented) failure_mode decides", async () => {
    const global = (mode: string) => ({
      global: { cluster: "ratelimit", domain: "tollgate", timeout_ms: 200, failure_mode: mode },
      rules: [{ name: "g", key: ["model"], limit: { tokens: 10_000 }, window: { calendar: "hour" }, state: "global" }],
    });
    const dead = { clusters: { ratelimit: "h2c://127.0.0.1:9" } };
    for (const kind of ["kong", "apisix"] as const) {
      expect(await statuses(kind, global("open"), 3, dead)).toEqual(["200", "200", "200"]);
      expect(await statuses(kind, global("closed"), 2, dead)).toEqual(["503", "503"]);
    }
    // "local": Kong falls back to its shared data and refuses once spent; APISIX has none and admits
    expect(await statuses("kong", global("local"), 4, dead)).toEqual(["200", "200", "429", "429"]);
    expect(await statuses("apisix", global("local"), 4, dead)).toEqual(["200", "200", "200", "200"]);
  });
});

describe("pii-redact", () => {
  const both = { entities: { EMAIL: { action: "redact" }, SECRET: { action: "block" } }, directions: { request: true, response: true } };
  const prompt = (text: string) => withBody(recorded("openai/chat-basic"), (b) => (b.messages[b.messages.length - 1].content = text));

  it("a prompt to redact: rewritten on Envoy and Kong; APISIX cannot rewrite bodies, so it is refused (500) and never sent", async () => {
    for (const kind of HOSTS) {
      const h = await trackedHost([pii(both, `p${++seq}`)], host(kind));
      const r = await h.exchange(prompt("write to jane.doe@example.com"));
      expect(r.trap).toBeUndefined();
      if (kind === "apisix") {
        expect(r.localReply?.status).toBe(500);
        expect(body(r)).toContain("could not remove personal data");
        expect(sent(r)).toBe("");
      } else {
        expect(r.upstreamRequest).toBeDefined();
        expect(sent(r)).not.toContain("jane.doe@example.com");
        expect(sent(r)).toContain("[EMAIL]");
      }
    }
  });

  it("a prompt to block: 400 on every host (local replies work everywhere)", async () => {
    for (const kind of HOSTS) {
      const h = await trackedHost([pii(both, `p${++seq}`)], host(kind));
      const r = await h.exchange(prompt("my key is sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z".repeat(2)));
      expect([kind, r.localReply?.status, sent(r)]).toEqual([kind, 400, ""]);
    }
  });

  it("a non-streamed reply naming an address: Kong holds it whole (response buffering after the Pause) and redacts it like Envoy; APISIX ignores the Pause, passes every chunk on and cannot redact", async () => {
    const ex = withReply(recorded("openai/chat-basic"), (t) => t.replace(/"content": ?"/, '$&contact bob.smith@example.org. '), 16);
    const got: Record<string, ExchangeResult> = {};
    for (const kind of HOSTS) {
      const h = await trackedHost([pii(both, `p${++seq}`)], host(kind));
      got[kind] = await h.exchange(ex);
      expect(got[kind].trap).toBeUndefined();
    }
    expect(body(got.envoy)).not.toContain("bob.smith@example.org");
    expect(body(got.kong)).toBe(body(got.envoy));
    expect(got.kong.downstreamResponse?.chunks).toHaveLength(1);
    // the filter asks to hold the reply; APISIX passes each chunk on anyway, so what the filter
    // sees at the end is the last chunk alone: nothing it can parse, and nothing it could change
    expect(body(got.apisix)).toBe(dec.decode(ex.response.body));
    expect(got.apisix.downstreamResponse?.chunks).toHaveLength(ex.response.chunks!.length);
  });

  it("a streamed reply naming an address in 7-byte pieces: Envoy and Kong stream it redacted (no Pause needed); APISIX streams it as sent, unredacted", async () => {
    const ex = withReply(recorded("openai/chat-stream-usage-cached"), (t) => t.replace(/"content":"([^"]{3,})"/, '"content":"write to bob.smith@example.org now $1"'), 7);
    const got: Record<string, ExchangeResult> = {};
    for (const kind of HOSTS) {
      const h = await trackedHost([pii(both, `p${++seq}`)], host(kind));
      got[kind] = await h.exchange(ex);
      expect(got[kind].trap).toBeUndefined();
    }
    expect(body(got.envoy)).not.toContain("bob.smith");
    expect(body(got.kong)).toBe(body(got.envoy));
    expect(got.kong.downstreamResponse!.chunks.length).toBe(got.envoy.downstreamResponse!.chunks.length);
    expect(got.kong.downstreamResponse!.chunks.length).toBeGreaterThan(100);
    expect(body(got.apisix)).toBe(dec.decode(ex.response.body));
    expect(got.apisix.downstreamResponse?.chunks).toHaveLength(ex.response.chunks!.length);
    expect(got.apisix.logs.filter((l) => l.level === 3 && l.message.includes("refused to rewrite the reply"))).toHaveLength(1);
  });
});
