// Scores a PII scanner against labelled texts (host-tests/pii/data/pii-dev.jsonl), the way issue 5
// defines "done": per record only the types in its `scope` count, `optional` gold spans neither
// reward nor punish, and a prediction matches a gold span of the same type when they overlap by
// at least half of the longer of the two. Pure: the scanner comes in as a function.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const DEV_SET = join(dirname(fileURLToPath(import.meta.url)), "data/pii-dev.jsonl");

export interface GoldSpan {
  start: number;
  end: number;
  type: string;
  subtype?: string;
  value?: string;
  optional?: boolean;
  /** SECRET only: the group of rules the subtype belongs to. */
  family?: string;
}

export interface EvalRecord {
  id: string;
  text: string;
  spans: GoldSpan[];
  scope: string[];
  source?: string;
  group?: string;
}

export interface Prediction {
  start: number;
  end: number;
  type: string;
  subtype?: string;
  family?: string;
}

/** Minimum precision / recall in percent, from issue 5's "Done when". SECRET's also apply per family. */
export const TARGETS: Record<string, { precision: number; recall: number }> = {
  EMAIL: { precision: 98, recall: 98 },
  CREDIT_CARD: { precision: 99, recall: 95 },
  IBAN: { precision: 99, recall: 90 },
  US_SSN: { precision: 95, recall: 95 },
  IP_ADDRESS: { precision: 95, recall: 85 },
  PHONE: { precision: 90, recall: 80 },
  URL_CREDENTIALS: { precision: 90, recall: 80 },
  SECRET: { precision: 90, recall: 60 },
};

export const SCORED_TYPES = Object.keys(TARGETS);

export interface Miss {
  kind: "FP" | "FN";
  /** The row it counts against: "EMAIL", or "SECRET/aws" for a secret family. */
  row: string;
  record: string;
  start: number;
  end: number;
  subtype?: string;
  value: string;
  /** The text around it, the span in ⟦⟧. */
  context: string;
}

export interface Row {
  /** "EMAIL", or "SECRET/<family>". */
  key: string;
  type: string;
  family?: string;
  gold: number;
  predicted: number;
  tp: number;
  fp: number;
  fn: number;
  /** Predictions overlapping an optional gold span: neither TP nor FP. */
  ignored: number;
  /** Percent; null when there is nothing to divide by. */
  precision: number | null;
  recall: number | null;
  target: { precision: number; recall: number };
  pass: boolean;
}

export interface EvalResult {
  records: number;
  rows: Row[];
  misses: Miss[];
}

export function loadRecords(path = DEV_SET): EvalRecord[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => l.trim())
    .map((l, i) => {
      try {
        return JSON.parse(l) as EvalRecord;
      } catch (e) {
        throw new Error(`${path}:${i + 1}: ${(e as Error).message}`);
      }
    });
}

function overlap(a: { start: number; end: number }, b: { start: number; end: number }): number {
  return Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
}

/** The match rule: overlap at least half the longer span. */
export function spansMatch(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  const o = overlap(a, b);
  return o > 0 && 2 * o >= Math.max(a.end - a.start, b.end - b.start);
}

/**
 * Pairs gold spans with predictions (each used at most once), largest overlaps first, so a
 * prediction that fits one gold span well is not taken by a neighbour it barely reaches.
 */
export function matchSpans(gold: readonly GoldSpan[], preds: readonly Prediction[]): Array<[number, number]> {
  const candidates: Array<[number, number, number]> = [];
  gold.forEach((g, gi) => preds.forEach((p, pi) => spansMatch(g, p) && candidates.push([gi, pi, overlap(g, p)])));
  candidates.sort((a, b) => b[2] - a[2] || a[0] - b[0] || a[1] - b[1]);
  const usedGold = new Set<number>();
  const usedPred = new Set<number>();
  const pairs: Array<[number, number]> = [];
  for (const [gi, pi] of candidates) {
    if (usedGold.has(gi) || usedPred.has(pi)) continue;
    usedGold.add(gi);
    usedPred.add(pi);
    pairs.push([gi, pi]);
  }
  return pairs;
}

interface Tally { gold: number; predicted: number; tp: number; fp: number; fn: number; ignored: number }

const CONTEXT = 40;

function contextOf(text: string, start: number, end: number): string {
  const before = text.slice(Math.max(0, start - CONTEXT), start);
  const after = text.slice(end, end + CONTEXT);
  return `${before}⟦${text.slice(start, end)}⟧${after}`.replace(/\n/g, "\\n");
}

/**
 * Scores `predict` on `records`. Secret families: a matched pair counts for the gold span's
 * family (the label is the reference), a false positive for the predicted family ("unknown"
 * when the detector names none).
 */
export function evaluate(records: readonly EvalRecord[], predict: (text: string) => readonly Prediction[]): EvalResult {
  const tallies = new Map<string, Tally>();
  const tally = (key: string) => {
    let t = tallies.get(key);
    if (!t) tallies.set(key, (t = { gold: 0, predicted: 0, tp: 0, fp: 0, fn: 0, ignored: 0 }));
    return t;
  };
  for (const type of SCORED_TYPES) tally(type);
  const misses: Miss[] = [];

  for (const r of records) {
    const inScope = SCORED_TYPES.filter((t) => r.scope.includes(t));
    if (!inScope.length) continue;
    const predictions = predict(r.text);
    for (const type of inScope) {
      const gold = r.spans.filter((s) => s.type === type && !s.optional);
      const optional = r.spans.filter((s) => s.type === type && s.optional);
      const preds = predictions.filter((p) => p.type === type);
      const famOfGold = (g: GoldSpan) => `${type}/${g.family || "unknown"}`;
      const famOfPred = (p: Prediction) => `${type}/${p.family || "unknown"}`;
      const perFamily = type === "SECRET";
      const count = (key: string, field: keyof Tally) => {
        tally(type)[field]++;
        if (perFamily && key !== type) tally(key)[field]++;
      };
      const miss = (kind: Miss["kind"], row: string, s: GoldSpan | Prediction) =>
        misses.push({ kind, row, record: r.id, start: s.start, end: s.end, subtype: s.subtype, value: r.text.slice(s.start, s.end), context: contextOf(r.text, s.start, s.end) });

      const pairs = matchSpans(gold, preds);
      const matchedGold = new Set(pairs.map(([g]) => g));
      const matchedPred = new Set(pairs.map(([, p]) => p));
      gold.forEach((g, gi) => {
        count(famOfGold(g), "gold");
        if (matchedGold.has(gi)) count(famOfGold(g), "tp");
        else {
          count(famOfGold(g), "fn");
          miss("FN", perFamily ? famOfGold(g) : type, g);
        }
      });
      preds.forEach((p, pi) => {
        // Counted as predicted for the family of the gold span it found, else its own.
        const pair = pairs.find(([, q]) => q === pi);
        const key = pair ? famOfGold(gold[pair[0]]) : famOfPred(p);
        count(key, "predicted");
        if (matchedPred.has(pi)) return;
        if (optional.some((o) => overlap(o, p) > 0)) count(key, "ignored");
        else {
          count(key, "fp");
          miss("FP", perFamily ? key : type, p);
        }
      });
    }
  }

  const rows = [...tallies.entries()]
    .sort(([a], [b]) => rowOrder(a) - rowOrder(b) || a.localeCompare(b))
    .map(([key, t]) => toRow(key, t));
  return { records: records.length, rows, misses };
}

function rowOrder(key: string): number {
  return SCORED_TYPES.indexOf(key.split("/")[0]);
}

function percent(n: number, d: number): number | null {
  return d === 0 ? null : (100 * n) / d;
}

function toRow(key: string, t: Tally): Row {
  const [type, family] = key.split("/");
  const target = TARGETS[type];
  const precision = percent(t.tp, t.tp + t.fp);
  const recall = percent(t.tp, t.gold);
  // No predictions is not a precision failure (recall says it); no gold and no false positive passes.
  const pass = (precision === null || precision >= target.precision) && (recall === null || recall >= target.recall);
  return { key, type, family, ...t, precision, recall, target, pass };
}
