// The audit filter's Envoy stats (tags in the name, as the other filters; envoy.yaml's
// stats_tags extract `outcome` and `reason`):
//   <prefix>.audit.records.outcome=.O;         records written, per outcome
//   <prefix>.audit.record_failures.reason=.R;  requests whose record could not be built
//                                              (too_large: over max_record_bytes)
// Names are fixed words: no value from traffic ever reaches a stat name.
import { Counter, WasmResult, taggedMetricName } from "../sdk";
import { OUTCOME_COUNT, outcomeName } from "./outcome";

class SilentCounter extends Counter {
  increment(delta: u64 = 1): WasmResult {
    return WasmResult.Ok;
  }
}

function counter(name: string, enabled: bool): Counter {
  return enabled ? new Counter(name) : new SilentCounter(name);
}

export class AuditMetrics {
  records: Counter[] = [];
  tooLarge: Counter = new SilentCounter("");

  constructor(prefix: string, enabled: bool) {
    for (let o = 0; o < OUTCOME_COUNT; o++) {
      this.records.push(counter(taggedMetricName(prefix + ".audit.records", ["outcome", outcomeName(o)]), enabled));
    }
    this.tooLarge = counter(taggedMetricName(prefix + ".audit.record_failures", ["reason", "too_large"]), enabled);
  }
}
