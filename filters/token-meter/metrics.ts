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
// Hot path: the metric objects a request touches are cached by number (provider, operation,
// status) and by the model's bytes, so a request that repeats a seen (provider, model) builds no
// tagged name, decodes no model string and does no string-keyed Map lookup.
import { Counter, Histogram, MetricFamily, MetricType } from "../sdk";
import { Recognition } from "../lib/providers/recognise";
import { Provider, Usage, operationName, providerName } from "../lib/providers/types";
import { NO_PRICE } from "../lib/pricing";

const byPrefix = new Map<string, TokenMeterMetrics>();
// The last prefix asked for (by identity: the config's own string), so forPrefix is one compare.
let lastPrefix: string | null = null;
let lastMetrics: TokenMeterMetrics | null = null;

const PROVIDER_SLOTS = 16;

/** The token and cost counters of one (provider, model). */
class ModelCounters {
  next: ModelCounters | null = null;
  constructor(
    public provider: Provider,
    public model: StaticArray<u8>,
    public input: Counter,
    public output: Counter,
    public cachedInput: Counter,
    public cacheWrite: Counter,
    public reasoning: Counter,
    public cost: Counter,
  ) {}

  matches(provider: Provider, ptr: usize, len: usize): bool {
    return this.provider == provider && <usize>this.model.length == len &&
      memory.compare(changetype<usize>(this.model), ptr, len) == 0;
  }
}

function hashModel(provider: Provider, ptr: usize, len: usize): u32 {
  let h: u32 = 0x811c9dc5 ^ <u32>provider;
  for (let i: usize = 0; i < len; i++) h = (h ^ <u32>load<u8>(ptr + i)) * 0x01000193;
  return h;
}

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

  // Caches over the families above (same metric objects, found without building names).
  private readonly requestsBy: Map<u32, Counter> = new Map();
  private readonly modelsBy: Map<u32, ModelCounters> = new Map();
  private readonly ttfbBy: StaticArray<Histogram | null> = new StaticArray<Histogram | null>(PROVIDER_SLOTS);
  private readonly durationBy: StaticArray<Histogram | null> = new StaticArray<Histogram | null>(PROVIDER_SLOTS);
  private readonly unparseableBy: StaticArray<Counter | null> = new StaticArray<Counter | null>(PROVIDER_SLOTS);

  static forPrefix(prefix: string): TokenMeterMetrics {
    const last = lastMetrics;
    if (last !== null && changetype<usize>(lastPrefix) == changetype<usize>(prefix)) return last;
    let m: TokenMeterMetrics;
    if (byPrefix.has(prefix)) {
      m = byPrefix.get(prefix);
    } else {
      m = new TokenMeterMetrics(prefix);
      byPrefix.set(prefix, m);
    }
    lastPrefix = prefix;
    lastMetrics = m;
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
    const p = rec.provider;
    this.requestCounter(p, rec, status).increment(1);
    const m = this.modelCounters(p, rec.modelPtr, <usize>max<i32>(rec.modelLen, 0));
    m.input.increment(usage.input);
    m.output.increment(usage.output);
    m.cachedInput.increment(usage.cachedInput);
    m.cacheWrite.increment(usage.cacheWrite);
    m.reasoning.increment(usage.reasoning);
    if (costMicroUsd != NO_PRICE && costMicroUsd > 0) m.cost.increment(<u64>costMicroUsd);
    const slot = <i32>p & (PROVIDER_SLOTS - 1);
    if (ttfbMs > 0) {
      let h = unchecked(this.ttfbBy[slot]);
      if (h === null || <i32>p >= PROVIDER_SLOTS) {
        h = <Histogram>this.ttfb.get(["provider", providerName(p)]);
        if (<i32>p < PROVIDER_SLOTS) unchecked(this.ttfbBy[slot] = h);
      }
      h.record(ttfbMs);
    }
    let d = unchecked(this.durationBy[slot]);
    if (d === null || <i32>p >= PROVIDER_SLOTS) {
      d = <Histogram>this.duration.get(["provider", providerName(p)]);
      if (<i32>p < PROVIDER_SLOTS) unchecked(this.durationBy[slot] = d);
    }
    d.record(durationMs);
    if (unparseable) {
      let u = unchecked(this.unparseableBy[slot]);
      if (u === null || <i32>p >= PROVIDER_SLOTS) {
        u = <Counter>this.unparseable.get(["provider", providerName(p)]);
        if (<i32>p < PROVIDER_SLOTS) unchecked(this.unparseableBy[slot] = u);
      }
      u.increment(1);
    }
  }

  private requestCounter(p: Provider, rec: Recognition, status: i32): Counter {
    const key = (<u32>p & 0xff) | ((<u32>rec.operation & 0xff) << 8) | (<u32>status << 16);
    const cacheable = <u32>p < 256 && <u32>rec.operation < 256 && <u32>status < 0x10000;
    if (cacheable && this.requestsBy.has(key)) return this.requestsBy.get(key);
    const c = <Counter>this.requests.get(["provider", providerName(p), "operation", operationName(rec.operation), "status", status.toString()]);
    if (cacheable) this.requestsBy.set(key, c);
    return c;
  }

  private modelCounters(p: Provider, ptr: usize, len: usize): ModelCounters {
    const h = hashModel(p, ptr, len);
    let first: ModelCounters | null = null;
    if (this.modelsBy.has(h)) {
      first = this.modelsBy.get(h);
      let m: ModelCounters | null = first;
      while (m !== null) {
        if (m.matches(p, ptr, len)) return m;
        m = m.next;
      }
    }
    const provider = providerName(p);
    const model = len > 0 ? String.UTF8.decodeUnsafe(ptr, len) : "unknown";
    const bytes = new StaticArray<u8>(<i32>len);
    if (len > 0) memory.copy(changetype<usize>(bytes), ptr, len);
    const m = new ModelCounters(
      p, bytes,
      this.tokenCounter(provider, model, "input"),
      this.tokenCounter(provider, model, "output"),
      this.tokenCounter(provider, model, "cached_input"),
      this.tokenCounter(provider, model, "cache_write"),
      this.tokenCounter(provider, model, "reasoning"),
      <Counter>this.cost.get(["provider", provider, "model", model]),
    );
    m.next = first;
    this.modelsBy.set(h, m);
    return m;
  }

  private tokenCounter(provider: string, model: string, type: string): Counter {
    return <Counter>this.tokens.get(["provider", provider, "model", model, "type", type]);
  }
}
