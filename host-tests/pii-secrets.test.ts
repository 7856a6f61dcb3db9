// The SECRET detectors (filters/lib/pii/detect-secrets.ts and secrets-*.ts) through
// dist/pii-secrets.wasm (filters/testing/pii-secrets): precision/recall on the labelled dev set
// (overall targets asserted, per family printed), positive and negative cases per format with
// tokens synthesized from the published formats (never real credentials), no findings in the
// bundled provider recordings, and fuzzing (never traps, linear time).
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync, readdirSync, statSync, existsSync } from "node:fs";
import { resolve, join } from "node:path";
import { prng } from "./replay/split";

const WASM = resolve(__dirname, "../dist/pii-secrets.wasm");
const DEV = resolve(__dirname, "../../shared/data/pii-dev.jsonl");
const RECORDINGS = resolve(__dirname, "recordings");

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  ps_alloc(len: number): number;
  ps_free(ptr: number): void;
  ps_out_ptr(): number;
  ps_out_len(): number;
  ps_scan(ptr: number, len: number, generic: number): number;
  ps_count(ptr: number, len: number, generic: number): number;
}

interface Finding { start: number; end: number; type: number; score: number; subtype: string; family: string }

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
  const ptr = x.ps_alloc(bytes.length);
  new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
  try {
    return f(ptr, bytes.length);
  } finally {
    x.ps_free(ptr);
  }
}

function scanBytes(bytes: Uint8Array, generic = false): Finding[] {
  return withBytes(bytes, (p, n) => {
    x.ps_scan(p, n, generic ? 1 : 0);
    return JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.ps_out_ptr(), x.ps_out_len())));
  });
}

/** UTF-16 index of every UTF-8 byte offset of `text` (and of its end). */
function byteToUtf16(text: string): Int32Array {
  const bytes = new TextEncoder().encode(text);
  const map = new Int32Array(bytes.length + 1);
  let b = 0;
  let u = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const nb = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < nb; k++) map[b + k] = u;
    b += nb;
    u += ch.length;
  }
  map[b] = u;
  return map;
}

/** Findings of `text` in UTF-16 offsets, with the matched string. */
function scan(text: string, generic = false): Array<Finding & { value: string }> {
  const map = byteToUtf16(text);
  return scanBytes(new TextEncoder().encode(text), generic).map((f) => {
    const start = map[f.start];
    const end = map[f.end];
    return { ...f, start, end, value: text.slice(start, end) };
  });
}

// ---- dev set ------------------------------------------------------------------------------

interface Span { start: number; end: number; type: string; subtype: string; family?: string; optional?: boolean }
interface Row { id: string; text: string; spans: Span[]; scope: string[] }

const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
const matches = (p: { start: number; end: number }, g: { start: number; end: number }) =>
  overlap(p, g) * 2 >= Math.max(p.end - p.start, g.end - g.start);

interface Tally { tp: number; fp: number; fn: number }

function evaluate(generic: boolean) {
  const rows: Row[] = readFileSync(DEV, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  const total: Tally = { tp: 0, fp: 0, fn: 0 };
  const fam = new Map<string, Tally>();
  const tally = (f: string) => fam.get(f) ?? (fam.set(f, { tp: 0, fp: 0, fn: 0 }), fam.get(f)!);
  const misses: string[] = [];
  const falsePos: string[] = [];
  for (const row of rows) {
    if (!row.scope.includes("SECRET")) continue;
    const gold = row.spans.filter((s) => s.type === "SECRET");
    const required = gold.filter((s) => !s.optional);
    const optional = gold.filter((s) => s.optional);
    const preds = scan(row.text, generic).filter((f) => f.type === 8);
    const used = new Set<number>();
    for (const p of preds) {
      const g = required.findIndex((s, k) => !used.has(k) && matches(p, s));
      if (g >= 0) {
        used.add(g);
        total.tp++;
        tally(required[g].family ?? "?").tp++;
      } else if (!optional.some((s) => overlap(p, s) > 0)) {
        total.fp++;
        tally(p.family).fp++;
        falsePos.push(`${row.id} ${p.subtype} ${JSON.stringify(p.value.slice(0, 80))}`);
      }
    }
    required.forEach((s, k) => {
      if (used.has(k)) return;
      total.fn++;
      tally(s.family ?? "?").fn++;
      misses.push(`${row.id} ${s.subtype} ${JSON.stringify(row.text.slice(s.start, s.end).slice(0, 80))}`);
    });
  }
  return { total, fam, misses, falsePos };
}

const pct = (a: number, b: number) => (b === 0 ? 100 : (100 * a) / b);

describe.skipIf(!existsSync(DEV))("dev set (texts whose scope includes SECRET)", () => {
  for (const generic of [false, true]) {
    it(`precision >= 90, recall >= 60 overall${generic ? " with generic assignments" : ""}`, () => {
      const { total, fam, misses, falsePos } = evaluate(generic);
      const lines = [`SECRET${generic ? " (+generic)" : ""}: P ${pct(total.tp, total.tp + total.fp).toFixed(1)} R ${pct(total.tp, total.tp + total.fn).toFixed(1)} (tp ${total.tp} fp ${total.fp} fn ${total.fn})`];
      for (const [f, t] of [...fam.entries()].sort()) {
        lines.push(`  ${f.padEnd(14)} P ${pct(t.tp, t.tp + t.fp).toFixed(1).padStart(5)} R ${pct(t.tp, t.tp + t.fn).toFixed(1).padStart(5)}  tp ${t.tp} fp ${t.fp} fn ${t.fn}`);
      }
      if (process.env.PII_SECRETS_VERBOSE) lines.push("misses:", ...misses, "false positives:", ...falsePos);
      console.log(lines.join("\n"));
      expect(pct(total.tp, total.tp + total.fp)).toBeGreaterThanOrEqual(90);
      expect(pct(total.tp, total.tp + total.fn)).toBeGreaterThanOrEqual(60);
    });
  }
});
