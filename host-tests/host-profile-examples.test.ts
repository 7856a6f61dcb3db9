// examples/kong and examples/apisix: every filter configuration in them validates against the
// filter's published JSON Schema, and the recordings replay through each chain on the matching
// host profile. Routing is not modelled: every recording goes through every chain.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Exchange, ExchangeResult, HostOptions, WasmFilterConfig } from "./harness/api";
import { allRecorded, recorded, withBody } from "./support/budget";
import { schemaErrorPaths } from "./support/config-check";
import { apisixHarnessFilters, apisixRoutes, apisixWasmPlugins } from "./support/host-configs-apisix";
import { kongChains, kongHarnessFilters } from "./support/host-configs-kong";
import { closeProbeHosts, trackedHost } from "./support/probe";

afterEach(closeProbeHosts);

const ROOT = join(__dirname, "..");
const dec = new TextDecoder();

function validator(filter: string) {
  return schemaErrorPaths(JSON.parse(readFileSync(join(ROOT, "filters", filter, "config.schema.json"), "utf8")));
}

function chunked(ex: Exchange, n = 64): Exchange {
  const sizes: number[] = [];
  for (let i = 0; i < ex.response.body.length; i += n) sizes.push(Math.min(n, ex.response.body.length - i));
  return { ...ex, response: { ...ex.response, chunks: sizes } };
}

let seq = 0;
/** The chain with vm ids of its own, so shared data does not carry over between hosts. */
function fresh(filters: WasmFilterConfig[]): WasmFilterConfig[] {
  const n = ++seq;
  return filters.map((f) => ({ ...f, vmId: `${f.vmId}-${n}` }));
}

async function replay(filters: WasmFilterConfig[], options: HostOptions): Promise<{ results: ExchangeResult[]; metrics: Record<string, number> }> {
  const h = await trackedHost(fresh(filters), options);
  const results: ExchangeResult[] = [];
  for (const ex of allRecorded()) results.push(await h.exchange(chunked(ex)));
  return { results, metrics: h.metrics() };
}

describe("examples/kong/kong.yaml", () => {
  const chains = kongChains();

  it("has the chains the README describes, and every filter config validates against its schema", () => {
    expect(chains.map((c) => `${c.service}/${c.chain}: ${c.filters.map((f) => f.name).join(",")}`)).toEqual([
      "openai/tollgate: pii-redact,token-meter,budget",
      "anthropic/tollgate-anthropic: token-meter",
    ]);
    for (const c of chains) for (const f of c.filters) expect([c.chain, f.name, validator(f.name).errorPaths(f.config)]).toEqual([c.chain, f.name, []]);
  });

  for (const [i, chain] of chains.entries()) {
    it(`chain ${i + 1} (${chain.chain}): every recording on the Kong profile, no trap, the client gets what it gets on Envoy`, async () => {
      const filters = kongHarnessFilters(chain);
      const kong = await replay(filters, { host: "kong" });
      const envoy = await replay(filters, {});
      const recordings = allRecorded();
      for (const [j, r] of kong.results.entries()) {
        const name = recordings[j].name;
        expect(r.trap, name).toBeUndefined();
        expect(r.downstreamResponse?.status, name).toBe(envoy.results[j].downstreamResponse?.status);
        expect(dec.decode(r.downstreamResponse?.body), name).toBe(dec.decode(envoy.results[j].downstreamResponse?.body));
        expect(dec.decode(r.upstreamRequest?.body), name).toBe(dec.decode(envoy.results[j].upstreamRequest?.body));
      }
      // Each filter's metrics are there, under Kong's pw.<filter>. prefix.
      for (const f of chain.filters) expect(Object.keys(kong.metrics).some((k) => k.startsWith(`pw.${f.name}.tollgate.`)), f.name).toBe(true);
    }, 120_000);
  }
});

describe("examples/apisix", () => {
  const routes = apisixRoutes();

  it("registers pii-redact only, and every route's conf validates against its schema", () => {
    expect(apisixWasmPlugins().map((p) => p.name)).toEqual(["pii-redact"]);
    expect(routes.map((r) => `${r.id}: ${r.filters.map((f) => f.name).join(",")}`)).toEqual(["openai-v1: pii-redact"]);
    for (const r of routes) for (const f of r.filters) expect([r.id, f.name, validator(f.name).errorPaths(f.config)]).toEqual([r.id, f.name, []]);
  });

  it("every recording through the route on the APISIX profile: no trap, request and reply untouched", async () => {
    const { results } = await replay(apisixHarnessFilters(routes[0]), { host: "apisix" });
    const recordings = allRecorded();
    for (const [j, r] of results.entries()) {
      const ex = recordings[j];
      expect(r.trap, ex.name).toBeUndefined();
      expect(r.downstreamResponse?.status, ex.name).toBe(ex.response.status);
      expect(dec.decode(r.downstreamResponse?.body), ex.name).toBe(dec.decode(ex.response.body));
      expect(dec.decode(r.upstreamRequest?.body), ex.name).toBe(dec.decode(ex.request.body));
    }
  }, 120_000);

  it("a prompt carrying an address is refused with 400 naming the type, and never sent", async () => {
    const h = await trackedHost(fresh(apisixHarnessFilters(routes[0])), { host: "apisix" });
    const r = await h.exchange(withBody(recorded("openai/chat-basic"), (b) => (b.messages[b.messages.length - 1].content = "mail jane.doe@example.com")));
    expect(r.trap).toBeUndefined();
    expect(r.localReply?.status).toBe(400);
    expect(dec.decode(r.localReply?.body)).toMatch(/EMAIL/);
    expect(dec.decode(r.upstreamRequest?.body)).not.toContain("jane.doe");
  });
});
