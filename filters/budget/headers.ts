// What the client is told: rate-limit headers in the shape OpenAI's API sends them
// (x-ratelimit-{limit,remaining,reset}-{tokens,requests}, reset as "1h2m3s"/"250ms"), one set
// per limit unit from its tightest rule; retry-after (seconds) and retry-after-ms on refusals,
// which the openai and anthropic SDKs honour; x-should-retry: false when waiting cannot help
// within a minute (the SDKs then stop retrying instead of hammering a spent budget).
import { HeaderPair } from "../sdk";
import { LimitKind } from "./config";
import { Charge } from "./charge";

/** OpenAI's reset format: "20ms", "1s", "6m0s", "1h0m0s". */
export function resetText(ms: i64): string {
  if (ms <= 0) return "0s";
  if (ms < 1000) return ms.toString() + "ms";
  const totalS = (ms + 999) / 1000;
  const h = totalS / 3600;
  const m = (totalS % 3600) / 60;
  const s = totalS % 60;
  if (h > 0) return h.toString() + "h" + m.toString() + "m" + s.toString() + "s";
  if (m > 0) return m.toString() + "m" + s.toString() + "s";
  return s.toString() + "s";
}

function unitSuffix(kind: LimitKind): string {
  return kind == LimitKind.Tokens ? "tokens" : kind == LimitKind.Requests ? "requests" : "cost-micro-usd";
}

/** The charge of each unit with the least remaining (rules that were not charged are skipped). */
function tightest(charges: Charge[], kind: LimitKind): Charge | null {
  let best: Charge | null = null;
  for (let i = 0; i < charges.length; i++) {
    const c = unchecked(charges[i]);
    if (c.rule.kind != kind || c.limit < 0) continue;
    if (best === null || c.remaining < best.remaining) best = c;
  }
  return best;
}

/** x-ratelimit-* for every unit some matching rule limits. */
export function rateLimitHeaders(charges: Charge[], nowMs: i64, out: HeaderPair[]): void {
  for (let k = 0; k < 3; k++) {
    const c = tightest(charges, <LimitKind>k);
    if (c === null) continue;
    const suffix = unitSuffix(<LimitKind>k);
    out.push(new HeaderPair("x-ratelimit-limit-" + suffix, c.limit.toString()));
    out.push(new HeaderPair("x-ratelimit-remaining-" + suffix, c.remaining.toString()));
    out.push(new HeaderPair("x-ratelimit-reset-" + suffix, resetText(c.resetMs - nowMs)));
  }
}

/** Headers of a refusal by `by`: retry hints and the rule's name. */
export function refusalHeaders(by: Charge, charges: Charge[], nowMs: i64, out: HeaderPair[]): void {
  const waitMs = by.fitsAtMs > nowMs ? by.fitsAtMs - nowMs : 0;
  out.push(new HeaderPair("retry-after", ((waitMs + 999) / 1000).toString()));
  out.push(new HeaderPair("retry-after-ms", waitMs.toString()));
  // A request larger than the whole limit never fits; a wait past a minute is not a retry.
  if (by.reserved > by.limit || waitMs > 60_000) out.push(new HeaderPair("x-should-retry", "false"));
  out.push(new HeaderPair("x-tollgate-budget-rule", by.rule.name));
  rateLimitHeaders(charges, nowMs, out);
}

/** The refusal's message: what was exceeded and when it frees, never another tenant's data. */
export function refusalMessage(by: Charge, nowMs: i64): string {
  const unit = by.rule.kind == LimitKind.Tokens ? "tokens" : by.rule.kind == LimitKind.Requests ? "requests" : "micro-USD";
  let m = "Budget '" + by.rule.name + "' exhausted: " + by.used.toString() + " of " + by.limit.toString() + " " + unit +
    " used in the current window; this request needs up to " + by.reserved.toString() + ".";
  if (by.limit == 0) m = "Budget '" + by.rule.name + "' is suspended (limit 0).";
  else if (by.reserved > by.limit) m += " It is larger than the whole budget: lower max_tokens.";
  else m += " Retry in " + resetText(by.fitsAtMs - nowMs) + ".";
  return m;
}
