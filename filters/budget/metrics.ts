// The budget filter's Envoy stats, per rule (tags Istio-style in the name; envoy.yaml's
// stats_tags extract `rule`, `mode` and `unit`):
//   <prefix>.budget.admitted.rule=.R;            requests the rule let through
//   <prefix>.budget.rejected.rule=.R;            requests it refused
//   <prefix>.budget.shadow_rejected.rule=.R;     shadow rules: would have refused, let through
//   <prefix>.budget.degraded.rule=.R;mode=.M;    rate-limit service unusable: open|closed|local
//   <prefix>.budget.reserved.rule=.R;unit=.U;    units reserved at admission (tokens, cost_micro_usd, requests)
//   <prefix>.budget.settled.rule=.R;unit=.U;     units finally charged
//   <prefix>.budget.soft_limit.rule=.R;          admitted past the soft threshold
//   <prefix>.budget.missing_key.rule=.R;         no identity for the rule's key
//   <prefix>.budget.unpriced.rule=.R;            money rule, model without a price: reserved nothing
//   <prefix>.budget.unreleased.rule=.R;unit=.U;  global mode: reserved but unused (the protocol cannot release)
//   <prefix>.budget.store_unavailable.rule=.R;   shared data kept failing (admitted, not charged)
//   <prefix>.budget.cut_off.rule=.R;             streams ended early by the hard cut-off
//   <prefix>.budget.bad_requests                 bodies that could not be read (see on_bad_input)
// Objects are built once per rule per configure; each stat is defined on first use.
import { Counter, WasmResult, taggedMetricName } from "../sdk";
import { Rule } from "./config";

/** metrics.enabled false: the same calls, no stats defined or touched. */
class SilentCounter extends Counter {
  increment(delta: u64 = 1): WasmResult {
    return WasmResult.Ok;
  }
}

function counter(name: string, enabled: bool): Counter {
  return enabled ? new Counter(name) : new SilentCounter(name);
}

export class RuleMetrics {
  admitted: Counter;
  rejected: Counter;
  shadowRejected: Counter;
  degradedOpen: Counter;
  degradedClosed: Counter;
  degradedLocal: Counter;
  reserved: Counter;
  settled: Counter;
  softLimit: Counter;
  missingKey: Counter;
  unpriced: Counter;
  unreleased: Counter;
  storeUnavailable: Counter;
  cutOff: Counter;

  constructor(prefix: string, rule: Rule, enabled: bool) {
    const base = prefix + ".budget.";
    const r = rule.name;
    const unit = rule.unitName;
    this.admitted = counter(taggedMetricName(base + "admitted", ["rule", r]), enabled);
    this.rejected = counter(taggedMetricName(base + "rejected", ["rule", r]), enabled);
    this.shadowRejected = counter(taggedMetricName(base + "shadow_rejected", ["rule", r]), enabled);
    this.degradedOpen = counter(taggedMetricName(base + "degraded", ["rule", r, "mode", "open"]), enabled);
    this.degradedClosed = counter(taggedMetricName(base + "degraded", ["rule", r, "mode", "closed"]), enabled);
    this.degradedLocal = counter(taggedMetricName(base + "degraded", ["rule", r, "mode", "local"]), enabled);
    this.reserved = counter(taggedMetricName(base + "reserved", ["rule", r, "unit", unit]), enabled);
    this.settled = counter(taggedMetricName(base + "settled", ["rule", r, "unit", unit]), enabled);
    this.softLimit = counter(taggedMetricName(base + "soft_limit", ["rule", r]), enabled);
    this.missingKey = counter(taggedMetricName(base + "missing_key", ["rule", r]), enabled);
    this.unpriced = counter(taggedMetricName(base + "unpriced", ["rule", r]), enabled);
    this.unreleased = counter(taggedMetricName(base + "unreleased", ["rule", r, "unit", unit]), enabled);
    this.storeUnavailable = counter(taggedMetricName(base + "store_unavailable", ["rule", r]), enabled);
    this.cutOff = counter(taggedMetricName(base + "cut_off", ["rule", r]), enabled);
  }
}

export class BudgetMetrics {
  rules: RuleMetrics[] = [];
  badRequests: Counter;

  constructor(prefix: string, rules: Rule[], enabled: bool = true) {
    this.badRequests = counter(prefix + ".budget.bad_requests", enabled);
    for (let i = 0; i < rules.length; i++) this.rules.push(new RuleMetrics(prefix, rules[i], enabled));
  }
}
