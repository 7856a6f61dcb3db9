// Where the PII scan's time goes: dist/pii-scan.wasm (filters/testing/pii-scan, the same scanText
// the filter runs) timed on the bench's texts with every type on, none, then one type at a time;
// given a second build of the entry, both are timed in alternation (same rounds, so a busy
// machine moves both). The numbers are wasm time per ~4 KB slice: the UTF-8 bytes are in wasm
// memory before timing, as in the bench's headline row.
//
//   npx tsx host-tests/pii/profile-scan.ts [dist/pii-scan.wasm] [other-build.wasm]
//
// For a per-function profile, build the entry with names (asc ... --target release --debug) and
// run this under `node --cpu-prof --import tsx`: V8 profiles wasm functions by name.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { devText, mixedText, type SlicedText } from "../bench/pii-peers/texts";

const DEFAULT_WASM = join(dirname(fileURLToPath(import.meta.url)), "../../dist/pii-scan.wasm");
const TYPES = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "URL_CREDENTIALS", "SECRET"];

interface ScanExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  ps_alloc(len: number): number;
  ps_enable(t: number, on: number): void;
  ps_scan(ptr: number, len: number): number;
}

function load(path: string, texts: SlicedText[]): { x: ScanExports; inputs: Array<Array<[number, number]>> } {
  const module = new WebAssembly.Module(readFileSync(path));
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === "function") (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  const x = new WebAssembly.Instance(module, imports).exports as unknown as ScanExports;
  x._initialize();
  const encoder = new TextEncoder();
  const inputs = texts.map((t) => t.slices.map((s): [number, number] => {
    const bytes = encoder.encode(s);
    const ptr = x.ps_alloc(bytes.length);
    new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length];
  }));
  return { x, inputs };
}

/** Best time per slice (ns) of each build on each text, `rounds` alternating rounds. */
function time(builds: ReturnType<typeof load>[], rounds = 12): number[][] {
  const best = builds.map((b) => b.inputs.map(() => Infinity));
  for (let round = 0; round < rounds; round++) {
    builds.forEach(({ x, inputs }, k) => inputs.forEach((slices, t) => {
      const t0 = process.hrtime.bigint();
      for (let rep = 0; rep < 3; rep++) for (const [p, n] of slices) x.ps_scan(p, n);
      best[k][t] = Math.min(best[k][t], Number(process.hrtime.bigint() - t0) / 3 / slices.length);
    }));
  }
  return best;
}

function main(argv: string[]): void {
  const paths = argv.length > 0 ? argv : [DEFAULT_WASM];
  const texts = [devText(), mixedText()];
  const builds = paths.map((p) => load(p, texts));
  const rows: Array<[string, (x: ScanExports) => void]> = [
    ["all", (x) => x.ps_enable(0, 1)],
    ["none", (x) => x.ps_enable(0, 0)],
    ...TYPES.map((name, k): [string, (x: ScanExports) => void] => [name, (x) => (x.ps_enable(0, 0), x.ps_enable(k + 1, 1))]),
  ];
  const head = texts.flatMap((t) => paths.map((p) => `${t.name} ${paths.length > 1 ? p.split("/").pop() : ""}`.trim()));
  console.log(["types".padEnd(16), ...head.map((h) => h.padStart(24))].join(""));
  for (const [label, setup] of rows) {
    for (const b of builds) setup(b.x);
    const best = time(builds);
    const cells = texts.flatMap((t, ti) => builds.map((_, k) => {
      const ns = best[k][ti];
      return `${(ns / 1000).toFixed(2)} us ${Math.round((t.bytes / t.slices.length / ns) * 1000)} MB/s`.padStart(24);
    }));
    console.log([label.padEnd(16), ...cells].join(""));
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
