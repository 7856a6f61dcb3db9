// filters/lib/providers/include-usage through dist/include-usage.wasm.
// Request side: injecting stream_options.include_usage changes the parsed body by exactly that
// field and the raw body by exactly one insert or replace. Response side (the point of the
// feature): a with-usage OpenAI stream, hidden, is byte for byte the stream the client would
// have got without include_usage — the usage chunk and every "usage":null gone, nothing else
// touched — however the body is cut into chunks, holding back at most one event, and
// arbitrary bytes neither trap nor change.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { rng, randomSplits } from "./support/parsers";

const HERE = dirname(fileURLToPath(import.meta.url));
const REC = join(HERE, "recordings");
const WASM = join(HERE, "../dist/include-usage.wasm");
const index: any[] = JSON.parse(readFileSync(join(REC, "index.json"), "utf8"));
const enc = new TextEncoder();
// ignoreBOM: a BOM in the stream is data these tests must see.
const dec = new TextDecoder("utf-8", { ignoreBOM: true });

const INJECT = { done: 1, already: 0, notStreaming: 2, unsupported: 3, malformed: -1, noRoom: -2 } as const;
const HIDE_OK = 0;
const MB = 1 << 20;

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  iu_alloc(len: number): number;
  iu_free(ptr: number): void;
  iu_out_ptr(): number;
  iu_out_len(): number;
  iu_held_ptr(): number;
  iu_held_len(): number;
  iu_dropped_ptr(): number;
  iu_dropped_len(): number;
  iu_stat(i: number): number;
  iu_inject(ptr: number, len: number, outCap: number): number;
  iu_hide(ptr: number, len: number, splits: number, nSplits: number, maxEvent: number): number;
  iu_hide_every_split(ptr: number, len: number, maxEvent: number): number;
}

let x: Exports;
beforeAll(async () => {
  const module = await WebAssembly.compile(readFileSync(WASM));
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === "function") (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  x = (await WebAssembly.instantiate(module, imports)).exports as unknown as Exports;
  x._initialize();
});

const bytes = (s: Uint8Array | string) => (typeof s === "string" ? enc.encode(s) : s);
const view = (ptr: number, len: number) => new Uint8Array(x.memory.buffer, ptr, len).slice();

function withBytes<T>(b: Uint8Array, f: (ptr: number) => T): T {
  const ptr = x.iu_alloc(b.length);
  try {
    new Uint8Array(x.memory.buffer, ptr, b.length).set(b);
    return f(ptr);
  } finally {
    x.iu_free(ptr);
  }
}

function inject(body: Uint8Array | string, cap = 16 * MB): { status: number; out: string } {
  const b = bytes(body);
  return withBytes(b, (ptr) => {
    const status = x.iu_inject(ptr, b.length, cap);
    return { status, out: dec.decode(view(x.iu_out_ptr(), x.iu_out_len())) };
  });
}

interface HideRun { status: number; out: Uint8Array; held: number[]; dropped: string[]; events: number; removedNulls: number; oversize: number }

function hide(body: Uint8Array | string, splits: number[] = [], maxEvent = MB): HideRun {
  const b = bytes(body);
  return withBytes(b, (ptr) => {
    const sp = x.iu_alloc(splits.length * 4);
    try {
      new Uint32Array(x.memory.buffer, sp, splits.length).set(splits);
      const status = x.iu_hide(ptr, b.length, sp, splits.length, maxEvent);
      const out = view(x.iu_out_ptr(), x.iu_out_len());
      const held = [...new Uint32Array(view(x.iu_held_ptr(), x.iu_held_len()).buffer)];
      const d = view(x.iu_dropped_ptr(), x.iu_dropped_len());
      const dv = new DataView(d.buffer);
      const dropped: string[] = [];
      for (let i = 0; i < d.length; ) {
        const n = dv.getUint32(i, true);
        dropped.push(dec.decode(d.subarray(i + 4, i + 4 + n)));
        i += 4 + n;
      }
      return { status, out, held, dropped, events: x.iu_stat(0), removedNulls: x.iu_stat(2), oversize: x.iu_stat(3) };
    } finally {
      x.iu_free(sp);
    }
  });
}

const rec = (file: string) => new Uint8Array(readFileSync(join(REC, file)));
const recText = (file: string) => readFileSync(join(REC, file), "utf8");

// ---- request side ------------------------------------------------------------------------------

const chatRequests = index.filter((e) => e.files.request && /\/(chat\/)?completions\b/.test(e.api));
const parse = (s: string) => JSON.parse(s);

/** The one edit between a and b: [start, a's end, b's end) after the common prefix and suffix. */
function oneEdit(a: string, b: string): { removed: string; inserted: string } {
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  let s = 0;
  while (s < a.length - p && s < b.length - p && a[a.length - 1 - s] === b[b.length - 1 - s]) s++;
  return { removed: a.slice(p, a.length - s), inserted: b.slice(p, b.length - s) };
}

describe("injectIncludeUsage over the recorded chat requests", () => {
  it("finds OpenAI-style streaming requests with and without include_usage", () => {
    const streaming = chatRequests.filter((e) => parse(recText(e.files.request)).stream === true);
    const lacking = streaming.filter((e) => parse(recText(e.files.request)).stream_options?.include_usage !== true);
    expect(lacking.map((e) => e.files.request)).toEqual(expect.arrayContaining(["openai/chat-stream-no-usage.request.json", "mistral/chat-stream.request.json"]));
    expect(streaming.length - lacking.length).toBeGreaterThanOrEqual(3);
  });

  for (const e of chatRequests) {
    const file: string = e.files.request;
    it(file, () => {
      const src = recText(file);
      const orig = parse(src);
      const r = inject(src);
      if (orig.stream !== true) {
        expect(r.status).toBe(INJECT.notStreaming);
      } else if (orig.stream_options?.include_usage === true) {
        expect(r.status).toBe(INJECT.already);
      } else {
        expect(r.status).toBe(INJECT.done);
        expect(parse(r.out)).toEqual({ ...orig, stream_options: { ...(orig.stream_options ?? {}), include_usage: true } });
        const edit = oneEdit(src, r.out);
        expect(edit.removed).toBe("");
        expect(edit.inserted).toBe(`,"stream_options":{"include_usage":true}`);
      }
    });
  }
});

describe("injectIncludeUsage edge cases", () => {
  const cases: [string, string, number, string?][] = [
    ["no stream_options", `{"model":"m","stream":true}`, INJECT.done, `{"model":"m","stream":true,"stream_options":{"include_usage":true}}`],
    ["pretty printed", `{\n  "stream": true\n}\n`, INJECT.done, `{\n  "stream": true,"stream_options":{"include_usage":true}\n}\n`],
    ["empty stream_options", `{"stream":true,"stream_options":{}}`, INJECT.done, `{"stream":true,"stream_options":{"include_usage":true}}`],
    ["empty stream_options with space", `{"stream":true,"stream_options":{ }}`, INJECT.done, `{"stream":true,"stream_options":{"include_usage":true }}`],
    ["other options", `{"stream_options":{"x":[1,{"y":2}]},"stream":true}`, INJECT.done, `{"stream_options":{"x":[1,{"y":2}],"include_usage":true},"stream":true}`],
    ["string last option", `{"stream":true,"stream_options":{"x":"a}"}}`, INJECT.done, `{"stream":true,"stream_options":{"x":"a}","include_usage":true}}`],
    ["include_usage false", `{"stream":true,"stream_options":{"include_usage":false,"x":1}}`, INJECT.done, `{"stream":true,"stream_options":{"include_usage":true,"x":1}}`],
    ["include_usage null", `{"stream":true,"stream_options":{"include_usage" : null}}`, INJECT.done, `{"stream":true,"stream_options":{"include_usage" : true}}`],
    ["include_usage string", `{"stream":true,"stream_options":{"include_usage":"true"}}`, INJECT.done, `{"stream":true,"stream_options":{"include_usage":true}}`],
    ["stream_options null", `{"stream":true,"stream_options":null,"n":1}`, INJECT.done, `{"stream":true,"stream_options":{"include_usage":true},"n":1}`],
    ["escaped keys", `{"str\\u0065am":true,"stream_\\u006fptions":{"include_usage":true}}`, INJECT.already],
    ["escaped include_usage false", `{"stream":true,"stream_options":{"include\\u005fusage":false}}`, INJECT.done, `{"stream":true,"stream_options":{"include\\u005fusage":true}}`],
    ["duplicate stream, last false", `{"stream":true,"stream":false}`, INJECT.notStreaming],
    ["duplicate stream, last true", `{"stream":false,"stream":true}`, INJECT.done, `{"stream":false,"stream":true,"stream_options":{"include_usage":true}}`],
    ["already", `{"stream":true,"stream_options":{"include_usage":true}}`, INJECT.already],
    ["not streaming", `{"stream":false}`, INJECT.notStreaming],
    ["stream string", `{"stream":"true"}`, INJECT.notStreaming],
    ["stream_options a string", `{"stream":true,"stream_options":"x"}`, INJECT.unsupported],
    ["not an object", `[{"stream":true}]`, INJECT.malformed],
    ["truncated", `{"stream":true,"stream_options":{`, INJECT.malformed],
    ["trailing bytes", `{"stream":true}x`, INJECT.malformed],
    ["empty", ``, INJECT.malformed],
  ];
  for (const [name, body, status, expected] of cases) {
    it(name, () => {
      const r = inject(body);
      expect(r.status).toBe(status);
      if (expected !== undefined) {
        expect(r.out).toBe(expected);
        expect(parse(r.out)).toBeTruthy();
      }
    });
  }

  it("reports no room instead of writing part of a body", () => {
    const body = `{"stream":true}`;
    expect(inject(body, body.length + 10).status).toBe(INJECT.noRoom);
    expect(inject(body, body.length + 10).out).toBe("");
  });

  it("is deep-nesting safe", () => {
    const deep = `{"stream":true,"x":${"[".repeat(100)}${"]".repeat(100)}}`;
    expect(inject(deep).status).toBe(INJECT.malformed);
  });
});

// ---- response side -----------------------------------------------------------------------------

const WITH_USAGE = ["openai/chat-stream-usage-cached.sse", "openai/chat-stream-tool-calls.sse"];

/** Events as raw strings, each with its blank-line terminator (the recordings use LF). */
const eventsOf = (s: string) => s.match(/[^]*?\n\n|[^]+$/g) ?? [];
const dataOf = (ev: string) => /^data: ?(.*)$/m.exec(ev)?.[1];

/** Independent text-level oracle: what a no-usage stream from the same call looks like. */
function expectedHidden(s: string): string {
  return eventsOf(s)
    .filter((ev) => {
      const d = dataOf(ev);
      if (d === undefined || d === "[DONE]") return true;
      const j = JSON.parse(d);
      return !(Array.isArray(j.choices) && j.choices.length === 0 && j.usage);
    })
    .map((ev) => ev.replace(/,"usage":null(?=[,}])|"usage":null,/g, ""))
    .join("");
}

/** The structure every no-usage stream has: chunks with choices, no usage anywhere, then [DONE]. */
function noUsageForm(s: string) {
  const evs = eventsOf(s);
  const datas = evs.map(dataOf);
  expect(datas.every((d) => d !== undefined)).toBe(true);
  expect(datas[datas.length - 1]).toBe("[DONE]");
  const chunks = datas.slice(0, -1).map((d) => JSON.parse(d!));
  for (const c of chunks) {
    expect(c.object).toBe("chat.completion.chunk");
    expect("usage" in c).toBe(false);
    expect(c.choices.length).toBeGreaterThan(0);
  }
  return chunks;
}

describe("UsageChunkHider over with-usage recordings", () => {
  it("the no-usage recording has the form hidden streams must have", () => {
    noUsageForm(recText("openai/chat-stream-no-usage.sse"));
  });

  for (const file of WITH_USAGE) {
    describe(file, () => {
      it("gives exactly the no-usage stream: usage chunk and every usage:null removed, nothing else", () => {
        const src = recText(file);
        const r = hide(rec(file));
        expect(r.status).toBe(HIDE_OK);
        const out = dec.decode(r.out);
        expect(out).toBe(expectedHidden(src));
        const nulls = (src.match(/"usage":null/g) ?? []).length;
        expect(nulls).toBeGreaterThan(0);
        expect(r.removedNulls).toBe(nulls);
        expect(out).not.toContain("usage");

        // Object level: each kept chunk equals the original minus its usage key, in order.
        const chunks = noUsageForm(out);
        const origChunks = eventsOf(src).map(dataOf).filter((d) => d !== "[DONE]").map((d) => JSON.parse(d!));
        const usageChunk = origChunks.filter((c) => c.choices.length === 0);
        expect(usageChunk.length).toBe(1);
        const kept = origChunks.filter((c) => c.choices.length > 0).map(({ usage, ...rest }) => {
          expect(usage).toBeNull();
          return rest;
        });
        expect(chunks).toEqual(kept);
        expect(eventsOf(out).length).toBe(eventsOf(src).length - 1);

        // The meter still gets the usage numbers the client no longer sees.
        expect(r.dropped.length).toBe(1);
        expect(JSON.parse(r.dropped[0])).toEqual(usageChunk[0]);
        expect(JSON.parse(r.dropped[0]).usage.prompt_tokens).toBeGreaterThan(0);
      });

      it("every 2-way split gives the same output", () => {
        const b = rec(file);
        expect(withBytes(b, (ptr) => x.iu_hide_every_split(ptr, b.length, MB))).toBe(-1);
      });

      it("100 seeded random splits give the same output", () => {
        const b = rec(file);
        const whole = Buffer.from(hide(b).out);
        const next = rng(0x1c5a ^ b.length);
        for (let i = 0; i < 100; i++) {
          const splits = randomSplits(b.length, next);
          const r = hide(b, splits);
          if (Buffer.compare(Buffer.from(r.out), whole) !== 0) throw new Error(`${file}: split run ${i} differs; splits=${JSON.stringify(splits)}`);
          expect(r.dropped.length).toBe(1);
        }
      });

      it("holds back at most the unfinished event", () => {
        const b = rec(file);
        const src = recText(file);
        // Event boundaries (byte offsets just past each blank line); the recordings are ASCII.
        expect(b.length).toBe(src.length);
        const ends = [0];
        for (const ev of eventsOf(src)) ends.push(ends[ends.length - 1] + ev.length);
        const longest = Math.max(...eventsOf(src).map((e) => e.length));
        const next = rng(0xd0d0 ^ b.length);
        for (let i = 0; i < 50; i++) {
          const splits = randomSplits(b.length, next);
          const r = hide(b, splits);
          expect(r.held.length).toBe(splits.length + 1);
          [...splits, b.length].forEach((at, k) => {
            const boundary = Math.max(...ends.filter((e) => e <= at));
            expect(r.held[k]).toBe(at - boundary);
            expect(r.held[k]).toBeLessThan(longest);
          });
        }
      });

      it("passes events past the bound through unedited, holding no more than the bound", () => {
        const b = rec(file);
        const r = hide(b, randomSplits(b.length, rng(7)), 64);
        expect(Buffer.from(r.out).equals(Buffer.from(b))).toBe(true);
        expect(r.oversize).toBeGreaterThan(0);
        expect(Math.max(...r.held)).toBeLessThanOrEqual(64);
      });

      it("keeps CRLF and CR line endings and gives the same result under splits", () => {
        for (const eol of ["\r\n", "\r"]) {
          const src = recText(file).replace(/\n/g, eol);
          const want = expectedHidden(recText(file)).replace(/\n/g, eol);
          const b = enc.encode(src);
          expect(dec.decode(hide(b).out)).toBe(want);
          expect(withBytes(b, (ptr) => x.iu_hide_every_split(ptr, b.length, MB))).toBe(-1);
        }
      });
    });
  }

  it("leaves OpenAI-compatible streams without usage:null untouched (mistral, openrouter, no-usage)", () => {
    for (const file of ["mistral/chat-stream.sse", "openrouter/chat-stream-tool-call-cost.sse", "openai/chat-stream-no-usage.sse"]) {
      const b = rec(file);
      const r = hide(b);
      // Their usage rides on a chunk with choices: the client sees it either way, so it stays.
      expect(Buffer.from(r.out).equals(Buffer.from(b))).toBe(true);
      expect(r.dropped).toEqual([]);
    }
  });

  it("passes every other recorded SSE stream through byte-identical", () => {
    for (const e of index) {
      const file: string = e.files.response;
      if (!file.endsWith(".sse") || WITH_USAGE.includes(file)) continue;
      const b = rec(file);
      expect(Buffer.from(hide(b).out).equals(Buffer.from(b)), file).toBe(true);
    }
  });
});

describe("UsageChunkHider edge cases", () => {
  const cases: [string, string, string][] = [
    ["usage:null first", `data: {"usage":null,"choices":[{"i":0}]}\n\n`, `data: {"choices":[{"i":0}]}\n\n`],
    ["usage:null only member", `data: {"usage":null}\n\n`, `data: {}\n\n`],
    ["usage:null with spaces", `data: {"a": 1 , "usage" : null }\n\n`, `data: {"a": 1 }\n\n`],
    ["usage:null first with spaces", `data: { "usage" : null , "a":1}\n\n`, `data: { "a":1}\n\n`],
    ["nested usage:null stays", `data: {"x":{"usage":null},"choices":[{"delta":{"usage":null}}]}\n\n`, `data: {"x":{"usage":null},"choices":[{"delta":{"usage":null}}]}\n\n`],
    ["duplicate usage:null", `data: {"usage":null,"usage":null,"a":1,"usage":null}\n\n`, `data: {"a":1}\n\n`],
    ["escaped usage key", `data: {"a":1,"us\\u0061ge":null}\n\n`, `data: {"a":1}\n\n`],
    ["usage chunk dropped, neighbours kept", `data: {"a":1}\n\ndata: {"choices":[],"usage":{"t":1}}\n\ndata: [DONE]\n\n`, `data: {"a":1}\n\ndata: [DONE]\n\n`],
    ["usage chunk without space after colon", `data:{"choices":[],"usage":{"t":1}}\n\n`, ``],
    ["choices not empty: usage kept", `data: {"choices":[{}],"usage":{"t":1}}\n\n`, `data: {"choices":[{}],"usage":{"t":1}}\n\n`],
    ["empty choices, usage null: only the null goes", `data: {"choices":[],"usage":null}\n\n`, `data: {"choices":[]}\n\n`],
    ["comments and ids kept", `: keep-alive\n\nid: 7\ndata: {"a":1,"usage":null}\n\n`, `: keep-alive\n\nid: 7\ndata: {"a":1}\n\n`],
    ["comment inside usage chunk goes with it", `: c\ndata: {"choices":[],"usage":{}}\n\n`, ``],
    ["named events pass", `event: other\ndata: {"choices":[],"usage":{}}\n\n`, `event: other\ndata: {"choices":[],"usage":{}}\n\n`],
    ["event: message is a chunk", `event: message\ndata: {"a":1,"usage":null}\n\n`, `event: message\ndata: {"a":1}\n\n`],
    ["multi-line data passes", `data: {"a":1,\ndata: "usage":null}\n\n`, `data: {"a":1,\ndata: "usage":null}\n\n`],
    ["malformed JSON passes", `data: {"a":1,"usage":null\n\n`, `data: {"a":1,"usage":null\n\n`],
    ["trailing garbage passes", `data: {"usage":null} x\n\n`, `data: {"usage":null} x\n\n`],
    ["final event without blank line", `data: {"a":1,"usage":null}`, `data: {"a":1}`],
    ["final usage chunk without blank line", `data: {"a":1}\n\ndata: {"choices":[],"usage":{}}\n`, `data: {"a":1}\n\n`],
    ["BOM kept when the first event is dropped", `\uFEFFdata: {"choices":[],"usage":{}}\n\ndata: [DONE]\n\n`, `\uFEFFdata: [DONE]\n\n`],
    ["leading blank lines kept", `\n\r\ndata: {"usage":null}\n\n`, `\n\r\ndata: {}\n\n`],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => {
      const b = enc.encode(input);
      expect(dec.decode(hide(b).out)).toBe(want);
      expect(withBytes(b, (ptr) => x.iu_hide_every_split(ptr, b.length, MB))).toBe(-1);
    });
  }
});

describe("UsageChunkHider on arbitrary bytes", () => {
  it("never traps, and bytes that are not SSE chunks pass through unchanged", () => {
    const next = rng(0xbadb17e5);
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(next() * 4096);
      const b = new Uint8Array(len);
      for (let k = 0; k < len; k++) b[k] = Math.floor(next() * 256);
      const r = hide(b, randomSplits(len, next), 1 + Math.floor(next() * 2048));
      expect(r.status).toBe(HIDE_OK);
      expect(Buffer.from(r.out).equals(Buffer.from(b))).toBe(true);
    }
  });

  it("never traps on mutated recordings, and output does not depend on splits", () => {
    const next = rng(0x6d75);
    for (const file of WITH_USAGE) {
      const base = rec(file);
      for (let i = 0; i < 40; i++) {
        const b = base.slice();
        const flips = 1 + Math.floor(next() * 20);
        for (let k = 0; k < flips; k++) b[Math.floor(next() * b.length)] = [0x0a, 0x0d, 0x22, 0x2c, 0x7b, 0x7d, 0x5b, 0x5d, Math.floor(next() * 256)][Math.floor(next() * 9)];
        const maxEvent = next() < 0.3 ? 128 : MB;
        const whole = hide(b, [], maxEvent);
        expect(whole.status).toBe(HIDE_OK);
        expect(Buffer.compare(Buffer.from(hide(b, randomSplits(b.length, next), maxEvent).out), Buffer.from(whole.out))).toBe(0);
      }
    }
  });
});
