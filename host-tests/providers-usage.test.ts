// The AS usage meter (filters/lib/providers/usage.ts, through dist/providers-usage.wasm) against
// the TypeScript oracle of filters/token-meter/USAGE.md on every recording: the same figures
// however the body is cut into chunks, what was reported so far when a stream is cut short,
// nothing from error bodies, and no trap on arbitrary bytes.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { resolve, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  crc32,
  reportedParts,
  sseEvents,
  usageFrom,
  type Headers,
  type Operation,
  type Provider,
  type Recognition,
} from "./support/usage-oracle";
import { index, bytesOf, textOf, responseHeaders, recogniseEntry, type IndexEntry } from "./support/recordings-index";

const here = dirname(fileURLToPath(import.meta.url));
const WASM = join(here, "../dist/providers-usage.wasm");
const recordings = resolve(here, "recordings");

// The numbering of filters/lib/providers/types.ts.
const PROVIDERS: Provider[] = [
  "unknown", "openai", "azure-openai", "mistral", "groq", "deepseek", "together", "openrouter",
  "openai-compatible", "anthropic", "gemini", "vertex-ai", "bedrock", "ollama",
] as Provider[];
const OPERATIONS: Operation[] = [
  "unknown", "chat-completions", "completions", "responses", "embeddings", "messages", "generate-content",
  "stream-generate-content", "converse", "converse-stream", "invoke", "invoke-stream", "ollama-chat", "ollama-generate",
] as Operation[];

interface MeterResult {
  reported: boolean;
  input: number | null;
  output: number | null;
  cached_input: number;
  cache_write: number;
  reasoning: number;
  total: number;
  source: { input: string; output: string };
  model: string | null;
  text_bytes: number;
  sink_bytes: number;
  framing: number;
}

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  u_alloc(n: number): number;
  u_free(p: number): void;
  u_out_ptr(): number;
  u_out_len(): number;
  u_run(pr: number, op: number, ct: number, ctLen: number, h: number, hLen: number, status: number, body: number, len: number, splits: number, nSplits: number, maxUnit: number): number;
  u_every_split(pr: number, op: number, ct: number, ctLen: number, h: number, hLen: number, status: number, body: number, len: number, maxUnit: number): number;
}

const enc = new TextEncoder();
let x: Exports;

beforeAll(async () => {
  const module = await WebAssembly.compile(readFileSync(WASM));
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) if (imp.kind === "function") (imports[imp.module] ??= {})[imp.name] = () => 0;
  x = (await WebAssembly.instantiate(module, imports)).exports as unknown as Exports;
  x._initialize();
});

interface Call {
  provider: Provider;
  operation: Operation;
  contentType: string;
  headers: Array<[string, string]>;
  status: number;
  body: Uint8Array;
}

// Copies inputs into wasm memory for one call and frees them after.
function withInputs<T>(c: Call, extra: Uint8Array, f: (a: number[]) => T): T {
  const parts = [enc.encode(c.contentType), enc.encode(c.headers.map(([k, v]) => `${k}\n${v}\n`).join("")), c.body, extra];
  const ptrs = parts.map((p) => {
    const ptr = x.u_alloc(p.length);
    new Uint8Array(x.memory.buffer, ptr, p.length).set(p);
    return ptr;
  });
  try {
    return f([
      PROVIDERS.indexOf(c.provider), OPERATIONS.indexOf(c.operation), ptrs[0], parts[0].length, ptrs[1], parts[1].length,
      c.status, ptrs[2], parts[2].length, ptrs[3], extra.length / 4,
    ]);
  } finally {
    for (const p of ptrs) x.u_free(p);
  }
}

function meter(c: Call, splits: number[] = [], maxUnit = 1 << 20): MeterResult {
  const s = new Uint8Array(new Uint32Array(splits).buffer);
  return withInputs(c, s, (a) => {
    const n = x.u_run(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], maxUnit);
    if (n < 0) throw new Error("writer failed");
    return JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.u_out_ptr(), x.u_out_len())));
  });
}

function everySplit(c: Call): number {
  return withInputs(c, new Uint8Array(0), (a) => x.u_every_split(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], 1 << 20));
}

// ---- recordings ------------------------------------------------------------------------------

const withUsage = index.filter((e) => e.inspect.usage_paths.length > 0);
const errors = index.filter((e) => e.response.status < 200 || e.response.status > 299);



function callOf(e: IndexEntry, body = bytesOf(e.files.response)): Call {
  const r = recogniseEntry(e);
  return { provider: r.provider, operation: r.operation, contentType: e.response.content_type, headers: responseHeaders(e), status: e.response.status, body };
}

function oracleUsage(c: Call) {
  return usageFrom(c.provider, c.operation, c.headers as Headers, c.body, c.contentType);
}

// The meter's figures in the oracle's shape (null = no complete usage).
function asUsage(r: MeterResult) {
  if (r.input === null || r.output === null) return null;
  return {
    input: r.input, output: r.output, cached_input: r.cached_input, cache_write: r.cache_write, reasoning: r.reasoning,
    total: r.total, source: { input: r.source.input, output: r.source.output }, model: r.model ?? undefined,
  };
}

function oracleShape(u: ReturnType<typeof oracleUsage>) {
  if (!u) return null;
  return { ...u, model: u.model };
}

// The partial view: what reportedParts says was reported, side by side with the meter's.
function partsView(c: Call) {
  const p = reportedParts(c.provider, c.operation, c.headers as Headers, c.body, c.contentType);
  if (!p) return { reported: false };
  return {
    reported: true, input: p.input ?? null, output: p.output ?? null, cached_input: p.cached_input ?? 0,
    cache_write: p.cache_write ?? 0, reasoning: p.reasoning ?? 0, model: p.model ?? null,
  };
}
function meterPartsView(r: MeterResult) {
  if (!r.reported) return { reported: false };
  return { reported: true, input: r.input, output: r.output, cached_input: r.cached_input, cache_write: r.cache_write, reasoning: r.reasoning, model: r.model };
}

// Deterministic PRNG (mulberry32) so a failing split can be replayed.
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSplits(len: number, next: () => number): number[] {
  const n = 1 + Math.floor(next() * Math.min(40, Math.max(1, len)));
  const s = new Set<number>();
  for (let i = 0; i < n; i++) s.add(Math.floor(next() * (len + 1)));
  return [...s].sort((a, b) => a - b);
}

const isStream = (e: IndexEntry) => /event-stream|eventstream|ndjson/.test(e.response.content_type) || e.name.startsWith("stream-");

describe("usage meter = oracle on every recording that reports usage", () => {
  it("covers them all", () => {
    expect(withUsage.length).toBeGreaterThanOrEqual(35);
  });

  for (const e of withUsage) {
    describe(`${e.provider}/${e.name}`, () => {
      it("whole body", () => {
        const c = callOf(e);
        const want = oracleShape(oracleUsage(c));
        expect(want, "oracle usage").not.toBeNull();
        const got = meter(c);
        expect(asUsage(got)).toEqual(want);
        expect(got.sink_bytes).toBe(got.text_bytes);
      });

      it("every 2-way split gives the whole body's result", () => {
        expect(everySplit(callOf(e))).toBe(-1);
      });

      it("100 seeded random multi-splits", () => {
        const c = callOf(e);
        const want = oracleShape(oracleUsage(c));
        const whole = meter(c);
        const next = rng(0x5eed ^ e.name.length ^ (e.files.response.charCodeAt(0) << 8));
        for (let i = 0; i < 100; i++) {
          const splits = randomSplits(c.body.length, next);
          const got = meter(c, splits);
          expect(asUsage(got), `splits ${JSON.stringify(splits)}`).toEqual(want);
          expect(got).toEqual(whole);
        }
      });

      if (isStream(e)) {
        it("cut short anywhere: what was reported so far (reportedParts)", () => {
          const c = callOf(e);
          const len = c.body.length;
          const next = rng(0xc07 + len);
          const cuts = new Set<number>([0, 1, len - 1]);
          for (let k = 0; k < len; k += Math.max(1, Math.floor(len / 150))) cuts.add(k);
          for (let i = 0; i < 50; i++) cuts.add(Math.floor(next() * len));
          for (const k of cuts) {
            const cut = { ...c, body: c.body.subarray(0, k) };
            const got = meter(cut, randomSplits(k, next));
            expect(meterPartsView(got), `cut at ${k}`).toEqual(partsView(cut));
          }
        });
      }
    });
  }
});

describe("no usage from errors", () => {
  it("covers the error recordings", () => {
    expect(errors.length).toBeGreaterThanOrEqual(10);
  });

  for (const e of errors) {
    it(`${e.provider}/${e.name}: no usage with its status, nor from its body alone under any operation`, () => {
      const body = bytesOf(e.files.response);
      const headers = responseHeaders(e);
      for (const op of OPERATIONS) {
        const c: Call = { provider: "unknown" as Provider, operation: op, contentType: e.response.content_type, headers, status: e.response.status, body };
        const withStatus = meter(c);
        expect(withStatus.reported).toBe(false);
        expect(withStatus.source).toEqual({ input: "missing", output: "missing" });
        const ok: Call = { ...c, status: 200, headers: headers.map(([k, v]) => [k, k === ":status" ? "200" : v]) };
        const alone = meter(ok);
        expect(alone.source, op).toEqual({ input: "missing", output: "missing" });
        expect(asUsage(alone)).toEqual(oracleShape(oracleUsage(ok)));
      }
    });
  }

  it("a 2xx stream without usage (openai/chat-stream-no-usage) reports nothing but counts its text", () => {
    const e = index.find((i) => i.name === "chat-stream-no-usage")!;
    const c = callOf(e);
    const got = meter(c);
    expect(got.reported).toBe(false);
    expect(oracleUsage(c)).toBeNull();
    let want = 0;
    for (const ev of sseEvents(new TextDecoder().decode(c.body))) {
      if (ev.data === "[DONE]") continue;
      for (const ch of JSON.parse(ev.data).choices ?? []) if (typeof ch.delta?.content === "string") want += enc.encode(ch.delta.content).length;
    }
    expect(want).toBeGreaterThan(0);
    expect(got.text_bytes).toBe(want);
    expect(got.sink_bytes).toBe(want);
  });
});

describe("framing decided by the body", () => {
  it("Ollama NDJSON served as application/json is read line by line, as the oracle does", () => {
    const e = index.find((i) => i.name === "api-chat-stream")!;
    const c = { ...callOf(e), contentType: "application/json; charset=utf-8" };
    const want = oracleShape(oracleUsage(c));
    expect(want).not.toBeNull();
    expect(asUsage(meter(c))).toEqual(want);
    expect(everySplit(c)).toBe(-1);
  });

  it("a JSON body under text/event-stream is one document (Gemini errors), and a JSON array under it a stream", () => {
    const e = index.find((i) => i.name === "stream-json-array")!;
    const c = { ...callOf(e), contentType: "text/event-stream" };
    const want = oracleShape(oracleUsage(c));
    expect(want).not.toBeNull();
    expect(asUsage(meter(c))).toEqual(want);
    const g = index.find((i) => i.name === "generate-basic")!;
    const d = { ...callOf(g), contentType: "text/event-stream" };
    expect(asUsage(meter(d))).toEqual(oracleShape(oracleUsage(d)));
    expect(oracleUsage(d)).not.toBeNull();
  });
});

describe("completion text as decoded UTF-8", () => {
  // Independent count from the recorded SSE, per dialect's delta fields.
  const textOf = (op: Operation, d: any): string[] => {
    const out: string[] = [];
    const s = (v: unknown) => typeof v === "string" && out.push(v);
    if (op === "chat-completions" || op === "completions") {
      for (const ch of d.choices ?? []) {
        s(ch.delta?.content); s(ch.delta?.reasoning_content); s(ch.text);
        for (const t of ch.delta?.tool_calls ?? []) s(t.function?.arguments);
      }
    } else if (op === "messages") {
      s(d.delta?.text); s(d.delta?.thinking); s(d.delta?.partial_json);
    } else if (op === "stream-generate-content") {
      for (const c of d.candidates ?? []) for (const p of c.content?.parts ?? []) s(p.text);
    } else if (op === "responses") {
      if (d.type === "response.output_text.delta" || d.type === "response.function_call_arguments.delta") s(d.delta);
    }
    return out;
  };
  // Non-stream bodies: the whole message's text, for servers that omit usage.
  const wholeText = (op: Operation, d: any): string[] => {
    const out: string[] = [];
    const s = (v: unknown) => typeof v === "string" && out.push(v);
    if (op === "chat-completions" || op === "completions") {
      for (const ch of d.choices ?? []) {
        s(ch.message?.content); s(ch.message?.reasoning_content); s(ch.text);
        for (const t of ch.message?.tool_calls ?? []) s(t.function?.arguments);
      }
    } else if (op === "messages" || op === "invoke") {
      for (const c of d.content ?? []) { s(c.text); s(c.thinking); }
    } else if (op === "generate-content" || op === "stream-generate-content") {
      for (const c of d.candidates ?? []) for (const p of c.content?.parts ?? []) s(p.text);
    } else if (op === "ollama-chat") {
      s(d.message?.content); s(d.message?.thinking);
    }
    return out;
  };
  for (const e of withUsage.filter((i) => i.response.content_type.startsWith("application/json"))) {
    it(`${e.provider}/${e.name} (whole message)`, () => {
      const c = callOf(e);
      const doc = JSON.parse(new TextDecoder().decode(c.body));
      // A Gemini JSON-array stream is its elements, one after another.
      const docs = Array.isArray(doc) ? doc : [doc];
      const want = docs.flatMap((d) => wholeText(c.operation, d)).reduce((n, t) => n + enc.encode(t).length, 0);
      expect(meter(c).text_bytes).toBe(want);
    });
  }
  for (const e of withUsage.filter((i) => i.response.content_type.startsWith("text/event-stream"))) {
    it(`${e.provider}/${e.name}`, () => {
      const c = callOf(e);
      let want = 0;
      for (const ev of sseEvents(new TextDecoder().decode(c.body))) {
        if (ev.data === "[DONE]") continue;
        for (const t of textOf(c.operation, JSON.parse(ev.data))) want += enc.encode(t).length;
      }
      expect(meter(c).text_bytes).toBe(want);
    });
  }
});

describe("Bedrock InvokeModel", () => {
  const e = index.find((i) => i.name === "invoke-anthropic-cache")!;

  it("the token-count headers alone give the oracle's figures (a body without usage)", () => {
    const c = { ...callOf(e), body: enc.encode("{}") };
    const want = oracleShape(oracleUsage(c));
    expect(want).not.toBeNull();
    expect(asUsage(meter(c))).toEqual(want);
  });

  it("the headers and the Anthropic body agree", () => {
    const c = callOf(e);
    const fromHeaders = meter({ ...c, body: enc.encode("{}") });
    const fromBody = meter({ ...c, headers: [[":status", "200"]] });
    expect(fromHeaders.input).toBe(fromBody.input);
    expect(fromHeaders.output).toBe(fromBody.output);
    expect(fromHeaders.cache_write).toBe(fromBody.cache_write);
  });

  // InvokeModelWithResponseStream is [docs] only: built here from the documented shape.
  function frame(headers: Record<string, string>, payload: Uint8Array): Uint8Array {
    const hs: number[] = [];
    for (const [k, v] of Object.entries(headers)) {
      const kb = enc.encode(k), vb = enc.encode(v);
      hs.push(kb.length, ...kb, 7, vb.length >> 8, vb.length & 255, ...vb);
    }
    const total = 16 + hs.length + payload.length;
    const out = new Uint8Array(total);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, total);
    dv.setUint32(4, hs.length);
    dv.setUint32(8, crc32(out.subarray(0, 8)));
    out.set(hs, 12);
    out.set(payload, 12 + hs.length);
    dv.setUint32(total - 4, crc32(out.subarray(0, total - 4)));
    return out;
  }
  const chunk = (ev: object) =>
    frame({ ":event-type": "chunk", ":content-type": "application/json", ":message-type": "event" },
      enc.encode(JSON.stringify({ bytes: Buffer.from(JSON.stringify(ev)).toString("base64"), p: "abcdef" })));
  const events = [
    { type: "message_start", message: { model: "claude-x", usage: { input_tokens: 7, cache_read_input_tokens: 100, cache_creation_input_tokens: 3, output_tokens: 1 } } },
    { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "héllo" } },
    { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 12 } },
    { type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 7, outputTokenCount: 12, cacheReadInputTokenCount: 100, cacheWriteInputTokenCount: 3 } },
  ];
  const body = new Uint8Array(Buffer.concat(events.map((ev) => chunk(ev))));
  const call: Call = { provider: "bedrock" as Provider, operation: "invoke-stream" as Operation, contentType: "application/vnd.amazon.eventstream", headers: [[":status", "200"]], status: 200, body };

  it("stream: base64 chunk events decode to the Anthropic stream", () => {
    const want = oracleShape(oracleUsage(call));
    expect(want).toMatchObject({ input: 110, output: 12, cached_input: 100, cache_write: 3 });
    const got = meter(call);
    expect(asUsage(got)).toEqual(want);
    expect(got.text_bytes).toBe(enc.encode("héllo").length);
    expect(everySplit(call)).toBe(-1);
  });

  it("stream cut after message_start: the invocation metrics are missing, input is reported", () => {
    const cut = { ...call, body: new Uint8Array(Buffer.concat(events.slice(0, 2).map((ev) => chunk(ev)))) };
    expect(meterPartsView(meter(cut))).toEqual(partsView(cut));
    expect(meter(cut).input).toBe(110);
    expect(meter(cut).output).toBeNull();
  });
});

describe("never traps", () => {
  const cts = ["application/json", "text/event-stream", "application/x-ndjson", "application/vnd.amazon.eventstream", ""];

  it("random bytes under every operation and content type", () => {
    const next = rng(0xbad);
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(next() * 600);
      const body = new Uint8Array(len);
      // Mostly JSON-ish bytes so the scanners get deep, with some raw noise.
      const alphabet = enc.encode('{}[]":,0123456789 \n\r\\data:event:usage"tokens');
      for (let k = 0; k < len; k++) body[k] = next() < 0.8 ? alphabet[Math.floor(next() * alphabet.length)] : Math.floor(next() * 256);
      const op = OPERATIONS[i % OPERATIONS.length];
      const r = meter({ provider: "unknown" as Provider, operation: op, contentType: cts[i % cts.length], headers: [["x-amzn-bedrock-input-token-count", "x"]], status: 200, body }, randomSplits(len, next));
      expect(typeof r.reported).toBe("boolean");
    }
  });

  it("mutated recordings, and units larger than the bound", () => {
    const next = rng(0xfeed);
    for (const e of withUsage) {
      const c = callOf(e);
      for (let i = 0; i < 10; i++) {
        const body = c.body.slice();
        for (let k = 0; k < 1 + Math.floor(next() * 8); k++) body[Math.floor(next() * body.length)] = Math.floor(next() * 256);
        const r = meter({ ...c, body }, randomSplits(body.length, next));
        expect(typeof r.reported).toBe("boolean");
      }
      const small = meter(c, [], 64);
      expect(typeof small.reported).toBe("boolean");
    }
  });
});
