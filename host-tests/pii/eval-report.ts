// The table `npm run eval:pii` prints, and the miss list for --misses.
import type { EvalResult, Miss, Row } from "./eval";

const HEADER = ["type", "gold", "pred", "TP", "FP", "FN", "precision", "recall", "target P/R", "result"];

function pct(v: number | null): string {
  return v === null ? "—" : `${v.toFixed(1)}%`;
}

function cells(r: Row): string[] {
  return [
    r.family ? `  ${r.key}` : r.key,
    String(r.gold), String(r.predicted), String(r.tp), String(r.fp), String(r.fn),
    pct(r.precision), pct(r.recall),
    `${r.target.precision}/${r.target.recall}`,
    r.pass ? "pass" : "FAIL",
  ];
}

export function formatTable(result: EvalResult): string {
  const rows = [HEADER, ...result.rows.map(cells)];
  const widths = HEADER.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  // Names left, numbers right, as a reader scans them.
  const line = (r: string[]) => r.map((v, c) => (c === 0 || c === r.length - 1 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join("  ").trimEnd();
  const types = result.rows.filter((r) => !r.family);
  const passed = types.filter((r) => r.pass).length;
  return [
    line(HEADER),
    ...rows.slice(1).map(line),
    "",
    `${result.records} records; ${passed}/${types.length} types meet their targets` +
      " (SECRET/<family> rows: matches count for the labelled family, false positives for the detector's; \"unknown\" = no family).",
  ].join("\n") + "\n";
}

/** `which` is a type ("PHONE": its families too) or one row ("SECRET/aws"). */
export function selectMisses(misses: readonly Miss[], which: string): Miss[] {
  return misses.filter((m) => m.row === which || m.row.split("/")[0] === which);
}

export function formatMisses(misses: readonly Miss[]): string {
  if (!misses.length) return "no misses\n";
  return misses.map((m) => `${m.kind} ${m.row}${m.subtype ? ` (${m.subtype})` : ""} ${m.record} ${m.start}-${m.end}: ${m.context}\n`).join("");
}
