// Per-type precision / recall of every scanner on the dev set, scored by host-tests/pii/eval.ts
// (the `npm run eval:pii` rules: per-record scope, optional spans ignored, overlap >= half the
// longer span). Types a scanner cannot express are "n/a", not 0: absent, not failing.
import { DEV_SET, evaluate, loadRecords, TARGETS, type Row } from "../../pii/eval";
import { PII_TYPES, type PiiPeer, type PiiType, type Span } from "./types";

export type Score = Pick<Row, "gold" | "tp" | "fp" | "fn" | "precision" | "recall">;

export interface ScannerAccuracy {
  name: string;
  version: string;
  api: string;
  /** By type; "n/a" where the scanner has no such kind. */
  types: Record<PiiType, Score | "n/a">;
}

export interface PiiAccuracy {
  records: number;
  scanners: ScannerAccuracy[];
}

export async function measureAccuracy(peers: readonly PiiPeer[]): Promise<PiiAccuracy> {
  const records = loadRecords(DEV_SET);
  const scanners: ScannerAccuracy[] = [];
  for (const peer of peers) {
    // evaluate() takes a synchronous scanner and two peers are async: scan every text first.
    const found = new Map<string, Span[]>();
    for (const r of records) if (!found.has(r.text)) found.set(r.text, await peer.scan(r.text));
    const result = evaluate(records, (text) => found.get(text)!);
    const types = {} as ScannerAccuracy["types"];
    for (const t of PII_TYPES) {
      const row = result.rows.find((r) => r.key === t)!;
      types[t] = peer.types.includes(t) ? { gold: row.gold, tp: row.tp, fp: row.fp, fn: row.fn, precision: row.precision, recall: row.recall } : "n/a";
    }
    scanners.push({ name: peer.name, version: peer.version, api: peer.api, types });
  }
  return { records: records.length, scanners };
}

const pct = (v: number | null) => (v === null ? "-" : v.toFixed(0));

export function formatAccuracy(a: PiiAccuracy): string {
  const head = ["type", "gold", ...a.scanners.map((s) => s.name), "target"];
  const rows = [head];
  for (const t of PII_TYPES) {
    const gold = a.scanners.map((s) => s.types[t]).find((x): x is Score => x !== "n/a")?.gold ?? 0;
    const cells = a.scanners.map((s) => {
      const x = s.types[t];
      return x === "n/a" ? "n/a" : `${pct(x.precision)}/${pct(x.recall)}`;
    });
    rows.push([t, String(gold), ...cells, `${TARGETS[t].precision}/${TARGETS[t].recall}`]);
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const table = rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ")).join("\n");
  return [
    `precision/recall % per type on the dev set (${a.records} records, host-tests/pii/eval.ts scoring; "-" = nothing to divide by, n/a = no such kind):`,
    table,
    ...a.scanners.map((s) => `  ${s.name} ${s.version}: ${s.api}`),
  ].join("\n");
}
