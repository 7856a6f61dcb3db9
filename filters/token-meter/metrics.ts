// The meter's Envoy stats. Tags are encoded Istio-style in the name (`key=.value;`) because
// Envoy extracts no tags from wasm stats by default; envoy.yaml's stats_tags pull them out.
//   <prefix>.requests.provider=.P;operation=.O;status=.S;
//   <prefix>.tokens.provider=.P;model=.M;type=.input|output|cached_input|cache_write|reasoning;
//   <prefix>.cost_micro_usd.provider=.P;model=.M;
//   <prefix>.time_to_first_byte_ms.provider=.P;   (histogram)
//   <prefix>.request_duration_ms.provider=.P;     (histogram)
//   <prefix>.unparseable_responses.provider=.P;
//   <prefix>.bad_requests.provider=.P;
//   <prefix>.oversize_requests.provider=.P;        (forwarded uncounted: over prompt_counting.max_body_bytes)
//   <prefix>.unknown_requests
import { Counter, Histogram, MetricFamily, MetricType } from "../sdk";
import { Recognition } from "../lib/providers/recognise";
import { Provider, Usage, operationName, providerName } from "../lib/providers/types";
import { NO_PRICE } from "../lib/pricing";

const byPrefix = new Map<string, TokenMeterMetrics>();

export class TokenMeterMetrics {
  private readonly requests: MetricFamily;
  private readonly tokens: MetricFamily;
  private readonly cost: MetricFamily;
  private readonly ttfb: MetricFamily;
  private readonly duration: MetricFamily;
  private readonly unparseable: MetricFamily;
  private readonly bad: MetricFamily;
  private readonly oversize: MetricFamily;
  private readonly unknown: Counter;

  static forPrefix(prefix: string): TokenMeterMetrics {
    if (byPrefix.has(prefix)) return byPrefix.get(prefix);
    const m = new TokenMeterMetrics(prefix);
    byPrefix.set(prefix, m);
    return m;
  }

  private constructor(prefix: string) {
    this.requests = new MetricFamily(MetricType.Counter, prefix + ".requests");
    this.tokens = new MetricFamily(MetricType.Counter, prefix + ".tokens");
    this.cost = new MetricFamily(MetricType.Counter, prefix + ".cost_micro_usd");
    this.ttfb = new MetricFamily(MetricType.Histogram, prefix + ".time_to_first_byte_ms");
    this.duration = new MetricFamily(MetricType.Histogram, prefix + ".request_duration_ms");
    this.unparseable = new MetricFamily(MetricType.Counter, prefix + ".unparseable_responses");
    this.bad = new MetricFamily(MetricType.Counter, prefix + ".bad_requests");
    this.oversize = new MetricFamily(MetricType.Counter, prefix + ".oversize_requests");
    this.unknown = new Counter(prefix + ".unknown_requests");
  }

  unknownRequest(): void {
    this.unknown.increment(1);
  }

  badRequest(p: Provider): void {
    (<Counter>this.bad.get(["provider", providerName(p)])).increment(1);
  }

  oversizeRequest(p: Provider): void {
    (<Counter>this.oversize.get(["provider", providerName(p)])).increment(1);
  }

  record(rec: Recognition, usage: Usage, costMicroUsd: i64, status: i32, ttfbMs: u64, durationMs: u64, unparseable: bool): void {
    const provider = providerName(rec.provider);
    (<Counter>this.requests.get(["provider", provider, "operation", operationName(rec.operation), "status", status.toString()])).increment(1);
    const model = rec.modelLen > 0 ? String.UTF8.decodeUnsafe(rec.modelPtr, <usize>rec.modelLen) : "unknown";
    this.addTokens(provider, model, "input", usage.input);
    this.addTokens(provider, model, "output", usage.output);
    this.addTokens(provider, model, "cached_input", usage.cachedInput);
    this.addTokens(provider, model, "cache_write", usage.cacheWrite);
    this.addTokens(provider, model, "reasoning", usage.reasoning);
    if (costMicroUsd != NO_PRICE && costMicroUsd > 0) {
      (<Counter>this.cost.get(["provider", provider, "model", model])).increment(<u64>costMicroUsd);
    }
    if (ttfbMs > 0) (<Histogram>this.ttfb.get(["provider", provider])).record(ttfbMs);
    (<Histogram>this.duration.get(["provider", provider])).record(durationMs);
    if (unparseable) (<Counter>this.unparseable.get(["provider", provider])).increment(1);
  }

  private addTokens(provider: string, model: string, type: string, n: u64): void {
    if (n == 0) return;
    (<Counter>this.tokens.get(["provider", provider, "model", model, "type", type])).increment(n);
  }
}
