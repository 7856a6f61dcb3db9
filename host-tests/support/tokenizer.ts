// Drives dist/tokenizer.wasm (filters/testing/tokenizer) directly from Node: the tokenizer's
// exports need no host, so every proxy-wasm import is a stub that returns 0. Used by the parity
// tests and `tollgate count-tokens`.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { prng } from "../replay/split";

export const TOKENIZER_WASM = join(dirname(fileURLToPath(import.meta.url)), "../../dist/tokenizer.wasm");

export type EncodingName = "o200k_base" | "cl100k_base";
export const ENCODINGS: EncodingName[] = ["o200k_base", "cl100k_base"];
const INDEX: Record<EncodingName, number> = { o200k_base: 0, cl100k_base: 1 };

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  tok_alloc(len: number): number;
  tok_free(ptr: number): void;
  tok_ready(): number;
  tok_count(ptr: number, len: number, encoding: number): number;
  tok_encode(ptr: number, len: number, encoding: number, out: number, outCap: number): number;
  tok_chat(ptr: number, len: number, encoding: number): number;
}

/** One field of a chat request as the filter-side counter receives it. */
export type ChatOp =
  | { op: "message" }
  | { op: "field"; value: string }
  | { op: "name"; value: string }
  | { op: "function"; name: string; description: string }
  | { op: "properties" }
  | { op: "property"; key: string; type: string; description: string }
  | { op: "enum" }
  | { op: "enumItem"; value: string };

export class WasmTokenizer {
  private constructor(private x: Exports) {}

  /** `beforeInit` may alter memory before the module first looks at its tables (tests). */
  static async load(path = TOKENIZER_WASM, options: { beforeInit?: (memory: WebAssembly.Memory) => void; requireTables?: boolean } = {}): Promise<WasmTokenizer> {
    const module = await WebAssembly.compile(readFileSync(path));
    const imports: Record<string, Record<string, () => number>> = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== "function") continue;
      (imports[imp.module] ??= {})[imp.name] = () => 0;
    }
    const instance = await WebAssembly.instantiate(module, imports);
    const x = instance.exports as unknown as Exports;
    options.beforeInit?.(x.memory);
    x._initialize();
    if (options.requireTables !== false && !x.tok_ready()) throw new Error(`${path}: tokenizer tables missing (was it built by scripts/build.mjs?)`);
    return new WasmTokenizer(x);
  }

  private withBytes<T>(bytes: Uint8Array, f: (ptr: number) => T): T {
    const ptr = this.x.tok_alloc(bytes.length);
    try {
      new Uint8Array(this.x.memory.buffer, ptr, bytes.length).set(bytes);
      return f(ptr);
    } finally {
      this.x.tok_free(ptr);
    }
  }

  count(input: Uint8Array | string, encoding: EncodingName): number {
    const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
    return this.withBytes(bytes, (ptr) => this.x.tok_count(ptr, bytes.length, INDEX[encoding]));
  }

  encode(input: Uint8Array | string, encoding: EncodingName): number[] {
    const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
    const cap = bytes.length * 3;
    const out = this.x.tok_alloc(cap * 4);
    try {
      const n = this.withBytes(bytes, (ptr) => this.x.tok_encode(ptr, bytes.length, INDEX[encoding], out, cap));
      if (n < 0) throw new Error(`tok_encode failed: ${n}`);
      return Array.from(new Uint32Array(this.x.memory.buffer, out, n));
    } finally {
      this.x.tok_free(out);
    }
  }

  chat(ops: ChatOp[], encoding: EncodingName): number {
    const bytes = serializeChatOps(ops);
    return this.withBytes(bytes, (ptr) => this.x.tok_chat(ptr, bytes.length, INDEX[encoding]));
  }

  ready(): boolean {
    return !!this.x.tok_ready();
  }

  memoryBytes(): number {
    return this.x.memory.buffer.byteLength;
  }
}

const OP_CODES: Record<ChatOp["op"], string> = {
  message: "m", field: "f", name: "n", function: "t", properties: "p", property: "q", enum: "e", enumItem: "i",
};

function serializeChatOps(ops: ChatOp[]): Uint8Array {
  const parts: Buffer[] = [];
  const arg = (s: string) => {
    const b = Buffer.from(s, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    parts.push(len, b);
  };
  for (const o of ops) {
    parts.push(Buffer.from(OP_CODES[o.op]));
    if (o.op === "field" || o.op === "name" || o.op === "enumItem") arg(o.value);
    else if (o.op === "function") { arg(o.name); arg(o.description); }
    else if (o.op === "property") { arg(o.key); arg(o.type); arg(o.description); }
  }
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * A chat request's counter ops, walking it as the token meter will: per message every string
 * field (role, content, name, ...) and the text parts of an array content; function tools with
 * their top-level properties. Other shapes (images, audio, nested parameter schemas) are not in
 * OpenAI's published formula and are left out.
 */
export function chatOps(request: any): ChatOp[] {
  const ops: ChatOp[] = [];
  for (const m of request?.messages ?? []) {
    ops.push({ op: "message" });
    for (const [k, v] of Object.entries(m ?? {})) {
      if (typeof v === "string") ops.push(k === "name" ? { op: "name", value: v } : { op: "field", value: v });
      else if (k === "content" && Array.isArray(v)) {
        for (const part of v) if (part?.type === "text" && typeof part.text === "string") ops.push({ op: "field", value: part.text });
      }
    }
  }
  for (const t of request?.tools ?? []) {
    if (t?.type !== "function" || !t.function) continue;
    const f = t.function;
    ops.push({ op: "function", name: String(f.name ?? ""), description: String(f.description ?? "") });
    const props = f.parameters?.properties ?? {};
    if (Object.keys(props).length === 0) continue;
    ops.push({ op: "properties" });
    for (const [key, p] of Object.entries<any>(props)) {
      if (Array.isArray(p?.enum)) {
        ops.push({ op: "enum" });
        for (const item of p.enum) ops.push({ op: "enumItem", value: String(item) });
      }
      ops.push({ op: "property", key, type: String(p?.type ?? ""), description: String(p?.description ?? "") });
    }
  }
  return ops;
}

// ---- corpus ------------------------------------------------------------------------------

// Deterministic text for tokenizer parity tests: a seeded mix of scripts, emoji sequences, marks,
// numbers, code, whitespace and contractions, chosen to reach every branch of both encodings'
// pre-tokenizers (and the classes where they differ: Lt, Lm, Lo, M, N outside ASCII).

/** The replay tool's seeded PRNG (mulberry32): one sequence per seed on every machine. */
export const rng = prng;

type Rand = () => number;
const int = (r: Rand, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const cps = (r: Rand, lo: number, hi: number, n: number) =>
  Array.from({ length: n }, () => String.fromCodePoint(int(r, lo, hi))).join("");

const WORDS = ["the", "quick", "brown", "fox", "token", "budget", "gateway", "Envoy", "naïve", "café", "straße",
  "résumé", "über", "jalapeño", "façade", "coöperate", "ǅemal", "ǈubljana", "ʰello", "Ωmega", "ΣΊΣΥΦΟΣ", "Москва",
  "İstanbul", "ﬁnance", "Ⅻth", "x²", "½cup"];
const CONTRACTIONS = ["I'm", "DON'T", "they'Re", "it'S", "we'll", "WE'LL", "you'Ve", "she'd", "'s", "'T", "'re",
  "'lL", "can't", "o'clock", "rock'n'roll", "it’s", "don’t", "'x", "''s", "'", "ſ's", "Ǆ'LL"];
const CODE = ["function f(x) { return x*2; }", "if (a<=b && c!=d) {\n\treturn;\n}", "a/b//c///d", "</div>\n/",
  "https://example.com/a/b?c=d&e=f#g", '{"role":"user","content":"hi"}', "x += 1; // comment\r\n",
  "SELECT * FROM t WHERE id = 42;", "def __init__(self):\n    pass", "#include <stdio.h>", "a->b", "λx.x",
  "````", "***bold***", "----\n----", "::", "...\n/", "C++/CLI", "0x1F600", "i18n"];
const EMOJI = ["😀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "🇯🇵🇺🇸", "1️⃣", "❤️", "🏳️‍🌈", "🧑🏿‍🚀", "©", "™", "🫠", "👩🏻‍❤️‍💋‍👨🏼"];
const SPACES = [" ", "  ", "\t", "\n", "\r\n", "\r", "\n\n", " \n ", "\t\t\n", "\u00a0", "\u3000", "\u2028",
  "\ufeff", "\u0085", "\v", "\f", " \r\n \r\n", "\u2009", "   \n\t "];

function segment(r: Rand): string {
  switch (int(r, 0, 17)) {
    case 0: {
      const w = pick(r, WORDS);
      const c = int(r, 0, 3);
      return c === 0 ? w : c === 1 ? w.toUpperCase() : c === 2 ? w[0].toUpperCase() + w.slice(1) : [...w].map((ch) => (r() < 0.5 ? ch.toUpperCase() : ch)).join("");
    }
    case 1: return cps(r, 0x4e00, 0x9fff, int(r, 1, 8)) + (r() < 0.5 ? cps(r, 0x3041, 0x3096, int(r, 1, 4)) : cps(r, 0x30a1, 0x30fa, int(r, 1, 4)));
    case 2: return Array.from({ length: int(r, 1, 6) }, () => cps(r, 0x0621, 0x064a, 1) + (r() < 0.4 ? cps(r, 0x064b, 0x0652, 1) : "")).join("");
    case 3: return Array.from({ length: int(r, 1, 6) }, () => cps(r, 0x0915, 0x0939, 1) + (r() < 0.6 ? cps(r, 0x093e, 0x094d, 1) : "")).join("");
    case 4: return Array.from({ length: int(r, 1, 4) }, () => pick(r, EMOJI)).join(r() < 0.5 ? "" : " ");
    case 5: return pick(r, ["a", "e", "O", "Z", " ", "", "'"]) + cps(r, 0x0300, 0x036f, int(r, 1, 3)) + pick(r, ["", "x", "X", " "]);
    case 6: return pick(r, ["", "", "0", "007"]) + cps(r, 0x30, 0x39, int(r, 1, 12));
    case 7: return pick(r, ["٠١٢٣٤", "１２３", "²³¹", "ⅫⅨ", "½¾", "𝟘𝟙𝟚", "१२३४"]) + (r() < 0.3 ? cps(r, 0x30, 0x39, 3) : "");
    case 8: return pick(r, CODE);
    case 9: return Array.from({ length: int(r, 1, 4) }, () => pick(r, SPACES)).join("");
    case 10: return pick(r, CONTRACTIONS);
    case 11: return cps(r, 0xac00, 0xd7a3, int(r, 1, 5));
    case 12: return pick(r, ["<|endoftext|>", "<|fim_prefix|>", "<|endofprompt|>", "<|im_start|>"]);
    case 13: return pick(r, ["𝐀𝐁𝐂𝐝𝐞", "𝒶𝒷", "ꓚꓛ", "𐐀𐐨", "ᾈᾉ", "ǅǈǋ", "ʰʲʷ", "ᴬᴮ", "々〆", "ꙮ"]);
    case 14: { // any code point outside the surrogates
      let cp = int(r, 0, 0x10ffff);
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      return String.fromCodePoint(cp);
    }
    case 15: return cps(r, 0x21, 0x7e, int(r, 1, 10));
    case 16: return cps(r, 0x0590, 0x05ff, int(r, 1, 4)) + cps(r, 0x0e00, 0x0e7f, int(r, 1, 4)) + cps(r, 0x1100, 0x11ff, 2);
    default: return pick(r, ["Hello", "hello", "HELLO", "hELLO", "HeLLo"]) + pick(r, [",", ".", "!", "?", "", ":", ";"]);
  }
}

/** `count` strings of 1..14 segments, joined by nothing, a space or a random whitespace run. */
export function mixedCorpus(seed: number, count: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const n = int(r, 1, 14);
    let s = "";
    for (let k = 0; k < n; k++) {
      if (k > 0) s += r() < 0.4 ? "" : r() < 0.7 ? " " : pick(r, SPACES);
      s += segment(r);
    }
    out.push(s);
  }
  return out;
}

/** Single unbroken runs between 100 and 1,500 code points: the long-piece merge path. */
export function mediumRuns(seed: number): string[] {
  const r = rng(seed);
  const out: string[] = [];
  const makers: (() => string)[] = [
    () => "a".repeat(int(r, 129, 1500)),
    () => "ab".repeat(int(r, 65, 700)),
    () => cps(r, 0x61, 0x7a, int(r, 129, 1200)),
    () => " ".repeat(int(r, 129, 1500)) + "x",
    () => "=".repeat(int(r, 129, 1500)),
    () => cps(r, 0x4e00, 0x9fff, int(r, 50, 400)),
    () => "ø".repeat(int(r, 70, 700)),
    () => "\n".repeat(int(r, 129, 1000)),
    () => cps(r, 0x21, 0x2f, int(r, 129, 1000)),
    () => "😀".repeat(int(r, 33, 300)),
    () => cps(r, 0x41, 0x5a, int(r, 129, 800)) + cps(r, 0x61, 0x7a, int(r, 1, 50)),
  ];
  for (let i = 0; i < 44; i++) out.push(makers[i % makers.length]());
  return out;
}

/** Runs of 10,000+ code points (too slow for js-tiktoken's own merge; see the test). */
export function longRuns(seed: number): string[] {
  const r = rng(seed);
  return [
    "a".repeat(10_000),
    " ".repeat(12_000),
    "\n".repeat(10_000),
    "=".repeat(10_000),
    "你".repeat(10_000),
    cps(r, 0x61, 0x7a, 20_000),
    "ab".repeat(8_000),
    "😀".repeat(5_000),
    "1".repeat(10_000),
    "é".repeat(10_000),
    "\u0301".repeat(10_000),
    "A".repeat(10_000) + "b",
  ];
}

/** Byte strings that are not valid UTF-8, mixed with valid text. */
export function invalidUtf8(seed: number, count: number): Uint8Array[] {
  const r = rng(seed);
  const nasty = [
    [0x80], [0xbf], [0xc0, 0x80], [0xc1, 0xbf], [0xc2], [0xe0, 0x80, 0x80], [0xe0, 0xa0], [0xed, 0xa0, 0x80],
    [0xed, 0xbf, 0xbf], [0xef, 0xbf], [0xf0, 0x80, 0x80, 0x80], [0xf0, 0x90, 0x80], [0xf4, 0x90, 0x80, 0x80],
    [0xf5, 0x80], [0xff], [0xfe, 0xff], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xe2, 0x28, 0xa1],
    [0xc3, 0x28], [0xf0, 0x28, 0x8c, 0xbc], [0xef, 0xbf, 0xbd],
  ];
  const enc = new TextEncoder();
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const parts: number[] = [];
    for (let k = int(r, 1, 8); k > 0; k--) {
      const c = r();
      if (c < 0.35) parts.push(...pick(r, nasty));
      else if (c < 0.5) for (let j = int(r, 1, 6); j > 0; j--) parts.push(int(r, 0x80, 0xff));
      else parts.push(...enc.encode(segment(r)));
    }
    out.push(new Uint8Array(parts));
  }
  return out;
}
