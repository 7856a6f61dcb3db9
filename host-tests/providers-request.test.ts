// Request-side recognition in AssemblyScript (filters/lib/providers: recognise, request,
// prompt) against the oracle's `recognise` on every recorded exchange, prompt counts against
// what the provider billed, and hostile input that must never trap.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCassettes } from "./replay/cassette";
import { recognise, usageFrom, type Headers } from "./support/usage-oracle";

const WASM = join(dirname(fileURLToPath(import.meta.url)), "../dist/providers-request.wasm");
const enc = new TextEncoder();

interface Result {
  provider: string; operation: string; model: string | null; stream: boolean; outputCap: number | null; n: number;
  includeUsage: boolean | null; bodyStatus: number; promptTokens: number; promptSource: string; family: number;
}

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  pr_alloc(n: number): number;
  pr_free(p: number): void;
  pr_out_ptr(): number;
  pr_out_len(): number;
  pr_tables_ready(): number;
  pr_recognise(m: number, ml: number, p: number, pl: number, h: number, hl: number, b: number, bl: number): number;
}

let x: Exports;

beforeAll(async () => {
  const module = await WebAssembly.compile(readFileSync(WASM));
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) if (imp.kind === "function") (imports[imp.module] ??= {})[imp.name] = () => 0;
  x = (await WebAssembly.instantiate(module, imports)).exports as unknown as Exports;
  x._initialize();
});

function put(b: Uint8Array): number {
  const p = x.pr_alloc(b.length);
  new Uint8Array(x.memory.buffer, p, b.length).set(b);
  return p;
}

function headerBytes(h: Array<[string, string]>): Uint8Array {
  const parts: number[] = [];
  const u32 = (n: number) => parts.push(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255);
  for (const [k, v] of h) {
    const kb = enc.encode(k), vb = enc.encode(v);
    u32(kb.length); parts.push(...kb); u32(vb.length); parts.push(...vb);
  }
  return new Uint8Array(parts);
}

function wasmRecognise(method: string | Uint8Array, path: string | Uint8Array, headers: Array<[string, string]>, body: Uint8Array | string | null): Result {
  const bufs = [typeof method === "string" ? enc.encode(method) : method, typeof path === "string" ? enc.encode(path) : path,
    headerBytes(headers), body === null ? new Uint8Array(0) : typeof body === "string" ? enc.encode(body) : body];
  const ptrs = bufs.map(put);
  try {
    const n = x.pr_recognise(ptrs[0], bufs[0].length, ptrs[1], bufs[1].length, ptrs[2], bufs[2].length, ptrs[3], bufs[3].length);
    return JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.pr_out_ptr(), n)));
  } finally {
    ptrs.forEach((p) => x.pr_free(p));
  }
}

const recognitionOf = (r: Result) => ({ provider: r.provider, operation: r.operation, model: r.model, stream: r.stream, outputCap: r.outputCap, n: r.n });

const cassettes = loadCassettes([resolve(__dirname, "recordings/cassettes")]);
const exchanges = cassettes.flatMap((c) => c.exchanges);

function requestOf(e: (typeof exchanges)[number]) {
  const r = e.exchange.request;
  const headers: Array<[string, string]> = [[":authority", r.authority ?? ""], ...r.headers.map(([k, v]) => [k, v] as [string, string])];
  return { method: r.method, path: r.path, headers, body: r.body.length ? r.body : null };
}

describe("recognition equals the oracle on every recorded exchange", () => {
  it("covers all cassettes", () => {
    expect(cassettes.length).toBe(10);
    expect(exchanges.length).toBe(53);
  });
  for (const e of exchanges) {
    it(e.name, () => {
      const q = requestOf(e);
      expect(recognitionOf(wasmRecognise(q.method, q.path, q.headers, q.body))).toEqual(recognise(q.method, q.path, q.headers, q.body));
    });
  }
});

// What the provider billed as input (the oracle's normalised `input`, cache reads and writes
// included), for every 2xx recording that reports it.
function reportedInput(e: (typeof exchanges)[number]): number | null {
  const q = requestOf(e);
  const r = recognise(q.method, q.path, q.headers, q.body);
  const resp = e.exchange.response;
  const h: Headers = [[":status", String(resp.status)], ...resp.headers.filter(([k]) => k !== "content-encoding").map(([k, v]) => [k, v] as [string, string])];
  const ct = resp.headers.find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? null;
  return usageFrom(r.provider, r.operation, h, resp.body, ct)?.input ?? null;
}

describe("prompt tokens", () => {
  it("module has the vocabulary tables", () => expect(x.pr_tables_ready()).toBeTruthy());

  // OpenAI chat recordings with a request body and a reported prompt (JSON or stream usage).
  const openaiChat = exchanges.filter((e) => {
    const q = requestOf(e);
    const r = recognise(q.method, q.path, q.headers, q.body);
    return q.body !== null && r.operation === "chat-completions" && (r.provider === "openai" || r.provider === "azure-openai") &&
      !e.name.startsWith("openrouter/") && reportedInput(e) !== null;
  });

  it("there are OpenAI chat recordings to check", () => expect(openaiChat.map((e) => e.name).sort()).toEqual([
    "azure-openai/chat-basic", "openai/chat-basic", "openai/chat-n2", "openai/chat-reasoning-tool-call",
    "openai/chat-stream-tool-calls", "openai/chat-stream-usage-cached", "openai/chat-tool-call",
  ]));

  for (const e of openaiChat) {
    it(`${e.name}: counted prompt equals the billed prompt`, () => {
      const q = requestOf(e);
      const r = wasmRecognise(q.method, q.path, q.headers, q.body);
      const billed = reportedInput(e)!;
      if (/^(gpt-5|o[134])/.test(r.model ?? "")) {
        // Reasoning models bill hidden prompt tokens the public formula cannot know: the count
        // is a floor and says so.
        expect(r.promptSource).toBe("estimated");
        expect(r.promptTokens).toBeLessThanOrEqual(billed);
      } else {
        expect(r.promptSource).toBe("counted");
        expect(r.promptTokens).toBe(billed);
      }
    });
  }

  it("embeddings with an OpenAI model are counted exactly", () => {
    const e = exchanges.find((x) => x.name === "openai/embeddings-float")!;
    const q = requestOf(e);
    const r = wasmRecognise(q.method, q.path, q.headers, q.body);
    expect(r.promptSource).toBe("counted");
    expect(r.promptTokens).toBe(reportedInput(e));
  });
  // Estimated prompts are bounded per family in prompt-estimates.test.ts (ESTIMATES.md).
});

describe("never traps", () => {
  const post = (path: string, body: string | Uint8Array | null, h: Array<[string, string]> = [[":authority", "api.openai.com"]]) => wasmRecognise("POST", path, h, body);

  it("malformed bodies leave the operation and mark the body", () => {
    for (const body of ["{", "{\"model\":", "[1,2", "\"abc", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}", "nul", "{}}", "\u00ff\u00fe"]) {
      const r = post("/v1/chat/completions", body);
      expect(r.operation).toBe("chat-completions");
      expect(r.model).toBeNull();
      expect(r.bodyStatus).toBe(2);
      expect(recognitionOf(r)).toEqual(recognise("POST", "/v1/chat/completions", [[":authority", "api.openai.com"]], body));
    }
  });

  it("deep nesting, giant strings, odd numbers", () => {
    const deep = "[".repeat(100000);
    expect(post("/v1/chat/completions", deep).bodyStatus).toBe(2);
    const big = JSON.stringify({ model: "m".repeat(10000), messages: [{ role: "user", content: "x".repeat(1 << 20) }], max_tokens: 1e30, n: 1.5 });
    const r = post("/v1/chat/completions", big);
    expect(r.model).toBeNull();
    expect(r.n).toBe(1);
    for (const body of [`{"max_tokens":12.0,"n":2,"model":"gpt-4o"}`, `{"max_tokens":"12"}`, `{"max_completion_tokens":null,"max_tokens":7}`, `{"max_tokens":-3}`, `{"model":"gpt-4o","model":"x\\u0041"}`]) {
      const o = recognise("POST", "/v1/chat/completions", [[":authority", "api.openai.com"]], body);
      expect(recognitionOf(post("/v1/chat/completions", body))).toEqual(o);
    }
  });

  it("odd paths and methods agree with the oracle", () => {
    const paths = ["", "/", "//v1/messages", "/v1/messages/", "/v1/messages?beta=true", "/model//converse", "/model/a%ZZ/converse",
      "/model/a%E2%82/invoke", "/model/%E2%82%AC/invoke-with-response-stream", "/v1beta/models/:generateContent", "/v1/models/a:b:generateContent",
      "/v1/projects/p/locations/l/publishers/google/models/gemini-2.5-pro:streamGenerateContent",
      "/v1beta1/projects/p/locations/l/publishers/anthropic/models/claude%40x:streamRawPredict",
      "/openai/deployments/dep%201/chat/completions", "/openai/deployments/d/embeddings?api-version=1", "/compatibility/v1/completions",
      "/api/v1/responses", "/v1/chat/completions?api%2Dversion=x", "/v1/chat/completions?a=1&api-version", "/v1/audio/speech",
      "/v1/messages/count_tokens", "/api/chat", "/api/generate", "/x".repeat(50), "/v1/chat/completions" + "/".repeat(1000)];
    const hosts = ["api.openai.com", "API.Groq.com:443", "x.openai.azure.com", "localhost:11434", "openrouter.ai", "aiplatform.googleapis.com", "h:", ""];
    const body = `{"model":"m","stream":true,"max_tokens":5,"n":3,"generationConfig":{"maxOutputTokens":9,"candidate_count":2},"inferenceConfig":{"maxTokens":4},"options":{"num_predict":-1}}`;
    for (const method of ["POST", "post", "GET"]) for (const p of paths) for (const host of hosts) {
      const h: Array<[string, string]> = [[":authority", host]];
      expect(recognitionOf(wasmRecognise(method, p, h, body)), `${method} ${p} ${host}`).toEqual(recognise(method, p, h, body));
    }
    expect(recognitionOf(wasmRecognise("POST", "/v1/chat/completions", [["host", "api.mistral.ai"], ["api-key", "k"]], null)))
      .toEqual(recognise("POST", "/v1/chat/completions", [["host", "api.mistral.ai"], ["api-key", "k"]], null));
  });

  it("random bytes", () => {
    let s = 12345;
    const rnd = () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 300; i++) {
      const b = new Uint8Array(Math.floor(rnd() * 200)).map(() => Math.floor(rnd() * 256));
      const p = new Uint8Array(Math.floor(rnd() * 60)).map(() => Math.floor(rnd() * 256));
      const r = wasmRecognise("POST", p, [[":authority", "api.openai.com"]], b);
      expect(typeof r.provider).toBe("string");
      post("/v1/chat/completions", b);
      post("/api/chat", b);
      post("/v1beta/models/g:generateContent", b);
    }
  });
});
