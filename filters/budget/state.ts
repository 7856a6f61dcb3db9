// Filter state `tollgate.budget` (JSON), for the access log and the audit filter. Written at
// admission (settled: null) and again in on_log with the settlement:
//   {"decision":"admitted"|"rejected"|"shadow_rejected", "rule", "key", "unit", "limit",
//    "reserved", "settled", "remaining", "degraded": null|"open"|"closed"|"local",
//    "rules":[{"rule","key","unit","limit","reserved","settled","remaining","decision","state","degraded"}]}
// The top-level figures are those of the deciding rule: the one that refused, else the one
// closest to its limit.
import { setPropertyRaw } from "../sdk";
import { JsonWriter } from "../lib/json-scan";
import { Charge, Verdict } from "./charge";
import { StateMode } from "./config";

const P_BUDGET = String.UTF8.encode("tollgate.budget");
let writer: JsonWriter | null = null;

/** What the state needs from the stream (kept narrow so the stream module stays the only caller). */
export class BudgetOutcome {
  rejected: bool = false;
  refusedBy: Charge | null = null;
  charges: Charge[] = [];
}

export function publishBudgetState(o: BudgetOutcome): void {
  let w = writer;
  if (w === null) {
    w = new JsonWriter(4096);
    writer = w;
  } else {
    w.reset();
  }
  const deciding = o.refusedBy !== null ? o.refusedBy : tightest(o.charges);
  let shadow = false;
  for (let i = 0; i < o.charges.length; i++) if (o.charges[i].verdict == Verdict.ShadowRejected) shadow = true;
  w.beginObject();
  w.key("decision").string(o.rejected ? "rejected" : shadow ? "shadow_rejected" : "admitted");
  if (deciding !== null) {
    w.key("rule").string(deciding.rule.name);
    w.key("key").stringBytes(changetype<usize>(deciding.keyValue), <usize>deciding.keyValue.byteLength);
    figures(w, deciding);
  } else {
    w.key("rule").null();
    w.key("key").null();
  }
  w.key("rules").beginArray();
  for (let i = 0; i < o.charges.length; i++) {
    const c = o.charges[i];
    w.beginObject();
    w.key("rule").string(c.rule.name);
    w.key("key").stringBytes(changetype<usize>(c.keyValue), <usize>c.keyValue.byteLength);
    figures(w, c);
    w.key("decision").string(verdictName(c.verdict));
    w.key("state").string(c.rule.mode == StateMode.Global && c.degraded != "local" ? "global" : "local");
    w.endObject();
  }
  w.endArray();
  w.endObject();
  if (!w.ok) return;
  setPropertyRaw(changetype<usize>(P_BUDGET), <usize>P_BUDGET.byteLength, w.ptr, w.length);
}

function figures(w: JsonWriter, c: Charge): void {
  w.key("unit").string(c.rule.unitName);
  w.key("limit");
  if (c.limit >= 0) w.int(c.limit);
  else w.null();
  w.key("reserved").int(c.reserved);
  w.key("settled");
  if (c.settled >= 0) w.int(c.settled);
  else w.null();
  w.key("remaining");
  if (c.limit >= 0) w.int(c.remaining);
  else w.null();
  w.key("degraded");
  if (c.degraded.length > 0) w.string(c.degraded);
  else w.null();
}

function verdictName(v: Verdict): string {
  switch (v) {
    case Verdict.Admitted: return "admitted";
    case Verdict.Rejected: return "rejected";
    case Verdict.ShadowRejected: return "shadow_rejected";
    default: return "not_reached";
  }
}

/** The admitted charge closest to its limit (by fraction remaining). */
function tightest(charges: Charge[]): Charge | null {
  let best: Charge | null = null;
  let bestFrac: f64 = 2;
  for (let i = 0; i < charges.length; i++) {
    const c = charges[i];
    if (c.limit < 0) continue;
    const frac = c.limit == 0 ? 0 : <f64>c.remaining / <f64>c.limit;
    if (best === null || frac < bestFrac) {
      best = c;
      bestFrac = frac;
    }
  }
  return best !== null ? best : charges.length > 0 ? charges[0] : null;
}


