// What the token meter (earlier in the chain) published as filter state, read back here:
// tollgate.request_tokens at admission, tollgate.usage and tollgate.cost_micro_usd at settlement.
import { HostBytes, getPropertyRaw } from "../sdk";
import { JsonKind, JsonValue, parseJsonAt } from "../lib/json";
import { NO_PRICE } from "../lib/pricing";
import { Usage } from "../lib/providers/types";

const P_REQUEST_TOKENS = String.UTF8.encode("tollgate.request_tokens");
const P_USAGE = String.UTF8.encode("tollgate.usage");
const P_COST = String.UTF8.encode("tollgate.cost_micro_usd");

function read(path: ArrayBuffer): HostBytes | null {
  return getPropertyRaw(changetype<usize>(path), <usize>path.byteLength);
}

function readJson(path: ArrayBuffer): JsonValue | null {
  const b = read(path);
  if (b === null) return null;
  const parsed = parseJsonAt(b.ptr, b.len);
  b.free();
  return parsed.ok ? parsed.value : null;
}

/** The meter's prompt tokens for this request; -1 when it published none. */
export function readMeterRequest(): i64 {
  const v = readJson(P_REQUEST_TOKENS);
  if (v === null || v.kind != JsonKind.Object) return -1;
  const p = v.get("prompt");
  if (p === null || !p.isInteger || p.num < 0) return -1;
  return <i64>p.num;
}

export class MeterSettlement {
  present: bool = false;
  usage: Usage = new Usage();
  costMicroUsd: i64 = NO_PRICE;
}

const settlement = new MeterSettlement();

function figure(v: JsonValue, key: string): u64 {
  const f = v.get(key);
  return f !== null && f.isInteger && f.num >= 0 ? <u64>f.num : 0;
}

/** The meter's final usage and cost (present false when it published no usage). */
export function readMeterSettlement(): MeterSettlement {
  const s = settlement;
  s.present = false;
  s.costMicroUsd = NO_PRICE;
  const v = readJson(P_USAGE);
  if (v !== null && v.kind == JsonKind.Object) {
    s.present = true;
    s.usage.input = figure(v, "input");
    s.usage.output = figure(v, "output");
    s.usage.cachedInput = figure(v, "cached_input");
    s.usage.cacheWrite = figure(v, "cache_write");
    s.usage.reasoning = figure(v, "reasoning");
  }
  const cost = readJson(P_COST);
  if (cost !== null && cost.isInteger && cost.num >= 0) s.costMicroUsd = <i64>cost.num;
  return s;
}
