// The token-meter oracle against real provider traffic. Expected figures are derived here from
// the raw usage fields of each recording with the mapping in filters/token-meter/USAGE.md, read
// by plain string/JSON means that share nothing with the oracle's parsers, so a mapping or
// parsing mistake in either shows up as a disagreement.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { loadCassettes } from "./replay/cassette";
import {
  costMicroUsd,
  crc32,
  eventStreamFrames,
  findPrice,
  jsonArrayElements,
  picoPerToken,
  recognise,
  reportedParts,
  usageFrom,
  type Headers,
  type PriceTable,
  type Recognition,
  type Usage,
} from "./support/usage-oracle";
import { index, bytesOf, textOf, responseHeaders, recogniseEntry, type IndexEntry } from "./support/recordings-index";

const recordings = resolve(__dirname, "recordings");
const prices: PriceTable = JSON.parse(readFileSync(resolve(__dirname, "../filters/token-meter/prices.json"), "utf8"));

const withUsage = index.filter((e) => e.inspect.usage_paths.length > 0);




function oracle(e: IndexEntry): Usage | null {
  const r = recogniseEntry(e);
  return usageFrom(r.provider, r.operation, responseHeaders(e), bytesOf(e.files.response), e.response.content_type);
}

// Raw access to the recordings, deliberately naive: every recorded SSE event is one "data:" line.
const dataLines = (f: string) =>
  textOf(f)
    .split(/\r?\n/)
    .filter((l) => l.startsWith("data: ") && l !== "data: [DONE]")
    .map((l) => JSON.parse(l.slice(6)));

interface Expected {
  input: number;
  output: number;
  cached_input: number;
  cache_write: number;
  reasoning: number;
  /** The provider's own total, where it reports one that should equal input + output. */
  providerTotal?: number;
}

// The mapping of USAGE.md, per wire dialect, from the provider's raw fields.
const map = {
  openaiChat: (u: any): Expected => ({
    input: u.prompt_tokens,
    output: u.completion_tokens ?? 0, // embeddings generate nothing
    cached_input: u.prompt_tokens_details?.cached_tokens ?? 0,
    cache_write: 0,
    reasoning: u.completion_tokens_details?.reasoning_tokens ?? 0,
    providerTotal: u.total_tokens,
  }),
  responses: (u: any): Expected => ({
    input: u.input_tokens,
    output: u.output_tokens,
    cached_input: u.input_tokens_details.cached_tokens,
    cache_write: 0,
    reasoning: u.output_tokens_details.reasoning_tokens,
    providerTotal: u.total_tokens,
  }),
  // Anthropic input_tokens leaves out cache reads and writes; output_tokens includes thinking.
  anthropic: (start: any, final: any): Expected => ({
    input: start.input_tokens + start.cache_read_input_tokens + start.cache_creation_input_tokens,
    output: final.output_tokens,
    cached_input: start.cache_read_input_tokens,
    cache_write: start.cache_creation_input_tokens,
    reasoning: 0,
  }),
  // Gemini thoughts are outside candidatesTokenCount but inside totalTokenCount.
  gemini: (m: any): Expected => ({
    input: m.promptTokenCount + (m.toolUsePromptTokenCount ?? 0),
    output: (m.candidatesTokenCount ?? 0) + (m.thoughtsTokenCount ?? 0),
    cached_input: m.cachedContentTokenCount ?? 0,
    cache_write: 0,
    reasoning: m.thoughtsTokenCount ?? 0,
    providerTotal: m.totalTokenCount,
  }),
  // Bedrock inputTokens leaves out cache reads and writes; totalTokens includes them.
  bedrock: (u: any): Expected => ({
    input: u.inputTokens + (u.cacheReadInputTokens ?? 0) + (u.cacheWriteInputTokens ?? 0),
    output: u.outputTokens,
    cached_input: u.cacheReadInputTokens ?? 0,
    cache_write: u.cacheWriteInputTokens ?? 0,
    reasoning: 0,
    providerTotal: u.totalTokens,
  }),
  ollama: (d: any): Expected => ({ input: d.prompt_eval_count, output: d.eval_count, cached_input: 0, cache_write: 0, reasoning: 0 }),
};

const lastWith = <T>(xs: T[], pred: (x: T) => boolean): T => xs.filter(pred).at(-1)!;

/** Expected normalised usage for a recording, from its raw bytes. */
function expectedFor(e: IndexEntry): Expected {
  const f = e.files.response;
  const json = () => JSON.parse(textOf(f));
  const key = `${e.provider}/${e.name}`;
  if (f.endsWith(".eventstream")) {
    // The metadata event's JSON payload, found as text in the binary body.
    const m = Buffer.from(bytesOf(f)).toString("latin1").match(/\{"metrics":\{[^}]*\},"p":"[^"]*","usage":\{(?:[^{}]|\{[^{}]*\})*\}\}/);
    return map.bedrock(JSON.parse(m![0]).usage);
  }
  if (f.endsWith(".ndjson")) {
    const lines = textOf(f).trim().split("\n").map((l) => JSON.parse(l));
    return map.ollama(lastWith(lines, (l) => l.done === true));
  }
  switch (e.provider) {
    case "openai":
    case "azure-openai":
    case "mistral":
    case "groq":
    case "openrouter":
      if (e.provider === "azure-openai" && e.name.startsWith("responses")) return map.responses(json().usage);
      if (f.endsWith(".sse")) return map.openaiChat(lastWith(dataLines(f), (d) => d.usage != null).usage);
      return map.openaiChat(json().usage);
    case "openai-responses":
      if (f.endsWith(".sse")) return map.responses(lastWith(dataLines(f), (d) => d.response?.usage != null).response.usage);
      return map.responses(json().usage);
    case "anthropic": {
      if (!f.endsWith(".sse")) return map.anthropic(json().usage, json().usage);
      const events = dataLines(f);
      const start = events.find((d) => d.type === "message_start").message.usage;
      const delta = lastWith(events, (d) => d.type === "message_delta").usage;
      // Where message_delta repeats the input-side counts they must agree with message_start:
      // they are the same numbers again, not more tokens.
      for (const k of ["input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens"]) if (k in delta) expect(delta[k], `${key} message_delta.${k}`).toBe(start[k]);
      return map.anthropic(start, delta);
    }
    case "gemini": {
      if (f.endsWith(".sse")) return map.gemini(dataLines(f).at(-1).usageMetadata);
      const body = json();
      return map.gemini(Array.isArray(body) ? body.at(-1).usageMetadata : body.usageMetadata);
    }
    case "bedrock": {
      const body = json();
      if (body.type === "message") return map.anthropic(body.usage, body.usage);
      return map.bedrock(body.usage);
    }
    case "ollama":
      return e.name.startsWith("api-") ? map.ollama(json()) : map.openaiChat(json().usage);
  }
  throw new Error(`no mapping for ${key}`);
}

describe("usage from every recording that reports usage", () => {
  it("covers the recordings index.json lists with usage paths", () => {
    expect(withUsage.length).toBeGreaterThanOrEqual(35);
  });

  for (const e of withUsage) {
    it(`${e.provider}/${e.name}`, () => {
      const got = oracle(e);
      const want = expectedFor(e);
      expect(got, "usage").not.toBeNull();
      expect({ input: got!.input, output: got!.output, cached_input: got!.cached_input, cache_write: got!.cache_write, reasoning: got!.reasoning }).toEqual({
        input: want.input,
        output: want.output,
        cached_input: want.cached_input,
        cache_write: want.cache_write,
        reasoning: want.reasoning,
      });
      expect(got!.total).toBe(got!.input + got!.output);
      // Where the provider states its own total, the normalised total must agree with it:
      // this is what pins down "input includes cache" for Bedrock and "output includes thoughts"
      // for Gemini.
      if (want.providerTotal !== undefined) expect(got!.total, "provider's total").toBe(want.providerTotal);
      expect(got!.source).toEqual({ input: "reported", output: "reported" });
      expect(got!.cached_input + got!.cache_write).toBeLessThanOrEqual(got!.input);
      expect(got!.reasoning).toBeLessThanOrEqual(got!.output);
    });
  }

  it("recordings without a usage block give no usage (stream without include_usage)", () => {
    const e = index.find((x) => x.provider === "openai" && x.name === "chat-stream-no-usage")!;
    expect(oracle(e)).toBeNull();
  });

  it("Anthropic stream: output is message_delta's cumulative count, not message_start's placeholder plus it", () => {
    const e = index.find((x) => x.provider === "anthropic" && x.name === "messages-stream-cache-write")!;
    const u = oracle(e)!;
    expect(u).toMatchObject({ input: 18 + 1031, cache_write: 1031, output: 100 });
  });

  it("Anthropic stream cut after message_start: input reported, output not, so no complete usage", () => {
    const f = "anthropic/messages-stream-text.sse";
    const text = textOf(f);
    const cut = new TextEncoder().encode(text.slice(0, text.indexOf("event: message_delta")));
    const parts = reportedParts("anthropic", "messages", [[":status", "200"]], cut, "text/event-stream");
    expect(parts).toMatchObject({ input: 17 });
    expect(parts!.output).toBeUndefined();
    expect(usageFrom("anthropic", "messages", [[":status", "200"]], cut, "text/event-stream")).toBeNull();
  });

  it("Gemini SSE: the last usageMetadata wins even though promptTokenCount changed between chunks", () => {
    const ev = dataLines("gemini/stream-sse.sse");
    expect(ev[0].usageMetadata.promptTokenCount).not.toBe(ev.at(-1).usageMetadata.promptTokenCount);
    const e = index.find((x) => x.provider === "gemini" && x.name === "stream-sse")!;
    expect(oracle(e)!.input).toBe(ev.at(-1).usageMetadata.promptTokenCount);
  });

  it("Gemini JSON-array stream: gzip wire body gives the same usage as the decoded one; a cut array keeps what arrived", () => {
    const e = index.find((x) => x.provider === "gemini" && x.name === "stream-json-array")!;
    const plain = oracle(e)!;
    const gz = usageFrom("gemini", "stream-generate-content", [[":status", "200"], ["content-encoding", "gzip"]], bytesOf("gemini/stream-json-array.json.gz"), "application/json; charset=UTF-8");
    expect(gz).toEqual(plain);
    const text = textOf("gemini/stream-json-array.json");
    const elements = jsonArrayElements(text);
    expect(elements).toHaveLength(3);
    const cut = text.slice(0, text.indexOf(elements[2]) + 40);
    expect(jsonArrayElements(cut)).toHaveLength(2);
    const partial = usageFrom("gemini", "stream-generate-content", [[":status", "200"]], new TextEncoder().encode(cut), "application/json")!;
    expect(partial.output).toBe(JSON.parse(elements[1]).usageMetadata.candidatesTokenCount + JSON.parse(elements[1]).usageMetadata.thoughtsTokenCount);
    expect(usageFrom("gemini", "stream-generate-content", [[":status", "200"], ["content-encoding", "br"]], bytesOf("gemini/stream-json-array.json.gz"), "application/json")).toBeNull();
  });

  it("Bedrock InvokeModel: the x-amzn-bedrock-*-token-count headers give the same figures as the Anthropic body", () => {
    const e = index.find((x) => x.provider === "bedrock" && x.name === "invoke-anthropic-cache")!;
    const fromBody = oracle(e)!;
    const onlyHeaders = usageFrom("bedrock", "invoke", responseHeaders(e), new TextEncoder().encode('{"some":"other vendor body"}'), "application/json")!;
    const h = (n: string) => Number(e.response.headers[`x-amzn-bedrock-${n}-token-count`][0]);
    expect(onlyHeaders).toMatchObject({
      input: h("input") + h("cache-read-input") + h("cache-write-input"),
      output: h("output"),
      cached_input: h("cache-read-input"),
      cache_write: h("cache-write-input"),
    });
    expect({ ...onlyHeaders, model: undefined }).toEqual({ ...fromBody, model: undefined });
  });

  it("Bedrock Converse: cacheRead/WriteInputTokenCount duplicates are one number, not two", () => {
    const e = index.find((x) => x.provider === "bedrock" && x.name === "converse-cache-write")!;
    const body = JSON.parse(textOf(e.files.response));
    expect(body.usage.cacheWriteInputTokenCount).toBe(body.usage.cacheWriteInputTokens);
    expect(oracle(e)!.cache_write).toBe(body.usage.cacheWriteInputTokens);
  });

  it("Bedrock InvokeModelWithResponseStream (docs, no recording): chunk frames wrapping Anthropic events", () => {
    const events = [
      { type: "message_start", message: { model: "claude-3-5-haiku-20241022", usage: { input_tokens: 10, cache_read_input_tokens: 5, cache_creation_input_tokens: 0, output_tokens: 1 } } },
      { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "hi" } },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 7 } },
      { type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 10, outputTokenCount: 7, invocationLatency: 100, firstByteLatency: 50 } },
    ];
    const frames = events.map((ev) => frame({ ":event-type": "chunk", ":content-type": "application/json", ":message-type": "event" }, JSON.stringify({ bytes: Buffer.from(JSON.stringify(ev)).toString("base64") })));
    const body = concat(frames);
    expect(usageFrom("bedrock", "invoke-stream", [[":status", "200"]], body, "application/vnd.amazon.eventstream")).toMatchObject({ input: 15, cached_input: 5, output: 7 });
  });
});

describe("AWS event-stream framing", () => {
  it("parses every recorded ConverseStream frame with valid CRCs", () => {
    expect(eventStreamFrames(bytesOf("bedrock/converse-stream-nova.eventstream")).error).toBeUndefined();
    expect(eventStreamFrames(bytesOf("bedrock/converse-stream-nova.eventstream")).frames).toHaveLength(33);
    expect(eventStreamFrames(bytesOf("bedrock/converse-stream-tool-use.eventstream")).frames).toHaveLength(26);
  });

  it("stops at a corrupt frame and keeps the frames before it", () => {
    const b = bytesOf("bedrock/converse-stream-nova.eventstream").slice();
    const firstLen = new DataView(b.buffer).getUint32(0);
    b[firstLen + 20] ^= 0xff; // inside the second frame
    const r = eventStreamFrames(b);
    expect(r.frames).toHaveLength(1);
    expect(r.error).toMatch(/CRC/);
  });

  it("crc32 is the IEEE polynomial", () => {
    expect(crc32(new TextEncoder().encode("123456789"))).toBe(0xcbf43926);
  });
});

describe("error responses give no usage", () => {
  const errors = index.filter((e) => e.response.status >= 400);
  it("there are error recordings for every provider family", () => {
    expect(new Set(errors.map((e) => e.provider)).size).toBeGreaterThanOrEqual(7);
  });
  for (const e of errors) {
    it(`${e.provider}/${e.name} (${e.response.status})`, () => {
      const op = e.request ? recogniseEntry(e) : fallbackRecognition(e);
      expect(usageFrom(op.provider, op.operation, responseHeaders(e), bytesOf(e.files.response), e.response.content_type)).toBeNull();
      // The body alone, status unknown, has no usage either.
      expect(usageFrom(op.provider, op.operation, [], bytesOf(e.files.response), e.response.content_type)).toBeNull();
    });
  }
});

// Quoted error bodies were recorded without a request; their API is in index.json.
function fallbackRecognition(e: IndexEntry): Recognition {
  const path = (e as unknown as { api: string }).api.split(" ")[1];
  const host = { openai: "api.openai.com", "openai-responses": "api.openai.com", anthropic: "api.anthropic.com" }[e.provider] ?? "example.com";
  return recognise("POST", path, [[":authority", host]], null);
}

describe("recognition of every cassette exchange", () => {
  type R = [provider: Recognition["provider"], operation: Recognition["operation"], model: string | null, stream: boolean, outputCap: number | null, n: number];
  // From the recorded request (path, host, body). Notes on the surprising ones:
  // - openrouter/chat-stream-tool-call-cost: the recorder rewrote the URI to api.openai.com and
  //   the request names gpt-4.1-mini, so by its request it is OpenAI traffic (the response is
  //   OpenRouter's, moonshotai/kimi-k2). Recognition can only go by what the request says.
  // - azure-openai/chat-basic: no model in the body; the deployment name stands in.
  // - bedrock: the model id is URL-decoded from the path (%3A -> ":").
  // - quoted errors: the cassette synthesised a request without a body.
  const want: Record<string, R> = {
    "anthropic/messages-cache-write": ["anthropic", "messages", "claude-sonnet-4-20250514", false, 100, 1],
    "anthropic/messages-thinking": ["anthropic", "messages", "claude-sonnet-4-5", false, 10000, 1],
    "anthropic/messages-tool-use": ["anthropic", "messages", "claude-sonnet-4-5", false, 4096, 1],
    "anthropic/messages-stream-text": ["anthropic", "messages", "claude-sonnet-4-5", true, 8192, 1],
    "anthropic/messages-stream-cache-write": ["anthropic", "messages", "claude-sonnet-4-20250514", true, 100, 1],
    "anthropic/messages-stream-thinking": ["anthropic", "messages", "claude-sonnet-4-0", true, 4096, 1],
    "anthropic/messages-stream-tool-use": ["anthropic", "messages", "claude-3-5-haiku-latest", true, 4096, 1],
    "anthropic/error-400-invalid-request": ["anthropic", "messages", "claude-3-opus-20240229", false, 15, 1],
    "anthropic/error-529-overloaded.quoted": ["anthropic", "messages", null, false, null, 1],
    "anthropic/error-429-rate-limit.quoted": ["anthropic", "messages", null, false, null, 1],
    "anthropic/error-400-prompt-too-long.quoted": ["anthropic", "messages", null, false, null, 1],
    "azure-openai/chat-basic": ["azure-openai", "chat-completions", "gpt-4o-mini", false, null, 1],
    "azure-openai/responses-basic": ["azure-openai", "responses", "gpt-5.2-chat", false, null, 1],
    "bedrock/converse-basic": ["bedrock", "converse", "us.anthropic.claude-sonnet-4-6", false, null, 1],
    "bedrock/converse-cache-write": ["bedrock", "converse", "us.anthropic.claude-sonnet-4-5-20250929-v1:0", false, null, 1],
    "bedrock/converse-stream-nova": ["bedrock", "converse-stream", "us.amazon.nova-micro-v1:0", true, null, 1],
    "bedrock/converse-stream-tool-use": ["bedrock", "converse-stream", "us.amazon.nova-micro-v1:0", true, null, 1],
    "bedrock/invoke-anthropic-cache": ["bedrock", "invoke", "anthropic.claude-3-5-haiku-20241022-v1:0", false, 50, 1],
    "bedrock/error-400-converse-stream": ["bedrock", "converse-stream", "us.does-not-exist-model-v1:0", true, null, 1],
    "gemini/generate-basic": ["gemini", "generate-content", "gemini-2.0-flash-001", false, null, 1],
    "gemini/generate-thinking": ["gemini", "generate-content", "gemini-3-pro-preview", false, null, 1],
    "gemini/stream-sse": ["gemini", "stream-generate-content", "gemini-2.0-flash-exp", true, null, 1],
    "gemini/stream-sse-tool-call": ["gemini", "stream-generate-content", "gemini-3-pro-preview", true, null, 1],
    "gemini/stream-json-array": ["gemini", "stream-generate-content", "gemini-flash-latest", true, null, 1],
    "gemini/stream-json-array.decoded": ["gemini", "stream-generate-content", "gemini-flash-latest", true, null, 1],
    "gemini/error-429-resource-exhausted": ["gemini", "generate-content", "gemini-2.0-flash", false, null, 1],
    "gemini/error-400-stream-invalid-key": ["gemini", "stream-generate-content", "gemini-2.0-flash-exp", true, null, 1],
    "groq/chat-basic": ["groq", "chat-completions", "llama3-8b-8192", false, null, 1],
    "groq/error-400-tool-use-failed": ["groq", "chat-completions", "openai/gpt-oss-120b", false, null, 1],
    "mistral/chat-basic": ["mistral", "chat-completions", "mistral-tiny", false, null, 1],
    "mistral/chat-stream": ["mistral", "chat-completions", "mistral-tiny", true, null, 1],
    "ollama/api-chat": ["ollama", "ollama-chat", "llama3", false, null, 1],
    "ollama/api-chat-stream": ["ollama", "ollama-chat", "llama3", true, null, 1],
    "ollama/openai-compat-chat": ["ollama", "chat-completions", "qwen3:0.6b", false, null, 1],
    "openai-responses/responses-basic": ["openai", "responses", "gpt-5.5", false, null, 1],
    "openai-responses/responses-stream": ["openai", "responses", "gpt-5.5", true, null, 1],
    "openai-responses/responses-stream-tool-use": ["openai", "responses", "gpt-5.5", true, null, 1],
    "openai-responses/responses-stream-incomplete": ["openai", "responses", "gpt-4o", true, 16, 1],
    "openai-responses/error-429-insufficient-quota": ["openai", "responses", null, false, null, 1],
    "openai/chat-basic": ["openai", "chat-completions", "gpt-4o-mini", false, null, 1],
    "openai/chat-reasoning-tool-call": ["openai", "chat-completions", "gpt-5-nano", false, null, 1],
    "openai/chat-n2": ["openai", "chat-completions", "gpt-4o-mini", false, null, 2],
    "openai/chat-tool-call": ["openai", "chat-completions", "gpt-4o-mini", false, null, 1],
    "openai/chat-stream-usage-cached": ["openai", "chat-completions", "gpt-4.1", true, null, 1],
    "openai/chat-stream-no-usage": ["openai", "chat-completions", "gpt-3.5-turbo", true, null, 1],
    "openai/chat-stream-tool-calls": ["openai", "chat-completions", "gpt-4o-mini", true, null, 1],
    "openai/embeddings-float": ["openai", "embeddings", "text-embedding-3-small", false, null, 1],
    "openai/error-404-model-not-found": ["openai", "chat-completions", "this-model-does-not-exist", false, null, 1],
    "openai/error-400-unsupported-parameter": ["openai", "chat-completions", "gpt-5-nano", false, 0, 1],
    "openai/error-400-context-length.quoted": ["openai", "chat-completions", null, false, null, 1],
    "openai/error-429-rate-limit-tpm.reconstructed": ["openai", "chat-completions", null, false, null, 1],
    "openrouter/chat-stream-tool-call-cost": ["openai", "chat-completions", "gpt-4.1-mini", true, null, 1],
    "openrouter/error-429-rate-limited": ["openrouter", "chat-completions", "google/gemini-2.0-flash-exp:free", false, null, 1],
  };
  const exchanges = loadCassettes([resolve(recordings, "cassettes")]).flatMap((c) => c.exchanges);

  it("has an expectation for every exchange and no stale ones", () => {
    expect(exchanges.map((x) => x.name).sort()).toEqual(Object.keys(want).sort());
  });

  for (const x of exchanges) {
    it(x.name, () => {
      const r = x.exchange.request;
      const headers: Array<[string, string]> = [...r.headers];
      if (r.authority) headers.unshift([":authority", r.authority]);
      const got = recognise(r.method, r.path, headers, r.body);
      const [provider, operation, model, stream, outputCap, n] = want[x.name];
      expect(got).toEqual({ provider, operation, model, stream, outputCap, n });
    });
  }

  it("usage through the cassettes agrees with usage through index.json", () => {
    for (const x of exchanges) {
      const r = x.exchange.request;
      const headers: Array<[string, string]> = [...r.headers];
      if (r.authority) headers.unshift([":authority", r.authority]);
      const rec = recognise(r.method, r.path, headers, r.body);
      const rh: Array<[string, string]> = [[":status", String(x.exchange.response.status)], ...x.exchange.response.headers];
      const ct = rh.find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? null;
      const got = usageFrom(rec.provider, rec.operation, rh, x.exchange.response.body, ct);
      const [prov, name] = x.name.replace(/\.decoded$/, "").split("/");
      const entry = index.find((e) => e.provider === prov && e.name === name)!;
      if (entry.inspect.usage_paths.length === 0) expect(got, x.name).toBeNull();
      else expect(got, x.name).toEqual(oracle(entry));
    }
  });
});

describe("recognition beyond the recordings (provider docs)", () => {
  const j = (o: unknown) => JSON.stringify(o);
  const rec = (path: string, host: string, body: unknown, extra: Array<[string, string]> = []) => recognise("POST", path, [[":authority", host], ...extra], body === undefined ? null : j(body));

  it("OpenAI chat: max_completion_tokens wins over max_tokens; n", () => {
    expect(rec("/v1/chat/completions", "api.openai.com", { model: "o3", max_tokens: 10, max_completion_tokens: 500, n: 3, stream: true })).toEqual({ provider: "openai", operation: "chat-completions", model: "o3", stream: true, outputCap: 500, n: 3 });
  });
  it("legacy completions, Responses max_output_tokens", () => {
    expect(rec("/v1/completions", "api.openai.com", { model: "gpt-3.5-turbo-instruct", max_tokens: 7, n: 2 })).toMatchObject({ operation: "completions", outputCap: 7, n: 2 });
    expect(rec("/v1/responses", "api.openai.com", { model: "gpt-5", max_output_tokens: 300, stream: true })).toMatchObject({ operation: "responses", outputCap: 300, stream: true });
  });
  it("compatible vendors by host; unknown hosts are openai-compatible (vLLM and the like)", () => {
    expect(rec("/v1/chat/completions", "api.deepseek.com", { model: "deepseek-chat" }).provider).toBe("deepseek");
    expect(rec("/v1/chat/completions", "api.together.xyz", { model: "x" }).provider).toBe("together");
    expect(rec("/api/v1/chat/completions", "openrouter.ai", { model: "x" }).provider).toBe("openrouter");
    expect(rec("/v1/chat/completions", "vllm.internal:8000", { model: "meta-llama/Llama-3.1-8B-Instruct" }).provider).toBe("openai-compatible");
    expect(rec("/v1/chat/completions", "gpu-box:11434", { model: "llama3" }).provider).toBe("ollama");
  });
  it("Azure: deployment path with api-version; body model wins over the deployment name", () => {
    expect(rec("/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21", "gw.example.com", { max_tokens: 9 })).toMatchObject({ provider: "azure-openai", model: "prod-4o", outputCap: 9 });
    expect(rec("/openai/deployments/prod-4o/embeddings?api-version=2024-10-21", "gw.example.com", { input: "x" })).toMatchObject({ provider: "azure-openai", operation: "embeddings" });
  });
  it("Gemini generationConfig cap and candidateCount; Vertex paths", () => {
    expect(rec("/v1beta/models/gemini-2.5-pro:generateContent", "generativelanguage.googleapis.com", { generationConfig: { maxOutputTokens: 256, candidateCount: 2 } })).toEqual({ provider: "gemini", operation: "generate-content", model: "gemini-2.5-pro", stream: false, outputCap: 256, n: 2 });
    expect(rec("/v1/projects/p/locations/us-central1/publishers/google/models/gemini-2.0-flash:streamGenerateContent?alt=sse", "us-central1-aiplatform.googleapis.com", {})).toMatchObject({ provider: "vertex-ai", operation: "stream-generate-content", model: "gemini-2.0-flash", stream: true });
    expect(rec("/v1/projects/p/locations/us-east5/publishers/anthropic/models/claude-sonnet-4-5@20250929:streamRawPredict", "us-east5-aiplatform.googleapis.com", { anthropic_version: "vertex-2023-10-16", max_tokens: 64 })).toMatchObject({ provider: "vertex-ai", operation: "messages", model: "claude-sonnet-4-5@20250929", stream: true, outputCap: 64 });
  });
  it("Bedrock inferenceConfig.maxTokens; invoke-with-response-stream", () => {
    expect(rec("/model/us.amazon.nova-pro-v1%3A0/converse", "bedrock-runtime.us-east-1.amazonaws.com", { inferenceConfig: { maxTokens: 512 } })).toMatchObject({ operation: "converse", outputCap: 512, model: "us.amazon.nova-pro-v1:0" });
    expect(rec("/model/anthropic.claude-3-haiku-20240307-v1%3A0/invoke-with-response-stream", "bedrock-runtime.us-east-1.amazonaws.com", { max_tokens: 5 })).toMatchObject({ operation: "invoke-stream", stream: true, outputCap: 5 });
  });
  it("Ollama: stream defaults to true; options.num_predict, negative means unlimited", () => {
    expect(rec("/api/generate", "localhost:11434", { model: "llama3", options: { num_predict: 42 } })).toEqual({ provider: "ollama", operation: "ollama-generate", model: "llama3", stream: true, outputCap: 42, n: 1 });
    expect(rec("/api/chat", "localhost:11434", { model: "llama3", stream: false, options: { num_predict: -1 } })).toMatchObject({ stream: false, outputCap: null });
  });
  it("unknown traffic is unknown", () => {
    const unknown = { provider: "unknown", operation: "unknown", model: null, stream: false, outputCap: null, n: 1 };
    expect(recognise("GET", "/v1/models", [[":authority", "api.openai.com"]], null)).toEqual(unknown);
    expect(recognise("GET", "/v1/chat/completions", [[":authority", "api.openai.com"]], null)).toEqual(unknown);
    expect(rec("/v1/audio/transcriptions", "api.openai.com", undefined)).toEqual(unknown);
    expect(rec("/healthz", "gw.example.com", {})).toEqual(unknown);
    expect(rec("/v1/messages/count_tokens", "api.anthropic.com", { model: "claude-sonnet-4-5" })).toEqual(unknown);
    expect(rec("/v1beta/models/gemini-2.0-flash:countTokens", "generativelanguage.googleapis.com", {})).toEqual(unknown);
    expect(recognise("POST", "/v1/chat/completions", [], "not json")).toMatchObject({ provider: "openai-compatible", operation: "chat-completions", model: null });
    expect(usageFrom("unknown", "unknown", [[":status", "200"]], new TextEncoder().encode('{"usage":{"prompt_tokens":1}}'), "application/json")).toBeNull();
  });
});

describe("usage beyond the recordings (provider docs)", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const ok: Headers = [[":status", "200"]];

  it("DeepSeek prompt_cache_hit_tokens is the cached part of prompt_tokens", () => {
    const body = { model: "deepseek-chat", usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120, prompt_cache_hit_tokens: 64, prompt_cache_miss_tokens: 36 } };
    expect(usageFrom("deepseek", "chat-completions", ok, enc(JSON.stringify(body)), "application/json")).toMatchObject({ input: 100, cached_input: 64, output: 20 });
  });
  it("vLLM continuous_usage_stats: cumulative usage on every chunk is not summed", () => {
    const sse = [1, 2, 3].map((k) => `data: {"choices":[{"index":0,"delta":{"content":"x"}}],"usage":{"prompt_tokens":5,"completion_tokens":${k},"total_tokens":${5 + k}}}\n\n`).join("") + "data: [DONE]\n\n";
    expect(usageFrom("openai-compatible", "chat-completions", ok, enc(sse), "text/event-stream")).toMatchObject({ input: 5, output: 3 });
  });
  it("Groq stream usage under x_groq.usage", () => {
    const sse = 'data: {"choices":[{"delta":{"content":"hi"}}]}\n\ndata: {"choices":[{"delta":{},"finish_reason":"stop"}],"x_groq":{"id":"req_1","usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}}\n\ndata: [DONE]\n\n';
    expect(usageFrom("groq", "chat-completions", ok, enc(sse), "text/event-stream")).toMatchObject({ input: 12, output: 3 });
  });
  it("Gemini cachedContentTokenCount and toolUsePromptTokenCount", () => {
    const body = { usageMetadata: { promptTokenCount: 1000, cachedContentTokenCount: 800, toolUsePromptTokenCount: 50, candidatesTokenCount: 10, thoughtsTokenCount: 5, totalTokenCount: 1065 } };
    expect(usageFrom("gemini", "generate-content", ok, enc(JSON.stringify(body)), "application/json")).toMatchObject({ input: 1050, cached_input: 800, output: 15, reasoning: 5, total: 1065 });
  });
  it("Bedrock ConverseStream metadata with cache counts", () => {
    const f = frame({ ":event-type": "metadata", ":content-type": "application/json", ":message-type": "event" }, '{"metrics":{"latencyMs":1},"usage":{"inputTokens":3,"outputTokens":4,"cacheReadInputTokens":100,"cacheWriteInputTokens":0,"totalTokens":107}}');
    expect(usageFrom("bedrock", "converse-stream", ok, f, "application/vnd.amazon.eventstream")).toMatchObject({ input: 103, cached_input: 100, output: 4, total: 107 });
  });
  it("Ollama with the prompt fully KV-cached leaves prompt_eval_count out: output reported, input not", () => {
    const nd = '{"model":"llama3","done":false,"message":{"content":"a"}}\n{"model":"llama3","done":true,"eval_count":9}\n';
    expect(reportedParts("ollama", "ollama-chat", ok, enc(nd), "application/x-ndjson")).toMatchObject({ output: 9 });
    expect(usageFrom("ollama", "ollama-chat", ok, enc(nd), "application/x-ndjson")).toBeNull();
  });
  it("malformed bodies never throw", () => {
    for (const ct of ["application/json", "text/event-stream", "application/x-ndjson", "application/vnd.amazon.eventstream"])
      for (const body of ["", "{", "data: {\n\n", "[{\"usage\":", "\u0000\u0000\u0000\u0010garbage"]) {
        expect(() => usageFrom("openai", "chat-completions", ok, enc(body), ct)).not.toThrow();
        expect(() => usageFrom("bedrock", "converse-stream", ok, enc(body), ct)).not.toThrow();
        expect(() => usageFrom("gemini", "stream-generate-content", ok, enc(body), ct)).not.toThrow();
      }
  });
});

describe("pricing", () => {
  const byName = (p: string, n: string) => index.find((e) => e.provider === p && e.name === n)!;
  // Price entry for the model the response names, prices as micro-USD per token (USD per 1M).
  const expectedCost = (u: Usage, p: { input: number; cached_input?: number; cache_write?: number; output: number; reasoning?: number }) => {
    const exact =
      (u.input - u.cached_input - u.cache_write) * p.input +
      u.cached_input * (p.cached_input ?? p.input) +
      u.cache_write * (p.cache_write ?? p.input) +
      (u.output - u.reasoning) * p.output +
      u.reasoning * (p.reasoning ?? p.output);
    return exact;
  };

  it("the table is dated, sourced and well formed", () => {
    expect(prices.as_of).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(prices.unit).toBe("per_1m_tokens");
    for (const b of prices.blocks) {
      expect(b.source, b.provider).toMatch(/^https:\/\//);
      expect(b.as_of, b.provider).toMatch(/^\d{4}-\d{2}(-\d{2})?$/);
      for (const m of b.models) for (const k of ["input", "cached_input", "cache_write", "output", "reasoning"] as const) if (m[k] !== undefined) expect(() => picoPerToken(m[k]!)).not.toThrow();
    }
  });

  it("more specific globs come first (a -mini is never priced as its parent)", () => {
    expect(findPrice("gpt-4o-mini-2024-07-18", prices)!.input).toBe(0.15);
    expect(findPrice("gpt-4o-2024-08-06", prices)!.input).toBe(2.5);
    expect(findPrice("gpt-4.1-mini", prices)!.input).toBe(0.4);
    expect(findPrice("gpt-5-nano-2025-08-07", prices)!.input).toBe(0.05);
    expect(findPrice("us.anthropic.claude-sonnet-4-5-20250929-v1:0", prices)!.input).toBe(3);
    expect(findPrice("claude-3-5-haiku-20241022", prices)!.input).toBe(0.8);
    expect(findPrice("gpt-5.5-2026-04-23", prices)).toBeNull(); // not in the bundled table
  });

  it("OpenAI cached tokens priced at the cached rate (chat-stream-usage-cached, gpt-4.1)", () => {
    const u = oracle(byName("openai", "chat-stream-usage-cached"))!;
    expect(u.cached_input).toBeGreaterThan(0);
    const p = findPrice(u.model!, prices)!;
    expect(costMicroUsd(u, u.model!, prices)).toBe(Math.ceil(expectedCost(u, p) - 1e-9));
    // (1144-1024)*2.00 + 1024*0.50 + 2*8.00 = 240 + 512 + 16 = 768 micro-USD
    expect(costMicroUsd(u, u.model!, prices)).toBe(768);
  });

  it("Anthropic cache writes at the write rate (messages-cache-write, claude-sonnet-4)", () => {
    const u = oracle(byName("anthropic", "messages-cache-write"))!;
    // 18*3 + 2055*3.75 + 100*15 = 54 + 7706.25 + 1500 = 9260.25 -> 9261 (ceil)
    expect(costMicroUsd(u, u.model!, prices)).toBe(9261);
  });

  it("reasoning tokens at the reasoning price, defaulting to output (chat-reasoning-tool-call, gpt-5-nano)", () => {
    const u = oracle(byName("openai", "chat-reasoning-tool-call"))!;
    expect(u.reasoning).toBe(128);
    // 208*0.05 + 138*0.40 = 10.4 + 55.2 = 65.6 -> 66
    expect(costMicroUsd(u, u.model!, prices)).toBe(66);
    const table: PriceTable = { ...prices, blocks: [{ provider: "t", source: "https://example.com", as_of: "2025-01", models: [{ match: "gpt-5-nano*", input: 0.05, output: 0.4, reasoning: 1 }] }] };
    // 208*0.05 + 10*0.40 + 128*1 = 10.4 + 4 + 128 = 142.4 -> 143
    expect(costMicroUsd(u, u.model!, table)).toBe(143);
  });

  it("Gemini thoughts billed as output; long-context tier above the threshold", () => {
    const u = oracle(byName("gemini", "generate-thinking"))!; // gemini-3-pro-preview
    // 3*2.00 + (9+204)*12.00 = 6 + 2556 = 2562
    expect(costMicroUsd(u, u.model!, prices)).toBe(2562);
    const big: Usage = { ...u, input: 250_000, total: 250_000 + u.output };
    // 250000*4.00 + 213*18.00 = 1_000_000 + 3834
    expect(costMicroUsd(big, u.model!, prices)).toBe(1_003_834);
  });

  it("provider-scoped entries: Ollama models are free, unknown models unpriced", () => {
    const u = oracle(byName("ollama", "api-chat"))!;
    expect(costMicroUsd(u, "llama3", prices, "ollama")).toBe(0);
    expect(costMicroUsd(u, "llama3", prices)).toBeNull();
  });

  it("rounds once, up, from the exact sum", () => {
    const one: Usage = { input: 1, output: 0, cached_input: 0, cache_write: 0, reasoning: 0, total: 1, source: { input: "reported", output: "reported" } };
    expect(costMicroUsd(one, "gpt-4o-mini", prices)).toBe(1); // 0.15 micro-USD -> 1
    const three: Usage = { ...one, input: 3, total: 3 };
    expect(costMicroUsd(three, "text-embedding-3-small", prices)).toBe(1); // 0.06 -> 1, not 3 x 1
    expect(() => picoPerToken(0.1234567)).toThrow();
  });
});

// --- event-stream frame builder for synthetic Bedrock traffic --------------------------------

function frame(headers: Record<string, string>, payload: string): Uint8Array {
  const enc = new TextEncoder();
  const hs: number[] = [];
  for (const [k, v] of Object.entries(headers)) {
    const kb = enc.encode(k);
    const vb = enc.encode(v);
    hs.push(kb.length, ...kb, 7, vb.length >> 8, vb.length & 0xff, ...vb);
  }
  const pb = enc.encode(payload);
  const total = 12 + hs.length + pb.length + 4;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, total);
  dv.setUint32(4, hs.length);
  dv.setUint32(8, crc32(out.subarray(0, 8)));
  out.set(hs, 12);
  out.set(pb, 12 + hs.length);
  dv.setUint32(total - 4, crc32(out.subarray(0, total - 4)));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

