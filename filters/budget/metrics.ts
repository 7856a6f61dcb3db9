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
import { Counter, taggedMetricName } from "../sdk";
import { Rule } from "./config";

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

  constructor(prefix: string, rule: Rule) {
    const base = prefix + ".budget.";
    const r = rule.name;
    const unit = rule.unitName;
    this.admitted = new Counter(taggedMetricName(base + "admitted", ["rule", r]));
    this.rejected = new Counter(taggedMetricName(base + "rejected", ["rule", r]));
    this.shadowRejected = new Counter(taggedMetricName(base + "shadow_rejected", ["rule", r]));
    this.degradedOpen = new Counter(taggedMetricName(base + "degraded", ["rule", r, "mode", "open"]));
    this.degradedClosed = new Counter(taggedMetricName(base + "degraded", ["rule", r, "mode", "closed"]));
    this.degradedLocal = new Counter(taggedMetricName(base + "degraded", ["rule", r, "mode", "local"]));
    this.reserved = new Counter(taggedMetricName(base + "reserved", ["rule", r, "unit", unit]));
    this.settled = new Counter(taggedMetricName(base + "settled", ["rule", r, "unit", unit]));
    this.softLimit = new Counter(taggedMetricName(base + "soft_limit", ["rule", r]));
    this.missingKey = new Counter(taggedMetricName(base + "missing_key", ["rule", r]));
    this.unpriced = new Counter(taggedMetricName(base + "unpriced", ["rule", r]));
    this.unreleased = new Counter(taggedMetricName(base + "unreleased", ["rule", r, "unit", unit]));
    this.storeUnavailable = new Counter(taggedMetricName(base + "store_unavailable", ["rule", r]));
    this.cutOff = new Counter(taggedMetricName(base + "cut_off", ["rule", r]));
  }
}

export class BudgetMetrics {
  rules: RuleMetrics[] = [];
  badRequests: Counter;

  constructor(prefix: string, rules: Rule[]) {
    this.badRequests = new Counter(prefix + ".budget.bad_requests");
    for (let i = 0; i < rules.length; i++) this.rules.push(new RuleMetrics(prefix, rules[i]));
  }
}
