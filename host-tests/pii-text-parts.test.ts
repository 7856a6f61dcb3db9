// filters/lib/pii text parts and JSON rewriting against the TypeScript oracle
// (support/text-parts-oracle.ts): every recorded request and response body and every streamed
// event finds the oracle's parts; rewriting every part keeps the JSON valid and every other
// field equal; escapes, surrogates and invalid UTF-8 survive; random bytes never trap.
// dist/pii-text.wasm is filters/testing/pii-text.
import { describe, it, expect, beforeAll } from "vitest";
import { prng } from "./replay/split";
import { index, bytesOf, recogniseEntry, type IndexEntry } from "./support/recordings-index";
import { sseEvents, jsonArrayElements, eventStreamFrames } from "./support/usage-oracle";
import { textPartsOracle, withReplaced, channelOf, KIND } from "./support/text-parts-oracle";
import { loadTestWasm } from "./support/test-wasm";


// Codes of filters/lib/providers/types.ts, in enum order.
const PROVIDERS = [
  "unknown", "openai", "azure-openai", "mistral", "groq", "deepseek", "together", "openrouter",
  "openai-compatible", "anthropic", "gemini", "vertex-ai", "bedrock", "ollama",
];
const OPERATIONS = [
  "unknown", "chat-completions", "completions", "responses", "embeddings", "messages", "generate-content",
  "stream-generate-content", "converse", "converse-stream", "invoke", "invoke-stream", "ollama-chat", "ollama-generate",
];
const PART_ESCAPED = 1;
const PART_CONTINUES = 2;

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  pt_alloc(len: number): number;
  pt_free(ptr: number): void;
  pt_out_ptr(): number;
  pt_out_len(): number;
  pt_find(provider: number, operation: number, response: number, ptr: number, len: number): number;
  pt_start(i: number): number;
  pt_end(i: number): number;
  pt_flags(i: number): number;
  pt_channel(i: number): number;
  pt_decode(doc: number, i: number): number;
  pt_rewrite(doc: number, len: number, repl: number, replLen: number): number;
  pt_escape(ptr: number, len: number): number;
  pt_decoded_to_raw(raw: number, rawLen: number, off: number): number;
  pt_rules_ok(): number;
}

let x: Exports;
const enc = new TextEncoder();
const dec = new TextDecoder();

beforeAll(async () => {
  x = await loadTestWasm<Exports>("pii-text");
});

function put(bytes: Uint8Array): number {
  const p = x.pt_alloc(bytes.length);
  new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
  return p;
}
const outBytes = () => new Uint8Array(x.memory.buffer, x.pt_out_ptr(), x.pt_out_len()).slice();

interface Part { start: number; end: number; flags: number; channel: number; raw: string; text: string; decoded: Uint8Array }
interface Found { rc: number; parts: Part[]; rewritten?: Uint8Array; rewriteOk?: number }

/** Finds the parts of doc; with `replace`, also rewrites part i to replace(i) (null = keep). */
function find(provider: string, operation: string, response: boolean, doc: Uint8Array, replace?: (i: number) => Uint8Array | null): Found {
  const p = put(doc);
  try {
    const rc = x.pt_find(PROVIDERS.indexOf(provider), OPERATIONS.indexOf(operation), response ? 1 : 0, p, doc.length);
    const parts: Part[] = [];
    for (let i = 0; i < rc; i++) {
      const start = x.pt_start(i);
      const end = x.pt_end(i);
      const rawBytes = doc.subarray(start, end);
      const raw = dec.decode(rawBytes);
      const n = x.pt_decode(p, i);
      expect(n, "decode").toBeGreaterThanOrEqual(0);
      const decoded = outBytes();
      parts.push({ start, end, flags: x.pt_flags(i), channel: x.pt_channel(i), raw, text: JSON.parse(`"${raw}"`), decoded });
    }
    const found: Found = { rc, parts };
    if (replace && rc >= 0) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < rc; i++) {
        const r = replace(i);
        if (r === null) continue;
        const head = new Uint8Array(8);
        new DataView(head.buffer).setUint32(0, i, true);
        new DataView(head.buffer).setUint32(4, r.length, true);
        chunks.push(head, r);
      }
      const blob = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
      let o = 0;
      for (const c of chunks) { blob.set(c, o); o += c.length; }
      const rp = put(blob);
      found.rewriteOk = x.pt_rewrite(p, doc.length, rp, blob.length);
      found.rewritten = outBytes();
      x.pt_free(rp);
    }
    return found;
  } finally {
    x.pt_free(p);
  }
}

/** The wasm finds exactly the oracle's parts, and rewriting them all to «i» keeps the rest. */
function checkDocument(provider: string, operation: string, response: boolean, doc: Uint8Array): number {
  const parsed = JSON.parse(dec.decode(doc));
  const expected = textPartsOracle(provider, operation, response, parsed);
  const marker = (i: number) => `«${i}»`;
  const got = find(provider, operation, response, doc, (i) => enc.encode(marker(i)));
  expect(got.rc).toBe(expected.length);
  expect(got.parts.map((p) => ({ text: p.text, channel: p.channel, continues: (p.flags & PART_CONTINUES) !== 0 })))
    .toEqual(expected.map((e) => ({ text: e.text, channel: e.channel, continues: e.continues })));
  for (const p of got.parts) {
    expect((p.flags & PART_ESCAPED) !== 0, p.raw).toBe(p.raw.includes("\\"));
    // The decoded bytes are the text, lone surrogates as U+FFFD (what TextEncoder does).
    expect(p.decoded).toEqual(enc.encode(p.text));
  }
  expect(got.rewriteOk).toBe(1);
  const rewritten = JSON.parse(dec.decode(got.rewritten!));
  expect(rewritten).toEqual(withReplaced(parsed, expected.map((e, i) => ({ path: e.path, text: marker(i) }))));
  return expected.length;
}

// Each streamed event's JSON, as the filter would hand it over.
function streamedDocs(e: IndexEntry): Uint8Array[] {
  const body = bytesOf(e.files.response);
  const ct = e.response.content_type ?? "";
  const text = dec.decode(body);
  const first = text.trimStart()[0];
  if (ct.includes("event-stream") && !ct.includes("amazon") && first !== "{" && first !== "[") {
    return sseEvents(text).filter((ev) => ev.data !== "[DONE]").map((ev) => enc.encode(ev.data));
  }
  if (ct.includes("amazon.eventstream")) return eventStreamFrames(body).frames.map((f) => f.payload);
  if (ct.includes("ndjson")) return text.split("\n").filter((l) => l.trim()).map((l) => enc.encode(l));
  if (first === "[") return jsonArrayElements(text).map((el) => enc.encode(el));
  return [];
}

const isJson = (b: Uint8Array) => { try { JSON.parse(dec.decode(b)); return true; } catch { return false; } };

const recorded = index.filter((e) => e.request && e.files.request);

describe("recordings", () => {
  let total = 0;
  it.each(recorded.map((e) => [`${e.provider}/${e.name}`, e] as const))("%s: request, response and events match the oracle", (_n, e) => {
    const r = recogniseEntry(e);
    const req = bytesOf(e.files.request!);
    if (isJson(req)) total += checkDocument(r.provider, r.operation, false, req);
    const res = bytesOf(e.files.response);
    if (isJson(res)) total += checkDocument(r.provider, r.operation, true, res);
    for (const ev of streamedDocs(e)) if (isJson(ev)) total += checkDocument(r.provider, r.operation, true, ev);
  });

  it("finds text in every dialect the recordings cover", () => {
    expect(total).toBeGreaterThan(400);
  });
});

describe("hand-made shapes", () => {
  it("every pattern of the table parses", () => {
    expect(x.pt_rules_ok()).toBe(1);
  });

  it("rewrites only the parts named, in place", () => {
    const doc = enc.encode('{ "messages" : [ {"role":"user","content":"a\\nb"}, {"role":"user","content":"keep"}, {"role":"user","content":"c"} ] }');
    const got = find("openai", "chat-completions", false, doc, (i) => (i === 1 ? null : enc.encode(`<${i}>`)));
    expect(dec.decode(got.rewritten!)).toBe('{ "messages" : [ {"role":"user","content":"<0>"}, {"role":"user","content":"keep"}, {"role":"user","content":"<2>"} ] }');
  });

  const cases: Array<[string, string, boolean, unknown]> = [
    ["openai", "chat-completions", false, { messages: [{ role: "system", content: "sys" }, { role: "user", content: [{ type: "text", text: "hi" }, { type: "image_url", image_url: { url: "data:x" } }] }, { role: "assistant", tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{\"a\":\"b\"}" } }] }, { role: "tool", tool_call_id: "c", content: "result" }] }],
    ["openai", "chat-completions", true, { choices: [{ delta: { tool_calls: [{ index: 3, function: { arguments: "{\"x" } }] }, index: 2 }] }],
    ["openai", "chat-completions", true, { choices: [{ index: 1, message: { content: "a", refusal: "no", tool_calls: [{ function: { arguments: "{}" } }, { function: { arguments: "{}" } }] } }] }],
    ["openai", "completions", false, { prompt: ["one", "two"], suffix: "s" }],
    ["openai", "completions", true, { choices: [{ text: "t", index: 0 }, { text: "u", index: 1 }] }],
    ["openai", "embeddings", false, { input: ["a", "b"], model: "m" }],
    ["openai", "embeddings", false, { input: [[1, 2, 3]], model: "m" }],
    ["openai", "responses", false, { instructions: "be", input: [{ role: "user", content: [{ type: "input_text", text: "hi" }] }, { type: "function_call", arguments: "{}", call_id: "c" }, { type: "function_call_output", output: "42", call_id: "c" }] }],
    ["openai", "responses", false, { input: "plain" }],
    ["openai", "responses", true, { type: "response.output_text.delta", delta: "x", output_index: 2, content_index: 1 }],
    ["openai", "responses", true, { delta: "x", output_index: 2, content_index: 1, type: "response.refusal.delta" }],
    ["openai", "responses", true, { type: "response.audio.delta", delta: "QUJD" }],
    ["openai", "responses", true, { type: "response.function_call_arguments.done", arguments: "{}", output_index: 1 }],
    ["openai", "responses", true, { type: "response.content_part.done", part: { type: "output_text", text: "all" }, output_index: 0, content_index: 3 }],
    ["anthropic", "messages", false, { system: [{ type: "text", text: "sys" }], messages: [{ role: "user", content: [{ type: "tool_result", tool_use_id: "t", content: [{ type: "text", text: "r" }] }, { type: "tool_result", tool_use_id: "u", content: "s" }] }, { role: "assistant", content: [{ type: "tool_use", id: "t", name: "n", input: { q: "a", n: 1, deep: [{ x: "b" }], e: null } }, { type: "thinking", thinking: "secret", signature: "sig" }] }] }],
    ["anthropic", "messages", true, { delta: { type: "text_delta", text: "x" }, type: "content_block_delta", index: 4 }],
    ["anthropic", "messages", true, { type: "content_block_delta", index: 1, delta: { type: "thinking_delta", thinking: "hidden" } }],
    ["gemini", "generate-content", false, { system_instruction: { parts: [{ text: "s" }] }, contents: [{ role: "model", parts: [{ functionCall: { name: "f", args: { city: "Paris", n: 2 } } }] }, { role: "user", parts: [{ functionResponse: { name: "f", response: { temp: "20C" } } }] }] }],
    ["gemini", "stream-generate-content", true, [{ candidates: [{ content: { parts: [{ text: "a" }] }, index: 0 }, { content: { parts: [{ text: "b" }] }, index: 1 }] }, { candidates: [{ content: { parts: [{ text: "c" }] } }] }]],
    ["bedrock", "converse", false, { messages: [{ role: "user", content: [{ toolResult: { toolUseId: "t", content: [{ text: "r" }, { json: { a: "b" } }] } }] }], system: [{ text: "s" }] }],
    ["bedrock", "converse-stream", true, { contentBlockIndex: 2, delta: { toolUse: { input: "{\"a\"" } } }],
    ["ollama", "ollama-chat", true, { message: { role: "assistant", content: "", tool_calls: [{ function: { name: "f", arguments: { city: "Oslo" } } }] }, done: true }],
    ["ollama", "ollama-generate", false, { prompt: "p", system: "s", model: "m" }],
    ["ollama", "ollama-generate", true, { response: "r", done: false }],
  ];
  it.each(cases.map(([p, o, r, d], i) => [`${i} ${p}/${o}/${r ? "response" : "request"}`, p, o, r, d] as const))("%s", (_n, p, o, r, d) => {
    const n = checkDocument(p, o, r, enc.encode(JSON.stringify(d)));
    // Token ids, base64 audio and signed thinking are not text.
    const none = /\[\[1|audio|thinking_delta/.test(JSON.stringify(d));
    expect(n > 0).toBe(!none);
  });

  it("channels name the stream a delta continues", () => {
    const ch = (p: string, o: string, d: unknown) => find(p, o, true, enc.encode(JSON.stringify(d))).parts.map((q) => q.channel);
    expect(ch("openai", "chat-completions", { choices: [{ index: 1, delta: { content: "a" } }] })).toEqual([channelOf(KIND.text, 1, 0)]);
    expect(ch("openai", "chat-completions", { choices: [{ delta: { tool_calls: [{ function: { arguments: "{" }, index: 2 }] }, index: 1 }] })).toEqual([channelOf(KIND.tool, 1, 2)]);
    expect(ch("anthropic", "messages", { type: "content_block_delta", delta: { type: "input_json_delta", partial_json: "{" }, index: 3 })).toEqual([channelOf(KIND.tool, 3, 0)]);
    expect(ch("openai", "responses", { type: "response.output_text.delta", output_index: 1, content_index: 2, delta: "x" })).toEqual([channelOf(KIND.text, 1, 2)]);
    expect(ch("gemini", "stream-generate-content", { candidates: [{ index: 1, content: { parts: [{ text: "a" }, { text: "b" }] } }] })).toEqual([channelOf(KIND.text, 1, 0), channelOf(KIND.text, 1, 0)]);
    expect(ch("bedrock", "converse-stream", { delta: { text: "x" }, contentBlockIndex: 5 })).toEqual([channelOf(KIND.text, 5, 0)]);
  });

  it("unknown operations, unknown providers and other fields give no parts", () => {
    const d = enc.encode(JSON.stringify({ messages: [{ content: "x" }], model: "m" }));
    expect(find("openai", "unknown", false, d).rc).toBe(0);
    expect(find("unknown", "chat-completions", false, d).rc).toBe(0);
    expect(find("openai", "chat-completions", false, enc.encode(JSON.stringify({ model: "m", user: "u", metadata: { a: "b" } }))).rc).toBe(0);
  });

  it("keys spelled with escapes still match (the upstream reads them unescaped)", () => {
    const d = enc.encode('{"m\\u0065ssages":[{"role":"user","cont\\u0065nt":"hi"}]}');
    expect(find("openai", "chat-completions", false, d).parts.map((p) => p.text)).toEqual(["hi"]);
  });
});

describe("escapes and encodings", () => {
  const texts = [
    'say "hi" \\ back\\slash', "line\nbreak\ttab\r\u0001\u001f\u007f", "emoji 😀 and 👍🏽", "é café ß 中文",
    "\u2028\u2029", "",
  ];
  it.each(texts.map((t) => [JSON.stringify(t), t] as const))("decodes and re-encodes %s", (_n, t) => {
    const doc = enc.encode(JSON.stringify({ messages: [{ role: "user", content: t }] }));
    const got = find("openai", "chat-completions", false, doc, () => enc.encode(t + "!"));
    expect(got.parts[0].text).toBe(t);
    expect(dec.decode(got.parts[0].decoded)).toBe(t);
    expect(JSON.parse(dec.decode(got.rewritten!)).messages[0].content).toBe(t + "!");
  });

  it("escaped unicode, surrogate pairs and lone surrogates", () => {
    const raw = '{"messages":[{"content":"caf\\u00e9 \\ud83d\\ude00 \\ud800 x \\udc00\\u0041 \\ud800\\u0041"}]}';
    const got = find("openai", "chat-completions", false, enc.encode(raw), () => null);
    const p = got.parts[0];
    expect(p.flags & PART_ESCAPED).toBe(PART_ESCAPED);
    expect(dec.decode(p.decoded)).toBe("café 😀 \ufffd x \ufffdA \ufffdA");
    expect(p.decoded).toEqual(enc.encode(p.text));
    // Nothing replaced: the output is the input byte for byte.
    expect(dec.decode(got.rewritten!)).toBe(raw);
  });

  it("replacements with invalid UTF-8 become U+FFFD as TextDecoder decodes them", () => {
    const rand = prng(7);
    const samples: Uint8Array[] = [
      Uint8Array.of(0xff, 0x41, 0xc0, 0xaf, 0xe0, 0x80, 0xaf, 0xed, 0xa0, 0x80, 0xf4, 0x90, 0x80, 0x80, 0xf0, 0x9f, 0x98),
      Uint8Array.of(0xe2, 0x82), Uint8Array.of(0xc3), Uint8Array.of(0x22, 0x5c, 0x00, 0xf0, 0x9f, 0x98, 0x80),
    ];
    for (let k = 0; k < 300; k++) samples.push(Uint8Array.from({ length: Math.floor(rand() * 24) }, () => Math.floor(rand() * 256)));
    const doc = enc.encode('{"prompt":"x","model":"m"}');
    for (const s of samples) {
      const got = find("openai", "completions", false, doc, () => s);
      expect(got.rewriteOk).toBe(1);
      expect(JSON.parse(dec.decode(got.rewritten!))).toEqual({ prompt: dec.decode(s), model: "m" });
      const p = put(s);
      x.pt_escape(p, s.length);
      x.pt_free(p);
      expect(JSON.parse(`"${dec.decode(outBytes())}"`)).toBe(dec.decode(s));
    }
  });

  it("maps decoded offsets back to raw offsets", () => {
    const raw = 'a\\u00e9b\\ud83d\\ude00c\\nd\\ud800e';
    // decoded: a(0) é(1,2) b(3) 😀(4..7) c(8) \n(9) d(10) U+FFFD(11..13) e(14)
    const want = [[0, 0], [1, 1], [2, 1], [3, 7], [4, 8], [7, 8], [8, 20], [9, 21], [10, 23], [11, 24], [13, 24], [14, 30], [15, 31], [99, 31]];
    const b = enc.encode(raw);
    const p = put(b);
    for (const [d, r] of want) expect(x.pt_decoded_to_raw(p, b.length, d), `decoded ${d}`).toBe(r);
    x.pt_free(p);
  });
});

describe("robustness", () => {
  it("malformed or truncated JSON gives an error and no parts", () => {
    for (const bad of ['{"messages":[{"content":"x"}]', '{"messages":[{"content":"x\\q"}]}', '{"messages" [', "", "[1,]", '{"messages":[{"content":"x"}]} x']) {
      const got = find("openai", "chat-completions", false, enc.encode(bad));
      expect(got.rc, bad).toBeLessThan(0);
    }
  });

  it("random bytes and mutated recordings never trap", () => {
    const rand = prng(42);
    const bodies = recorded.slice(0, 20).map((e) => bytesOf(e.files.request!));
    for (let k = 0; k < 3000; k++) {
      let doc: Uint8Array;
      if (k % 3 === 0) doc = Uint8Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256));
      else {
        doc = bodies[k % bodies.length].slice(0, 4000);
        for (let m = 0; m < 3; m++) doc[Math.floor(rand() * doc.length)] = Math.floor(rand() * 256);
        if (k % 3 === 2) doc = doc.subarray(0, Math.floor(rand() * doc.length));
      }
      const op = OPERATIONS[1 + (k % (OPERATIONS.length - 1))];
      const got = find("openai", op, k % 2 === 0, doc, (i) => enc.encode(`«${i}»`));
      if (got.rc >= 0) {
        for (const p of got.parts) expect(p.end).toBeLessThanOrEqual(doc.length);
        expect(got.rewriteOk).toBe(1);
      }
    }
  });

  it("nesting past the depth limit is an error, not a trap", () => {
    const deep = "[".repeat(5000) + "]".repeat(5000);
    expect(find("openai", "chat-completions", false, enc.encode(`{"messages":${deep}}`)).rc).toBeLessThan(0);
    const inArgs = `{"messages":[{"role":"assistant","content":[{"type":"tool_use","input":${'{"a":'.repeat(100)}"deep"${"}".repeat(100)}}]}]}`;
    expect(find("anthropic", "messages", false, enc.encode(inArgs)).parts.map((p) => p.text)).toEqual(["deep"]);
  });
});
