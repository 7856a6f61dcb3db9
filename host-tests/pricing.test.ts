// filters/lib/pricing against the TypeScript oracle (usage-oracle.ts findPrice / globMatch /
// costMicroUsd): every glob of the bundled table, every recording with usage, config overrides,
// and the glob and price-literal edge cases. dist/pricing.wasm is filters/testing/pricing.
import { describe, it, expect, beforeAll, beforeEach } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { prng } from "./replay/split";
import {
  costMicroUsd,
  findPrice,
  globMatch,
  recognise,
  usageFrom,
  type Headers,
  type PriceEntry,
  type PriceTable,
  type Provider,
  type Usage,
} from "./support/usage-oracle";
import { index, bytesOf } from "./support/recordings-index";

const WASM = resolve(__dirname, "../dist/pricing.wasm");
const recordings = resolve(__dirname, "recordings");
const prices: PriceTable = JSON.parse(readFileSync(resolve(__dirname, "../filters/token-meter/prices.json"), "utf8"));

// Codes of filters/lib/providers/types.ts `Provider`, in enum order.
const PROVIDERS: Provider[] = [
  "unknown", "openai", "azure-openai", "mistral", "groq", "deepseek", "together", "openrouter",
  "openai-compatible", "anthropic", "gemini", "vertex-ai", "bedrock", "ollama",
];
const code = (p?: Provider | string) => (p === undefined ? 0 : PROVIDERS.indexOf(p as Provider));

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  pr_alloc(len: number): number;
  pr_free(ptr: number): void;
  pr_out_ptr(): number;
  pr_out_len(): number;
  pr_configure(ptr: number, len: number): number;
  pr_find(ptr: number, len: number, provider: number): number;
  pr_cost(ptr: number, len: number, provider: number, input: bigint, output: bigint, cached: bigint, write: bigint, reasoning: bigint): bigint;
  pr_glob(gp: number, gl: number, np: number, nl: number): number;
  pr_pico(ptr: number, len: number): bigint;
  pr_as_of(): void;
}

let x: Exports;

function withBytes<T>(values: string[], f: (spans: Array<[number, number]>) => T): T {
  const spans = values.map((v) => {
    const bytes = new TextEncoder().encode(v);
    const ptr = x.pr_alloc(bytes.length);
    new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length] as [number, number];
  });
  try {
    return f(spans);
  } finally {
    for (const [p] of spans) x.pr_free(p);
  }
}

const outText = () => new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.pr_out_ptr(), x.pr_out_len()));

function configure(pricing: unknown): { rc: number; text: string } {
  return withBytes([JSON.stringify(pricing)], ([[p, n]]) => ({ rc: x.pr_configure(p, n), text: outText() }));
}

const asFind = (model: string, provider?: Provider | string) => withBytes([model], ([[p, n]]) => x.pr_find(p, n, code(provider)));

function asCost(model: string, u: Pick<Usage, "input" | "output" | "cached_input" | "cache_write" | "reasoning">, provider?: Provider | string): number | null {
  const c = withBytes([model], ([[p, n]]) =>
    x.pr_cost(p, n, code(provider), BigInt(u.input), BigInt(u.output), BigInt(u.cached_input), BigInt(u.cache_write), BigInt(u.reasoning)));
  return c < 0n ? null : Number(c);
}

const asGlob = (glob: string, name: string) => withBytes([glob, name], ([[gp, gl], [np, nl]]) => x.pr_glob(gp, gl, np, nl) !== 0);
const asPico = (literal: string) => withBytes([literal], ([[p, n]]) => x.pr_pico(p, n));

function usage(input: number, output: number, cached = 0, write = 0, reasoning = 0): Usage {
  return { input, output, cached_input: cached, cache_write: write, reasoning, total: input + output, source: { input: "reported", output: "reported" } };
}

/** Index of an oracle entry in the flattened table (what pr_find returns). */
function oracleIndex(table: PriceTable, e: PriceEntry | null): number {
  if (!e) return -1;
  return table.blocks.flatMap((b) => b.models).indexOf(e);
}

beforeAll(async () => {
  const module = await WebAssembly.compile(readFileSync(WASM));
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === "function") (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  x = (await WebAssembly.instantiate(module, imports)).exports as unknown as Exports;
  x._initialize();
});

beforeEach(() => {
  expect(configure(null).rc).toBe(0);
});

// Names a glob must match: its wildcards filled in a few ways, and in upper case.
function namesFor(glob: string): string[] {
  const fills: Array<[string, string]> = [["", "x"], ["-20250929-v1:0", "7"], ["abc", "Q"]];
  const out = new Set<string>();
  for (const [star, q] of fills) {
    const n = glob.replace(/\*/g, star).replace(/\?/g, q);
    out.add(n);
    out.add(n.toUpperCase());
  }
  return [...out];
}

describe("bundled table", () => {
  it("carries the table's date", () => {
    x.pr_as_of();
    expect(outText()).toBe(prices.as_of);
    expect(configure({ use_default_table: false }).text).toBe("");
  });

  const entries = prices.blocks.flatMap((b) => b.models);
  const globs = entries.flatMap((e) => (Array.isArray(e.match) ? e.match : [e.match]).map((g) => ({ g, e })));

  it.each(globs.map(({ g, e }) => [g, e.provider ?? "-"] as const))("%s (provider %s): same entry and cost as the oracle", (g, provider) => {
    const rand = prng(g.length * 7919 + g.charCodeAt(0));
    for (const name of namesFor(g)) {
      for (const p of [undefined, "openai", "groq", "ollama", provider === "-" ? "anthropic" : provider] as Array<Provider | undefined>) {
        expect(asFind(name, p), `${name} / ${p}`).toBe(oracleIndex(prices, findPrice(name, prices, p)));
        const lc = findPrice(name, prices, p)?.long_context?.above_input_tokens ?? 200_000;
        const usages = [
          usage(0, 0),
          usage(1, 0),
          usage(3, 0),
          usage(1144, 2, 1024),
          usage(2073, 100, 0, 2055),
          usage(208, 138, 0, 0, 128),
          usage(lc, 10, 5, 5, 3),
          usage(lc + 1, 10, 5, 5, 3),
          usage(10, 5, 50, 50, 60), // over-reported parts are clamped
          usage(1_000_000_000, 1_000_000_000, 300_000_000, 100_000_000, 999_999_999),
        ];
        for (let i = 0; i < 8; i++) {
          const input = Math.floor(rand() * 400_000);
          const output = Math.floor(rand() * 40_000);
          usages.push(usage(input, output, Math.floor(rand() * input), Math.floor(rand() * input * 0.2), Math.floor(rand() * output)));
        }
        for (const u of usages) {
          expect(asCost(name, u, p), `${name} / ${p} / ${JSON.stringify(u)}`).toBe(costMicroUsd(u, name, prices, p));
        }
      }
    }
  });

  it("prices the PRICING.md worked examples", () => {
    expect(asCost("gpt-4.1-2025-04-14", usage(1144, 2, 1024), "openai")).toBe(768);
    expect(asCost("claude-sonnet-4-20250514", usage(2073, 100, 0, 2055), "anthropic")).toBe(9261);
    expect(asCost("gpt-5-nano-2025-08-07", usage(208, 138, 0, 0, 128), "openai")).toBe(66);
    expect(asCost("gemini-3-pro-preview", usage(3, 213, 0, 0, 204), "gemini")).toBe(2562);
    expect(asCost("gemini-3-pro-preview", usage(250_000, 213, 0, 0, 204), "gemini")).toBe(250_000 * 4 + 213 * 18);
    expect(asCost("text-embedding-3-small", usage(3, 0), "openai")).toBe(1);
  });

  it("unknown model: no price, distinct from a free model", () => {
    expect(asCost("gpt-5.5", usage(100, 100), "openai")).toBeNull();
    expect(asFind("gpt-5.5", "openai")).toBe(-1);
    expect(asCost("", usage(100, 100), "openai")).toBeNull();
    expect(asCost("llama3.2:1b", usage(100, 100), "ollama")).toBe(0);
    expect(asCost("llama3.2:1b", usage(100, 100), "openai")).toBeNull();
  });

  it("provider-scoped entries match only that provider", () => {
    expect(asFind("openai/gpt-oss-120b", "groq")).toBe(oracleIndex(prices, findPrice("openai/gpt-oss-120b", prices, "groq")));
    expect(asFind("openai/gpt-oss-120b", "groq")).toBeGreaterThanOrEqual(0);
    expect(asFind("openai/gpt-oss-120b", "openrouter")).toBe(oracleIndex(prices, findPrice("openai/gpt-oss-120b", prices, "openrouter")));
  });
});

// ---------------------------------------------------------------------------------------------

const withUsage = index.filter((e) => e.inspect.usage_paths.length > 0 && e.request);

describe("recordings", () => {
  let priced = 0;
  it.each(withUsage.map((e) => [e.name, e] as const))("%s: cost equals the oracle's", (_, e) => {
    const url = new URL(e.request!.uri);
    const reqHeaders: Array<[string, string]> = [[":authority", url.host]];
    for (const [k, vs] of Object.entries(e.request!.headers)) for (const v of vs) reqHeaders.push([k, v]);
    const r = recognise(e.request!.method, url.pathname + url.search, reqHeaders, e.files.request ? bytesOf(e.files.request) : null);
    const resHeaders: Headers = [[":status", String(e.response.status)]];
    for (const [k, vs] of Object.entries(e.response.headers ?? {})) if (k !== "content-encoding") for (const v of vs) resHeaders.push([k, v]);
    const u = usageFrom(r.provider, r.operation, resHeaders, bytesOf(e.files.response), e.response.content_type);
    if (!u) return;
    // PRICING.md "Which model": the response's model, else the request's.
    const model = u.model ?? r.model ?? "";
    const want = costMicroUsd(u, model, prices, r.provider);
    expect(asCost(model, u, r.provider), `${model} (${r.provider})`).toBe(want);
    expect(asFind(model, r.provider)).toBe(oracleIndex(prices, findPrice(model, prices, r.provider)));
    if (want !== null) priced++;
  });
  it("prices most of them", () => {
    expect(priced).toBeGreaterThan(10);
  });
});

// ---------------------------------------------------------------------------------------------

describe("config", () => {
  const override = { match: "gpt-4o-mini*", input: 1, output: 2 };

  it("config entries come before the bundled table", () => {
    expect(configure({ models: [override] }).rc).toBe(0);
    expect(asFind("gpt-4o-mini-2024-07-18", "openai")).toBe(0);
    expect(asCost("gpt-4o-mini", usage(1000, 500, 400, 0, 100), "openai")).toBe(2000);
    // Everything else still from the bundled table, one place further down.
    expect(asFind("gpt-4o", "openai")).toBe(oracleIndex(prices, findPrice("gpt-4o", prices, "openai")) + 1);
    expect(asCost("gpt-4o", usage(1000, 1000), "openai")).toBe(costMicroUsd(usage(1000, 1000), "gpt-4o", prices, "openai"));
  });

  it("matches the oracle with config entries first, defaults filled in", () => {
    const models = [
      { match: "my-*", input: 0.123456, cached_input: 0.000001, cache_write: 1.5, output: 3.25, reasoning: 9 },
      { match: "team-?", provider: "anthropic", input: 2, output: 4 },
      { match: "GPT-4O", input: 7, output: 8, cached_input: 0 },
      { match: "free", input: 0, output: 0 },
    ];
    expect(configure({ models }).rc).toBe(0);
    const table: PriceTable = { ...prices, blocks: [{ provider: "config", source: "", as_of: "", models: models as PriceEntry[] }, ...prices.blocks] };
    const rand = prng(42);
    for (const name of ["my-model", "MY-", "team-a", "team-ab", "gpt-4o", "gpt-4o-mini", "free", "claude-sonnet-4-5", "nope"]) {
      for (const p of [undefined, "openai", "anthropic"] as Array<Provider | undefined>) {
        expect(asFind(name, p)).toBe(oracleIndex(table, findPrice(name, table, p)));
        for (let i = 0; i < 20; i++) {
          const input = Math.floor(rand() * 300_000);
          const output = Math.floor(rand() * 30_000);
          const u = usage(input, output, Math.floor(rand() * input), Math.floor(rand() * input * 0.3), Math.floor(rand() * output));
          expect(asCost(name, u, p), `${name} / ${p}`).toBe(costMicroUsd(u, name, table, p));
        }
      }
    }
  });

  it("use_default_table: false leaves only the config entries", () => {
    expect(configure({ use_default_table: false, models: [override] }).rc).toBe(0);
    expect(asCost("gpt-4o-mini", usage(10, 10), "openai")).toBe(30);
    expect(asCost("gpt-4o", usage(10, 10), "openai")).toBeNull();
    expect(configure({ use_default_table: false }).rc).toBe(0);
    expect(asCost("gpt-4o-mini", usage(10, 10), "openai")).toBeNull();
  });

  it("{} and null are the bundled table", () => {
    expect(configure({}).rc).toBe(0);
    expect(asFind("gpt-4o", "openai")).toBe(oracleIndex(prices, findPrice("gpt-4o", prices, "openai")));
  });

  const bad: Array<[unknown, string]> = [
    [[], "$.pricing: must be an object"],
    [{ model: [] }, "$.pricing.model: is not a known field"],
    [{ use_default_table: "yes" }, "$.pricing.use_default_table: must be true or false"],
    [{ models: {} }, "$.pricing.models: must be an array"],
    [{ models: [1] }, "$.pricing.models[0]: must be an object"],
    [{ models: [override, { input: 1, output: 1 }] }, "$.pricing.models[1].match: is required"],
    [{ models: [{ match: ["a", "b"], input: 1, output: 1 }] }, "$.pricing.models[0].match: must be a non-empty glob string"],
    [{ models: [{ match: "", input: 1, output: 1 }] }, "$.pricing.models[0].match: must be a non-empty glob string"],
    [{ models: [{ match: "a", output: 1 }] }, "$.pricing.models[0].input: is required"],
    [{ models: [{ match: "a", input: 1 }] }, "$.pricing.models[0].output: is required"],
    [{ models: [{ match: "a", input: -1, output: 1 }] }, "$.pricing.models[0].input: must be from 0 to 1e9 with at most 6 decimals"],
    [{ models: [{ match: "a", input: 1, output: 0.0000001 }] }, "$.pricing.models[0].output: must be from 0 to 1e9 with at most 6 decimals"],
    [{ models: [{ match: "a", input: 1, output: 1, reasoning: "1" }] }, "$.pricing.models[0].reasoning: must be a number (USD per 1M tokens)"],
    [{ models: [{ match: "a", input: 1, output: 1, provider: "none" }] }, "$.pricing.models[0].provider: is not a known provider"],
    [{ models: [{ match: "a", input: 1, output: 1, long_context: {} }] }, "$.pricing.models[0].long_context: is not a known field"],
  ];
  it.each(bad.map(([c, why]) => [JSON.stringify(c), c, why] as const))("rejects %s", (_, c, why) => {
    expect(configure({ models: [override] }).rc).toBe(0);
    expect(configure(c)).toEqual({ rc: 2, text: why });
    // The previous table stays, as Envoy keeps the previous configuration.
    expect(asFind("gpt-4o-mini", "openai")).toBe(0);
  });

  it("reports text that is not JSON", () => {
    expect(withBytes(["{"], ([[p, n]]) => x.pr_configure(p, n))).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------

describe("globs", () => {
  const cases: Array<[string, string]> = [
    ["", ""], ["", "a"], ["*", ""], ["?", ""], ["**", "x"], ["a*", "a"], ["*a", "a"], ["a?c", "abc"], ["a?c", "ac"],
    ["a?c", "abbc"], ["*a*b*", "xxaxxb"], ["*a*b", "xxaxxbc"], ["gpt-4o", "GPT-4O"], ["GPT-4o", "gpt-4O"],
    ["gpt-4o", "gpt-4o-mini"], ["gpt-4o", "gpt-4"], ["*.1", "gpt-4.1"], ["gpt-4.1", "gpt-4x1"], ["a+b", "aab"],
    ["a+b", "a+b"], ["(x)", "(x)"], ["[ab]", "a"], ["$^", "$^"], ["a\\b", "a\\b"], ["?", "é"], ["??", "é"],
    ["?", "€"], ["caf?", "café"], ["*claude-sonnet-4-5*", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
    ["*claude-sonnet-4-5*", "claude-sonnet-4-5@20250929"], ["gpt-5", "gpt-5.5"], ["gpt-5-20*", "gpt-5-2025-08-07"],
    ["*?", ""], ["*?", "a"], ["?*?", "a"], ["?*?", "ab"], ["a*a*a", "aaaa"], ["a*a*a", "aa"],
  ];
  it.each(cases)("%j vs %j as the oracle", (g, n) => {
    expect(asGlob(g, n)).toBe(globMatch(g, n));
  });

  // Deliberate difference: case folding is ASCII only (model ids are ASCII); the oracle's /i
  // regex also folds other scripts.
  it("folds ASCII case only", () => {
    expect(asGlob("café", "CAFé")).toBe(true);
    expect(asGlob("café", "CAFÉ")).toBe(false);
  });

  it("random globs over a small alphabet agree with the oracle", () => {
    const rand = prng(7);
    const pick = (s: string, n: number) => Array.from({ length: n }, () => s[Math.floor(rand() * s.length)]).join("");
    for (let i = 0; i < 3000; i++) {
      const g = pick("aAb*?-", Math.floor(rand() * 7));
      const n = pick("abB-", Math.floor(rand() * 9));
      expect(asGlob(g, n), `${g} vs ${n}`).toBe(globMatch(g, n));
    }
  });

  it("a pathological glob stays fast", () => {
    const name = "a".repeat(20_000);
    const t = performance.now();
    expect(asGlob("*a*a*a*a*a*a*a*b", name)).toBe(false);
    expect(asGlob("*a*a*a*a*a*a*a*a", name)).toBe(true);
    expect(performance.now() - t).toBeLessThan(2000);
  });
});

describe("price literals", () => {
  const cases: Array<[string, bigint]> = [
    ["0", 0n], ["0.0", 0n], ["0.075", 75_000n], ["2.5", 2_500_000n], ["150", 150_000_000n], ["0.000001", 1n],
    ["0.0000010", 1n], ["1e-6", 1n], ["2.5E1", 25_000_000n], ["1.5e+2", 150_000_000n], ["0.0000001", -1n], ["1e-7", -1n],
    ["-1", -1n], ["-0", -1n], ["1000000000", 1_000_000_000_000_000n], ["1000000001", -1n], ["1e300", -1n], ["", -1n],
    ["1.", 1_000_000n], ["abc", -1n], ["1e", -1n], ["0.12345678900000000000000", -1n],
    ["0.123456000000000000000000", 123_456n],
  ];
  it.each(cases)("%s → %s pico", (lit, want) => {
    expect(asPico(lit)).toBe(want);
  });
});
