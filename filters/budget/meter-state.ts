// What the token meter (earlier in the chain) published as filter state, read back here:
// tollgate.request_tokens at admission, tollgate.usage and tollgate.cost_micro_usd at settlement.
// Read with the pull scanner in place: top-level integer members only, no tree allocated.
import { HostBytes, getPropertyRaw } from "../sdk";
import {
  JsonScanner, TOK_KEY, TOK_NUMBER, TOK_OBJECT_START, TOK_OBJECT_END, TOK_ARRAY_START, TOK_END, readJsonInteger, parsedI64, NUM_OK,
} from "../lib/json-scan";
import { eqAscii } from "../lib/bytes";
import { NO_PRICE } from "../lib/pricing";
import { Usage } from "../lib/providers/types";

const P_REQUEST_TOKENS = String.UTF8.encode("tollgate.request_tokens");
const P_USAGE = String.UTF8.encode("tollgate.usage");
const P_COST = String.UTF8.encode("tollgate.cost_micro_usd");

const scanner = new JsonScanner(8);
const ABSENT: i64 = -1;

function read(path: ArrayBuffer): HostBytes | null {
  return getPropertyRaw(changetype<usize>(path), <usize>path.byteLength);
}

/** The non-negative integer members of a flat JSON object, by key; ABSENT when missing. */
class Members {
  keys: string[];
  values: StaticArray<i64>;
  constructor(keys: string[]) {
    this.keys = keys;
    this.values = new StaticArray<i64>(keys.length);
  }

  /** False when the bytes are not a JSON object. */
  read(ptr: usize, len: usize): bool {
    for (let i = 0; i < this.keys.length; i++) unchecked(this.values[i] = ABSENT);
    const s = scanner;
    s.reset(ptr, len);
    if (s.next() != TOK_OBJECT_START) return false;
    while (true) {
      const t = s.next();
      if (t != TOK_KEY) return t == TOK_OBJECT_END;
      const at = this.indexOf(s.tokenPtr, s.tokenLen);
      const v = s.next();
      if (v < 0 || v == TOK_END) return false;
      if (v == TOK_OBJECT_START || v == TOK_ARRAY_START) {
        if (s.skip() < 0) return false;
        continue;
      }
      if (at >= 0 && v == TOK_NUMBER && readJsonInteger(s.tokenPtr, s.tokenLen) == NUM_OK && parsedI64() >= 0) {
        unchecked(this.values[at] = parsedI64());
      }
    }
    return false;
  }

  private indexOf(ptr: usize, len: usize): i32 {
    for (let i = 0; i < this.keys.length; i++) if (eqAscii(ptr, len, unchecked(this.keys[i]))) return i;
    return -1;
  }
}

const request = new Members(["prompt"]);
const usageMembers = new Members(["input", "output", "cached_input", "cache_write", "reasoning"]);

/** The meter's prompt tokens for this request; -1 when it published none. */
export function readMeterRequest(): i64 {
  const b = read(P_REQUEST_TOKENS);
  if (b === null) return -1;
  const ok = request.read(b.ptr, b.len);
  b.free();
  return ok ? unchecked(request.values[0]) : -1;
}

export class MeterSettlement {
  present: bool = false;
  usage: Usage = new Usage();
  costMicroUsd: i64 = NO_PRICE;
}

const settlement = new MeterSettlement();

function figure(i: i32): u64 {
  const v = unchecked(usageMembers.values[i]);
  return v < 0 ? 0 : <u64>v;
}

/** The meter's final usage and cost (present false when it published no usage). */
export function readMeterSettlement(): MeterSettlement {
  const s = settlement;
  s.present = false;
  s.costMicroUsd = NO_PRICE;
  const u = read(P_USAGE);
  if (u !== null) {
    if (usageMembers.read(u.ptr, u.len)) {
      s.present = true;
      s.usage.input = figure(0);
      s.usage.output = figure(1);
      s.usage.cachedInput = figure(2);
      s.usage.cacheWrite = figure(3);
      s.usage.reasoning = figure(4);
    }
    u.free();
  }
  const c = read(P_COST);
  if (c !== null) {
    if (readJsonInteger(c.ptr, c.len) == NUM_OK && parsedI64() >= 0) s.costMicroUsd = parsedI64();
    c.free();
  }
  return s;
}
