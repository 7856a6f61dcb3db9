// Capture failures, counted once per request and reason (CONFIG.md):
//   <prefix>.audit.capture_failures.reason=.R;
//   unreadable         a body or streamed event that is not the provider's JSON
//   too_large          a whole body over CAPTURE_MAX_BODY
//   unsupported        a compressed reply, or a stream kind whose text is not read
//   record_too_large   the record with its text would pass max_record_bytes: written without
// The stats are defined once per prefix (a reload with the same prefix reuses them).
import { Counter, taggedMetricName } from "../sdk";

export const enum CaptureFailure {
  Unreadable = 0,
  TooLarge = 1,
  Unsupported = 2,
  RecordTooLarge = 3,
}

const REASONS = ["unreadable", "too_large", "unsupported", "record_too_large"];

export class CaptureMetrics {
  private counters: Counter[] = [];
  constructor(public prefix: string, public enabled: bool) {
    for (let i = 0; i < REASONS.length; i++) {
      this.counters.push(new Counter(taggedMetricName(prefix + ".audit.capture_failures", ["reason", unchecked(REASONS[i])])));
    }
  }

  count(why: CaptureFailure): void {
    if (this.enabled) unchecked(this.counters[<i32>why]).increment();
  }
}

let current: CaptureMetrics | null = null;

export function captureMetrics(prefix: string, enabled: bool): CaptureMetrics {
  let m = current;
  if (m === null || m.prefix != prefix || m.enabled != enabled) {
    m = new CaptureMetrics(prefix, enabled);
    current = m;
  }
  return m;
}
