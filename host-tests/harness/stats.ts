// Process-wide stats as Envoy keeps them for proxy-wasm custom metrics: `wasmcustom.<name>`,
// one value per name whatever VM or worker defined it.

export type StatKind = "counter" | "gauge" | "histogram";

interface Stat {
  kind: StatKind;
  value: bigint;
  samples: number[];
}

// Envoy's default histogram buckets (HistogramSettingsImpl::defaultBuckets).
const BUCKETS = [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000];

export class StatsStore {
  private stats = new Map<string, Stat>();

  get(name: string, kind: StatKind): Stat {
    let s = this.stats.get(name);
    if (!s) {
      s = { kind, value: 0n, samples: [] };
      this.stats.set(name, s);
    }
    return s;
  }

  find(name: string): Stat | undefined {
    return this.stats.get(name);
  }

  /** Envoy's own counters (e.g. wasm.<name>.vm_reload_*). */
  inc(name: string, by = 1n): void {
    this.get(name, "counter").value += by;
  }

  /** Custom stats without the `wasmcustom.` prefix; histograms report their sample count. */
  custom(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, s] of this.stats) {
      // Kong stores filter metrics as `pw.<filter>.<name>` (host profiles): kept whole.
      const key = name.startsWith("wasmcustom.") ? name.slice("wasmcustom.".length) : name.startsWith("pw.") ? name : null;
      if (key === null) continue;
      out[key] = s.kind === "histogram" ? s.samples.length : Number(s.value);
    }
    return out;
  }

  all(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, s] of this.stats) out[name] = s.kind === "histogram" ? s.samples.length : Number(s.value);
    return out;
  }

  histogram(name: string): number[] {
    return this.stats.get(`wasmcustom.${name}`)?.samples.slice() ?? [];
  }

  /**
   * /stats/prometheus for custom stats: `wasmcustom.` stripped, no `envoy_` prefix, characters
   * outside [a-zA-Z0-9_] mapped to `_`, names that would start with a digit dropped. With
   * stats_tags, each regex that matches cuts its first group out of the name and labels the
   * series with its second group (Envoy's TagExtractorImpl), so one metric has many series.
   */
  prometheus(statsTags: Array<{ tagName: string; regex: string }> = []): string {
    const extractors = statsTags.map((t) => ({ name: t.tagName, re: new RegExp(t.regex) }));
    const families = new Map<string, { kind: StatKind; series: Array<{ labels: string; stat: Stat }> }>();
    for (const full of [...this.stats.keys()].sort()) {
      if (!full.startsWith("wasmcustom.")) continue;
      const stat = this.stats.get(full)!;
      let name = full.slice("wasmcustom.".length);
      const labels: string[] = [];
      for (const x of extractors) {
        const m = x.re.exec(name);
        if (!m || m[1] === undefined || m[2] === undefined) continue;
        labels.push(`${x.name}="${m[2].replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`);
        name = name.slice(0, m.index + m[0].indexOf(m[1])) + name.slice(m.index + m[0].indexOf(m[1]) + m[1].length);
      }
      name = name.replace(/[^a-zA-Z0-9_]/g, "_");
      if (/^[0-9]/.test(name) || name === "") continue;
      let family = families.get(name);
      if (!family) families.set(name, (family = { kind: stat.kind, series: [] }));
      family.series.push({ labels: labels.join(","), stat });
    }
    const lines: string[] = [];
    const braces = (l: string, extra = "") => (l || extra ? `{${[l, extra].filter(Boolean).join(",")}}` : "");
    for (const [name, f] of [...families].sort(([a], [b]) => (a < b ? -1 : 1))) {
      lines.push(`# TYPE ${name} ${f.kind}`);
      for (const { labels, stat } of f.series) {
        if (f.kind === "histogram") {
          for (const le of BUCKETS) lines.push(`${name}_bucket${braces(labels, `le="${le}"`)} ${stat.samples.filter((v) => v <= le).length}`);
          lines.push(`${name}_bucket${braces(labels, 'le="+Inf"')} ${stat.samples.length}`);
          lines.push(`${name}_sum${braces(labels)} ${stat.samples.reduce((a, b) => a + b, 0)}`);
          lines.push(`${name}_count${braces(labels)} ${stat.samples.length}`);
        } else {
          lines.push(`${name}${braces(labels)} ${stat.value}`);
        }
      }
    }
    return lines.join("\n") + (lines.length ? "\n" : "");
  }
}
