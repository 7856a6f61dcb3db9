// Metrics defined once and cached. Every proxy_define_metric returns a *new* id for the same
// stat, and ids are per VM (module globals are per VM too), so a metric object defined lazily
// on first use and kept in a module-level variable is exactly one define per VM.
import { MetricType, WasmResult } from "./types";
import { defineMetric, incrementMetric, recordMetric, getMetric, lastResult } from "./hostcalls";

export class Metric {
  private id: u32 = 0;
  private defined: bool = false;

  constructor(public readonly type: MetricType, public readonly name: string) {}

  /** The host id, defining the metric on first use. 0 (and lastResult()) if it failed. */
  getId(): u32 {
    if (!this.defined) {
      this.id = defineMetric(this.type, this.name);
      // Retry next time if the host refused (e.g. called from restricted mode).
      this.defined = lastResult() == WasmResult.Ok;
    }
    return this.id;
  }

  /** Process-wide value (all workers). Histograms cannot be read. */
  value(): u64 {
    const id = this.getId();
    if (!this.defined) return 0;
    return getMetric(id);
  }
}

export class Counter extends Metric {
  constructor(name: string) { super(MetricType.Counter, name); }

  /** Envoy rejects delta ≤ 0 for counters with BadArgument, so 0 is skipped here. */
  increment(delta: u64 = 1): WasmResult {
    if (delta == 0) return WasmResult.Ok;
    const id = this.getId();
    if (!this.defined) return lastResult();
    return incrementMetric(id, <i64>delta);
  }
}

export class Gauge extends Metric {
  constructor(name: string) { super(MetricType.Gauge, name); }

  add(delta: i64): WasmResult {
    const id = this.getId();
    if (!this.defined) return lastResult();
    return incrementMetric(id, delta);
  }

  set(value: u64): WasmResult {
    const id = this.getId();
    if (!this.defined) return lastResult();
    return recordMetric(id, value);
  }
}

export class Histogram extends Metric {
  constructor(name: string) { super(MetricType.Histogram, name); }

  record(value: u64): WasmResult {
    const id = this.getId();
    if (!this.defined) return lastResult();
    return recordMetric(id, value);
  }
}

/**
 * Envoy extracts no tags from wasm stats by default; tags must be encoded into the name and
 * pulled out with `stats_config.stats_tags` regexes. We use Istio's `key=.value;` shape:
 *   taggedMetricName("tollgate.tokens", ["model", "gpt-4o", "kind", "prompt"])
 *   → "tollgate.tokens.model=.gpt-4o;kind=.prompt;"
 * with one stats_tags entry per key, e.g. tag_name "model", regex "(model=\.(.*?);)".
 * `tags` alternates key, value. ';' and '=' inside values become '_' so a value cannot
 * forge another tag.
 */
export function taggedMetricName(name: string, tags: string[]): string {
  if (tags.length < 2) return name;
  let out = name + ".";
  for (let i = 0; i + 1 < tags.length; i += 2) {
    out += sanitizeTag(unchecked(tags[i])) + "=." + sanitizeTag(unchecked(tags[i + 1])) + ";";
  }
  return out;
}

function sanitizeTag(s: string): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x3B || c == 0x3D) { clean = false; break; }
  }
  if (clean) return s;
  return s.replaceAll(";", "_").replaceAll("=", "_");
}

/** A family of metrics keyed by tag values, each defined once (per VM) on first use. */
export class MetricFamily {
  private byName: Map<string, Metric> = new Map();
  constructor(public readonly type: MetricType, public readonly name: string) {}

  get(tags: string[]): Metric {
    const full = taggedMetricName(this.name, tags);
    if (this.byName.has(full)) return this.byName.get(full);
    let m: Metric;
    if (this.type == MetricType.Counter) m = new Counter(full);
    else if (this.type == MetricType.Gauge) m = new Gauge(full);
    else m = new Histogram(full);
    this.byName.set(full, m);
    return m;
  }
}
