// The http sink's Envoy stats (tags Istio-style in the name, like the budget filter's):
//   <prefix>.audit.http.delivered                   records the collector accepted (2xx)
//   <prefix>.audit.http.batches.result=.R;          batches sent, by result: ok | retry | rejected
//   <prefix>.audit.http.retries                     batches sent again after a failure
//   <prefix>.audit.http.dropped.reason=.R;          records never delivered: overflow | rejected |
//                                                   too_large | malformed | shutdown | partial
//                                                   (partial: a 2xx OTLP answer's rejectedLogRecords)
//   <prefix>.audit.http.fallback_logged             of those, records written to the log sink instead
//   <prefix>.audit.http.buffered                    gauge: records buffered, summed over worker VMs
//   <prefix>.audit.http.buffered_bytes              gauge: their bytes
// Gauges move by add() with deltas, so every worker VM's share adds up in the one stat.
import { Counter, Gauge, WasmResult, taggedMetricName } from "../sdk";

/** metrics.enabled false: the same calls, no stats defined or touched. */
class SilentCounter extends Counter {
  increment(delta: u64 = 1): WasmResult { return WasmResult.Ok; }
}

class SilentGauge extends Gauge {
  add(delta: i64): WasmResult { return WasmResult.Ok; }
  set(value: u64): WasmResult { return WasmResult.Ok; }
}

function counter(name: string, enabled: bool): Counter {
  return enabled ? new Counter(name) : new SilentCounter(name);
}

function gauge(name: string, enabled: bool): Gauge {
  return enabled ? new Gauge(name) : new SilentGauge(name);
}

export const DROP_OVERFLOW = "overflow";
export const DROP_REJECTED = "rejected";
export const DROP_TOO_LARGE = "too_large";
export const DROP_MALFORMED = "malformed";
export const DROP_SHUTDOWN = "shutdown";
export const DROP_PARTIAL = "partial";

export class HttpSinkMetrics {
  delivered: Counter;
  batchesOk: Counter;
  batchesRetry: Counter;
  batchesRejected: Counter;
  retries: Counter;
  droppedOverflow: Counter;
  droppedRejected: Counter;
  droppedTooLarge: Counter;
  droppedMalformed: Counter;
  droppedShutdown: Counter;
  droppedPartial: Counter;
  fallbackLogged: Counter;
  buffered: Gauge;
  bufferedBytes: Gauge;

  constructor(prefix: string, enabled: bool = true) {
    const base = prefix + ".audit.http.";
    const on = enabled;
    this.delivered = counter(base + "delivered", on);
    this.batchesOk = counter(taggedMetricName(base + "batches", ["result", "ok"]), on);
    this.batchesRetry = counter(taggedMetricName(base + "batches", ["result", "retry"]), on);
    this.batchesRejected = counter(taggedMetricName(base + "batches", ["result", "rejected"]), on);
    this.retries = counter(base + "retries", on);
    this.droppedOverflow = counter(taggedMetricName(base + "dropped", ["reason", DROP_OVERFLOW]), on);
    this.droppedRejected = counter(taggedMetricName(base + "dropped", ["reason", DROP_REJECTED]), on);
    this.droppedTooLarge = counter(taggedMetricName(base + "dropped", ["reason", DROP_TOO_LARGE]), on);
    this.droppedMalformed = counter(taggedMetricName(base + "dropped", ["reason", DROP_MALFORMED]), on);
    this.droppedShutdown = counter(taggedMetricName(base + "dropped", ["reason", DROP_SHUTDOWN]), on);
    this.droppedPartial = counter(taggedMetricName(base + "dropped", ["reason", DROP_PARTIAL]), on);
    this.fallbackLogged = counter(base + "fallback_logged", on);
    this.buffered = gauge(base + "buffered", on);
    this.bufferedBytes = gauge(base + "buffered_bytes", on);
  }

  dropped(reason: string): Counter {
    if (reason == DROP_OVERFLOW) return this.droppedOverflow;
    if (reason == DROP_REJECTED) return this.droppedRejected;
    if (reason == DROP_TOO_LARGE) return this.droppedTooLarge;
    if (reason == DROP_MALFORMED) return this.droppedMalformed;
    if (reason == DROP_PARTIAL) return this.droppedPartial;
    return this.droppedShutdown;
  }
}
