// One rule's part in one request: the key it charges, what it reserved and where, and how it
// settled. The stream keeps one Charge per matching rule from admission to on_log.
import { Rule } from "./config";
import { RuleMetrics } from "./metrics";

export const enum Via {
  /** Not charged (yet): skipped, rejected, or rolled back. */
  None = 0,
  /** The shared-data ledger of this Envoy. */
  Local = 1,
  /** The rate-limit service. */
  Global = 2,
  /** The service was unusable and failure_mode let the request through uncharged. */
  DegradedOpen = 3,
}

export const enum Verdict {
  Pending = 0,
  Admitted = 1,
  Rejected = 2,
  /** A shadow rule over its limit: recorded, let through, charged. */
  ShadowRejected = 3,
}

export class Charge {
  verdict: Verdict = Verdict.Pending;
  via: Via = Via.None;
  /** "open" | "closed" | "local" when the rate-limit service could not decide; "" otherwise. */
  degraded: string = "";
  limit: i64 = 0;
  reserved: i64 = 0;
  /** The final charge; -1 until settled. */
  settled: i64 = -1;
  /** Spend in the window after admission (or before it, when rejected). */
  used: i64 = 0;
  bucket: i64 = 0;
  resetMs: i64 = 0;
  fitsAtMs: i64 = 0;
  /** Prompt share of the reservation (the output share is reserved - this). */
  promptPart: i64 = 0;
  /** Global mode: the hits the service was charged at admission. */
  globalHits: i64 = 0;

  constructor(
    public rule: Rule,
    public metrics: RuleMetrics,
    /** The rule's key value (UTF-8): the tenant, model... as configured. */
    public keyValue: ArrayBuffer,
    /** Shared-data key: the rule's prefix then the key value. */
    public ledgerKey: ArrayBuffer,
  ) {}

  get remaining(): i64 {
    const r = this.limit - this.used;
    return r < 0 ? 0 : r;
  }
}
