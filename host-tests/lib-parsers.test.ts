// filters/lib/{bytes,json-scan,framing} through dist/parsers.wasm, over the real recordings.
// Framers: the units must not depend on how the body was cut into chunks (whole, every 2-way
// split, 100 seeded multi-splits per file) and must equal an independent TypeScript reading of
// the same spec. JSON scan: the usage fields index.json lists must come out equal to JSON.parse.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import {
  WasmParsers, PARSERS_WASM, FrameKind, FRAME, TOK, JSON_ERR, NUM, text, sseReference, ndjsonReference,
  eventstreamReference, jsonArrayReference, valuesAt, rng, randomSplits, crc32Reference, FrameRecord,
} from "./support/parsers";

const REC = join(dirname(fileURLToPath(import.meta.url)), "recordings");
const index: any[] = JSON.parse(readFileSync(join(REC, "index.json"), "utf8"));
const enc = new TextEncoder();
const dec = new TextDecoder();

function kindOf(file: string): FrameKind | null {
  if (file.endsWith(".sse")) return "sse";
  if (file.endsWith(".ndjson")) return "ndjson";
  if (file.endsWith(".eventstream")) return "eventstream";
  if (file === "gemini/stream-json-array.json") return "jsonArray";
  return null;
}

const streams = index
  .map((e) => ({ entry: e, file: e.files.response as string, kind: kindOf(e.files.response) }))
  .filter((s): s is { entry: any; file: string; kind: FrameKind } => s.kind !== null);

const body = (file: string) => new Uint8Array(readFileSync(join(REC, file)));

let w: WasmParsers;
beforeAll(async () => {
  w = await WasmParsers.load();
});

/** JSON payloads a meter would read from a recording: one per unit, or the whole body. */
function payloads(file: string): Uint8Array[] {
  const kind = kindOf(file);
  const b = body(file);
  if (!kind) return [b];
  const units = w.frame(kind, b).filter((r) => r.code === FRAME.unit);
  const field = kind === "sse" ? 1 : kind === "eventstream" ? 4 : 0;
  return units.map((u) => u.fields![field]!).filter((p) => {
    try { JSON.parse(dec.decode(p)); return true; } catch { return false; }
  });
}

describe("test entry module", () => {
  it("links in Envoy and reports its size", async () => {
    // Loaded by URL: the script has no type declarations.
    const { checkModule } = (await import(new URL("../scripts/check-imports.mjs", import.meta.url).href)) as { checkModule(b: Uint8Array): string[] };
    const bytes = readFileSync(PARSERS_WASM);
    expect(checkModule(bytes)).toEqual([]);
    expect(bytes.length).toBeLessThan(200 * 1024);
    console.log(`dist/parsers.wasm: ${bytes.length} bytes`);
  });
});

describe("framers over the recordings", () => {
  it("covers every stream recording", () => {
    expect(streams.map((s) => s.kind).sort()).toEqual(expect.arrayContaining(["sse", "ndjson", "eventstream", "jsonArray"]));
    expect(streams.length).toBeGreaterThanOrEqual(19);
  });

  for (const { entry, file, kind } of streams) {
    describe(file, () => {
      it("whole body: units equal the reference reading and index.json's event counts", () => {
        const b = body(file);
        const recs = w.frame(kind, b);
        expect(recs.every((r) => r.code === FRAME.unit)).toBe(true);
        const expectedCount = Object.values<number>(entry.inspect.events ?? {}).reduce((a, n) => a + n, 0);
        if (kind === "sse") {
          const got = recs.map((r) => ({ event: text(r.fields![0]), data: text(r.fields![1]), id: text(r.fields![2]) }));
          expect(got).toEqual(sseReference(b));
          expect(got.length).toBe(expectedCount);
          if (file.startsWith("anthropic/")) {
            const counts: Record<string, number> = {};
            for (const g of got) counts[g.event!] = (counts[g.event!] ?? 0) + 1;
            expect(counts).toEqual(entry.inspect.events);
          }
        } else if (kind === "ndjson") {
          expect(recs.map((r) => text(r.fields![0]))).toEqual(ndjsonReference(b));
          expect(recs.length).toBe(expectedCount);
        } else if (kind === "eventstream") {
          const ref = eventstreamReference(b);
          expect(recs.length).toBe(ref.length);
          expect(recs.length).toBe(Number(/^(\d+)/.exec(entry.inspect.framing)![1]));
          const counts: Record<string, number> = {};
          recs.forEach((r, i) => {
            expect(text(r.fields![0])).toBe(ref[i].headers[":event-type"]);
            expect(text(r.fields![1])).toBe(ref[i].headers[":message-type"]);
            expect(text(r.fields![2])).toBe(ref[i].headers[":content-type"] ?? "");
            expect(r.fields![4]).toEqual(ref[i].payload);
            counts[text(r.fields![0])!] = (counts[text(r.fields![0])!] ?? 0) + 1;
          });
          expect(counts).toEqual(entry.inspect.events);
        } else {
          const ref = jsonArrayReference(b);
          expect(recs.map((r) => JSON.parse(text(r.fields![0])!))).toEqual(ref);
        }
      });

      it("every 2-way split gives the same units", () => {
        expect(w.everySplit(kind, body(file))).toBe(-1);
      });

      it("100 seeded multi-splits give the same units", () => {
        const b = body(file);
        const whole = w.frameRaw(kind, b);
        const next = rng(0x5eed ^ b.length);
        for (let i = 0; i < 100; i++) {
          const splits = randomSplits(b.length, next);
          const got = w.frameRaw(kind, b, splits);
          if (Buffer.compare(Buffer.from(got), Buffer.from(whole)) !== 0) {
            throw new Error(`${file}: split run ${i} differs; splits=${JSON.stringify(splits)}`);
          }
        }
      });

      it("one byte per chunk gives the same units", () => {
        const b = body(file);
        const all = Array.from({ length: b.length - 1 }, (_, i) => i + 1);
        expect(Buffer.from(w.frameRaw(kind, b, all)).equals(Buffer.from(w.frameRaw(kind, b)))).toBe(true);
      });
    });
  }
});

describe("event-stream checksums", () => {
  const files = streams.filter((s) => s.kind === "eventstream").map((s) => s.file);

  it("a corrupted payload byte is a CRC error for that frame only, at any split", () => {
    for (const file of files) {
      const b = body(file);
      const frames = eventstreamReference(b);
      // Flip a byte inside frame 3's payload.
      let off = 0;
      for (let i = 0; i < 3; i++) off += new DataView(b.buffer).getUint32(off);
      const total = new DataView(b.buffer).getUint32(off);
      const bad = b.slice();
      bad[off + total - 6] ^= 0x20;
      const recs = w.frame("eventstream", bad);
      expect(recs.map((r) => r.code)).toEqual(frames.map((_, i) => (i === 3 ? FRAME.crc : FRAME.unit)));
      expect(recs[4].fields![4]).toEqual(frames[4].payload);
      expect(w.everySplit("eventstream", bad)).toBe(-1);
      // The message CRC itself.
      const bad2 = b.slice();
      bad2[off + total - 1] ^= 1;
      expect(w.frame("eventstream", bad2)[3].code).toBe(FRAME.crc);
    }
  });

  it("a corrupted prelude is one CRC error and the rest of the stream is dropped", () => {
    for (const file of files) {
      const b = body(file);
      let off = 0;
      for (let i = 0; i < 2; i++) off += new DataView(b.buffer).getUint32(off);
      for (const at of [off + 1, off + 5, off + 9]) {
        const bad = b.slice();
        bad[at] ^= 0x04;
        expect(w.frame("eventstream", bad).map((r) => r.code)).toEqual([FRAME.unit, FRAME.unit, FRAME.crc]);
        expect(w.everySplit("eventstream", bad)).toBe(-1);
      }
    }
  });

  it("CRC-32 matches the bitwise reference, also when continued across a split", () => {
    const b = body(files[0]);
    const expected = crc32Reference(b);
    expect(w.with(b, (p, n) => w.x.p_crc32(p, n) >>> 0)).toBe(expected);
    expect(w.with(b, (p, n) => w.x.p_crc32_split(p, n, 777) >>> 0)).toBe(expected);
    expect(w.with("123456789", (p, n) => w.x.p_crc32(p, n) >>> 0)).toBe(0xcbf43926);
  });
});

/** Compares one matched span with the JSON.parse value it should be. */
function expectSpanValue(kind: number, span: Uint8Array, escaped: boolean, value: unknown, where: string) {
  if (typeof value === "string") {
    expect(kind, where).toBe(TOK.string);
    const decoded = escaped ? w.unescape(span) : span;
    expect(typeof decoded === "number" ? decoded : dec.decode(decoded), where).toBe(value);
  } else if (typeof value === "number") {
    expect(kind, where).toBe(TOK.number);
    if (Number.isInteger(value)) {
      const r = w.num("integer", span);
      expect(r.status, where).toBe(NUM.ok);
      expect(r.value, where).toBe(BigInt(value));
    }
    const f = w.num("f64", span);
    expect(f.status, where).toBe(NUM.ok);
    expect(f.value, where).toBe(value);
  } else if (value === null) expect(kind, where).toBe(TOK.null);
  else if (typeof value === "boolean") expect(kind, where).toBe(value ? TOK.true : TOK.false);
  else if (Array.isArray(value)) { expect(kind, where).toBe(TOK.arrStart); expect(JSON.parse(dec.decode(span))).toEqual(value); }
  else { expect(kind, where).toBe(TOK.objStart); expect(JSON.parse(dec.decode(span))).toEqual(value); }
}

describe("usage fields from the recordings", () => {
  const withUsage = index.filter((e) => e.inspect.usage_paths.length > 0);

  it("has recordings with usage", () => expect(withUsage.length).toBeGreaterThan(30));

  for (const e of withUsage) {
    const file: string = e.files.response;
    it(`${file}: ${e.inspect.usage_paths.length} usage paths equal JSON.parse`, () => {
      const paths: string[] = e.inspect.usage_paths.map((p: string) => (kindOf(file) === "jsonArray" ? p.replace(/^\[\]\./, "") : p));
      expect(w.setPaths(paths)).toBe(paths.length);
      const seen = new Set<string>();
      const docs = payloads(file);
      // index.json counts a JSON-array stream as one payload; the framer yields its elements.
      if (kindOf(file) !== "jsonArray") expect(docs.length).toBe(e.inspect.json_payloads);
      else expect(docs.length).toBe(jsonArrayReference(body(file)).length);
      for (const doc of docs) {
        const parsed = JSON.parse(dec.decode(doc));
        const { slots, status } = w.slots(doc);
        expect(status).toBe(0);
        paths.forEach((path, p) => {
          const values = valuesAt(parsed, path);
          expect(slots[p].count, path).toBe(values.length);
          if (values.length === 0) return;
          seen.add(path);
          const s = slots[p];
          expectSpanValue(s.kind, doc.slice(s.start, s.end), s.escaped, values[values.length - 1], `${file} ${path}`);
        });
      }
      expect([...seen].sort()).toEqual([...paths].sort());
    });
  }
});

describe("path matcher on request bodies and stream deltas", () => {
  const requestPaths = [
    "model", "stream", "stream_options.include_usage", "max_tokens", "messages[*].content",
    "messages[*].content[*].text", "messages[*].role", "messages[0].role", "tools[*].function.name",
    "system", "system[*].text", "contents[*].parts[*].text", "input",
  ];
  const requests = index.filter((e) => e.files.request).map((e) => e.files.request as string);

  it(`finds every value JSON.parse finds, in document order, in ${requests.length} request bodies`, () => {
    expect(w.setPaths(requestPaths)).toBe(requestPaths.length);
    let total = 0;
    for (const file of requests) {
      const doc = body(file);
      const parsed = JSON.parse(dec.decode(doc));
      const { matches, status } = w.runPaths(doc);
      expect(status, file).toBe(0);
      requestPaths.forEach((path, p) => {
        const values = valuesAt(parsed, path);
        const got = matches.filter((m) => m.path === p);
        expect(got.length, `${file} ${path}`).toBe(values.length);
        got.forEach((m, i) => expectSpanValue(m.kind, m.bytes, m.escaped, values[i], `${file} ${path}[${i}]`));
        total += got.length;
      });
      // Matches come out in document order (containers when they close).
      for (let i = 1; i < matches.length; i++) expect(matches[i].end >= matches[i - 1].end || matches[i].start >= matches[i - 1].start).toBe(true);
    }
    expect(total).toBeGreaterThan(100);
  });

  it("choices[*].delta.content decoded across an OpenAI stream equals the JS concatenation", () => {
    for (const file of ["openai/chat-stream-no-usage.sse", "mistral/chat-stream.sse", "openai/chat-stream-usage-cached.sse"]) {
      w.setPaths(["choices[*].delta.content", "usage.completion_tokens"]);
      let got = "";
      let want = "";
      for (const doc of payloads(file)) {
        for (const m of w.runPaths(doc).matches) {
          if (m.path !== 0 || m.kind !== TOK.string) continue;
          const d = m.escaped ? w.unescape(m.bytes) : m.bytes;
          got += dec.decode(d as Uint8Array);
        }
        for (const v of valuesAt(JSON.parse(dec.decode(doc)), "choices[*].delta.content")) if (typeof v === "string") want += v;
      }
      expect(got.length).toBeGreaterThan(0);
      expect(got).toBe(want);
    }
  });

  it("keys are matched after unescaping; duplicate keys keep the last value in slots", () => {
    w.setPaths(["model", "a.b"]);
    const doc = `{"mo\\u0064el":"x","model":"gpt\\u00e9","a":{"\\u0062":1,"b":2}}`;
    const { matches } = w.runPaths(doc);
    expect(matches.map((m) => [m.path, dec.decode(m.escaped ? (w.unescape(m.bytes) as Uint8Array) : m.bytes)])).toEqual([
      [0, "x"], [0, "gpté"], [1, "1"], [1, "2"],
    ]);
    const { slots } = w.slots(doc);
    expect(slots[0].count).toBe(2);
    expect(dec.decode(w.unescape(enc.encode(doc).slice(slots[0].start, slots[0].end)) as Uint8Array)).toBe(JSON.parse(doc).model);
    expect(doc.slice(slots[1].start, slots[1].end)).toBe("2");
  });

  it("refuses malformed paths and more than 64", () => {
    expect(w.setPaths(["a..b"])).toBe(-1);
    expect(w.setPaths(["ok", "a[x]"])).toBe(-2);
    expect(w.setPaths(["a["])).toBe(-1);
    expect(w.setPaths([""])).toBe(-1);
    expect(w.setPaths(Array.from({ length: 64 }, (_, i) => `k${i}`))).toBe(64);
    expect(w.setPaths(Array.from({ length: 65 }, (_, i) => `k${i}`))).toBe(-65);
  });

  it("whole containers are reported with their spans; a truncated body keeps what it found", () => {
    w.setPaths(["usage", "usage.total_tokens", "[*].x", "[1]"]);
    const doc = `{"usage":{"total_tokens":7,"d":[1,2]},"z":[{"x":1}]}`;
    const { matches } = w.runPaths(doc);
    expect(matches.map((m) => [m.path, dec.decode(m.bytes)])).toEqual([[1, "7"], [0, `{"total_tokens":7,"d":[1,2]}`]]);
    const arr = `[{"x":1},{"x":[2]},3]`;
    expect(w.runPaths(arr).matches.map((m) => [m.path, dec.decode(m.bytes)])).toEqual([[2, "1"], [2, "[2]"], [3, `{"x":[2]}`]]);
    const cut = `{"usage":{"total_tokens":12,"other":"ab`;
    const r = w.slots(cut);
    expect(r.status).toBe(JSON_ERR.truncated);
    expect(r.slots[1].count).toBe(1);
    expect(cut.slice(r.slots[1].start, r.slots[1].end)).toBe("12");
  });
});

describe("JSON tokenizer", () => {
  it("tokens and spans", () => {
    const doc = ` {"a" : [1, -2.5e3, "x\\n", true, false, null], "b":{}} `;
    const { tokens, status } = w.tokens(doc);
    expect(status).toBe(TOK.end);
    expect(tokens.map((t) => [t.t, doc.slice(t.start, t.end)])).toEqual([
      [TOK.objStart, "{"], [TOK.key, "a"], [TOK.arrStart, "["], [TOK.number, "1"], [TOK.number, "-2.5e3"],
      [TOK.string, "x\\n"], [TOK.true, "true"], [TOK.false, "false"], [TOK.null, "null"], [TOK.arrEnd, "]"],
      [TOK.key, "b"], [TOK.objStart, "{"], [TOK.objEnd, "}"], [TOK.objEnd, "}"],
    ]);
    expect(tokens.find((t) => t.t === TOK.string)!.escaped).toBe(true);
  });

  const valid = [
    "0", "-0", "1e5", "1E+5", "-1.25e-3", `"\\u00e9\\ud83d\\ude00"`, "[]", "{}", `{"a":[{"b":null}]}`, " \t\n\r[1] ",
    `"\\"\\\\\\/\\b\\f\\n\\r\\t"`, "[[[]]]", `{"":""}`, "123456789012345678901234567890",
  ];
  const malformed: [string, number][] = [
    ["01", 1], ["[1,]", 3], ["{,}", 1], [`{"a" 1}`, 5], ["[1 2]", 3], ["tru", -1], ["trux", 3], ["nul", -1],
    [`"\\x"`, 2], [`"a\u0001"`, 2], ["-", -1], ["-a", 1], ["1.", -1], ["1.e3", 2], ["1e", -1], ["1e+", -1],
    ["[1]]", 3], ["{}{}", 2], [`{"a":1,}`, 7], [`{"a"}`, 4], ["[", -1], [`{"a":`, -1], [`"abc`, -1],
    [`"\\u12`, -1], [`"\\u12G4"`, 5], ["", -1], ["   ", -1], ["+1", 0], [".5", 0], ["[1}", 2], [`{"a":1]`, 6],
    ["NaN", 0], ["'a'", 0],
  ];

  it("accepts what JSON.parse accepts", () => {
    for (const v of valid) {
      expect(() => JSON.parse(v)).not.toThrow();
      expect(w.tokens(v).status, v).toBe(TOK.end);
    }
  });

  it("rejects what JSON.parse rejects: malformed at the byte, truncated at the end", () => {
    for (const [v, at] of malformed) {
      expect(() => JSON.parse(v), v).toThrow();
      const r = w.tokens(v);
      if (at < 0) {
        expect(r.status, v).toBe(JSON_ERR.truncated);
        expect(r.errorOffset, v).toBe(enc.encode(v).length);
      } else {
        expect(r.status, v).toBe(JSON_ERR.malformed);
        expect(r.errorOffset, v).toBe(at);
      }
    }
  });

  it("every proper prefix of a recorded JSON body is truncated, never malformed", () => {
    for (const file of ["openai/chat-tool-call.json", "anthropic/messages-thinking.json", "gemini/generate-thinking.json"]) {
      const b = body(file);
      const end = b.length - (b[b.length - 1] === 0x0a ? 1 : 0);
      w.with(b, (ptr) => {
        for (let n = 1; n < end; n++) {
          const r = w.x.p_json_tokens(ptr, n, 64);
          if (r !== JSON_ERR.truncated) throw new Error(`${file}: prefix ${n} gave ${r}`);
        }
        expect(w.x.p_json_tokens(ptr, b.length, 64)).toBe(TOK.end);
      });
    }
  });

  it("depth limit: 64 by default, configurable, a distinct error", () => {
    const nest = (n: number) => "[".repeat(n) + "]".repeat(n);
    expect(w.tokens(nest(64)).status).toBe(TOK.end);
    const deep = w.tokens(nest(65));
    expect(deep.status).toBe(JSON_ERR.tooDeep);
    expect(deep.errorOffset).toBe(64);
    expect(w.tokens(nest(3), 2).status).toBe(JSON_ERR.tooDeep);
    expect(w.tokens(nest(2), 2).status).toBe(TOK.end);
    expect(w.tokens(`{"a":`.repeat(200) + "1" + "}".repeat(200), 300).status).toBe(TOK.end);
    expect(w.tokens("[".repeat(100000)).status).toBe(JSON_ERR.tooDeep);
    w.setPaths(["a"], 4);
    expect(w.runPaths(nest(5)).status).toBe(JSON_ERR.tooDeep);
  });
});

describe("JSON string unescaping", () => {
  const cases = [
    "plain", "tab\\tnew\\nline\\r\\b\\f", "\\\"q\\\" \\\\ \\/", "\\u00e9\\u4e2d\\u0000", "\\ud83d\\ude00 pair",
    "lone high \\ud800 then text", "lone low \\udc00", "high then non-low \\ud800\\u0041", "two highs \\ud800\\ud801\\udc37",
    "raw é 中 😀", "end high \\ud83d",
  ];

  it("equals JSON.parse (lone surrogates as U+FFFD), also in place", () => {
    for (const c of cases) {
      const want = enc.encode(JSON.parse(`"${c}"`));
      expect(w.unescape(c), c).toEqual(want);
      expect(w.unescapeInPlace(c), c).toEqual(want);
    }
  });

  it("random strings round-trip through JSON.stringify", () => {
    const next = rng(42);
    for (let i = 0; i < 500; i++) {
      let s = "";
      const n = Math.floor(next() * 40);
      for (let k = 0; k < n; k++) {
        const r = next();
        s += String.fromCharCode(r < 0.3 ? Math.floor(next() * 0x80) : r < 0.6 ? 0xd800 + Math.floor(next() * 0x800) : Math.floor(next() * 0x10000));
      }
      const span = JSON.stringify(s).slice(1, -1);
      expect(w.unescape(span)).toEqual(enc.encode(s));
    }
  });

  it("reports no room and bad escapes", () => {
    expect(w.unescape("abcdef", 3)).toBe(-2);
    expect(w.unescape("\\u00e9", 1)).toBe(-2);
    expect(w.unescape("bad \\x")).toBe(-1);
    expect(w.unescape("bad \\u12")).toBe(-1);
    expect(w.unescape("trailing \\")).toBe(-1);
  });
});

describe("numbers", () => {
  it("u64 / i64", () => {
    expect(w.num("u64", "18446744073709551615")).toEqual({ status: NUM.ok, value: 18446744073709551615n });
    expect(w.num("u64", "18446744073709551616").status).toBe(NUM.overflow);
    expect(w.num("u64", "").status).toBe(NUM.empty);
    expect(w.num("u64", "12a").status).toBe(NUM.invalid);
    expect(w.num("u64", "-1").status).toBe(NUM.invalid);
    expect(w.num("i64", "-9223372036854775808")).toEqual({ status: NUM.ok, value: -9223372036854775808n });
    expect(w.num("i64", "9223372036854775808").status).toBe(NUM.overflow);
    expect(w.num("i64", "+42")).toEqual({ status: NUM.ok, value: 42n });
    expect(w.num("i64", "-").status).toBe(NUM.invalid);
  });

  it("integers in every JSON spelling", () => {
    expect(w.num("integer", "1024")).toEqual({ status: NUM.ok, value: 1024n });
    expect(w.num("integer", "12.000")).toEqual({ status: NUM.ok, value: 12n });
    expect(w.num("integer", "1.5e3")).toEqual({ status: NUM.ok, value: 1500n });
    expect(w.num("integer", "-2E2")).toEqual({ status: NUM.ok, value: -200n });
    expect(w.num("integer", "12.5")).toEqual({ status: NUM.fraction, value: 12n });
    expect(w.num("integer", "1e30").status).toBe(NUM.overflow);
    expect(w.num("integer", "0.000")).toEqual({ status: NUM.ok, value: 0n });
  });

  it("f64 equals JSON.parse on decimals seen in usage and prices", () => {
    const next = rng(7);
    const samples = ["0", "-0.5", "0.00123", "1e-7", "2.5E+10", "0.000001575", "123456.789", "3.14159265358979",
      "0.1", "0.2", "0.30000000000000004", "1.7976931348623157e308", "5e-324", "0.000000000000000000001"];
    for (let i = 0; i < 300; i++) samples.push((next() * 10 ** Math.floor(next() * 12 - 6)).toPrecision(1 + Math.floor(next() * 15)));
    for (const s of samples) {
      const r = w.num("f64", s);
      expect(r.status, s).toBe(NUM.ok);
      const want = JSON.parse(s);
      // Correct rounding is promised for <= 15 significant digits and |exp| <= 22.
      if (Math.abs(want) > 1e-22 && Math.abs(want) < 1e22 || want === 0) expect(r.value, s).toBe(want);
      else expect(Math.abs((r.value as number) - want) / Math.abs(want), s).toBeLessThan(1e-14);
    }
    expect(w.num("f64", "1e400").status).toBe(NUM.overflow);
    expect(w.num("f64", "1e-400")).toEqual({ status: NUM.ok, value: 0 });
    expect(w.num("f64", "1.2.3").status).toBe(NUM.invalid);
  });

  it("fixed point rounds half away from zero", () => {
    expect(w.num("fixed", "0.0000125", 9)).toEqual({ status: NUM.ok, value: 12500n });
    expect(w.num("fixed", "1.23456789", 6)).toEqual({ status: NUM.ok, value: 1234568n });
    expect(w.num("fixed", "-0.5", 0)).toEqual({ status: NUM.ok, value: -1n });
    expect(w.num("fixed", "2.5e-3", 4)).toEqual({ status: NUM.ok, value: 25n });
    expect(w.num("fixed", "12", 3)).toEqual({ status: NUM.ok, value: 12000n });
    expect(w.num("fixed", "1e20", 3).status).toBe(NUM.overflow);
  });
});

describe("byte helpers", () => {
  it("ASCII literals, case-insensitive compare, searches", () => {
    const a = (op: number, s: string) => w.with(s, (p, n) => w.x.p_ascii(op, p, n));
    expect(a(0, "text/event-stream")).toBe(1);
    expect(a(0, "Text/Event-Stream")).toBe(0);
    expect(a(1, "Text/Event-Stream")).toBe(1);
    expect(a(1, "text/event-strea")).toBe(0);
    expect(a(2, "APPLICATION/json")).toBe(1);
    expect(a(2, "applicatio")).toBe(0);
    expect(a(3, "event: x\ndata: y")).toBe(9);
    expect(a(3, "dat")).toBe(-1);
    expect(a(4, "x-content-type: a")).toBe(2);
    expect(a(5, "no colon")).toBe(-1);
    expect(a(6, "HTTP/1.1 200\r\nA: b\r\n\r\nbody")).toBe(18);
    expect(w.with("aBc[", (p, n) => w.with("AbC{", (q, m) => w.x.p_eq_nocase(p, n, q, m)))).toBe(0);
    expect(w.with("aBc@", (p, n) => w.with("AbC@", (q, m) => w.x.p_eq_nocase(p, n, q, m)))).toBe(1);
  });

  it("ByteBuffer never passes its cap and consumes from the front", () => {
    const r = w.with("0123456789", (p, n) => w.x.p_buffer(35, p, n, 5, 4));
    expect(r).toBe(3);
    expect(dec.decode(w.out())).toBe("456789" + "0123456789".repeat(2));
    expect(w.with("x", (p, n) => w.x.p_buffer(0, p, n, 3, 0))).toBe(0);
  });
});

describe("JSON writer", () => {
  function ops(...parts: (string | [string, string] | [string, bigint] | [string, bigint, number])[]): Uint8Array {
    const out: number[] = [];
    for (const p of parts) {
      if (typeof p === "string") { out.push(...enc.encode(p)); continue; }
      out.push(p[0].charCodeAt(0));
      if (typeof p[1] === "string") {
        const b = enc.encode(p[1]);
        const l = new Uint8Array(4); new DataView(l.buffer).setUint32(0, b.length, true);
        out.push(...l, ...b);
      } else {
        const b = new Uint8Array(8); new DataView(b.buffer).setBigInt64(0, p[1], true);
        out.push(...b);
        if (p.length === 3) { const s = new Uint8Array(4); new DataView(s.buffer).setInt32(0, p[2] as number, true); out.push(...s); }
      }
    }
    return new Uint8Array(out);
  }
  const write = (o: Uint8Array, max = 4096) => w.with(o, (p, n) => ({ ok: w.x.p_write(p, n, max), out: dec.decode(w.out()) }));

  it("writes filter state", () => {
    const r = write(ops("{K", ["i", 12n], ["k", "output"], ["i", -3n], ["k", "source"], "S", ["k", "cost"], ["f", 12500n, 9],
      ["k", "list"], "[", ["u", 18446744073709551615n], "tFn", ["f", -1500n, 3], ["f", 7n, 0], ["r", `{"x":1}`], "]}"));
    expect(r.ok).toBe(1);
    expect(r.out).toBe(`{"input":12,"output":-3,"source":"reported","cost":0.0000125,"list":[18446744073709551615,true,false,null,-1.5,7,{"x":1}]}`);
  });

  it("escapes strings so JSON.parse gives them back", () => {
    const s = "quote\" back\\ nl\n cr\r tab\t nul\u0000 esc\u001b del\u007f é 😀";
    const r = write(ops("{", ["k", "k\"ey"], ["s", s], "}"));
    expect(r.ok).toBe(1);
    expect(JSON.parse(r.out)).toEqual({ 'k"ey': s });
    expect(r.out).toContain("\\u0000");
  });

  it("fails on bad nesting, a value where a key is due, and the byte cap", () => {
    expect(write(ops("{", ["i", 1n], "}")).ok).toBe(0);
    expect(write(ops("[}")).ok).toBe(0);
    expect(write(ops("{K}")).ok).toBe(0);
    expect(write(ops("[", "]", "[", "]")).ok).toBe(0);
    expect(write(ops("[")).ok).toBe(0);
    expect(write(ops("[", ["s", "x".repeat(100)], "]"), 50).ok).toBe(0);
    expect(write(ops("[".repeat(65) + "]".repeat(65))).ok).toBe(0);
    expect(write(ops("[".repeat(64) + "]".repeat(64))).ok).toBe(1);
  });
});

const SSE_CASES: [string, string][] = [
  ["CRLF, CR and LF mixed", "data: a\r\n\r\ndata: b\r\rdata: c\n\nevent: e\rdata: d\r\n\n"],
  ["multi-line data joined with LF", "data: one\ndata:two\ndata\ndata:  three\n\n"],
  ["comments, unknown fields, no space", ": keepalive\nfoo: bar\ndata:x\n\n:only comment\n\n"],
  ["event without data is not dispatched", "event: ping\n\nevent: real\ndata: 1\n\n"],
  ["id persists, NUL id ignored", "id: 7\ndata: a\n\ndata: b\n\nid: x\u0000y\ndata: c\n\nid\ndata: d\n\n"],
  ["BOM at start", "\uFEFFdata: bom\n\n"],
  ["not a BOM", "\u00EFdata: x\n\ndata: y\n\n"],
  ["final event without blank line", "data: a\n\ndata: last"],
  ["final event after CR", "data: a\n\ndata: last\r"],
  ["empty data dispatches", "data\n\ndata:\n\n"],
  ["utf-8 in names and data", "event: ünï\ndata: 😀 中文\n\n"],
  ["empty body", ""],
  ["only blank lines", "\n\n\r\n\r\r"],
];

describe("SSE framer edge cases", () => {
  for (const [name, s] of SSE_CASES) {
    it(name, () => {
      const b = enc.encode(s);
      const recs = w.frame("sse", b);
      expect(recs.map((r) => ({ event: text(r.fields![0]), data: text(r.fields![1]), id: text(r.fields![2]) }))).toEqual(sseReference(b));
      expect(w.everySplit("sse", b)).toBe(-1);
      if (b.length > 1) {
        const all = Array.from({ length: b.length - 1 }, (_, i) => i + 1);
        expect(w.frameRaw("sse", b, all)).toEqual(w.frameRaw("sse", b));
      }
    });
  }

  it("an over-size event is an error and the next event survives, at any split", () => {
    const s = `data: ok1\n\ndata: ${"x".repeat(50)}\ndata: more\n\ndata: ok2\n\n: ${"c".repeat(80)}\ndata: z\n\ndata: ${"y".repeat(20)}\ndata: ${"y".repeat(20)}\ndata: y\n\ndata: end`;
    const b = enc.encode(s);
    const recs = w.frame("sse", b, [], 40);
    expect(recs.map((r) => (r.code === FRAME.unit ? text(r.fields![1]) : r.code))).toEqual(["ok1", FRAME.tooLarge, "ok2", FRAME.tooLarge, FRAME.tooLarge, "end"]);
    expect(w.everySplit("sse", b, 40)).toBe(-1);
    const next = rng(3);
    for (let i = 0; i < 50; i++) expect(w.frameRaw("sse", b, randomSplits(b.length, next), 40)).toEqual(w.frameRaw("sse", b, [], 40));
  });

  it("refuses a push before the previous chunk is drained", () => {
    expect(w.with("data: x\n\n", (p, n) => w.x.p_frame_busy(0, p, n))).toBe(FRAME.busy);
  });
});

describe("NDJSON, JSON array and event-stream edge cases", () => {
  it("NDJSON: CRLF, blank lines, last line without newline, over-size line", () => {
    const s = `{"a":1}\r\n\n  \r\n{"b":2}\n${"[" + "1,".repeat(30) + "1]"}\n{"c":3}`;
    const b = enc.encode(s);
    expect(w.frame("ndjson", b).map((r) => text(r.fields?.[0]) ?? r.code)).toEqual(ndjsonReference(b));
    const small = w.frame("ndjson", b, [], 20).map((r) => text(r.fields?.[0]) ?? r.code);
    expect(small).toEqual([`{"a":1}`, `{"b":2}`, FRAME.tooLarge, `{"c":3}`]);
    expect(w.everySplit("ndjson", b, 20)).toBe(-1);
    expect(w.everySplit("ndjson", enc.encode(`${"x".repeat(20)}\r\n${"y".repeat(21)}\r\nz`), 20)).toBe(-1);
  });

  it("JSON array: single value, scalars, nesting, truncation, garbage, oversize", () => {
    const f = (s: string, max = 1 << 20) => w.frame("jsonArray", s, [], max).map((r) => text(r.fields?.[0]) ?? r.code);
    expect(f(`{"error":{"code":429}}`)).toEqual([`{"error":{"code":429}}`]);
    expect(f(` [ 1 , "a]\\"" ,true,{"x":[1,{"y":"}"}]}, [ ], null ]\n`)).toEqual(["1", `"a]\\""`, "true", `{"x":[1,{"y":"}"}]}`, "[ ]", "null"]);
    expect(f("[]")).toEqual([]);
    expect(f("")).toEqual([]);
    expect(f(`[{"a":1},{"b":`)).toEqual([`{"a":1}`, FRAME.truncated]);
    expect(f(`[{"a":1}`)).toEqual([`{"a":1}`, FRAME.truncated]);
    expect(f(`[{"a":1} {"b":2}]`)).toEqual([`{"a":1}`, FRAME.malformed]);
    expect(f(`[{"a":1}] x`)).toEqual([`{"a":1}`, FRAME.malformed]);
    expect(f(`[,1]`)).toEqual([FRAME.malformed]);
    expect(f(` }`)).toEqual([FRAME.malformed]);
    expect(f(`42`)).toEqual(["42"]);
    expect(f(`[{"a":"${"x".repeat(40)}"},{"b":2},${"9".repeat(30)},3]`, 20)).toEqual([FRAME.tooLarge, `{"b":2}`, FRAME.tooLarge, "3"]);
    for (const s of [` [ 1 , "a]\\"" ,true,{"x":[1,{"y":"}"}]}, [ ], null ]\n`, `[{"a":"${"x".repeat(40)}"},{"b":2},${"9".repeat(30)},3]`, `[{"a":1},{"b":`, "42"]) {
      expect(w.everySplit("jsonArray", enc.encode(s), 20)).toBe(-1);
    }
  });

  it("event-stream: every header type is skipped, strings extracted; truncation and oversize", async () => {
    const { eventstreamFrame } = await import("./support/parsers");
    const b8 = (...x: number[]) => new Uint8Array(x);
    const frame = eventstreamFrame([
      { name: "t", type: 0, value: b8() }, { name: "f", type: 1, value: b8() }, { name: "b", type: 2, value: b8(7) },
      { name: "s", type: 3, value: b8(1, 2) }, { name: "i", type: 4, value: b8(1, 2, 3, 4) },
      { name: "l", type: 5, value: b8(1, 2, 3, 4, 5, 6, 7, 8) }, { name: "by", type: 6, value: b8(9, 9, 9) },
      { name: ":event-type", type: 7, value: enc.encode("chunk") }, { name: "ts", type: 8, value: new Uint8Array(8) },
      { name: "u", type: 9, value: new Uint8Array(16) }, { name: ":message-type", type: 7, value: enc.encode("exception") },
      { name: ":exception-type", type: 7, value: enc.encode("throttlingException") },
      { name: ":content-type", type: 7, value: enc.encode("application/json") },
    ], enc.encode(`{"message":"slow down"}`));
    const two = new Uint8Array([...frame, ...frame]);
    const recs = w.frame("eventstream", two);
    expect(recs.length).toBe(2);
    expect(recs[0].fields!.map(text)).toEqual(["chunk", "exception", "application/json", "throttlingException", `{"message":"slow down"}`]);
    expect(w.everySplit("eventstream", two)).toBe(-1);
    expect(w.frame("eventstream", two.slice(0, two.length - 5)).map((r) => r.code)).toEqual([FRAME.unit, FRAME.truncated]);
    expect(w.frame("eventstream", two.slice(0, frame.length + 7)).map((r) => r.code)).toEqual([FRAME.unit, FRAME.truncated]);
    expect(w.frame("eventstream", two, [], 64).map((r) => r.code)).toEqual([FRAME.tooLarge, FRAME.tooLarge]);
    expect(w.everySplit("eventstream", two, 64)).toBe(-1);
    // A bad header type inside a frame whose CRCs are right: only that frame is lost.
    const badType = eventstreamFrame([{ name: "x", type: 12, value: b8() }], b8(1));
    expect(w.frame("eventstream", new Uint8Array([...badType, ...frame])).map((r) => r.code)).toEqual([FRAME.malformed, FRAME.unit]);
    const shortHeader = eventstreamFrame([{ name: "x", type: 7, value: b8() }], b8());
    new DataView(shortHeader.buffer).setUint16(12 + 3, 500); // string length past the headers
    const fixed = eventstreamFrame([], b8());
    const crcOk = (f: Uint8Array) => { new DataView(f.buffer).setUint32(f.length - 4, crc32Reference(f.subarray(0, f.length - 4))); return f; };
    expect(w.frame("eventstream", new Uint8Array([...crcOk(shortHeader), ...fixed])).map((r) => r.code)).toEqual([FRAME.malformed, FRAME.unit]);
  });
});

describe("never traps", () => {
  const kinds: FrameKind[] = ["sse", "ndjson", "eventstream", "jsonArray"];

  it("random bytes through every framer, the scanner, the matcher and the number parsers", () => {
    const next = rng(99);
    w.setPaths(["a", "a.b", "[*].c", "model", "choices[*].delta.content"]);
    for (let i = 0; i < 400; i++) {
      const n = Math.floor(next() * 300);
      const b = new Uint8Array(n);
      const alphabet = `{}[]":,\\ntrue0123456789.-eE \r\n\t:data: event: id: \u00ef\u00bb\u00bf`;
      for (let k = 0; k < n; k++) b[k] = next() < 0.7 ? alphabet.charCodeAt(Math.floor(next() * alphabet.length)) & 0xff : Math.floor(next() * 256);
      for (const kind of kinds) {
        const whole = w.frameRaw(kind, b, [], 1 + Math.floor(next() * 64));
        expect(whole).toBeDefined();
        const splits = randomSplits(n, next);
        w.frameRaw(kind, b, splits, 16 + Math.floor(next() * 64));
      }
      expect(w.tokens(b, 1 + Math.floor(next() * 8)).status).toBeLessThanOrEqual(0);
      expect(w.runPaths(b).status).toBeLessThanOrEqual(0);
      w.unescape(b);
      w.unescape(b, Math.floor(next() * 10));
      for (const op of ["u64", "i64", "f64", "integer", "fixed"] as const) w.num(op, b, Math.floor(next() * 20) - 1);
    }
  });

  it("mutated recordings: the split-independence holds for corrupted streams too", () => {
    const next = rng(1234);
    for (const { file, kind } of streams) {
      const b = body(file).slice(0, 3000);
      for (let i = 0; i < 3; i++) {
        const bad = b.slice();
        for (let k = 0; k < 1 + Math.floor(next() * 4); k++) bad[Math.floor(next() * bad.length)] = Math.floor(next() * 256);
        const max = 64 + Math.floor(next() * 2000);
        const whole = w.frameRaw(kind, bad, [], max);
        const got = w.frameRaw(kind, bad, randomSplits(bad.length, next), max);
        if (!Buffer.from(got).equals(Buffer.from(whole))) throw new Error(`${file} mutation ${i} depends on splits`);
      }
    }
  });
});
