// The token meter (dist/token-meter.wasm) on real provider traffic, judged against the
// independent TypeScript reference (support/usage-oracle.ts) and js-tiktoken.
import { getEncoding } from "js-tiktoken";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Exchange, ExchangeResult } from "./harness/api";
import { ConfigRejectedError } from "./harness/index";
import type { EnvoyHost } from "./harness/host";
import { loadBootstrap } from "./harness/bootstrap";
import { loadCassette } from "./replay/cassette";
import { applyVariant, planVariants } from "./replay/split";
import { closeProbeHosts, trackedHost } from "./support/probe";
import { costMicroUsd, recognise, usageFrom, type PriceTable } from "./support/usage-oracle";

const ROOT = resolve(__dirname, "..");
const WASM = join(ROOT, "dist/token-meter.wasm");
const CASSETTES = join(__dirname, "recordings/cassettes");
const PRICES = JSON.parse(readFileSync(join(ROOT, "filters/token-meter/prices.json"), "utf8")) as PriceTable;
const dec = new TextDecoder();
const enc = new TextEncoder();

const exchanges: Exchange[] = readdirSync(CASSETTES)
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((f) => loadCassette(join(CASSETTES, f)).exchanges.map((e) => e.exchange));

function meterHost(configuration = "{}"): Promise<EnvoyHost> {
  return trackedHost([{ name: "token-meter", rootId: "token-meter", vmId: "tollgate", code: WASM, configuration }]);
}

function state(r: ExchangeResult): Record<string, string> {
  return Object.fromEntries(Object.entries(r.filterState).map(([k, v]) => [k, dec.decode(v)]));
}

function header(h: Array<[string, string]>, name: string): string | undefined {
  return h.find(([k]) => k.toLowerCase() === name)?.[1];
}

/** The oracle's verdict for an exchange as recorded (null: nothing to meter or no usage). */
function expected(ex: Exchange) {
  // The filter sees :authority (the host falls back to localhost when a cassette names none).
  const headers: Array<[string, string]> = [[":authority", ex.request.authority ?? "localhost"], ...ex.request.headers];
  const rec = recognise(ex.request.method, ex.request.path, headers, ex.request.body.length ? ex.request.body : null);
  const usage = rec.provider === "unknown" ? null : usageFrom(rec.provider, rec.operation, ex.response.headers, ex.response.body, header(ex.response.headers, "content-type") ?? null);
  return { rec, usage };
}

const figures = (u: { input: number; output: number; cached_input: number; cache_write: number; reasoning: number }) =>
  [u.input, u.output, u.cached_input, u.cache_write, u.reasoning];

let host: EnvoyHost;
beforeAll(async () => {
  host = await meterHost();
});
afterAll(closeProbeHosts);

describe("token meter on every recording", () => {
  it.each(exchanges.map((e) => [e.name ?? "?", e] as const))("%s", async (_name, ex) => {
    const { rec, usage } = expected(ex);
    const r = await host.exchange(ex);
    const fs = state(r);
    expect(r.trap).toBeUndefined();
    // Metering never changes what the client receives for a recorded exchange.
    expect(Buffer.from(r.downstreamResponse!.body).equals(Buffer.from(ex.response.body))).toBe(true);
    if (rec.provider === "unknown") {
      expect(fs["tollgate.usage"]).toBeUndefined();
      return;
    }
    expect(fs["tollgate.provider"]).toBe(rec.provider);
    // Metered requests ask for identity encoding so the response can be read.
    expect(header(r.upstreamRequest!.headers, "accept-encoding")).toBeUndefined();
    const got = JSON.parse(fs["tollgate.usage"]);
    if (usage === null) {
      expect(got.source.output).not.toBe("reported");
      if (ex.response.status >= 400) {
        // Providers do not bill rejected requests: nothing is metered or priced.
        expect([got.input, got.output]).toEqual([0, 0]);
        expect(fs["tollgate.cost_micro_usd"]).toBeUndefined();
      }
      return;
    }
    expect(figures(got)).toEqual(figures(usage));
    expect(got.total).toBe(usage.input + usage.output);
    expect(got.source).toEqual({ input: "reported", output: "reported" });
    const model = JSON.parse(fs["tollgate.model"]);
    expect(model.requested).toBe(rec.model);
    const cost = costMicroUsd(usage, usage.model ?? rec.model ?? "", PRICES, rec.provider);
    if (cost === null) expect(fs["tollgate.cost_micro_usd"]).toBeUndefined();
    else expect(Number(fs["tollgate.cost_micro_usd"])).toBe(cost);
  });
});

describe("chunk boundaries change nothing", () => {
  const streamed = exchanges.filter((e) => /event-stream|ndjson|eventstream/.test(header(e.response.headers, "content-type") ?? "") || e.name?.includes("json-array"));

  it("every response split point and 100 random splits of both bodies give the recorded figures", async () => {
    let replays = 0;
    for (const ex of streamed) {
      const baseline = state(await host.exchange(ex))["tollgate.usage"];
      const variants = [...planVariants({ kind: "every-byte" }, { ...ex, request: { ...ex.request, body: new Uint8Array() } }).slice(1), ...planVariants({ kind: "random", count: 100, seed: 7 }, ex).slice(1)];
      for (const v of variants) {
        const r = await host.exchange(applyVariant(ex, { ...v, requestChunks: v.requestChunks?.length ? v.requestChunks : undefined }));
        replays++;
        const got = state(r)["tollgate.usage"];
        if (got !== baseline) throw new Error(`${ex.name} ${v.label}: ${got} != ${baseline}`);
      }
    }
    expect(replays).toBeGreaterThan(10_000);
  }, 600_000);
});

const rec = (p: string) => new Uint8Array(readFileSync(join(__dirname, "recordings", p)));
const sse = (p: string) => dec.decode(rec(p)).split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6)));

function chat(body: Uint8Array, response: Uint8Array, extra: Partial<Exchange["response"]> = {}): Exchange {
  return {
    name: "chat",
    request: { method: "POST", path: "/v1/chat/completions", authority: "api.openai.com", headers: [["content-type", "application/json"], ["content-length", String(body.length)]], body },
    response: { status: 200, headers: [["content-type", "text/event-stream"]], body: response, ...extra },
  };
}

describe("compressed responses", () => {
  it.each([["gzip", gzipSync], ["deflate", deflateSync]] as const)("meters a %s body the provider sent anyway, passing the client the original bytes", async (encoding, compress) => {
    const plain = rec("anthropic/messages-stream-thinking.sse");
    const wire = new Uint8Array(compress(plain));
    const r = await host.exchange({
      request: { method: "POST", path: "/v1/messages", authority: "api.anthropic.com", headers: [["content-type", "application/json"]], body: rec("anthropic/messages-stream-thinking.request.json") },
      response: { status: 200, headers: [["content-type", "text/event-stream"], ["content-encoding", encoding]], body: wire, chunks: [5, 300, 1000] },
    });
    expect(Buffer.from(r.downstreamResponse!.body).equals(Buffer.from(wire))).toBe(true);
    const want = usageFrom("anthropic", "messages", [], plain, "text/event-stream")!;
    const got = JSON.parse(state(r)["tollgate.usage"]);
    expect(figures(got)).toEqual(figures(want));
    expect(got.source.output).toBe("reported");
  });
});

describe("include_usage", () => {
  it("is injected into a streaming request and hidden from a client that did not ask for it", async () => {
    const request = rec("openai/chat-stream-no-usage.request.json");
    const withUsage = rec("openai/chat-stream-usage-cached.sse");
    const r = await host.exchange(chat(request, withUsage, { chunks: [100, 333, 512, 7] }));
    const sent = JSON.parse(dec.decode(r.upstreamRequest!.body));
    expect(sent).toEqual({ ...JSON.parse(dec.decode(request)), stream_options: { include_usage: true } });
    expect(header(r.upstreamRequest!.headers, "content-length")).toBeUndefined();
    const seen = dec.decode(r.downstreamResponse!.body).split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6)));
    const original = sse("openai/chat-stream-usage-cached.sse");
    // The client sees every chunk it would have seen without include_usage, and no usage at all.
    expect(seen).toEqual(original.filter((e) => e.choices.length > 0).map(({ usage: _u, ...rest }) => rest));
    expect(dec.decode(r.downstreamResponse!.body).trimEnd().endsWith("data: [DONE]")).toBe(true);
    const usage = JSON.parse(state(r)["tollgate.usage"]);
    expect(usage.input).toBe(original.at(-1).usage.prompt_tokens);
    expect(usage.source.output).toBe("reported");
  });

  it("leaves a client's own include_usage stream untouched", async () => {
    const request = rec("openai/chat-stream-usage-cached.request.json");
    const body = rec("openai/chat-stream-usage-cached.sse");
    const r = await host.exchange(chat(request, body));
    expect(Buffer.from(r.upstreamRequest!.body).equals(Buffer.from(request))).toBe(true);
    expect(Buffer.from(r.downstreamResponse!.body).equals(Buffer.from(body))).toBe(true);
  });
});

describe("streams without usage", () => {
  const deltaText = (p: string) => sse(p).map((e) => e.choices?.[0]?.delta?.content ?? "").join("");
  // OpenAI's published model -> encoding mapping: gpt-3.5 and gpt-4 use cl100k_base, newer models o200k_base.
  const model = JSON.parse(dec.decode(rec("openai/chat-stream-no-usage.request.json"))).model as string;
  const encoding = getEncoding(/^gpt-(3\.5|4)(-|$)/.test(model) && !model.startsWith("gpt-4o") ? "cl100k_base" : "o200k_base");

  it("counts output tokens from the deltas with the model's encoding when the provider reports none", async () => {
    const h = await meterHost(JSON.stringify({ include_usage: { inject: false } }));
    const r = await h.exchange(chat(rec("openai/chat-stream-no-usage.request.json"), rec("openai/chat-stream-no-usage.sse")));
    const usage = JSON.parse(state(r)["tollgate.usage"]);
    expect(usage.output).toBe(encoding.encode(deltaText("openai/chat-stream-no-usage.sse")).length);
    expect(usage.source.output).toBe("counted");
    expect(usage.source.input).toBe("counted");
  });

  it("meters a stream the client abandons, from what it saw", async () => {
    const h = await meterHost(JSON.stringify({ include_usage: { inject: false } }));
    const body = rec("openai/chat-stream-no-usage.sse");
    const cut = dec.decode(body).indexOf("\n\n", body.length / 2) + 2;
    const s = h.newStream({});
    const req = rec("openai/chat-stream-no-usage.request.json");
    s.sendRequestHeaders([[":method", "POST"], [":path", "/v1/chat/completions"], [":authority", "api.openai.com"], [":scheme", "https"]], false);
    s.sendRequestData(req, true);
    s.sendResponseHeaders([[":status", "200"], ["content-type", "text/event-stream"]], false);
    s.sendResponseData(body.subarray(0, cut), false);
    s.resetFromDownstream();
    await s.done;
    const usage = JSON.parse(dec.decode(s.filterState().get("wasm.tollgate.usage")!));
    const seenText = dec.decode(body.subarray(0, cut)).split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6)).choices?.[0]?.delta?.content ?? "").join("");
    expect(usage.output).toBe(encoding.encode(seenText).length);
    expect(usage.output).toBeGreaterThan(0);
  });
});

describe("bad input", () => {
  const malformed = enc.encode('{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}');

  it("passes malformed JSON through by default and counts it", async () => {
    const h = await meterHost();
    const r = await h.exchange(chat(malformed, rec("openai/chat-basic.json"), { headers: [["content-type", "application/json"]] }));
    expect(r.localReply).toBeUndefined();
    expect(Buffer.from(r.upstreamRequest!.body).equals(Buffer.from(malformed))).toBe(true);
    expect(r.metrics["tollgate.bad_requests.provider=.openai;"]).toBe(1);
  });

  it("rejects it in the provider's own error shape when configured to", async () => {
    const h = await meterHost(JSON.stringify({ on_bad_input: "reject" }));
    const r = await h.exchange(chat(malformed, rec("openai/chat-basic.json")));
    expect(r.localReply?.status).toBe(400);
    // Headers went upstream when they continued (Envoy's router starts the request then); the
    // body never did, and the upstream request is abandoned.
    expect(r.upstreamRequest?.body.length ?? 0).toBe(0);
    expect(JSON.parse(dec.decode(r.localReply!.body))).toMatchObject({ error: { type: "invalid_request_error", code: null } });
    const anthropic = await h.exchange({
      request: { method: "POST", path: "/v1/messages", authority: "api.anthropic.com", headers: [["content-type", "application/json"]], body: malformed },
      response: { status: 200, headers: [], body: new Uint8Array() },
    });
    expect(JSON.parse(dec.decode(anthropic.localReply!.body))).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("forwards a body over the counting limit whole, uncounted, and counts it", async () => {
    const h = await meterHost(JSON.stringify({ prompt_counting: { max_body_bytes: 64 } }));
    const body = rec("openai/chat-tool-call.request.json");
    const r = await h.exchange({ ...chat(body, rec("openai/chat-tool-call.json"), { headers: [["content-type", "application/json"]] }), request: { ...chat(body, new Uint8Array()).request, chunks: [40, 40, 400] } });
    expect(Buffer.from(r.upstreamRequest!.body).equals(Buffer.from(body))).toBe(true);
    expect(JSON.parse(state(r)["tollgate.request_tokens"]).prompt).toBeNull();
    expect(JSON.parse(state(r)["tollgate.usage"]).source.input).toBe("reported");
    expect(r.metrics["tollgate.oversize_requests.provider=.openai;"]).toBe(1);
  });

  it("rejects an invalid configuration with the offending field", async () => {
    await expect(meterHost(JSON.stringify({ limits: { max_json_depth: "deep" } }))).rejects.toBeInstanceOf(ConfigRejectedError);
    await expect(meterHost(JSON.stringify({ routes: [{ path_prefix: "/x", provider: "acme" }] }))).rejects.toBeInstanceOf(ConfigRejectedError);
  });
});

describe("routes and metrics", () => {
  it("meters a custom path through a route override and skips a route marked none", async () => {
    const h = await meterHost(JSON.stringify({ routes: [{ path_prefix: "/llm/openai/", provider: "openai", strip_prefix: true }, { path_prefix: "/internal/", provider: "none" }] }));
    const body = rec("openai/chat-basic.request.json");
    const mk = (path: string): Exchange => ({ ...chat(body, rec("openai/chat-basic.json"), { headers: [["content-type", "application/json"]] }), request: { ...chat(body, new Uint8Array()).request, path } });
    const routed = state(await h.exchange(mk("/llm/openai/v1/chat/completions")));
    expect(JSON.parse(routed["tollgate.usage"]).source.output).toBe("reported");
    const skipped = state(await h.exchange(mk("/internal/v1/chat/completions")));
    expect(skipped["tollgate.usage"]).toBeUndefined();
  });

  it("publishes tagged token counters and latency histograms as Envoy stats", async () => {
    const h = await meterHost();
    await h.exchange(chat(rec("openai/chat-basic.request.json"), rec("openai/chat-basic.json"), { headers: [["content-type", "application/json"]] }));
    const m = h.metrics();
    expect(m["tollgate.tokens.provider=.openai;model=.gpt-4o-mini;type=.input;"]).toBe(9);
    expect(m["tollgate.tokens.provider=.openai;model=.gpt-4o-mini;type=.output;"]).toBe(9);
    expect(m["tollgate.requests.provider=.openai;operation=.chat-completions;status=.200;"]).toBe(1);
    expect(m["tollgate.request_duration_ms.provider=.openai;"]).toBe(1);
  });

  it("becomes labelled Prometheus series with envoy.yaml's stats_tags", async () => {
    const { statsTags } = loadBootstrap(join(ROOT, "envoy/envoy.yaml"));
    const h = await trackedHost([{ name: "token-meter", rootId: "token-meter", vmId: "tollgate", code: WASM, configuration: "{}" }], { statsTags });
    await h.exchange(chat(rec("openai/chat-basic.request.json"), rec("openai/chat-basic.json"), { headers: [["content-type", "application/json"]] }));
    const text = h.prometheus();
    expect(text).toContain('tollgate_tokens{provider="openai",model="gpt-4o-mini",type="input"} 9');
    expect(text).toContain('tollgate_requests{provider="openai",operation="chat-completions",status="200"} 1');
    expect(text).toMatch(/^tollgate_request_duration_ms_count\{provider="openai"\} 1$/m);
    expect(text.match(/^# TYPE tollgate_tokens counter$/gm)).toHaveLength(1);
  });
});

describe("usage response headers", () => {
  async function headersHost(): Promise<EnvoyHost> {
    return trackedHost([{
      name: "token-meter", rootId: "token-meter", vmId: "tollgate", code: WASM,
      configuration: JSON.stringify({ response_headers: { enabled: true } }),
      // Envoy >= 1.35: a headers pause is StopIteration, so the body still reaches the filter.
      allowOnHeadersStopIteration: true,
    }]);
  }

  it("adds the figures to a non-streamed response, whatever its chunking, body untouched", async () => {
    const h = await headersHost();
    const body = rec("anthropic/messages-tool-use.json");
    const recorded = JSON.parse(dec.decode(body));
    const r = await h.exchange({
      request: { method: "POST", path: "/v1/messages", authority: "api.anthropic.com", headers: [["content-type", "application/json"]], body: rec("anthropic/messages-tool-use.request.json") },
      response: { status: 200, headers: [["content-type", "application/json"]], body, chunks: [7, 100, 3] },
    });
    const got = (n: string) => header(r.downstreamResponse!.headers, `x-tollgate-${n}`);
    const input = recorded.usage.input_tokens + recorded.usage.cache_read_input_tokens + recorded.usage.cache_creation_input_tokens;
    expect(got("input-tokens")).toBe(String(input));
    expect(got("output-tokens")).toBe(String(recorded.usage.output_tokens));
    expect(got("total-tokens")).toBe(String(input + recorded.usage.output_tokens));
    expect(got("usage-source")).toBe("reported,reported");
    expect(got("cost-micro-usd")).toBe(state(r)["tollgate.cost_micro_usd"]);
    expect(Buffer.from(r.downstreamResponse!.body).equals(Buffer.from(body))).toBe(true);
  });

  it("leaves streamed responses flowing as they arrive", async () => {
    const h = await headersHost();
    const body = rec("anthropic/messages-stream-text.sse");
    const r = await h.exchange({
      request: { method: "POST", path: "/v1/messages", authority: "api.anthropic.com", headers: [["content-type", "application/json"]], body: rec("anthropic/messages-stream-text.request.json") },
      response: { status: 200, headers: [["content-type", "text/event-stream"]], body, chunks: [200, 300, 400] },
    });
    expect(header(r.downstreamResponse!.headers, "x-tollgate-input-tokens")).toBeUndefined();
    expect(r.downstreamResponse!.chunks.length).toBe(4);
  });
});
