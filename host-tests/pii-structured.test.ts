// The structured PII detectors (filters/lib/pii/detect-*.ts) through dist/pii-detect.wasm
// (filters/testing/pii-detect): precision/recall per type on ../shared/data/pii-dev.jsonl against
// the targets, validators on known values, span boundaries, and fuzzing (never traps,
// linear time).
// Scoring: a prediction matches a gold span of the same type when their overlap is at least half
// of the longer span; unmatched predictions are false positives unless they overlap an
// `optional` gold span of the same type; only types in the text's `scope` count.
import { describe, it, expect, beforeAll } from "vitest";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";

const WASM = resolve(__dirname, "../dist/pii-detect.wasm");
const DEV = resolve(__dirname, "../../shared/data/pii-dev.jsonl");

const TYPES = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "URL_CREDENTIALS"] as const;
const TARGETS: Record<string, [number, number]> = {
  EMAIL: [98, 98], CREDIT_CARD: [99, 95], IBAN: [99, 90], US_SSN: [95, 95], IP_ADDRESS: [95, 85], PHONE: [90, 80], URL_CREDENTIALS: [90, 80],
};

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  pd_alloc(len: number): number;
  pd_free(ptr: number): void;
  pd_out_ptr(): number;
  pd_out_len(): number;
  pd_threshold(t: number): void;
  pd_scan(ptr: number, len: number): number;
  pd_scan_count(ptr: number, len: number): number;
  pd_validate(kind: number, ptr: number, len: number): number;
}

interface Entity { start: number; end: number; type: string; subtype: string; score: number }

let x: Exports;

beforeAll(async () => {
  const module = await WebAssembly.compile(readFileSync(WASM));
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === "function") (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  x = (await WebAssembly.instantiate(module, imports)).exports as unknown as Exports;
  x._initialize();
});

function withBytes<T>(bytes: Uint8Array, f: (ptr: number, len: number) => T): T {
  const ptr = x.pd_alloc(bytes.length);
  new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
  try {
    return f(ptr, bytes.length);
  } finally {
    x.pd_free(ptr);
  }
}

/** UTF-16 index of every UTF-8 byte offset of `text` (length bytes + 1). */
function byteToUtf16(text: string): Int32Array {
  const map = new Int32Array(Buffer.byteLength(text, "utf8") + 1);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.codePointAt(i)!;
    const w = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    for (let k = 0; k < w; k++) map[b + k] = i;
    b += w;
    if (c >= 0x10000) i++;
  }
  map[b] = text.length;
  return map;
}

function scan(text: string): Entity[] {
  const bytes = new TextEncoder().encode(text);
  const rows = withBytes(bytes, (p, n) => {
    x.pd_scan(p, n);
    return JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.pd_out_ptr(), x.pd_out_len()))) as Array<[number, number, string, string, number]>;
  });
  const map = byteToUtf16(text);
  return rows.map(([s, e, type, subtype, score]) => ({ start: map[s], end: map[e], type, subtype, score }));
}

const values = (text: string, type?: string) => scan(text).filter((e) => !type || e.type === type).map((e) => text.slice(e.start, e.end));

const validate = (kind: number, s: string) => withBytes(new TextEncoder().encode(s), (p, n) => x.pd_validate(kind, p, n) !== 0);

// ---- dev-set evaluation ---------------------------------------------------------------------

interface Gold { start: number; end: number; type: string; optional?: boolean; value: string }
interface Row { id: string; text: string; spans: Gold[]; scope: string[] }

const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) => Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
const matches = (p: { start: number; end: number }, g: { start: number; end: number }) =>
  overlap(p, g) * 2 >= Math.max(p.end - p.start, g.end - g.start);

function evaluate(rows: Row[]) {
  const stats: Record<string, { tp: number; fp: number; fn: number; fps: string[]; fns: string[] }> = {};
  for (const t of TYPES) stats[t] = { tp: 0, fp: 0, fn: 0, fps: [], fns: [] };
  for (const r of rows) {
    const preds = scan(r.text);
    for (const t of TYPES) {
      if (!r.scope.includes(t)) continue;
      const gold = r.spans.filter((g) => g.type === t);
      const required = gold.filter((g) => !g.optional);
      const optional = gold.filter((g) => g.optional);
      const used = new Set<number>();
      const ctx = (s: number, e: number) => JSON.stringify(r.text.slice(Math.max(0, s - 20), e + 20));
      for (const p of preds.filter((q) => q.type === t)) {
        const k = required.findIndex((g, i) => !used.has(i) && matches(p, g));
        if (k >= 0) { used.add(k); stats[t].tp++; continue; }
        if (optional.some((g) => overlap(p, g) > 0)) continue;
        stats[t].fp++;
        stats[t].fps.push(`${r.id} ${JSON.stringify(r.text.slice(p.start, p.end))} (${p.score}) in ${ctx(p.start, p.end)}`);
      }
      required.forEach((g, i) => {
        if (used.has(i)) return;
        stats[t].fn++;
        stats[t].fns.push(`${r.id} ${JSON.stringify(g.value)} in ${ctx(g.start, g.end)}`);
      });
    }
  }
  return stats;
}

describe.runIf(existsSync(DEV))("pii-dev.jsonl: precision and recall per type", () => {
  it("meets the targets", () => {
    const rows: Row[] = readFileSync(DEV, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const stats = evaluate(rows);
    const table: string[] = ["type             P%     R%    tp  fp  fn   target P/R"];
    const failures: string[] = [];
    for (const t of TYPES) {
      const s = stats[t];
      const p = s.tp + s.fp === 0 ? 100 : (100 * s.tp) / (s.tp + s.fp);
      const rc = s.tp + s.fn === 0 ? 100 : (100 * s.tp) / (s.tp + s.fn);
      const [tp, tr] = TARGETS[t];
      table.push(`${t.padEnd(16)} ${p.toFixed(1).padStart(5)}  ${rc.toFixed(1).padStart(5)}  ${String(s.tp).padStart(4)} ${String(s.fp).padStart(3)} ${String(s.fn).padStart(3)}   ${tp}/${tr}`);
      if (p < tp || rc < tr) failures.push(`${t}: P ${p.toFixed(1)} R ${rc.toFixed(1)}`);
      if (process.env.PII_VERBOSE) {
        for (const f of s.fps) table.push(`  FP ${f}`);
        for (const f of s.fns) table.push(`  FN ${f}`);
      }
    }
    console.log(table.join("\n"));
    expect(failures).toEqual([]);
  });
});
