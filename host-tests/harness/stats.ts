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
      if (!name.startsWith("wasmcustom.")) continue;
      out[name.slice("wasmcustom.".length)] = s.kind === "histogram" ? s.samples.length : Number(s.value);
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
   * outside [a-zA-Z0-9_] mapped to `_`, names that would start with a digit dropped.
   */
  prometheus(): string {
    const lines: string[] = [];
    const names = [...this.stats.keys()].filter((n) => n.startsWith("wasmcustom.")).sort();
    for (const full of names) {
      const s = this.stats.get(full)!;
      const name = full.slice("wasmcustom.".length).replace(/[^a-zA-Z0-9_]/g, "_");
      if (/^[0-9]/.test(name) || name === "") continue;
      lines.push(`# TYPE ${name} ${s.kind}`);
      if (s.kind === "histogram") {
        for (const le of BUCKETS) lines.push(`${name}_bucket{le="${le}"} ${s.samples.filter((v) => v <= le).length}`);
        lines.push(`${name}_bucket{le="+Inf"} ${s.samples.length}`);
        lines.push(`${name}_sum ${s.samples.reduce((a, b) => a + b, 0)}`);
        lines.push(`${name}_count ${s.samples.length}`);
      } else {
        lines.push(`${name} ${s.value}`);
      }
    }
    return lines.join("\n") + (lines.length ? "\n" : "");
  }
}
