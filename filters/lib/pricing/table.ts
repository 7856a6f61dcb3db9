// The price table and the cost of a call (PRICING.md; oracle: costMicroUsd in
// host-tests/support/usage-oracle.ts). Built once per configure from the user's `pricing`
// config and the bundled table; looked up per response on the model's bytes.
import { JsonKind, JsonValue } from "../json";
import { Provider, Usage, providerName } from "../providers/types";
import { globMatch } from "./glob";
import { picoFromLiteral } from "./decimal";
import { DEFAULT_AS_OF, DEFAULT_ENTRY_COUNT, DEFAULT_GLOB_COUNT, ENTRIES, GLOBS, GLOB_BYTES } from "./generated/prices";

/** No price for the model: distinct from a price of 0 (ollama, free previews). */
export const NO_PRICE: i64 = -1;

/** Pico-USD per token, omitted prices already defaulted (cached/write → input, reasoning → output). */
export class Prices {
  input: u64 = 0;
  cachedInput: u64 = 0;
  cacheWrite: u64 = 0;
  output: u64 = 0;
  reasoning: u64 = 0;
}

export class PriceEntry {
  /** Position in the table (config entries first, then the bundled ones), for logs and tests. */
  index: i32 = 0;
  /** Restricts the entry to traffic recognised as this provider; -1 = any. */
  provider: i32 = -1;
  base: Prices = new Prices();
  /** When input > aboveInputTokens every token of the call uses these. */
  longContext: Prices | null = null;
  aboveInputTokens: u64 = 0;
  fromConfig: bool = false;
}

/** Result of building a table: the table, or the JSON path and reason the config failed. */
export class PriceTableResult {
  table: PriceTable | null = null;
  errorPath: string = "";
  error: string = "";
}

export class PriceTable {
  entries: PriceEntry[] = [];
  // Globs flattened in table order; an entry's globs are contiguous, so the first matching
  // glob belongs to the first matching entry.
  globPtr: usize[] = [];
  globLen: usize[] = [];
  globEntry: i32[] = [];
  /** Owns the bytes of config globs (bundled globs live in static data). */
  private keep: ArrayBuffer[] = [];
  /** The bundled table's date when it is in use (filter state `price_table`), else "". */
  asOf: string = "";

  /** First entry whose glob matches the model bytes and whose provider (if any) is `provider`. */
  find(modelPtr: usize, modelLen: usize, provider: i32): PriceEntry | null {
    const n = this.globPtr.length;
    for (let i = 0; i < n; i++) {
      const e = unchecked(this.entries[unchecked(this.globEntry[i])]);
      if (e.provider >= 0 && e.provider != provider) continue;
      if (globMatch(unchecked(this.globPtr[i]), unchecked(this.globLen[i]), modelPtr, modelLen)) return e;
    }
    return null;
  }

  /** Cost of a call in micro-USD, or NO_PRICE when no entry matches the model. */
  priceCall(modelPtr: usize, modelLen: usize, provider: i32, usage: Usage): i64 {
    const e = this.find(modelPtr, modelLen, provider);
    if (e === null) return NO_PRICE;
    const c = costMicroUsd(e, usage);
    return c > <u64>i64.MAX_VALUE ? i64.MAX_VALUE : <i64>c;
  }

  addGlob(ptr: usize, len: usize, entry: i32): void {
    this.globPtr.push(ptr);
    this.globLen.push(len);
    this.globEntry.push(entry);
  }

  addOwnedGlob(glob: string, entry: i32): void {
    const buf = String.UTF8.encode(glob);
    const p = changetype<usize>(buf);
    const n = <usize>buf.byteLength;
    for (let i: usize = 0; i < n; i++) {
      const b = load<u8>(p + i);
      if (b >= 0x41 && b <= 0x5A) store<u8>(p + i, b | 0x20);
    }
    this.keep.push(buf);
    this.addGlob(p, n, entry);
  }
}

// Saturating: a hostile token count prices as "enormous", never wraps to something small.
@inline function satMul(a: u64, b: u64): u64 {
  if (a == 0 || b == 0) return 0;
  return a > u64.MAX_VALUE / b ? u64.MAX_VALUE : a * b;
}

@inline function satAdd(a: u64, b: u64): u64 {
  const s = a + b;
  return s < a ? u64.MAX_VALUE : s;
}

/**
 * Micro-USD for `usage` at entry `e`: the exact pico-USD sum, then one ceiling (PRICING.md).
 * input includes cached_input and cache_write, output includes reasoning; counts a provider
 * over-reports are clamped so nothing is priced negative.
 */
export function costMicroUsd(e: PriceEntry, u: Usage): u64 {
  const lc = e.longContext;
  const p = lc !== null && u.input > e.aboveInputTokens ? lc : e.base;
  const cached = min(u.cachedInput, u.input);
  const write = min(u.cacheWrite, u.input - cached);
  const plainIn = u.input - cached - write;
  const reasoning = min(u.reasoning, u.output);
  const plainOut = u.output - reasoning;
  let pico = satMul(plainIn, p.input);
  pico = satAdd(pico, satMul(cached, p.cachedInput));
  pico = satAdd(pico, satMul(write, p.cacheWrite));
  pico = satAdd(pico, satMul(plainOut, p.output));
  pico = satAdd(pico, satMul(reasoning, p.reasoning));
  const micro = pico / 1_000_000;
  return pico % 1_000_000 != 0 ? micro + 1 : micro;
}

/** Provider code for a USAGE.md name; -1 when it is not one. */
export function providerFromName(name: string): i32 {
  for (let p = <i32>Provider.OpenAI; p <= <i32>Provider.Ollama; p++) {
    if (providerName(<Provider>p) == name) return p;
  }
  return -1;
}

function appendDefaults(t: PriceTable): void {
  const base = t.entries.length;
  for (let i = 0; i < DEFAULT_ENTRY_COUNT; i++) {
    const r = i * 12;
    const e = new PriceEntry();
    e.index = base + i;
    const head = <u32>unchecked(ENTRIES[r]);
    e.provider = <i32>(head & 0xFF) - 1;
    e.aboveInputTokens = unchecked(ENTRIES[r + 1]);
    e.base = pricesAt(r + 2);
    if (head & 0x100) e.longContext = pricesAt(r + 7);
    t.entries.push(e);
  }
  for (let g = 0; g < DEFAULT_GLOB_COUNT; g++) {
    const r = g * 3;
    t.addGlob(GLOB_BYTES + <usize>unchecked(GLOBS[r]), <usize>unchecked(GLOBS[r + 1]), base + <i32>unchecked(GLOBS[r + 2]));
  }
  t.asOf = DEFAULT_AS_OF;
}

function pricesAt(r: i32): Prices {
  const p = new Prices();
  p.input = unchecked(ENTRIES[r]);
  p.cachedInput = unchecked(ENTRIES[r + 1]);
  p.cacheWrite = unchecked(ENTRIES[r + 2]);
  p.output = unchecked(ENTRIES[r + 3]);
  p.reasoning = unchecked(ENTRIES[r + 4]);
  return p;
}

/** The bundled table alone (what `{}` configures). */
export function defaultPriceTable(): PriceTable {
  const t = new PriceTable();
  appendDefaults(t);
  return t;
}

const MODEL_FIELDS: string[] = ["match", "provider", "input", "cached_input", "cache_write", "output", "reasoning"];

class Reader {
  result: PriceTableResult = new PriceTableResult();

  fail(path: string, why: string): bool {
    if (this.result.error.length == 0) {
      this.result.errorPath = path;
      this.result.error = why;
    }
    return false;
  }

  // -1 = absent (the caller defaults it), -2 = invalid (already reported).
  price(v: JsonValue | null, path: string, required: bool): i64 {
    if (v === null) {
      if (required) this.fail(path, "is required");
      return required ? -2 : -1;
    }
    if (v.kind != JsonKind.Number) {
      this.fail(path, "must be a number (USD per 1M tokens)");
      return -2;
    }
    const p = picoFromLiteral(v.str);
    if (p < 0) {
      this.fail(path, "must be from 0 to 1e9 with at most 6 decimals");
      return -2;
    }
    return p;
  }
}

/**
 * The table for a token-meter `pricing` object (CONFIG.md): its `models` first, in order, then
 * the bundled table unless `use_default_table` is false. `pricing` null = the bundled table.
 * Error paths start at `$.pricing`.
 */
export function buildPriceTable(pricing: JsonValue | null): PriceTableResult {
  const r = new Reader();
  const t = new PriceTable();
  let useDefaults = true;
  if (pricing !== null) {
    if (pricing.kind != JsonKind.Object) {
      r.fail("$.pricing", "must be an object");
      return r.result;
    }
    for (let i = 0; i < pricing.length; i++) {
      const k = pricing.keyAt(i);
      if (k != "use_default_table" && k != "models") {
        r.fail("$.pricing." + k, "is not a known field");
        return r.result;
      }
    }
    const ud = pricing.get("use_default_table");
    if (ud !== null) {
      if (ud.kind != JsonKind.Bool) {
        r.fail("$.pricing.use_default_table", "must be true or false");
        return r.result;
      }
      useDefaults = ud.bool;
    }
    const models = pricing.get("models");
    if (models !== null) {
      if (models.kind != JsonKind.Array) {
        r.fail("$.pricing.models", "must be an array");
        return r.result;
      }
      for (let i = 0; i < models.length; i++) {
        if (!readModel(r, t, changetype<JsonValue>(models.at(i)), "$.pricing.models[" + i.toString() + "]")) return r.result;
      }
    }
  }
  if (useDefaults) appendDefaults(t);
  r.result.table = t;
  return r.result;
}

function readModel(r: Reader, t: PriceTable, m: JsonValue, path: string): bool {
  if (m.kind != JsonKind.Object) return r.fail(path, "must be an object");
  for (let i = 0; i < m.length; i++) {
    const k = m.keyAt(i);
    if (!MODEL_FIELDS.includes(k)) return r.fail(path + "." + k, "is not a known field");
  }
  const e = new PriceEntry();
  e.index = t.entries.length;
  e.fromConfig = true;
  const match = m.get("match");
  if (match === null) return r.fail(path + ".match", "is required");
  if (match.kind != JsonKind.String || match.str.length == 0) return r.fail(path + ".match", "must be a non-empty glob string");
  const prov = m.get("provider");
  if (prov !== null) {
    if (prov.kind != JsonKind.String) return r.fail(path + ".provider", "must be a string");
    e.provider = providerFromName(prov.str);
    if (e.provider < 0) return r.fail(path + ".provider", "is not a known provider");
  }
  const input = r.price(m.get("input"), path + ".input", true);
  const cached = r.price(m.get("cached_input"), path + ".cached_input", false);
  const write = r.price(m.get("cache_write"), path + ".cache_write", false);
  const output = r.price(m.get("output"), path + ".output", true);
  const reasoning = r.price(m.get("reasoning"), path + ".reasoning", false);
  if (r.result.error.length > 0) return false;
  e.base.input = <u64>input;
  e.base.cachedInput = <u64>(cached < 0 ? input : cached);
  e.base.cacheWrite = <u64>(write < 0 ? input : write);
  e.base.output = <u64>output;
  e.base.reasoning = <u64>(reasoning < 0 ? output : reasoning);
  t.entries.push(e);
  t.addOwnedGlob(match.str, e.index);
  return true;
}
