// The readable form of a BenchReport. --json prints the report object itself.
import type { BenchReport, CaseReport, Row } from "./framework";

const int = (n: number) => Math.round(n).toLocaleString("en-US");

function ratioText(r: number | null): string {
  if (r === null) return "-";
  return r >= 100 ? `${r.toFixed(0)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

function mbText(r: Row): string {
  if (r.mbPerS === undefined) return "";
  return r.mbPerS >= 100 ? r.mbPerS.toFixed(0) : r.mbPerS.toFixed(1);
}

function callsText(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

/** `proxy_on_response_body` -> `on_response_body`: the table is wide enough already. */
export function shortCallback(name: string): string {
  return name.startsWith("proxy_") ? name.slice("proxy_".length) : name;
}

function table(rows: string[][], rightAligned: boolean[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => r.map((cell, i) => (rightAligned[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))).join("  ").trimEnd())
    .join("\n");
}

function caseRows(c: CaseReport): string[][] {
  const label = c.isBaseline ? `${c.name} (baseline)` : c.name;
  const rows: string[][] = [[label, c.total.unit, "1", int(c.total.medianNs), int(c.total.p90Ns), ratioText(c.total.ratio), mbText(c.total)]];
  for (const cb of c.callbacks) {
    rows.push(["", shortCallback(cb.callback), callsText(cb.perIteration), int(cb.medianNs), int(cb.p90Ns), ratioText(cb.ratio), mbText(cb)]);
  }
  return rows;
}

export function formatReport(r: BenchReport): string {
  const o = r.options;
  const e = r.environment;
  const out: string[] = [];
  out.push(
    `tollgate bench: node ${e.node} ${e.platform}/${e.arch}, ${e.cpus} x ${e.cpuModel.trim()}`,
    `up to ${o.iterations} iterations per case after ${o.warmup} warm-up, cases interleaved round by round; hrtime overhead ${int(r.timerOverheadNs)} ns subtracted from every sample`,
    `ns = wasm time only (the guest callback and the hostcalls it makes); ratio = median / the baseline case's median in the same run.`,
    `Absolute ns depend on the machine and its neighbours: compare ratios.`,
    "",
  );
  if (r.modules.length) {
    out.push("modules");
    out.push(table(r.modules.map((m) => ["  " + m.file, `${int(m.bytes)} B`, `gzip ${int(m.gzipBytes)} B`]), [false, true, true]));
    out.push("");
  }
  for (const s of r.suites) {
    out.push(`suite ${s.name}: ${s.rounds} rounds, ${(s.elapsedMs / 1000).toFixed(1)} s${s.description ? ` - ${s.description}` : ""}`);
    const head = ["case", "callback", "calls", "median ns", "p90 ns", "ratio", "MB/s"];
    const rows = [head];
    let baselineOf = "";
    for (const c of s.cases) {
      if (c.baseline !== baselineOf && rows.length > 1) rows.push(["", "", "", "", "", "", ""]);
      baselineOf = c.baseline;
      rows.push(...caseRows(c));
    }
    out.push(table(rows, [false, false, true, true, true, true, true]));
    out.push("");
    out.push(summaryLine(s.cases));
    out.push("");
  }
  out.push(`total ${(r.elapsedMs / 1000).toFixed(1)} s`);
  return out.join("\n") + "\n";
}

/** One line per suite with every non-baseline case's exchange ratio: the numbers to quote. */
function summaryLine(cases: CaseReport[]): string {
  const parts = cases.filter((c) => !c.isBaseline).map((c) => `${c.name} ${ratioText(c.total.ratio)}`);
  return parts.length ? `ratios per ${cases[0].total.unit} vs baseline: ${parts.join(", ")}` : "";
}
