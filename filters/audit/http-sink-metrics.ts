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
import { Counter, Gauge, taggedMetricName } from "../sdk";

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

  constructor(prefix: string) {
    const base = prefix + ".audit.http.";
    this.delivered = new Counter(base + "delivered");
    this.batchesOk = new Counter(taggedMetricName(base + "batches", ["result", "ok"]));
    this.batchesRetry = new Counter(taggedMetricName(base + "batches", ["result", "retry"]));
    this.batchesRejected = new Counter(taggedMetricName(base + "batches", ["result", "rejected"]));
    this.retries = new Counter(base + "retries");
    this.droppedOverflow = new Counter(taggedMetricName(base + "dropped", ["reason", DROP_OVERFLOW]));
    this.droppedRejected = new Counter(taggedMetricName(base + "dropped", ["reason", DROP_REJECTED]));
    this.droppedTooLarge = new Counter(taggedMetricName(base + "dropped", ["reason", DROP_TOO_LARGE]));
    this.droppedMalformed = new Counter(taggedMetricName(base + "dropped", ["reason", DROP_MALFORMED]));
    this.droppedShutdown = new Counter(taggedMetricName(base + "dropped", ["reason", DROP_SHUTDOWN]));
    this.droppedPartial = new Counter(taggedMetricName(base + "dropped", ["reason", DROP_PARTIAL]));
    this.fallbackLogged = new Counter(base + "fallback_logged");
    this.buffered = new Gauge(base + "buffered");
    this.bufferedBytes = new Gauge(base + "buffered_bytes");
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
