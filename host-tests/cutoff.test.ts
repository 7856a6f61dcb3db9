// The stream cutter (filters/lib/providers/cutoff.ts, through dist/cutoff.wasm) on every streamed
// recording: the client gets a prefix of the original that ends on an event boundary plus the
// terminal bytes, the official SDKs read that as a complete stream ending for length, the cut
// falls on the same byte however the body is chunked, the running count agrees with the
// provider's report, and no input traps.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Stream as OpenAIStream } from "openai/core/streaming";
import { ChatCompletionStream } from "openai/lib/ChatCompletionStream";
import { ResponseStream } from "openai/lib/responses/ResponseStream";
import { Stream as AnthropicStream } from "@anthropic-ai/sdk/core/streaming";
import { MessageStream } from "@anthropic-ai/sdk/lib/MessageStream";
import { prng } from "./replay/split";
import { crc32, usageFrom, type Operation, type Provider } from "./support/usage-oracle";
import { index, bytesOf, responseHeaders, recogniseEntry, type IndexEntry } from "./support/recordings-index";

const here = dirname(fileURLToPath(import.meta.url));
const WASM = join(here, "../dist/cutoff.wasm");

// The numbering of filters/lib/providers/types.ts.
const PROVIDERS = [
  "unknown", "openai", "azure-openai", "mistral", "groq", "deepseek", "together", "openrouter",
  "openai-compatible", "anthropic", "gemini", "vertex-ai", "bedrock", "ollama",
];
const OPERATIONS = [
  "unknown", "chat-completions", "completions", "responses", "embeddings", "messages", "generate-content",
  "stream-generate-content", "converse", "converse-stream", "invoke", "invoke-stream", "ollama-chat", "ollama-generate",
];
const F_JSON = 0, F_SSE = 1, F_NDJSON = 2, F_EVENTSTREAM = 3, F_ARRAY = 4;
const ENC_O200K = 0, ENC_CL100K = 1, ENC_NONE = -1;
const MAX_EVENT = 1 << 20;

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  ct_alloc(n: number): number;
  ct_free(p: number): void;
  ct_new(provider: number, operation: number, framing: number, encoding: number, maxEvent: number): number;
  ct_push(ptr: number, len: number, allowance: bigint): number;
  ct_tokens(): bigint;
  ct_bad_units(): number;
  ct_terminate(): number;
  ct_out_ptr(): number;
}

let x: Exports;

beforeAll(async () => {
  const module = await WebAssembly.compile(readFileSync(WASM));
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) if (imp.kind === "function") (imports[imp.module] ??= {})[imp.name] = () => 0;
  x = (await WebAssembly.instantiate(module, imports)).exports as unknown as Exports;
  x._initialize();
});

interface Case {
  entry: IndexEntry;
  provider: number;
  operation: number;
  framing: number;
  encoding: number;
  body: Uint8Array;
}

function framingOf(contentType: string, operation: string): number {
  const ct = contentType.toLowerCase();
  if (ct.startsWith("text/event-stream")) return F_SSE;
  if (ct.startsWith("application/vnd.amazon.eventstream")) return F_EVENTSTREAM;
  if (ct.startsWith("application/x-ndjson")) return F_NDJSON;
  return operation === "stream-generate-content" ? F_ARRAY : F_JSON;
}

// The tokenizer the model family uses; other vendors' models are counted with o200k_base as
// an approximation (their tokenizers are not public), which the tolerance below allows for.
function encodingOf(model: string | undefined): number {
  const m = (model ?? "").toLowerCase();
  if (/^gpt-(3\.5|4)(?!o|\.1|\.5)/.test(m)) return ENC_CL100K;
  return ENC_O200K;
}

const streamed: Case[] = index
  .filter((e) => e.response.status === 200 && e.request !== undefined)
  .map((e) => {
    const r = recogniseEntry(e);
    const framing = framingOf(e.response.content_type, r.operation);
    return { entry: e, provider: PROVIDERS.indexOf(r.provider), operation: OPERATIONS.indexOf(r.operation), framing, encoding: encodingOf(r.model ?? undefined), body: bytesOf(e.files.response) };
  })
  .filter((c) => c.framing !== F_JSON);

interface Run {
  cut: number; // absolute offset in the body, -1 when never cut
  terminal: Uint8Array;
  emitted: Uint8Array;
  tokens: number;
}

function put(bytes: Uint8Array): number {
  const p = x.ct_alloc(bytes.length);
  new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
  return p;
}

/** Feeds `body` in chunks of the given sizes as a filter would, building what the client gets. */
function run(c: Case, chunks: number[], allowance: number, maxEvent = MAX_EVENT, encoding = c.encoding): Run {
  x.ct_new(c.provider, c.operation, c.framing, encoding, maxEvent);
  const p = put(c.body);
  const parts: Uint8Array[] = [];
  let cut = -1;
  let terminal = new Uint8Array(0);
  let off = 0;
  try {
    for (const n of chunks) {
      const r = x.ct_push(p + off, n, BigInt(allowance));
      if (cut >= 0) {
        expect(r).toBe(0);
      } else if (r === -1) {
        parts.push(c.body.slice(off, off + n));
      } else {
        expect(r).toBeGreaterThanOrEqual(0);
        expect(r).toBeLessThanOrEqual(n);
        cut = off + r;
        parts.push(c.body.slice(off, off + r));
        const len = x.ct_terminate();
        terminal = new Uint8Array(x.memory.buffer, x.ct_out_ptr(), len).slice();
        parts.push(terminal);
      }
      off += n;
    }
  } finally {
    x.ct_free(p);
  }
  return { cut, terminal, emitted: concat(parts), tokens: Number(x.ct_tokens()) };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const b of parts) { out.set(b, o); o += b.length; }
  return out;
}

function randomSplit(total: number, rnd: () => number): number[] {
  const cuts = new Set<number>();
  const want = 1 + Math.floor(rnd() * Math.min(64, Math.max(1, total - 1)));
  while (cuts.size < want && total > 1) cuts.add(1 + Math.floor(rnd() * (total - 1)));
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: number[] = [];
  let prev = 0;
  for (const k of sorted) { out.push(k - prev); prev = k; }
  out.push(total - prev);
  return out;
}

// Recordings carry no chunk boundaries ("recorded" is the body as one chunk, as stored).
function splits(total: number, seed: number): Array<[string, number[]]> {
  const rnd = prng(seed);
  return [
    ["recorded", [total]],
    ["every-byte", Array.from({ length: total }, () => 1)],
    ["size:7", Array.from({ length: Math.ceil(total / 7) }, (_, i) => Math.min(7, total - i * 7))],
    ["random#1", randomSplit(total, rnd)],
    ["random#2", randomSplit(total, rnd)],
    ["random#3", randomSplit(total, rnd)],
  ];
}

const dec = new TextDecoder();

function responseOf(bytes: Uint8Array): Response {
  return new Response(bytes as Uint8Array<ArrayBuffer>, { headers: { "content-type": "text/event-stream" } });
}

// The SDKs' own accumulators read NDJSON of already-parsed events (their toReadableStream form).
function ndjsonStream(items: unknown[]): ReadableStream {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const it of items) controller.enqueue(enc.encode(JSON.stringify(it) + "\n"));
      controller.close();
    },
  });
}

async function sseItems<T>(sdk: "openai" | "anthropic", bytes: Uint8Array): Promise<T[]> {
  const controller = new AbortController();
  const stream = sdk === "openai"
    ? OpenAIStream.fromSSEResponse<T>(responseOf(bytes), controller)
    : AnthropicStream.fromSSEResponse<T>(responseOf(bytes), controller);
  const out: T[] = [];
  for await (const it of stream) out.push(it);
  return out;
}

// WHATWG SSE parsing (LF / CRLF / CR), for the dialects without an SDK here.
function sseData(text: string): string[] {
  const out: string[] = [];
  let data: string[] | null = null;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === "") { if (data) out.push(data.join("\n")); data = null; continue; }
    if (line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const name = i < 0 ? line : line.slice(0, i);
    let v = i < 0 ? "" : line.slice(i + 1);
    if (v.startsWith(" ")) v = v.slice(1);
    if (name === "data") (data ??= []).push(v);
  }
  return out;
}

interface Frame { headers: Record<string, string>; payload: Uint8Array }

function eventFrames(b: Uint8Array): Frame[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: Frame[] = [];
  let o = 0;
  while (o < b.length) {
    expect(b.length - o).toBeGreaterThanOrEqual(16);
    const total = dv.getUint32(o);
    const hlen = dv.getUint32(o + 4);
    expect(crc32(b.subarray(o, o + 8))).toBe(dv.getUint32(o + 8));
    expect(o + total).toBeLessThanOrEqual(b.length);
    expect(crc32(b.subarray(o, o + total - 4))).toBe(dv.getUint32(o + total - 4));
    const headers: Record<string, string> = {};
    let h = o + 12;
    while (h < o + 12 + hlen) {
      const nl = b[h];
      const name = dec.decode(b.subarray(h + 1, h + 1 + nl));
      h += 1 + nl;
      expect(b[h]).toBe(7);
      const vl = dv.getUint16(h + 1);
      headers[name] = dec.decode(b.subarray(h + 3, h + 3 + vl));
      h += 3 + vl;
    }
    out.push({ headers, payload: b.subarray(o + 12 + hlen, o + total - 4) });
    o += total;
  }
  return out;
}

/**
 * Proves `bytes` is a complete stream of the case's dialect that ends for length, or (reason
 * null) one that ended on its own with any finish reason.
 */
async function assertComplete(c: Case, bytes: Uint8Array, reason: "length" | null): Promise<void> {
  // Gemini is the only dialect whose last event can end the stream without a terminator.
  if (reason === null) expect(OPERATIONS[c.operation]).toBe("stream-generate-content");
  const op = OPERATIONS[c.operation];
  if (op === "chat-completions" || op === "completions") {
    const chunks = await sseItems<{ choices: Array<{ index: number; finish_reason: string | null }> }>("openai", bytes);
    const last = new Map<number, string | null>();
    for (const ch of chunks) for (const choice of ch.choices ?? []) if (choice.finish_reason) last.set(choice.index, choice.finish_reason);
    expect([...last.values()]).toContain("length");
    const final = await ChatCompletionStream.fromReadableStream(ndjsonStream(chunks)).finalChatCompletion();
    expect(final.choices.some((ch) => ch.finish_reason === "length")).toBe(true);
  } else if (op === "responses") {
    const events = await sseItems<{ type: string }>("openai", bytes);
    expect(events.at(-1)?.type).toBe("response.incomplete");
    const final = await ResponseStream.fromReadableStream(ndjsonStream(events)).finalResponse();
    expect(final.status).toBe("incomplete");
    expect(final.incomplete_details?.reason).toBe("max_output_tokens");
  } else if (op === "messages") {
    const events = await sseItems<{ type: string }>("anthropic", bytes);
    expect(events.at(-1)?.type).toBe("message_stop");
    const final = await MessageStream.fromReadableStream(ndjsonStream(events)).finalMessage();
    expect(final.stop_reason).toBe("max_tokens");
  } else if (op === "stream-generate-content") {
    const chunks = c.framing === F_ARRAY
      ? (JSON.parse(dec.decode(bytes)) as unknown[])
      : sseData(dec.decode(bytes)).map((d) => JSON.parse(d));
    const last = chunks.at(-1) as { candidates: Array<{ finishReason?: string }> };
    if (reason === null) expect(last.candidates.every((k) => typeof k.finishReason === "string")).toBe(true);
    else expect(last.candidates.map((k) => k.finishReason)).toContain("MAX_TOKENS");
    // @google/genai splits SSE on a blank line of one style (\n\n, \r\r or \r\n\r\n):
    // a CRLF stream must stay CRLF across the cut.
    if (c.framing === F_SSE && dec.decode(c.body).includes("\r\n")) expect(dec.decode(bytes)).toMatch(/^(data: [^\r\n]*\r\n\r\n)+$/);
  } else if (op === "converse-stream") {
    const frames = eventFrames(bytes);
    const types = frames.map((f) => f.headers[":event-type"]);
    expect(types.at(-1)).toBe("messageStop");
    expect(JSON.parse(dec.decode(frames.at(-1)!.payload)).stopReason).toBe("max_tokens");
    // Every block that got a delta or a start is stopped before messageStop.
    const open = new Set<number>();
    for (const f of frames) {
      const t = f.headers[":event-type"];
      const pl = JSON.parse(dec.decode(f.payload));
      if (t === "contentBlockStart" || t === "contentBlockDelta") open.add(pl.contentBlockIndex);
      if (t === "contentBlockStop") open.delete(pl.contentBlockIndex);
    }
    expect([...open]).toEqual([]);
  } else if (op === "ollama-chat" || op === "ollama-generate") {
    const lines = dec.decode(bytes).split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.done === true).length).toBe(1);
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: "length" });
  } else {
    throw new Error(`no check for ${op}`);
  }
}

function label(c: Case): string {
  return c.entry.name.includes("/") ? c.entry.name : `${c.entry.provider}/${c.entry.name}`;
}

describe("stream cutter: recordings", () => {
  it("finds every streamed dialect among the recordings", () => {
    const ops = new Set(streamed.map((c) => OPERATIONS[c.operation]));
    for (const op of ["chat-completions", "responses", "messages", "stream-generate-content", "converse-stream", "ollama-chat"]) {
      expect(ops).toContain(op);
    }
    expect(streamed.length).toBeGreaterThanOrEqual(15);
  });

  // Providers bill tokens no delta shows: tool-call framing, hidden reasoning (Gemini streams
  // only a summary of its thoughts), end-of-turn markers. Where all output is visible text the
  // count must agree within max(5, 30%); with tool calls or reported reasoning it must not run
  // over the report by more than that (it runs under, by what is hidden). A report of 0 output
  // (openai-responses/responses-stream-incomplete says 0 after 16 deltas) is not compared.
  const ratios: string[] = [];
  const TOOLS = /tool/;

  for (const c of streamed) {
    describe(label(c), () => {
      it("is supported and uncut counts close to the reported output", () => {
        expect(x.ct_new(c.provider, c.operation, c.framing, c.encoding, MAX_EVENT)).toBe(1);
        const whole = run(c, [c.body.length], Number.MAX_SAFE_INTEGER);
        expect(whole.cut).toBe(-1);
        expect(whole.emitted).toEqual(c.body);
        expect(whole.tokens).toBeGreaterThan(0);
        // Without a tokenizer: one token per four bytes, within a factor of three of the count
        // (JSON arguments tokenize denser than prose).
        const est = run(c, [c.body.length], Number.MAX_SAFE_INTEGER, MAX_EVENT, ENC_NONE).tokens;
        expect(est).toBeGreaterThanOrEqual(whole.tokens / 3);
        expect(est).toBeLessThanOrEqual(whole.tokens * 2 + 2);
        const u = usageFrom(PROVIDERS[c.provider] as Provider, OPERATIONS[c.operation] as Operation, responseHeaders(c.entry), c.body, c.entry.response.content_type);
        if (u === null) return; // no report to compare with (chat-stream-no-usage)
        const reported = u.output;
        if (reported === 0) return;
        const slack = Math.max(5, 0.3 * reported);
        ratios.push(`${label(c)} ${whole.tokens}/${reported}=${(whole.tokens / reported).toFixed(2)}`);
        expect(whole.tokens).toBeLessThanOrEqual(reported + slack);
        if (!TOOLS.test(c.entry.name) && u.reasoning === 0) expect(whole.tokens).toBeGreaterThanOrEqual(reported - slack);
      });

      const total = (): number => run(c, [c.body.length], Number.MAX_SAFE_INTEGER).tokens;

      it("cuts at 0, 3 and mid-stream on an event boundary, the same for every split, and the SDK ends for length", async () => {
        const t = total();
        expect(t).toBeGreaterThan(0);
        const allowances = [...new Set([0, 3, Math.floor(t / 2)])].filter((a) => a < t);
        expect(allowances.length).toBeGreaterThan(0);
        for (const allowance of allowances) {
          const base = run(c, [c.body.length], allowance);
          expect(base.cut, `allowance ${allowance}`).toBeGreaterThan(0);
          expect(base.tokens).toBeGreaterThan(allowance);
          // (1) a prefix of the original plus the terminal bytes
          expect(base.emitted).toEqual(concat([c.body.subarray(0, base.cut), base.terminal]));
          // An empty terminal only where the crossing event itself ended the stream's every
          // choice/candidate: the prefix is then a complete stream that finished on its own.
          const ended = dec.decode(base.terminal).trim() === ""; // at most the LF a CRLF cut owes
          // The first crossing: the body one byte short of the cut did not complete the crossing unit.
          const short = run({ ...c, body: c.body.subarray(0, base.cut - 1) }, [base.cut - 1], Number.MAX_SAFE_INTEGER);
          expect(short.tokens).toBeLessThanOrEqual(allowance);
          // (2) a complete stream that ends for length
          await assertComplete(c, base.emitted, ended ? null : "length");
          // (3) the same cut and bytes for every split
          for (const [name, chunks] of splits(c.body.length, c.body.length * 31 + allowance)) {
            const r = run(c, chunks, allowance);
            expect(r.cut, `${name} allowance ${allowance}`).toBe(base.cut);
            expect(r.emitted).toEqual(base.emitted);
          }
        }
      });
    });
  }

  it("reports the measured count agreement", () => {
    // Printed for the record; each ratio is asserted in its own test above.
    console.log("counted/reported output: " + ratios.join("; "));
    expect(ratios.length).toBeGreaterThanOrEqual(10);
  });
});

describe("stream cutter: unsupported and hostile input", () => {
  it("is unsupported for non-streamed bodies and streams it cannot end", () => {
    const json = OPERATIONS.indexOf("chat-completions");
    expect(x.ct_new(1, json, F_JSON, ENC_O200K, MAX_EVENT)).toBe(0);
    expect(x.ct_new(12, OPERATIONS.indexOf("invoke-stream"), F_EVENTSTREAM, ENC_O200K, MAX_EVENT)).toBe(0);
    expect(x.ct_new(1, OPERATIONS.indexOf("embeddings"), F_SSE, ENC_O200K, MAX_EVENT)).toBe(0);
    expect(x.ct_new(0, 0, F_SSE, ENC_O200K, MAX_EVENT)).toBe(0);
    const p = put(new TextEncoder().encode('data: {"choices":[{"delta":{"content":"hello there"}}]}\n\n'));
    expect(x.ct_push(p, 10, 0n)).toBe(-1);
    expect(x.ct_terminate()).toBe(0);
    x.ct_free(p);
  });

  it("counts a malformed event as no output", () => {
    const c = { ...streamed.find((s) => s.entry.name === "chat-stream-no-usage")!, body: new TextEncoder().encode(
      'data: {"choices":[{"index":0,"delta":{"content":"many words of text here"}}],oops}\n\n' +
      'data: {"choices":[{"index":0,"delta":{"content":"ok"}}]}\n\n') };
    const r = run(c, [c.body.length], 0);
    expect(r.tokens).toBe(1);
    expect(r.cut).toBe(c.body.length);
  });

  it("an event larger than maxEventBytes is dropped, not held, and causes no cut", () => {
    const c = streamed.find((s) => s.entry.name === "messages-stream-text")!;
    const r = run(c, [c.body.length], 0, 64);
    expect(r.cut).toBe(-1);
    expect(r.tokens).toBe(0);
  });

  it("never traps on random bytes, truncated streams or tiny event caps", () => {
    const rnd = prng(0xc0ffee);
    for (const c of streamed) {
      for (let k = 0; k < 4; k++) {
        const noise = new Uint8Array(1 + Math.floor(rnd() * 4096));
        for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(rnd() * 256);
        // Noise alone, and noise spliced into the real stream.
        const at = Math.floor(rnd() * c.body.length);
        for (const body of [noise, concat([c.body.subarray(0, at), noise, c.body.subarray(at)])]) {
          const r = run({ ...c, body }, randomSplit(body.length, rnd), Math.floor(rnd() * 8));
          x.ct_terminate();
          expect(r.cut).toBeLessThanOrEqual(body.length);
        }
      }
      for (let k = 0; k < 8; k++) {
        const n = Math.floor(rnd() * c.body.length);
        const body = c.body.subarray(0, n);
        run({ ...c, body }, randomSplit(n, rnd), Math.floor(rnd() * 8), 1 + Math.floor(rnd() * 300));
        expect(x.ct_terminate()).toBeGreaterThanOrEqual(0);
      }
    }
  });
});
