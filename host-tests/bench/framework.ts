// The bench framework: suites of cases, an interleaved runner and a report.
//
// What is timed is wasm work only. Exchange and wasm cases are timed by the harness's
// `callTiming` hook, which brackets each guest callback (and the hostcalls it makes) and nothing
// else, so stream bookkeeping, header conversion and setImmediate turns between chunks stay out
// of the numbers. JS cases (npm peers) have no such hook and are timed whole with hrtime.
//
// Machines running this are shared and noisy, so the number we stand behind is the ratio to a
// baseline case measured in the same run: every case runs in the same rounds as its baseline
// (order rotated each round), so drift and neighbours hit both alike.
//
// A guest callback that re-enters the guest synchronously would be counted in both rows (the
// hook only sees calls end); no pass-through or probe path does that during a replay.
import { readFileSync, readdirSync } from "node:fs";
import { cpus } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import type { Exchange, HostOptions, WasmFilterConfig } from "../harness/api";
import { createHost, type EnvoyHost } from "../harness/host";
import { callTiming } from "../harness/vm";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** A built filter module under dist/. */
export function distWasm(file: string): string {
  return join(repoRoot, "dist", file);
}

// ---------------------------------------------------------------- cases and suites

/** What one iteration of an exchange case replays, in order, through a fresh stream each. */
export interface Workload {
  name: string;
  exchanges: Exchange[];
}

interface CaseBase {
  /** Unique within the suite; `--filter` matches `<suite>/<case>`. */
  name: string;
  /** The case this one is divided by; default: the suite's `baseline`. */
  baseline?: string;
  /** Bytes one iteration processes, for MB/s (exchange cases count their bodies themselves). */
  bytes?: number;
}

/** Replays a workload through a filter chain inside the harness; each guest callback is timed. */
export interface ExchangeCase extends CaseBase {
  kind: "exchange";
  chain: WasmFilterConfig[];
  workload: Workload;
  hostOptions?: HostOptions;
}

/**
 * Calls into a module directly (say an exported tokenizer). `prepare` gets a started host (so
 * the module is linked and configured as Envoy would) and returns one iteration; only guest
 * calls it makes through `WasmVm.call` are timed, so input copying in `prepare` or in the
 * iteration itself is not.
 */
export interface WasmCase extends CaseBase {
  kind: "wasm";
  chain: WasmFilterConfig[];
  hostOptions?: HostOptions;
  prepare(host: EnvoyHost): (() => unknown) | Promise<() => unknown>;
}

/** A plain JS function (an npm peer, a reference implementation), timed whole with hrtime. */
export interface JsCase extends CaseBase {
  kind: "js";
  /** Setup (loading a vocabulary, building inputs) happens here, untimed. */
  prepare(): (() => unknown) | Promise<() => unknown>;
}

export type BenchCase = ExchangeCase | WasmCase | JsCase;

export interface Suite {
  name: string;
  description?: string;
  cases: BenchCase[];
  /** Default baseline: a case name, or a function of the case (e.g. same workload, pass-through chain). */
  baseline: string | ((c: BenchCase) => string);
  /**
   * At most this many warm-up iterations per case (the run's own count when lower): for suites
   * whose peers take milliseconds a call, where 300 warm-ups would eat the bench's time budget.
   */
  warmup?: number;
}

/** Identity; gives suite files type checking without importing the interfaces. */
export function defineSuite(suite: Suite): Suite {
  return suite;
}

/** One `envoy.filters.http.wasm` entry; each chain gets its own VM. */
export function wasmFilter(name: string, file: string, rootId: string, configuration?: string | object): WasmFilterConfig {
  return {
    name,
    rootId,
    vmId: name,
    code: distWasm(file),
    configuration: configuration === undefined || typeof configuration === "string" ? configuration : JSON.stringify(configuration),
  };
}

export const passthroughChain = (): WasmFilterConfig[] => [wasmFilter("passthrough", "passthrough.wasm", "passthrough")];

/**
 * The usual filter suite: every chain over every workload, each divided by the baseline chain
 * on the same workload. Case names are `<chain>/<workload>`.
 */
export function chainsByWorkload(opts: {
  baseline: string;
  chains: Record<string, WasmFilterConfig[]>;
  workloads: Workload[];
  hostOptions?: HostOptions;
}): Pick<Suite, "cases" | "baseline"> {
  if (!opts.chains[opts.baseline]) throw new Error(`baseline chain "${opts.baseline}" is not among the chains`);
  const cases: ExchangeCase[] = [];
  for (const workload of opts.workloads) {
    for (const [chain, configs] of Object.entries(opts.chains)) {
      cases.push({ kind: "exchange", name: `${chain}/${workload.name}`, chain: configs, workload, hostOptions: opts.hostOptions });
    }
  }
  return { cases, baseline: (c) => `${opts.baseline}/${(c as ExchangeCase).workload.name}` };
}

// ---------------------------------------------------------------- options and report

export interface RunOptions {
  /** Measured iterations per case (an iteration = one workload replay, or one call). */
  iterations: number;
  /**
   * Untimed iterations per case first. Hundreds, not tens: V8 tiers up both the guest and the
   * harness's JS hostcalls only after many calls, and once-per-exchange callbacks ran 2x slower
   * after 40 warm-up exchanges than after 2000.
   */
  warmup: number;
  /** Per suite: after this many ms of measuring, stop at the end of a round once every case has `minIterations`. */
  budgetMs: number;
  minIterations: number;
  /** Case-insensitive substring of `<suite>/<case>`; baselines of selected cases always run. */
  filter?: string;
  progress?: (line: string) => void;
}

export const DEFAULT_OPTIONS: RunOptions = { iterations: 1000, warmup: 300, budgetMs: 60_000, minIterations: 50 };
export const QUICK_OPTIONS: RunOptions = { iterations: 12, warmup: 3, budgetMs: 3_000, minIterations: 5 };

export interface ModuleInfo {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface Row {
  medianNs: number;
  p90Ns: number;
  /** JSON only. A GC step in one callback of many shows here and in the mean, not the median. */
  p99Ns: number;
  meanNs: number;
  samples: number;
  /** medianNs over the baseline's medianNs for the same row; null when the baseline has no such row. */
  ratio: number | null;
  mbPerS?: number;
}

export interface CallbackRow extends Row {
  /** The exported function, e.g. proxy_on_response_body. */
  callback: string;
  /** Mean calls per iteration. */
  perIteration: number;
}

export interface CaseReport {
  suite: string;
  name: string;
  kind: BenchCase["kind"];
  baseline: string;
  isBaseline: boolean;
  iterations: number;
  /** Bytes an iteration processes (request + response bodies for exchange cases). */
  bytes?: number;
  workload?: { name: string; exchanges: number; requestBytes: number; responseBytes: number; responseChunks: number };
  /** The chain's modules, in chain order. */
  modules: Array<ModuleInfo & { filter: string }>;
  /** One iteration: wasm ns summed over an exchange (or workload), or one call. */
  total: Row & { unit: "exchange" | "workload" | "call" };
  /** Per guest callback: ns per call. Empty for JS cases. */
  callbacks: CallbackRow[];
}

export interface SuiteReport {
  name: string;
  description?: string;
  rounds: number;
  elapsedMs: number;
  cases: CaseReport[];
}

export interface BenchReport {
  tool: "tollgate-bench";
  version: 1;
  environment: { node: string; platform: string; arch: string; cpus: number; cpuModel: string };
  options: Omit<RunOptions, "progress">;
  /** Measured cost of the hrtime pair around each call; subtracted from every sample. */
  timerOverheadNs: number;
  elapsedMs: number;
  modules: ModuleInfo[];
  suites: SuiteReport[];
}

// ---------------------------------------------------------------- runner

interface Prepared {
  c: BenchCase;
  baseline: string;
  iterate: () => Promise<void> | void;
  close: () => Promise<void> | void;
  modules: CaseReport["modules"];
  samples: Samples;
  requestBytes: number;
  responseBytes: number;
}

/** Samples of one case: per-call ns by callback, and per-iteration sums. */
class Samples {
  readonly perCall = new Map<string, number[]>();
  readonly perIterationSum = new Map<string, number[]>();
  readonly calls = new Map<string, number>();
  readonly totals: number[] = [];
  iterations = 0;
  private current = new Map<string, number>();
  private currentTotal = 0;

  add(name: string, ns: number): void {
    let a = this.perCall.get(name);
    if (!a) this.perCall.set(name, (a = []));
    a.push(ns);
    this.current.set(name, (this.current.get(name) ?? 0) + ns);
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
    this.currentTotal += ns;
  }

  endIteration(total = this.currentTotal): void {
    this.totals.push(total);
    for (const [name, sum] of this.current) {
      let a = this.perIterationSum.get(name);
      if (!a) this.perIterationSum.set(name, (a = []));
      a.push(sum);
    }
    this.current.clear();
    this.currentTotal = 0;
    this.iterations++;
  }

  reset(): void {
    this.perCall.clear();
    this.perIterationSum.clear();
    this.calls.clear();
    this.current.clear();
    this.currentTotal = 0;
  }
}

/**
 * The cost of the measurement itself: two hrtime reads with nothing between. Callbacks of the
 * pass-through filter take a few hundred ns, so leaving ~50 ns of timer in every sample would
 * pull every ratio toward 1.
 */
export function calibrateTimer(): number {
  const runs: number[] = [];
  for (let r = 0; r < 3; r++) {
    const d = new Float64Array(50_000);
    for (let i = 0; i < d.length; i++) {
      const t0 = process.hrtime.bigint();
      d[i] = Number(process.hrtime.bigint() - t0);
    }
    runs.push(quantile(d.sort(), 0.5));
  }
  return Math.min(...runs);
}

export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

type Stat = Pick<Row, "medianNs" | "p90Ns" | "p99Ns" | "meanNs" | "samples">;

function stat(values: number[]): Stat {
  const s = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of s) sum += v;
  return { medianNs: quantile(s, 0.5), p90Ns: quantile(s, 0.9), p99Ns: quantile(s, 0.99), meanNs: s.length ? Math.round(sum / s.length) : NaN, samples: s.length };
}

const moduleCache = new Map<string, ModuleInfo>();
function moduleInfo(code: WasmFilterConfig["code"]): ModuleInfo {
  const file = typeof code === "string" ? code : "<bytes>";
  const key = typeof code === "string" ? code : `<bytes ${code.length}>`;
  let m = moduleCache.get(key);
  if (!m) {
    const bytes = typeof code === "string" ? readFileSync(code) : code;
    m = { file: typeof code === "string" ? relativeToRepo(file) : file, bytes: bytes.length, gzipBytes: gzipSync(bytes, { level: 9 }).length };
    moduleCache.set(key, m);
  }
  return m;
}

function relativeToRepo(p: string): string {
  const r = resolve(p);
  return r.startsWith(repoRoot + "/") ? r.slice(repoRoot.length + 1) : r;
}

function baselineOf(suite: Suite, c: BenchCase): string {
  return c.baseline ?? (typeof suite.baseline === "string" ? suite.baseline : suite.baseline(c));
}

/** The cases `filter` selects, plus (transitively) the baselines they are divided by. */
export function selectCases(suite: Suite, filter?: string): BenchCase[] {
  const byName = new Map(suite.cases.map((c) => [c.name, c]));
  if (byName.size !== suite.cases.length) throw new Error(`suite ${suite.name}: duplicate case names`);
  const f = filter?.toLowerCase();
  const wanted = new Set(suite.cases.filter((c) => !f || `${suite.name}/${c.name}`.toLowerCase().includes(f)).map((c) => c.name));
  for (const name of [...wanted]) {
    let b = baselineOf(suite, byName.get(name)!);
    while (!wanted.has(b)) {
      const bc = byName.get(b);
      if (!bc) throw new Error(`suite ${suite.name}: case ${name} names baseline "${b}", which is not a case`);
      wanted.add(b);
      b = baselineOf(suite, bc);
    }
  }
  return suite.cases.filter((c) => wanted.has(c.name));
}

function bodyBytes(w: Workload): { request: number; response: number; chunks: number } {
  let request = 0, response = 0, chunks = 0;
  for (const ex of w.exchanges) {
    request += ex.request.body.length;
    response += ex.response.body.length;
    chunks += ex.response.chunks?.length ?? (ex.response.body.length ? 1 : 0);
  }
  return { request, response, chunks };
}

/** Which Samples the callTiming hook feeds; null outside iterations of wasm-timed cases. */
let sink: Samples | null = null;
/** Where warm-up samples go (and are dropped). */
const discarded = new Samples();
let overheadNs = 0;

async function prepare(suite: Suite, c: BenchCase): Promise<Prepared> {
  const base = { c, baseline: baselineOf(suite, c), samples: new Samples(), requestBytes: 0, responseBytes: 0 };
  if (c.kind === "js") {
    const fn = await c.prepare();
    const samples = base.samples;
    return {
      ...base,
      modules: [],
      close: () => {},
      iterate: async () => {
        const t0 = process.hrtime.bigint();
        const r = fn();
        if (r instanceof Promise) await r;
        const ns = Number(process.hrtime.bigint() - t0) - overheadNs;
        if (sink === samples) samples.endIteration(Math.max(0, ns));
      },
    };
  }
  // Only errors: log lines would pile up in host.logs over thousands of exchanges.
  const host = await createHost(c.chain, { logLevel: 4, ...c.hostOptions });
  const modules = c.chain.map((f) => ({ filter: f.name, ...moduleInfo(f.code) }));
  const close = () => host.close();
  if (c.kind === "wasm") {
    const fn = await c.prepare(host);
    return {
      ...base,
      modules,
      close,
      iterate: async () => {
        await fn();
      },
    };
  }
  const w = c.workload;
  const b = bodyBytes(w);
  return {
    ...base,
    modules,
    close,
    requestBytes: b.request,
    responseBytes: b.response,
    iterate: async () => {
      for (const ex of w.exchanges) {
        const r = await host.exchange(ex);
        // A failed VM is skipped (fail open) or answers 503 (fail closed): what would be timed
        // from then on is not the filter. A trap is also what a heap growing per stream ends in.
        if (r.trap) throw new Error(`${suite.name}/${c.name}: ${r.trap.filter} trapped in ${r.trap.function}: ${r.trap.message}`);
        if (!r.downstreamResponse && !r.localReply) throw new Error(`${suite.name}/${c.name}: exchange ${ex.name ?? ""} got no response (${r.reset ?? "no reset"})`);
      }
    },
  };
}

async function runIteration(p: Prepared, record: boolean): Promise<void> {
  sink = record ? p.samples : discarded;
  try {
    await p.iterate();
  } finally {
    sink = null;
  }
  if (!record) discarded.reset();
  else if (p.c.kind !== "js") p.samples.endIteration(); // JS iterations record themselves
}

async function runSuite(suite: Suite, opts: RunOptions): Promise<SuiteReport | null> {
  const selected = selectCases(suite, opts.filter);
  if (selected.length === 0) return null;
  const started = performance.now();
  const prepared: Prepared[] = [];
  try {
    for (const c of selected) prepared.push(await prepare(suite, c));
    // Warm-up goes through the same hook as measuring so the JIT settles on the measured path.
    const warmup = Math.min(opts.warmup, suite.warmup ?? opts.warmup);
    for (let i = 0; i < warmup; i++) for (const p of rotate(prepared, i)) await runIteration(p, false);
    opts.progress?.(`${suite.name}: warmed up ${prepared.length} cases`);

    // A few iterations per case per round keeps rounds short (tens of them per run) without
    // switching VMs after every single exchange.
    const batch = Math.max(1, Math.ceil(opts.iterations / 50));
    const measureStart = performance.now();
    let rounds = 0;
    for (;;) {
      for (const p of rotate(prepared, rounds)) {
        for (let i = 0; i < batch && p.samples.iterations < opts.iterations; i++) await runIteration(p, true);
      }
      rounds++;
      const least = Math.min(...prepared.map((p) => p.samples.iterations));
      if (least >= opts.iterations) break;
      if (performance.now() - measureStart > opts.budgetMs && least >= opts.minIterations) break;
    }
    opts.progress?.(`${suite.name}: ${rounds} rounds, ${Math.round(performance.now() - measureStart)} ms`);
    return { name: suite.name, description: suite.description, rounds, elapsedMs: Math.round(performance.now() - started), cases: summarize(suite, prepared) };
  } finally {
    for (const p of prepared) await p.close();
  }
}

function rotate<T>(a: T[], by: number): T[] {
  const k = by % a.length;
  return [...a.slice(k), ...a.slice(0, k)];
}

const CALLBACK_ORDER = [
  "proxy_on_context_create", "proxy_on_request_headers", "proxy_on_request_body", "proxy_on_request_trailers",
  "proxy_on_response_headers", "proxy_on_response_body", "proxy_on_response_trailers",
  "proxy_on_log", "proxy_on_done", "proxy_on_delete",
];

function callbackRank(name: string): number {
  const i = CALLBACK_ORDER.indexOf(name);
  return i < 0 ? CALLBACK_ORDER.length : i;
}

function ratio(a: number, b: number | undefined): number | null {
  if (b === undefined || !(b > 0) || !Number.isFinite(a)) return null;
  return a / b;
}

/** MB/s (10^6 bytes) from bytes per iteration and ns per iteration. */
function mbPerS(bytes: number, ns: number): number | undefined {
  return bytes > 0 && ns > 0 ? (bytes / ns) * 1e3 : undefined;
}

function summarize(suite: Suite, prepared: Prepared[]): CaseReport[] {
  const raw = new Map<string, { total: Stat; perCall: Map<string, Stat> }>();
  for (const p of prepared) {
    const perCall = new Map([...p.samples.perCall].map(([name, v]) => [name, stat(v)]));
    raw.set(p.c.name, { total: stat(p.samples.totals), perCall });
  }
  return prepared.map((p): CaseReport => {
    const { c, samples } = p;
    const mine = raw.get(c.name)!;
    const base = raw.get(p.baseline)!;
    const isBaseline = p.baseline === c.name;
    const bytes = c.kind === "exchange" ? p.requestBytes + p.responseBytes : c.bytes;
    const callbacks = [...mine.perCall]
      .sort(([a], [b]) => callbackRank(a) - callbackRank(b) || a.localeCompare(b))
      .map(([callback, s]): CallbackRow => {
        const row: CallbackRow = { callback, perIteration: (samples.calls.get(callback) ?? 0) / samples.iterations, ...s, ratio: isBaseline ? 1 : ratio(s.medianNs, base.perCall.get(callback)?.medianNs) };
        // Body callbacks see the body once per iteration, split over their calls.
        const bodyBytes = callback === "proxy_on_request_body" ? p.requestBytes : callback === "proxy_on_response_body" ? p.responseBytes : 0;
        const sums = samples.perIterationSum.get(callback);
        if (bodyBytes && sums) {
          const mb = mbPerS(bodyBytes, stat(sums).medianNs);
          if (mb !== undefined) row.mbPerS = mb;
        }
        return row;
      });
    const unit = c.kind === "exchange" ? (c.workload.exchanges.length === 1 ? "exchange" : "workload") : "call";
    const total: CaseReport["total"] = { unit, ...mine.total, ratio: isBaseline ? 1 : ratio(mine.total.medianNs, base.total.medianNs) };
    const mb = bytes ? mbPerS(bytes, mine.total.medianNs) : undefined;
    if (mb !== undefined) total.mbPerS = mb;
    const report: CaseReport = {
      suite: suite.name,
      name: c.name,
      kind: c.kind,
      baseline: p.baseline,
      isBaseline,
      iterations: samples.iterations,
      modules: p.modules,
      total,
      callbacks,
    };
    if (bytes) report.bytes = bytes;
    if (c.kind === "exchange") {
      const b = bodyBytes(c.workload);
      report.workload = { name: c.workload.name, exchanges: c.workload.exchanges.length, requestBytes: b.request, responseBytes: b.response, responseChunks: b.chunks };
    }
    return report;
  });
}

export async function runSuites(suites: Suite[], options: Partial<RunOptions> = {}): Promise<BenchReport> {
  const opts: RunOptions = { ...DEFAULT_OPTIONS, ...options };
  if (opts.minIterations > opts.iterations) opts.minIterations = opts.iterations;
  const started = performance.now();
  overheadNs = calibrateTimer();
  const previous = callTiming.observe;
  callTiming.observe = (_vm, name, ns) => {
    if (sink) sink.add(name, Math.max(0, Number(ns) - overheadNs));
  };
  const reports: SuiteReport[] = [];
  try {
    for (const suite of suites) {
      const r = await runSuite(suite, opts);
      if (r) reports.push(r);
    }
  } finally {
    callTiming.observe = previous;
  }
  const modules = new Map<string, ModuleInfo>();
  for (const s of reports) for (const c of s.cases) for (const m of c.modules) modules.set(m.file, { file: m.file, bytes: m.bytes, gzipBytes: m.gzipBytes });
  const { progress: _progress, ...shown } = opts;
  const cpu = cpus();
  return {
    tool: "tollgate-bench",
    version: 1,
    environment: { node: process.version, platform: process.platform, arch: process.arch, cpus: cpu.length, cpuModel: cpu[0]?.model ?? "unknown" },
    options: shown,
    timerOverheadNs: overheadNs,
    elapsedMs: Math.round(performance.now() - started),
    modules: [...modules.values()],
    suites: reports,
  };
}

// ---------------------------------------------------------------- suite discovery

export const suitesDir = join(repoRoot, "host-tests/bench/suites");

/**
 * Every `host-tests/bench/suites/*.ts` exporting `suite` (a Suite), `suites` (an array) or a
 * default Suite. Files are imported in name order so the report order is stable.
 */
export async function discoverSuites(dir = suitesDir): Promise<Suite[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.endsWith(".d.ts")).sort();
  const out: Suite[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { suite?: Suite; suites?: Suite[]; default?: Suite };
    const found = [mod.suite, ...(mod.suites ?? []), mod.default].filter((s): s is Suite => !!s && Array.isArray(s.cases));
    if (found.length === 0) throw new Error(`${basename(f)}: exports no suite (export const suite = defineSuite({...}))`);
    out.push(...found);
  }
  const names = out.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`two suites are named "${dup}"`);
  return out;
}
