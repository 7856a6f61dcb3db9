// filters/lib/pii/regex (linear-time custom patterns), words.ts (Aho-Corasick word lists) and
// custom.ts (their ExtraDetectors), through dist/pii-regex.wasm (filters/testing/pii-regex).
// Patterns are checked differentially against JavaScript's RegExp (same leftmost-first
// semantics) on generated patterns kept inside the subset where the two agree:
// - no quantified sub-pattern that can match empty (JS skips empty loop iterations, a Pike VM
//   merges them; the overall spans can differ);
// - texts without \r, U+2028/9 (JS `.` excludes them, ours only excludes \n), without Unicode
//   spaces (JS \s takes them, ours is ASCII) and without case pairs outside ASCII or ſ/K (JS
//   `iu` folds them, ours folds ASCII only);
// - JS gets the `u` flag so classes and `.` take whole code points, as ours do on UTF-8.
// Word lists are checked against a naive reference that tries every word at every offset.
import { describe, it, expect, beforeAll } from "vitest";
import { prng } from "./replay/split";
import { loadTestWasm, withBytesIn } from "./support/test-wasm";


interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  rx_alloc(len: number): number;
  rx_free(ptr: number): void;
  rx_out_ptr(): number;
  rx_out_len(): number;
  rx_starts_ptr(): number;
  rx_ends_ptr(): number;
  rx_types_ptr(): number;
  rx_compile(ptr: number, len: number, ci: number): number;
  rx_find_all(ptr: number, len: number): number;
  wl_build(ptr: number, len: number, ci: number, whole: number): number;
  wl_find_all(ptr: number, len: number): number;
  rx_scan(ptr: number, len: number): number;
  rx_work(): number;
  rx_work_reset(): void;
}

let x: Exports;
const enc = new TextEncoder();

/** Steps (filters/lib/pii/work.ts) that f takes: exact counts, where a clock would measure the machine's load. */
function steps(f: () => void): number {
  x.rx_work_reset();
  f();
  return x.rx_work();
}
const dec = new TextDecoder();

beforeAll(async () => {
  x = await loadTestWasm<Exports>("pii-regex");
});

function withBytes<T>(bytes: Uint8Array, f: (ptr: number, len: number) => T): T {
  return withBytesIn(x, x.rx_alloc, x.rx_free, bytes, f);
}

const outText = () => dec.decode(new Uint8Array(x.memory.buffer, x.rx_out_ptr(), x.rx_out_len()));

type Span = [number, number];

function readSpans(n: number): Span[] {
  const s = new Int32Array(x.memory.buffer, x.rx_starts_ptr(), n);
  const e = new Int32Array(x.memory.buffer, x.rx_ends_ptr(), n);
  const r: Span[] = [];
  for (let i = 0; i < n; i++) r.push([s[i], e[i]]);
  return r;
}

/** Program size, or the error message. */
function compile(pattern: string | Uint8Array, ci = false): { size: number; error: string } {
  const bytes = typeof pattern === "string" ? enc.encode(pattern) : pattern;
  const size = withBytes(bytes, (p, n) => x.rx_compile(p, n, ci ? 1 : 0));
  return { size, error: size < 0 ? outText() : "" };
}

function findAll(text: string | Uint8Array): Span[] {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  return withBytes(bytes, (p, n) => readSpans(x.rx_find_all(p, n)));
}

function matchAll(pattern: string, text: string | Uint8Array, ci = false): Span[] {
  const c = compile(pattern, ci);
  if (c.error) throw new Error(`${pattern}: ${c.error}`);
  return findAll(text);
}

/** UTF-16 index → UTF-8 byte offset table for a string. */
function byteOffsets(s: string): number[] {
  const out = new Array<number>(s.length + 1);
  let b = 0;
  for (let i = 0; i < s.length; i++) {
    out[i] = b;
    const c = s.charCodeAt(i);
    if (c < 0x80) b += 1;
    else if (c < 0x800) b += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      out[i + 1] = b; // never a match boundary in u mode
      b += 4;
      i++;
    } else b += 3;
  }
  out[s.length] = b;
  return out;
}

/** JavaScript's matches as byte ranges (the reference for leftmost-first semantics). */
function jsMatches(pattern: string, text: string): Span[] {
  let flags = "gu";
  let src = pattern;
  if (src.startsWith("(?i)")) {
    src = src.slice(4);
    flags += "i";
  }
  const re = new RegExp(src.replace(/\\x\{/g, "\\u{"), flags); // RE2's \x{H} is JS's \u{H}
  const off = byteOffsets(text);
  const r: Span[] = [];
  for (const m of text.matchAll(re)) r.push([off[m.index!], off[m.index! + m[0].length]]);
  return r;
}

// ---- pattern generation -----------------------------------------------------------------------

interface Gen {
  src: string;
  /** Can match the empty string. */
  empty: boolean;
  /** A zero-width assertion on its own (not quantifiable in either engine). */
  assertion: boolean;
}

function generator(seed: number, utf8: boolean) {
  const rnd = prng(seed);
  const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];
  const lits = utf8 ? ["a", "b", "c", "é", "€", "😀", "中", "a", "b"] : ["a", "b", "c", "x", "1", " ", "-", "a", "b"];
  const atoms = [
    "[a-c]", "[^ab]", "\\d", "\\w", "\\s", "\\W", "\\D", ".", "[0-9a]", "[a\\-]", "\\.", "[b-c1-2_]", "[^\\s]", "[^\\w-]",
    ...(utf8 ? ["[aé]", "[€b]", "[^a]", "\\x{e9}", "\\x61"] : ["\\x62", "[\\x61-\\x63]", "\\t"]),
  ];
  function atom(depth: number): Gen {
    const r = rnd();
    if (r < 0.35) return { src: pick(lits), empty: false, assertion: false };
    if (r < 0.65) return { src: pick(atoms), empty: false, assertion: false };
    if (r < 0.72) return { src: pick(["\\b", "\\B", "^", "$"]), empty: true, assertion: true };
    if (depth > 3) return { src: pick(lits), empty: false, assertion: false };
    const inner = alternation(depth + 1);
    return { src: (rnd() < 0.5 ? "(?:" : "(") + inner.src + ")", empty: inner.empty, assertion: false };
  }
  function quantified(depth: number): Gen {
    const a = atom(depth);
    if (a.assertion || a.empty || rnd() < 0.55) return a;
    const q = pick(["*", "+", "?", "{2}", "{1,3}", "{0,2}", "{2,}", "{0,1}"]);
    const lazy = rnd() < 0.25 ? "?" : "";
    const empty = q === "*" || q === "?" || q.startsWith("{0");
    return { src: a.src + q + lazy, empty, assertion: false };
  }
  function concat(depth: number): Gen {
    const n = 1 + Math.floor(rnd() * 4);
    let src = "";
    let empty = true;
    for (let i = 0; i < n; i++) {
      const g = quantified(depth);
      src += g.src;
      empty = empty && g.empty;
    }
    return { src, empty, assertion: false };
  }
  function alternation(depth: number): Gen {
    const n = rnd() < 0.7 ? 1 : 2 + Math.floor(rnd() * 2);
    const parts: Gen[] = [];
    for (let i = 0; i < n; i++) parts.push(concat(depth));
    return { src: parts.map((p) => p.src).join("|"), empty: parts.some((p) => p.empty), assertion: false };
  }
  function text(): string {
    const alphabet = utf8 ? ["a", "b", "c", "é", "€", "😀", "中", " ", "1", "-", "_", "\n"] : ["a", "b", "c", "x", "1", "2", " ", "-", "_", ".", "\n", "\t"];
    const n = Math.floor(rnd() * 40);
    let s = "";
    for (let i = 0; i < n; i++) s += pick(alphabet);
    return s;
  }
  return {
    pattern(): Gen {
      const g = alternation(0);
      if (rnd() < 0.15) return { ...g, src: "(?i)" + g.src };
      return g;
    },
    text,
  };
}

describe("differential against JavaScript RegExp (leftmost-first)", () => {
  for (const [label, utf8, seed, count] of [["ASCII", false, 1, 400], ["UTF-8", true, 2, 200]] as const) {
    it(`${count} generated patterns on ${label} texts give JavaScript's match spans`, () => {
      const g = generator(seed, utf8);
      let compared = 0;
      let rejectedEmpty = 0;
      for (let i = 0; i < count; i++) {
        const p = g.pattern();
        const c = compile(p.src);
        if (p.empty) {
          // The generator tracks nullability; the engine must agree and refuse the pattern.
          expect(c.error, p.src).toMatch(/can match the empty string/);
          rejectedEmpty++;
          continue;
        }
        expect(c.error, p.src).toBe("");
        for (let k = 0; k < 6; k++) {
          const t = g.text();
          const ours = findAll(t);
          expect(ours, `/${p.src}/ on ${JSON.stringify(t)}`).toEqual(jsMatches(p.src, t));
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(count * 3);
      expect(rejectedEmpty).toBeGreaterThan(0);
    });
  }

  it("hand-picked leftmost-first cases", () => {
    const cases: Array<[string, string]> = [
      ["a|ab", "abab"], ["ab|a", "abab"], ["a+?b", "aaab"], ["a{2,3}?", "aaaaaaa"], ["(?:a|ab)(?:c|bcd)", "abcd"],
      ["\\bfoo\\b", "foo food foo_ foo."], ["\\Boo\\B", "foood"], ["^ab", "abab"], ["ab$", "abab"], ["x*y|x", "xxxxz"],
      ["[^\\d\\s]+", "ab 12 c3"], ["(?i)[^a]b", "Ab xb AB"], ["(?i)hello", "HeLLo hello"], ["\\w+@\\w+\\.com", "mail bob@example.com now"],
      ["(?:\\d{3}-){2}\\d{4}", "call 555-123-4567 or 555-1234"], ["[a\\]]+", "a]]a"], ["\\.\\*", ".*"], ["a.c", "a\nc abc"],
    ];
    for (const [p, t] of cases) expect(matchAll(p, t), `/${p}/ on ${JSON.stringify(t)}`).toEqual(jsMatches(p, t));
  });
});

describe("UTF-8", () => {
  it("reports byte offsets; `.` and negated classes take whole code points", () => {
    expect(matchAll("é+", "café éé")).toEqual([[3, 5], [6, 10]]);
    expect(matchAll("c.f", "c€f")).toEqual([[0, 5]]);
    expect(matchAll("[^a]", "a😀")).toEqual([[1, 5]]);
    expect(matchAll("\\W", "a中")).toEqual([[1, 4]]);
    expect(matchAll("\\x{1F600}", "x😀")).toEqual([[1, 5]]);
    expect(matchAll("\\xe9", "é")).toEqual([[0, 2]]); // \xHH is a code point, as in RE2 and JS
    expect(matchAll("[é€]+", "aé€b")).toEqual([[1, 6]]);
  });

  it("(?i) folds ASCII only; non-ASCII is byte-exact", () => {
    expect(matchAll("(?i)café", "CAFÉ Café")).toEqual([[6, 11]]);
    expect(matchAll("café", "CAFÉ CAFé", true)).toEqual([[6, 11]]);
  });

  it("never starts a match inside a code point, and survives invalid UTF-8", () => {
    expect(matchAll(".", new Uint8Array([0xa9, 0x41]))).toEqual([[1, 2]]); // a stray continuation byte never starts a match
    expect(matchAll("a.b", new Uint8Array([0x61, 0xff, 0x62, 0x61, 0x80, 0x62]))).toEqual([[0, 3], [3, 6]]);
    expect(matchAll("a.b", new Uint8Array([0x61, 0xc3, 0x62]))).toEqual([]); // truncated sequence: no code point
  });
});

describe("rejections name the construct and its position", () => {
  const cases: Array<[string, RegExp]> = [
    ["(a)\\1", /^at position 3: backreferences \(\\1\) are not supported$/],
    ["(?<n>a)\\k<n>", /^at position 7: backreferences \(\\k<name>\)/],
    ["a(?=b)", /^at position 1: lookahead/],
    ["a(?!b)", /^at position 1: lookahead/],
    ["(?<=a)b", /^at position 0: lookbehind/],
    ["(?<!a)b", /^at position 0: lookbehind/],
    ["a*+", /^at position 2: possessive quantifiers/],
    ["a++", /^at position 2: possessive quantifiers/],
    ["a?+", /^at position 2: possessive quantifiers/],
    ["a{2}+", /^at position 4: possessive quantifiers/],
    ["a**", /^at position 2: a quantifier cannot follow another quantifier/],
    ["(a{1000}){1000}", /^pattern too large: it expands to 1000001 states \(limit 10000\)/],
    ["((a{100}){100}){100}", /^pattern too large: it expands to 1000001 states \(limit 10000\)/],
    [".{1000}", /^pattern too large: it expands to 16001 states/], // `.` is 16 instructions (UTF-8 sequences)
    ["a{1001}", /^at position 1: repetition count above 1000/],
    ["a{2,1001}", /^at position 1: repetition count above 1000/],
    ["a{3,2}", /^at position 1: invalid repetition \{3,2\}: max below min/],
    ["a{,3}", /^at position 1: invalid repetition/],
    ["a{x", /^at position 1: invalid repetition/],
    ["a*", /can match the empty string/],
    ["(?:)", /can match the empty string/],
    ["a?|b+", /can match the empty string/],
    ["^", /can match the empty string/],
    ["\\b(?:x)?\\b", /can match the empty string/],
    ["a{0}", /can match the empty string/],
    ["*a", /^at position 0: quantifier with nothing to repeat/],
    ["a|+", /^at position 2: quantifier with nothing to repeat/],
    ["^*a", /^at position 1: quantifier after an anchor/],
    ["(?s)a", /^at position 0: unsupported group syntax \(\?s/],
    ["(?i:a)", /^at position 0: unsupported group syntax \(\?i/],
    ["a(?i)b", /^at position 1: \(\?i\) is only supported at the very start/],
    ["(?>a)", /^at position 0: atomic groups/],
    ["[[:alpha:]]", /^at position 1: POSIX classes/],
    ["\\p{L}", /^at position 0: Unicode classes/],
    ["\\u0041", /^at position 0: \\u escapes are not supported/],
    ["\\0", /^at position 0: \\0 is not supported/],
    ["\\q", /^at position 0: unsupported escape \\q/],
    ["[é-ü]", /^at position 1: class ranges over non-ASCII/],
    ["[^é]", /^at position 0: a negated class cannot contain non-ASCII/],
    ["[z-a]", /^at position 1: invalid class range/],
    ["[\\d-z]", /^at position 1: a class escape cannot be a range bound/],
    ["[\\b]", /^at position 1: \\b and \\B are not allowed inside a class/],
    ["[]a]", /^at position 0: empty class/],
    ["(a", /^at position 0: missing \) for the group/],
    ["a)", /^at position 1: unmatched \)/],
    ["[ab", /^at position 0: missing \] for the class/],
    ["ab\\", /^at position 2: trailing backslash/],
    ["\\x4", /^at position 0: invalid \\x escape/],
    ["\\x{110000}", /^at position 0: invalid \\x\{...\} escape/],
    ["(".repeat(150) + "a" + ")".repeat(150), /^at position 100: groups nested deeper than 100/],
    ["a".repeat(20001), /^pattern too long: 20001 characters \(limit 20000\)/],
  ];
  for (const [p, msg] of cases) {
    it(`${p.length > 40 ? p.slice(0, 37) + "..." : p}`, () => {
      expect(compile(p).error).toMatch(msg);
    });
  }

  it("accepts the bound itself and named groups", () => {
    expect(compile("a{1000}").size).toBe(1001);
    expect(compile("(?:abcdefghij){999}").size).toBe(9991);
    expect(compile("(?:abcdefghij){1000}").error).toMatch(/^pattern too large: it expands to 10001 states \(limit 10000\)/);
    expect(compile("(?P<id>\\d+)-(?<x>[a-z])").error).toBe("");
    expect(matchAll("(?P<id>\\d+)-(?<x>[a-z])", "12-a")).toEqual([[0, 4]]);
  });
});

describe("linear time", () => {
  /** Best of three, in ms (the illustration below only). */
  function time(f: () => void): number {
    let best = Infinity;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      f();
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  }

  // The last ones defeat "find a match, restart at its end" loops: a higher-priority branch
  // keeps reading to the end of the text after each short match (quadratic there).
  const pathological: Array<[string, (n: number) => string]> = [
    ["(a|a)*b", (n) => "a".repeat(n)],
    ["(a*)*b", (n) => "a".repeat(n)],
    ["(a+)+$", (n) => "a".repeat(n) + "b"],
    ["(x+x+)+y", (n) => "x".repeat(n)],
    ["(?:a|aa)+c", (n) => "a".repeat(n)],
    ["(\\w+\\s?)+$", (n) => "ab ".repeat(n / 3) + "!"],
    ["(.*a){20}", (n) => "a".repeat(n / 4)],
    ["x*y|x", (n) => "x".repeat(n)],
    ["(?:\\w+@q|\\w)", (n) => "abc".repeat(n / 3)],
    ["(?:a.*b|a)", (n) => "a".repeat(n)],
  ];
  // Steps, not milliseconds: 4x the input may cost at most 4.5x the matcher's steps (a
  // backtracking or restart-quadratic matcher gives 16x and more).
  for (const [p, input] of pathological) {
    it(`${p}: 4x the input costs at most 4.5x the steps`, () => {
      const small = enc.encode(input(25_000));
      const big = enc.encode(input(100_000));
      expect(compile(p).error).toBe("");
      const ss = steps(() => findAll(small));
      const sb = steps(() => findAll(big));
      expect(ss).toBeGreaterThan(small.length);
      expect(sb / ss, `${p}: ${ss} → ${sb} steps`).toBeLessThanOrEqual(4.5);
    });
  }

  it("(illustration) JavaScript's backtracking RegExp explodes on (a+)+$ where ours stays flat", () => {
    const js: string[] = [];
    for (const n of [16, 18, 20, 22]) {
      const s = "a".repeat(n) + "b";
      const t0 = performance.now();
      /(a+)+$/.test(s);
      const jsMs = performance.now() - t0;
      compile("(a+)+$");
      const oursMs = time(() => findAll(s));
      js.push(`n=${n}: JS ${jsMs.toFixed(2)} ms, ours ${oursMs.toFixed(3)} ms`);
    }
    console.log("(a+)+$ on a^n b —", js.join("; "));
  });

  it("throughput on a 1 MB text (measured, not asserted)", () => {
    const rnd = prng(7);
    const words = ["the", "customer", "order", "shipped", "on", "monday", "please", "contact", "support", "about", "invoice", "and", "refund"];
    let text = "";
    while (text.length < 1_000_000) {
      const r = rnd();
      if (r < 0.01) text += `EMP-${String(Math.floor(rnd() * 1e6)).padStart(6, "0")} `;
      else if (r < 0.02) text += `user${Math.floor(rnd() * 100)}@example.com `;
      else text += words[Math.floor(rnd() * words.length)] + (rnd() < 0.1 ? ". " : " ");
    }
    const bytes = enc.encode(text);
    const report: string[] = [];
    for (const [p, expected] of [
      ["\\bEMP-\\d{6}\\b", /EMP-\d{6}/g],
      ["[\\w.+-]+@[\\w-]+\\.[a-z]{2,}", /[\w.+-]+@[\w-]+\.[a-z]{2,}/g],
    ] as const) {
      expect(compile(p).error).toBe("");
      const n = findAll(bytes).length;
      expect(n).toBe([...text.matchAll(expected)].length);
      const ms = time(() => findAll(bytes));
      report.push(`${p}: ${(bytes.length / 1e6 / (ms / 1000)).toFixed(1)} MB/s (${n} matches)`);
    }
    console.log("regex throughput on 1 MB:", report.join("; "));
  });
});

// ---- word lists ---------------------------------------------------------------------------------

function buildWords(words: string[], ci: boolean, whole: boolean): number {
  return withBytes(enc.encode(words.join("\n")), (p, n) => x.wl_build(p, n, ci ? 1 : 0, whole ? 1 : 0));
}

function findWords(text: string | Uint8Array): Span[] {
  const bytes = typeof text === "string" ? enc.encode(text) : text;
  return withBytes(bytes, (p, n) => readSpans(x.wl_find_all(p, n)));
}

/** The documented word-character rule (words.ts), restated. */
function isWordCp(cp: number): boolean {
  if (cp < 0x80) return /[A-Za-z0-9_]/.test(String.fromCharCode(cp));
  if (cp < 0xc0) return cp === 0xaa || cp === 0xb5 || cp === 0xba;
  if (cp === 0xd7 || cp === 0xf7) return false;
  const out: Array<[number, number]> = [[0x2000, 0x2bff], [0x3000, 0x303f], [0xfe30, 0xfe4f], [0xff00, 0xff0f], [0xff1a, 0xff20], [0xff3b, 0xff40], [0xff5b, 0xff65], [0x1f000, 0x1faff], [0xfffd, 0xfffd]];
  return !out.some(([a, b]) => cp >= a && cp <= b);
}

/** Naive leftmost-longest reference over bytes. */
function naiveWords(words: string[], text: string, ci: boolean, whole: boolean): Span[] {
  const fold = (b: Uint8Array) => (ci ? b.map((c) => (c >= 0x41 && c <= 0x5a ? c | 0x20 : c)) : b);
  const ws = [...new Set(words.filter((w) => w.length > 0))].map((w) => fold(enc.encode(w)));
  const t = enc.encode(text);
  const ft = fold(t);
  // Word character before byte offset i / at byte offset i, by code point.
  const cpAt = new Map<number, number>();
  const cpEnd = new Map<number, number>();
  let b = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    cpAt.set(b, cp);
    b += enc.encode(ch).length;
    cpEnd.set(b, cp);
  }
  const wordAt = (i: number) => i < t.length && isWordCp(cpAt.get(i)!);
  const wordBefore = (i: number) => i > 0 && isWordCp(cpEnd.get(i)!);
  const r: Span[] = [];
  let p = 0;
  while (p < t.length) {
    let best = -1;
    for (const w of ws) {
      if (w.length <= best || p + w.length > t.length) continue;
      let ok = true;
      for (let k = 0; k < w.length && ok; k++) ok = ft[p + k] === w[k];
      if (!ok) continue;
      if (whole && (wordBefore(p) || wordAt(p + w.length))) continue;
      best = w.length;
    }
    if (best > 0) {
      r.push([p, p + best]);
      p += best;
    } else p++;
  }
  return r;
}

describe("word lists (Aho-Corasick)", () => {
  it("examples: longest at a position, non-overlapping leftmost, case and boundary options", () => {
    buildWords(["Acme", "Acme Corp", "corp"], false, true);
    expect(findWords("Acme Corp and corp, Acmes, Acme.")).toEqual([[0, 9], [14, 18], [27, 31]]);
    buildWords(["acme"], true, true);
    expect(findWords("ACME acme AcMe_x")).toEqual([[0, 4], [5, 9]]);
    buildWords(["ab", "abcd", "c"], false, false);
    expect(findWords("abcx")).toEqual([[0, 2], [2, 3]]);
    buildWords(["Müller"], false, true);
    expect(findWords("Herr Müller, Müllerstraße, Müller’s")).toEqual([[5, 12], [30, 37]]);
    buildWords(["zoë"], true, true);
    expect(findWords("ZOË zoë")).toEqual([[5, 9]]); // non-ASCII compared byte-exact
  });

  it("random lists and texts agree with the naive reference", () => {
    const rnd = prng(11);
    const pick = <T>(a: T[]): T => a[Math.floor(rnd() * a.length)];
    for (let iter = 0; iter < 400; iter++) {
      const ci = rnd() < 0.5;
      const whole = rnd() < 0.5;
      const alpha = ["a", "b", "A", "é", " ", "_", "-", "😀"];
      const words: string[] = [];
      const nw = 1 + Math.floor(rnd() * 8);
      for (let i = 0; i < nw; i++) {
        let w = "";
        const len = 1 + Math.floor(rnd() * 4);
        for (let k = 0; k < len; k++) w += pick(alpha.slice(0, 4));
        words.push(w);
      }
      let text = "";
      const tl = Math.floor(rnd() * 60);
      for (let k = 0; k < tl; k++) text += pick(alpha);
      buildWords(words, ci, whole);
      expect(findWords(text), `${JSON.stringify(words)} ci=${ci} whole=${whole} on ${JSON.stringify(text)}`).toEqual(naiveWords(words, text, ci, whole));
    }
  });

  it("thousands of names over a 1 MB text: matches the reference, linear work", () => {
    const rnd = prng(12);
    const syll = ["an", "ber", "cor", "da", "el", "fin", "gar", "ho", "is", "jo", "ka", "lu", "mar", "no", "os", "pe", "qui", "ro", "sa", "tu"];
    const names: string[] = [];
    for (let i = 0; i < 5000; i++) {
      let n = "";
      const k = 2 + Math.floor(rnd() * 3);
      for (let j = 0; j < k; j++) n += syll[Math.floor(rnd() * syll.length)];
      names.push(n[0].toUpperCase() + n.slice(1) + (rnd() < 0.3 ? " " + syll[Math.floor(rnd() * 20)] + "son" : ""));
    }
    const mk = (size: number) => {
      let t = "";
      while (t.length < size) t += rnd() < 0.1 ? names[Math.floor(rnd() * names.length)] + ", " : syll[Math.floor(rnd() * syll.length)] + (rnd() < 0.3 ? " " : "");
      return t;
    };
    expect(buildWords(names, true, true)).toBe(new Set(names.map((n) => n.toLowerCase())).size);
    const sample = mk(20_000);
    expect(findWords(sample)).toEqual(naiveWords(names, sample, true, true));
    const small = enc.encode(mk(250_000));
    const big = enc.encode(mk(1_000_000));
    let found = 0;
    const ss = steps(() => findWords(small));
    const sb = steps(() => (found = findWords(big).length));
    expect(found).toBeGreaterThan(1000);
    expect(sb / ss, `${ss} → ${sb} steps`).toBeLessThanOrEqual(4.5);
  });

  it("adversarial overlaps stay linear (a, aa, ..., a^40 without boundaries)", () => {
    const words = Array.from({ length: 40 }, (_, i) => "a".repeat(i + 1) + (i % 2 ? "b" : ""));
    buildWords(words, false, false);
    const s = "a".repeat(50_000);
    expect(findWords(s.slice(0, 300))).toEqual(naiveWords(words, s.slice(0, 300), false, false));
    const small = enc.encode(s);
    const big = enc.encode(s.repeat(4));
    const ss = steps(() => findWords(small));
    const sb = steps(() => findWords(big));
    expect(sb / ss, `${ss} → ${sb} steps`).toBeLessThanOrEqual(4.5);
  });
});

describe("detectors in scanText", () => {
  it("CUSTOM and WORD findings carry the configured names; an overlap goes to the higher score", () => {
    expect(compile("\\bEMP-\\d{6}\\b").error).toBe("");
    buildWords(["Acme Corp", "123456"], true, true);
    const text = "Acme Corp staff EMP-123456 called";
    const n = withBytes(enc.encode(text), (p, len) => x.rx_scan(p, len));
    const spans = readSpans(n);
    const types = Array.from(new Int32Array(x.memory.buffer, x.rx_types_ptr(), n));
    // The word "123456" (score 90) overlaps the pattern's EMP-123456 (score 80) and wins.
    expect(spans).toEqual([[0, 9], [20, 26]]);
    expect(types).toEqual([10, 10]);
    expect(outText().split("\n")).toEqual(["customers", "customers"]);
    buildWords(["Acme Corp"], true, true);
    const m = withBytes(enc.encode(text), (p, len) => x.rx_scan(p, len));
    expect(readSpans(m)).toEqual([[0, 9], [16, 26]]);
    expect(Array.from(new Int32Array(x.memory.buffer, x.rx_types_ptr(), m))).toEqual([10, 9]);
    expect(outText().split("\n")).toEqual(["customers", "custom-test"]);
  });
});

describe("fuzz: never traps", () => {
  it("random byte strings as patterns either compile or return an error", () => {
    const rnd = prng(99);
    const syntax = "()[]{}|*+?^$.\\-,:=!<>PdDwWsSbBxkiu0123456789abcAZ é";
    let compiled = 0;
    for (let i = 0; i < 4000; i++) {
      const len = Math.floor(rnd() * 24);
      const bytes = new Uint8Array(len);
      const structured = rnd() < 0.7;
      for (let k = 0; k < len; k++) bytes[k] = structured ? syntax.charCodeAt(Math.floor(rnd() * syntax.length)) & 0xff : Math.floor(rnd() * 256);
      const c = compile(bytes);
      if (c.error === "") {
        compiled++;
        expect(c.size).toBeGreaterThan(0);
        const t = new Uint8Array(64).map(() => Math.floor(rnd() * 256));
        for (const [s, e] of findAll(t)) expect(e).toBeGreaterThan(s);
      } else expect(c.error.length).toBeGreaterThan(0);
    }
    expect(compiled).toBeGreaterThan(100);
  });
});
