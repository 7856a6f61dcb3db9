// filters/lib/tokenizer against js-tiktoken: ids and counts on a seeded multi-script corpus for
// both encodings, invalid UTF-8 (js-tiktoken sees TextDecoder's U+FFFD), OpenAI's reported
// prompt_tokens for recorded chat requests, and inputs that must neither trap nor stall.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { Tiktoken } from "js-tiktoken/lite";
import o200k from "js-tiktoken/ranks/o200k_base";
import cl100k from "js-tiktoken/ranks/cl100k_base";
import { createHost } from "./harness/index";
import {
  chatOps, ENCODINGS, TOKENIZER_WASM, invalidUtf8, longRuns, mediumRuns, mixedCorpus, WasmTokenizer, type EncodingName,
} from "./support/tokenizer";

const here = dirname(fileURLToPath(import.meta.url));
const RANKS = { o200k_base: o200k, cl100k_base: cl100k };
const js = Object.fromEntries(ENCODINGS.map((e) => [e, new Tiktoken(RANKS[e])])) as Record<EncodingName, Tiktoken>;
/** Ordinary text throughout: special-token text is encoded as text, never as the special id. */
const jsEncode = (enc: EncodingName, s: string) => js[enc].encode(s, [], []);

let wasm: WasmTokenizer;
beforeAll(async () => {
  wasm = await WasmTokenizer.load();
});

/** First mismatch as a readable message, or "" when the id lists agree for every input. */
function firstMismatch(enc: EncodingName, inputs: (string | Uint8Array)[]): string {
  for (const input of inputs) {
    // ignoreBOM keeps a leading U+FEFF: inside a message it is text, not a file's byte-order mark.
    const text = typeof input === "string" ? input : new TextDecoder("utf-8", { ignoreBOM: true }).decode(input);
    const want = jsEncode(enc, text);
    const got = wasm.encode(input, enc);
    const n = wasm.count(input, enc);
    if (got.length !== want.length || got.some((v, i) => v !== want[i]) || n !== want.length) {
      return `${enc} ${JSON.stringify(typeof input === "string" ? input.slice(0, 200) : Array.from(input))}: ` +
        `wasm ${JSON.stringify(got.slice(0, 40))} (count ${n}) vs js-tiktoken ${JSON.stringify(want.slice(0, 40))}`;
    }
  }
  return "";
}

/**
 * tiktoken's merge (cached pair ranks, recompute the two neighbours) over js-tiktoken's own
 * pre-tokenizer regex and rank map: the reference for 10,000-character runs, where js-tiktoken's
 * merge (a string key per pair per step) would take minutes. It is checked against js-tiktoken
 * itself on the medium runs below.
 */
function referenceEncode(enc: EncodingName, text: string): number[] {
  const t = js[enc] as any;
  const ranks: Map<string, number> = t.rankMap;
  const rank = (b: Uint8Array, s: number, e: number) => ranks.get(Array.prototype.join.call(b.subarray(s, e), ","));
  const out: number[] = [];
  for (const m of text.matchAll(new RegExp(t.patStr, "ug"))) {
    const b = new TextEncoder().encode(m[0]);
    const whole = rank(b, 0, b.length);
    if (whole !== undefined) { out.push(whole); continue; }
    const starts = Array.from({ length: b.length + 1 }, (_, i) => i);
    const pr = (i: number) => (i + 2 < starts.length ? rank(b, starts[i], starts[i + 2]) ?? Infinity : Infinity);
    const pairs = starts.map((_, i) => pr(i));
    for (;;) {
      let best = Infinity, at = -1;
      for (let i = 0; i + 2 < starts.length; i++) if (pairs[i] < best) { best = pairs[i]; at = i; }
      if (at < 0) break;
      starts.splice(at + 1, 1);
      pairs.splice(at + 1, 1);
      pairs[at] = pr(at);
      if (at > 0) pairs[at - 1] = pr(at - 1);
    }
    for (let i = 0; i + 1 < starts.length; i++) out.push(rank(b, starts[i], starts[i + 1])!);
  }
  return out;
}

describe.each(ENCODINGS)("%s parity with js-tiktoken", (enc) => {
  it("targeted cases: contractions, whitespace before words, newlines, marks, numbers", () => {
    const cases = [
      "", " ", "  ", "\n", "a", "'", "'s", "'S", "'re", "'RE", "'rE", "'ll", "'Ll", "'ve", "'d", "'m", "'t", "'x", "'sam",
      "I'm DON'T they'Re it'S we'LL", "don’t", "hello  world", "hello\n\nworld", "a\r\nb", " \r\n \r\n x",
      "x  \n  y", "   ", "   x", "\t\tx", "\u00a0x", "\u3000\u3000x", "x\u0085y", "\ufeffx", "a\u2028b",
      "HTTPServer", "iPhone", "McDonald's", "ǅemal", "ʰʰʰ", "ABCdef", "ABC'S", "abc'S", "e\u0301", " \u0301x",
      "\u0301\u0301", "x\u0301\u0302y", "1234567", "١٢٣٤٥", "x²³", "Ⅻ", "½", "3.14159", "1,000,000",
      "a/b//c", "<div>\n/", "...\n/\n/", "://", " ?!", " \n", "<|endoftext|>", "<|fim_prefix|>x<|endofprompt|>",
      "😀", "👨‍👩‍👧‍👦", "🇫🇷🇯🇵", "1️⃣", "日本語", "한국어", "العربية", "हिन्दी", "ไทย", "𝐀𝐁𝐂𝐝𝐞",
    ];
    expect(firstMismatch(enc, cases)).toBe("");
  });

  it("seeded mixed corpus: 4,000 strings, ids and counts", { timeout: 120_000 }, () => {
    const corpus = mixedCorpus(enc === "o200k_base" ? 200 : 100, 4000);
    expect(firstMismatch(enc, corpus)).toBe("");
  });

  it("runs of 100 to 1,500 code points (long-piece merge) match js-tiktoken and the reference", { timeout: 120_000 }, () => {
    const runs = mediumRuns(7);
    expect(firstMismatch(enc, runs)).toBe("");
    for (const s of runs.slice(0, 11)) expect(referenceEncode(enc, s)).toEqual(jsEncode(enc, s));
  });

  it("runs of 10,000+ code points match the reference merge", { timeout: 120_000 }, () => {
    for (const s of longRuns(11)) {
      const want = referenceEncode(enc, s);
      expect(wasm.count(s, enc)).toBe(want.length);
      expect(wasm.encode(s, enc)).toEqual(want);
    }
  });

  it("invalid UTF-8 counts as TextDecoder's U+FFFD replacement (one per maximal subpart)", { timeout: 60_000 }, () => {
    const inputs = invalidUtf8(enc === "o200k_base" ? 31 : 32, 2000);
    expect(firstMismatch(enc, inputs)).toBe("");
  });
});

describe("chat prompt tokens match OpenAI's usage.prompt_tokens", () => {
  const recordings = ["openai/chat-basic", "openai/chat-n2", "openai/chat-tool-call", "azure-openai/chat-basic"];
  it.each(recordings)("%s", (name) => {
    const dir = join(here, "recordings");
    const request = JSON.parse(readFileSync(join(dir, `${name}.request.json`), "utf8"));
    const response = JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
    // All four are gpt-4o-mini (Azure's request names no model; its response does).
    expect(wasm.chat(chatOps(request), "o200k_base")).toBe(response.usage.prompt_tokens);
  });

  it("names add one token plus their own; enums follow the cookbook's adjustments", () => {
    const base = [{ op: "message" as const }, { op: "field" as const, value: "user" }, { op: "field" as const, value: "Say hello" }];
    const plain = wasm.chat(base, "o200k_base");
    expect(plain).toBe(9);
    expect(wasm.chat([...base, { op: "name", value: "alice" }], "o200k_base")).toBe(plain + 1 + jsEncode("o200k_base", "alice").length);
    const tool = chatOps({
      messages: [],
      tools: [{ type: "function", function: { name: "f", description: "Do it.", parameters: { properties: { unit: { type: "string", description: "Unit.", enum: ["c", "f"] } } } } }],
    });
    const n = (s: string) => jsEncode("cl100k_base", s).length;
    expect(wasm.chat(tool, "cl100k_base")).toBe(3 + 10 + n("f:Do it") + 3 + 3 - 3 + (3 + n("c")) + (3 + n("f")) + n("unit:string:Unit") + 12);
  });
});

describe("never traps, never stalls", () => {
  it("pathological inputs complete with a count", { timeout: 120_000 }, () => {
    const big = new Uint8Array(1 << 20);
    let x = 12345;
    for (let i = 0; i < big.length; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; big[i] = x >>> 24; }
    const inputs: (string | Uint8Array)[] = [
      new Uint8Array(0), big, new Uint8Array(200_000).fill(0xff), new Uint8Array(200_000).fill(0x80),
      "'s".repeat(50_000), "'".repeat(100_000), "a\u0301".repeat(20_000), " ".repeat(100_000) + "x",
      "\r\n".repeat(50_000), "\ud83d\ude00\u200d".repeat(20_000), "ǅ".repeat(30_000), "9".repeat(100_000),
      new Uint8Array(100_000).fill(0xf0), new Uint8Array(100_000).fill(0xe0),
    ];
    for (const enc of ENCODINGS) for (const input of inputs) expect(wasm.count(input, enc)).toBeGreaterThanOrEqual(0);
  });

  it("a single piece over the 1 MiB limit is an error, not a trap", { timeout: 60_000 }, () => {
    expect(wasm.count("a".repeat((1 << 20) + 1), "o200k_base")).toBe(-2);
    expect(wasm.count("hello world", "o200k_base")).toBe(2);
  });

  it("throughput against js-tiktoken (informational)", { timeout: 120_000 }, () => {
    const text = mixedCorpus(99, 3000).join("\n");
    const bytes = new TextEncoder().encode(text);
    for (const enc of ENCODINGS) {
      let t = performance.now();
      const mine = wasm.count(bytes, enc);
      const wasmMs = performance.now() - t;
      t = performance.now();
      const theirs = jsEncode(enc, text).length;
      const jsMs = performance.now() - t;
      expect(mine).toBe(theirs);
      console.log(`${enc}: ${(bytes.length / 1e6).toFixed(2)} MB, wasm ${wasmMs.toFixed(0)} ms, js-tiktoken ${jsMs.toFixed(0)} ms (x${(jsMs / wasmMs).toFixed(1)})`);
    }
  });
});

describe("the module with the injected tables", () => {
  it("loads and serves a stream in the Envoy-faithful host, two workers", { timeout: 60_000 }, async () => {
    const host = await createHost([{ name: "tokenizer", rootId: "tokenizer", vmId: "tokenizer", code: TOKENIZER_WASM, configuration: "" }], { workers: 2 });
    try {
      const r = await host.exchange({
        request: { method: "POST", path: "/v1/chat/completions", headers: [], body: new TextEncoder().encode("{}") },
        response: { status: 200, headers: [], body: new Uint8Array() },
      });
      expect(r.trap).toBeUndefined();
      expect(r.downstreamResponse?.status).toBe(200);
    } finally {
      await host.close();
    }
  });

  it("without its image (no magic at VOCAB_BASE) every call reports unavailable", async () => {
    const bare = await WasmTokenizer.load(TOKENIZER_WASM, {
      beforeInit: (memory) => new Uint8Array(memory.buffer, 1024, 16).fill(0),
      requireTables: false,
    });
    expect(bare.ready()).toBe(false);
    for (const enc of ENCODINGS) expect(bare.count("hello world", enc)).toBe(-1);
  });
});
