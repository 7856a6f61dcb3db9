// Test entry for filters/lib/pricing: plain exports host-tests/pricing.test.ts drives directly
// (no proxy-wasm host needed), plus the SDK's ABI surface so the module links in Envoy like
// every dist/*.wasm. Text results (errors, the table date) go to one UTF-8 output buffer.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { JsonValue, parseJsonAt } from "../../lib/json";
import { Usage } from "../../lib/providers/types";
import { PriceTable, buildPriceTable, defaultPriceTable, globMatch, picoFromLiteral } from "../../lib/pricing";

class PricingRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("pricing", (contextId: u32): RootContext => new PricingRoot(contextId));

let table: PriceTable = defaultPriceTable();
let out: ArrayBuffer = new ArrayBuffer(0);

function setOut(s: string): void {
  out = String.UTF8.encode(s);
}

export function pr_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function pr_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function pr_out_ptr(): usize { return changetype<usize>(out); }
export function pr_out_len(): usize { return <usize>out.byteLength; }

/**
 * Replaces the table with one built from the JSON `pricing` object at [ptr, +len) ("null" =
 * bundled only). 0 = ok; 1 = not JSON; 2 = rejected, "path: reason" in the output buffer.
 * A rejected config leaves the previous table in place, as Envoy keeps the previous config.
 */
export function pr_configure(ptr: usize, len: usize): i32 {
  const parsed = parseJsonAt(ptr, len);
  if (!parsed.ok) {
    setOut(parsed.describe());
    return 1;
  }
  const v = changetype<JsonValue>(parsed.value);
  const r = buildPriceTable(v.isNull ? null : v);
  if (r.table === null) {
    setOut(r.errorPath + ": " + r.error);
    return 2;
  }
  table = changetype<PriceTable>(r.table);
  setOut(table.asOf);
  return 0;
}



/** Index of the matching entry (config entries first), or -1. */
export function pr_find(ptr: usize, len: usize, provider: i32): i32 {
  const e = table.find(ptr, len, provider);
  return e === null ? -1 : e.index;
}

/** Micro-USD, or -1 (NO_PRICE) when the model has no price. */
export function pr_cost(ptr: usize, len: usize, provider: i32, input: u64, output: u64, cached: u64, write: u64, reasoning: u64): i64 {
  const u = new Usage();
  u.input = input;
  u.output = output;
  u.cachedInput = cached;
  u.cacheWrite = write;
  u.reasoning = reasoning;
  return table.priceCall(ptr, len, provider, u);
}

/** globMatch with the glob lower-cased here, as table building does. */
export function pr_glob(globPtr: usize, globLen: usize, namePtr: usize, nameLen: usize): bool {
  for (let i: usize = 0; i < globLen; i++) {
    const b = load<u8>(globPtr + i);
    if (b >= 0x41 && b <= 0x5A) store<u8>(globPtr + i, b | 0x20);
  }
  return globMatch(globPtr, globLen, namePtr, nameLen);
}

/** picoFromLiteral of the number literal at [ptr, +len). */
export function pr_pico(ptr: usize, len: usize): i64 {
  return picoFromLiteral(String.UTF8.decodeUnsafe(ptr, len));
}

/** The current table's date into the output buffer ("" when the bundled table is off). */
export function pr_as_of(): void {
  setOut(table.asOf);
}
