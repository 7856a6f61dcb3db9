// `tollgate` command line: replay cassettes through the chain, serve it as a local proxy, record.
import { resolve } from "node:path";
import { loadCassettes, type CassetteExchange } from "../replay/cassette";
import { buildChain, loadCreateHost, parseClusterArg, type ChainChoice, type FilterArg } from "../replay/chain";
import { displayPath, failed, outcomeJson, outcomeText, summarize, summaryText } from "../replay/report";
import { runExchanges, type CreateHost, type Outcome } from "../replay/run";
import { formatSplit, parseSplit, type SplitMode } from "../replay/split";
import { startServe } from "../replay/serve";
import { startRecord } from "../replay/record";
import { StandInError, startStandIns, type StandIns } from "../replay/stand-ins";
import { AuditInbox } from "../replay/audit-inbox";
import { auditNote, standInSummary } from "../replay/stand-ins-report";
import { SkipClock } from "../replay/skip-clock";

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Defaults to the real host (host-tests/harness/index.ts). */
  createHost?: CreateHost;
  /** serve/record resolve this once listening (tests use it to find the port and stop). */
  onListening?: (server: { url: string; close(): Promise<void> }) => void;
  /** serve/record run until this resolves; default: until SIGINT/SIGTERM. */
  until?: Promise<void>;
}

export const USAGE = `tollgate — replay and proxy LLM traffic through Tollgate's proxy-wasm filter chain

usage:
  tollgate replay <cassette or folder>... [chain] [--split MODE] [--workers N] [--concurrency N]
                  [--cluster NAME=URL]... [--stand-ins [--ratelimit-config F]] [--grep REGEX]
                  [--json] [--progress] [--fresh-host]
  tollgate serve  [chain] (--upstream URL | --cassette FILE) [--port P] [--cluster NAME=URL]...
                  [--stand-ins [--ratelimit-config F]]
  tollgate record --upstream URL --out FILE [--port P] [--keep-secrets]
  tollgate count-tokens [--encoding o200k_base|cl100k_base] [--chat] [--json | --jsonl]   (see --help)
  tollgate pii scan [--json] [--config FILE]          JSON lines {"text"} in, entities out (see --help)
  tollgate audit verify <file>... [--key-file F | --key-env VAR] [--format auto|ndjson|log|otlp]
                  [--prefix P] [--partial] [--json]    check audit records' hash chains (see --help)

chain (default: no filters, router only):
  --chain envoy.yaml [--listener NAME]    the wasm http_filters of an Envoy bootstrap
  --filter f.wasm [--root-id ID] [--vm-id ID] [--config STRING]
                                          one filter; repeat --filter for more, each followed
                                          by its own --root-id/--vm-id/--config
options:
  --split recorded|size:N|every-byte|random:N[:SEED]
                       how bodies are chunked; every-byte and random replay each exchange once per
                       split and report splits whose result differs from the recorded one
  --workers N          Envoy worker threads (VM clones)            default 1
  --concurrency N      exchanges in flight at once                 default 1
  --cluster NAME=URL   where callouts to cluster NAME go (http://, h2c:// for gRPC)
  --stand-ins          run the services the chain's filters call on loopback and send their
                       clusters there: the cluster a budget's "global" section names gets a
                       rate-limit service (envoyproxy/ratelimit's gRPC API and fixed windows,
                       counting in memory), the one an audit "sinks.http" names an OTLP/NDJSON
                       log collector. Clusters given with --cluster keep their URL. replay then
                       shows each call's audit record, and at the end lets the audit sink flush
                       (jumping the host clock, up to 3 s of real time), verifies the received
                       chains as \`tollgate audit verify\` does and counts rate-limit calls;
                       missing records or a chain that does not verify fail the replay.
                       With the audit collector, lines are printed once the replay is over.
                       The stand-ins live for the whole run: a global budget keeps counting
                       across splits and --fresh-host hosts, as a real shared service would.
  --ratelimit-config F the rate-limit rules (envoyproxy/ratelimit YAML)
                                          default ratelimit/config.yaml beside --chain
  --log-level N        wasm log level 0 trace .. 5 critical         default 2
  --host envoy|kong|apisix  the proxy-wasm host to reproduce (host-tests/harness/README.md,
                       "Host profiles"); with kong, --chain is a Kong declarative file
                       (examples/kong/kong.yaml), with apisix an APISIX routes file with its
                       config.yaml beside it (examples/apisix)   default envoy
  --grep REGEX         replay only exchanges whose name matches
  --json               one JSON object per exchange on stdout, summary on stderr
  --progress           progress counter on stderr (default when stderr is a terminal)
  --fresh-host         a new host per replay: no filter state carries over between splits
  --port P             serve/record listen port on 127.0.0.1        default 10000 / 10001
exit status: 1 if an expectation failed, a split differed or the host failed; 2 on usage errors.
`;

class UsageError extends Error {}

interface Parsed {
  command: string;
  positional: string[];
  chain: ChainChoice;
  split: SplitMode;
  concurrency: number;
  json: boolean;
  progress?: boolean;
  freshHost: boolean;
  upstream?: string;
  cassette?: string;
  out?: string;
  port?: number;
  keepSecrets: boolean;
  grep?: RegExp;
  standIns: boolean;
  ratelimitConfig?: string;
}

function positiveInt(flag: string, v: string | undefined, min = 1): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag} needs an integer >= ${min}`);
  return Number(v);
}

export function parseArgs(argv: string[]): Parsed {
  const [command, ...rest] = argv;
  const p: Parsed = { command: command ?? "help", positional: [], chain: {}, split: { kind: "recorded" }, concurrency: 1, json: false, freshHost: false, keepSecrets: false, standIns: false };
  const filters: FilterArg[] = [];
  const clusters: Record<string, string> = {};
  const current = (flag: string) => {
    const f = filters.at(-1);
    if (!f) throw new UsageError(`${flag} applies to the --filter before it`);
    return f;
  };
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    let v: string | undefined;
    const takesValue = (a.startsWith("--") && a.includes("=")) || ["--chain", "--listener", "--filter", "--root-id", "--vm-id", "--config", "--workers", "--concurrency", "--split", "--cluster", "--log-level", "--host", "--upstream", "--cassette", "--out", "--port", "--grep", "--ratelimit-config"].includes(a);
    let flag = a;
    if (a.startsWith("--") && a.includes("=")) {
      // Split at the first "=", so --cluster=NAME=URL keeps its own.
      flag = a.slice(0, a.indexOf("="));
      v = a.slice(a.indexOf("=") + 1);
    } else if (takesValue) {
      v = rest[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
    }
    switch (flag) {
      case "--chain":
        p.chain.chain = v;
        break;
      case "--listener":
        p.chain.listener = v;
        break;
      case "--filter":
        filters.push({ file: v! });
        break;
      case "--root-id":
        current(flag).rootId = v;
        break;
      case "--vm-id":
        current(flag).vmId = v;
        break;
      case "--config":
        current(flag).config = v;
        break;
      case "--workers":
        p.chain.workers = positiveInt(flag, v);
        break;
      case "--concurrency":
        p.concurrency = positiveInt(flag, v);
        break;
      case "--log-level":
        p.chain.logLevel = positiveInt(flag, v, 0);
        break;
      case "--host":
        if (v !== "envoy" && v !== "kong" && v !== "apisix") throw new UsageError(`--host: envoy, kong or apisix, not ${v}`);
        p.chain.host = v;
        break;
      case "--split":
        try {
          p.split = parseSplit(v!);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        break;
      case "--cluster":
        try {
          const [name, url] = parseClusterArg(v!);
          clusters[name] = url;
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        break;
      case "--json":
        p.json = true;
        break;
      case "--progress":
        p.progress = true;
        break;
      case "--no-progress":
        p.progress = false;
        break;
      case "--fresh-host":
        p.freshHost = true;
        break;
      case "--stand-ins":
        p.standIns = true;
        break;
      case "--ratelimit-config":
        p.ratelimitConfig = v;
        break;
      case "--keep-secrets":
        p.keepSecrets = true;
        break;
      case "--upstream":
        p.upstream = v;
        break;
      case "--cassette":
        p.cassette = v;
        break;
      case "--out":
        p.out = v;
        break;
      case "--port":
        p.port = positiveInt(flag, v, 0);
        break;
      case "--grep":
        try {
          p.grep = new RegExp(v!);
        } catch (e) {
          throw new UsageError(`--grep: ${(e as Error).message}`);
        }
        break;
      case "-h":
      case "--help":
        p.command = "help";
        break;
      default:
        if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
        p.positional.push(a);
    }
  }
  if (filters.length) p.chain.filters = filters;
  if (Object.keys(clusters).length) p.chain.clusters = clusters;
  if (p.chain.chain && filters.length) throw new UsageError("give either --chain or --filter, not both");
  if (p.ratelimitConfig !== undefined && !p.standIns) throw new UsageError("--ratelimit-config goes with --stand-ins");
  return p;
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  if (argv[0] === "count-tokens") return (await import("./count-tokens")).main(argv.slice(1), io);
  if (argv[0] === "pii") return (await import("../pii/scan-cli")).main(argv.slice(1), io);
  if (argv[0] === "audit") return (await import("./audit")).main(argv.slice(1), io);
  let args: Parsed;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`tollgate: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    throw e;
  }
  try {
    switch (args.command) {
      case "replay":
        return await replay(args, io);
      case "serve":
        return await serve(args, io);
      case "record":
        return await record(args, io);
      case "help":
      case "--help":
      case "-h":
        io.stdout.write(USAGE);
        return 0;
      default:
        io.stderr.write(`tollgate: unknown command ${JSON.stringify(args.command)}\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`tollgate: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    io.stderr.write(`tollgate ${args.command}: ${(e as Error).message}\n`);
    return 1;
  }
}

/** --stand-ins: starts them and points the chain's clusters at them (undefined without the flag). */
async function standInsFor(args: Parsed, chain: ReturnType<typeof buildChain>, clock?: SkipClock): Promise<StandIns | undefined> {
  if (!args.standIns) return undefined;
  let standIns: StandIns;
  try {
    standIns = await startStandIns({
      filters: chain.filters,
      bootstrap: chain.bootstrap,
      chainFile: args.chain.chain,
      rateLimitConfig: args.ratelimitConfig,
      explicitClusters: args.chain.clusters,
      clockMs: clock ? () => clock.nowMs() : undefined,
    });
  } catch (e) {
    if (e instanceof StandInError) throw new UsageError(e.message);
    throw e;
  }
  chain.hostOptions.clusters = { ...chain.hostOptions.clusters, ...standIns.clusters };
  if (clock) chain.hostOptions.clock = clock;
  return standIns;
}

async function replay(args: Parsed, io: Io): Promise<number> {
  if (!args.positional.length) throw new UsageError("replay needs at least one cassette or folder");
  const cassettes = loadCassettes(args.positional);
  const items: CassetteExchange[] = cassettes.flatMap((c) => c.exchanges).filter((e) => !args.grep || args.grep.test(e.name));
  if (!items.length) throw new Error(args.grep ? `no exchange name matches --grep ${args.grep.source}` : "the cassettes hold no exchanges");
  const chain = buildChain(args.chain);
  const createHost = io.createHost ?? (await loadCreateHost());
  const clock = args.standIns ? new SkipClock() : undefined;
  const standIns = await standInsFor(args, chain, clock);
  try {
    return await replayWith(args, io, items, cassettes.map((c) => c.file), chain, createHost, standIns, clock);
  } finally {
    await standIns?.close();
  }
}

async function replayWith(args: Parsed, io: Io, items: CassetteExchange[], files: string[], chain: ReturnType<typeof buildChain>, createHost: CreateHost, standIns: StandIns | undefined, clock: SkipClock | undefined): Promise<number> {
  const showProgress = args.progress ?? !!io.stderr.isTTY;
  const log = args.json ? io.stderr : io.stdout;
  const c = standIns?.collector;
  const inbox = c ? new AuditInbox(c.collector, c.role.format, c.role.flushIntervalMs, c.role.hmacKey) : undefined;

  if (!args.json) {
    log.write(`chain: ${chain.description}\n`);
    for (const d of standIns?.descriptions ?? []) log.write(`stand-in: ${d}\n`);
    for (const w of [...(chain.bootstrap?.warnings ?? []), ...(standIns?.warnings ?? [])]) log.write(`warning: ${w}\n`);
    const from = files.length <= 3 ? files.map((f) => displayPath(f)).join(", ") : `${files.length} cassettes`;
    log.write(`${items.length} exchanges from ${from}, split ${formatSplit(args.split)}\n\n`);
  }
  const started = Date.now();
  let progressShown = false;
  let lastDraw = 0;
  const clearProgress = () => {
    if (progressShown) io.stderr.write("\r\x1b[K");
    progressShown = false;
  };
  const print = (o: Outcome) => {
    if (args.json) io.stdout.write(JSON.stringify(inbox ? { ...outcomeJson(o, args.split), requestId: o.requestId ?? null, audit: inbox.recordsFor(o.requestId) } : outcomeJson(o, args.split)) + "\n");
    else io.stdout.write(outcomeText(o, inbox ? [auditNote(inbox)] : []) + "\n");
  };
  const outcomes = await runExchanges(items, {
    newHost: async () => {
      const host = await createHost(chain.filters, chain.hostOptions);
      return inbox && clock ? inbox.wrap(host, clock) : host;
    },
    split: args.split,
    concurrency: args.concurrency,
    freshHost: args.freshHost,
    requestIds: !!inbox,
    onProgress: showProgress
      ? (done, total) => {
          const now = Date.now();
          if (done !== total && now - lastDraw < 100) return;
          lastDraw = now;
          io.stderr.write(`\r\x1b[K${done}/${total} replays`);
          progressShown = true;
        }
      : undefined,
    onOutcome: (o) => {
      clearProgress();
      // With an audit collector a line waits for the record, which the sink ships at the end.
      if (!inbox) print(o);
    },
  });
  clearProgress();
  if (inbox) for (const o of outcomes) print(o);
  const summary = summarize(outcomes);
  const extra = standIns ? standInSummary(standIns, inbox) : { lines: [], failed: false };
  log.write(summaryText(summary, args.split, Date.now() - started, extra.lines, extra.failed) + "\n");
  return failed(summary) || extra.failed ? 1 : 0;
}

function untilSignal(): Promise<void> {
  return new Promise((r) => {
    process.once("SIGINT", () => r());
    process.once("SIGTERM", () => r());
  });
}

async function serve(args: Parsed, io: Io): Promise<number> {
  if (!args.upstream === !args.cassette) throw new UsageError("serve needs exactly one of --upstream URL or --cassette FILE");
  const chain = buildChain(args.chain);
  const createHost = io.createHost ?? (await loadCreateHost());
  const standIns = await standInsFor(args, chain);
  try {
    return await serveWith(args, io, chain, createHost, standIns);
  } finally {
    await standIns?.close();
  }
}

async function serveWith(args: Parsed, io: Io, chain: ReturnType<typeof buildChain>, createHost: CreateHost, standIns: StandIns | undefined): Promise<number> {
  const host = await createHost(chain.filters, chain.hostOptions);
  const cassette = args.cassette ? loadCassettes([args.cassette]).flatMap((c) => c.exchanges) : undefined;
  const server = await startServe({ host, upstream: args.upstream, cassette, port: args.port ?? 10000, log: (l) => io.stderr.write(l + "\n") });
  io.stdout.write(`tollgate serve: ${server.url} -> ${args.upstream ?? `cassette ${args.cassette} (${cassette!.length} exchanges)`}\nchain: ${chain.description}\n`);
  for (const d of standIns?.descriptions ?? []) io.stdout.write(`stand-in: ${d}\n`);
  for (const w of standIns?.warnings ?? []) io.stdout.write(`warning: ${w}\n`);
  io.onListening?.(server);
  await (io.until ?? untilSignal());
  await server.close();
  await host.close();
  const c = standIns?.collector;
  if (c) io.stdout.write(`audit collector stand-in: ${new AuditInbox(c.collector, c.role.format, c.role.flushIntervalMs).count()} records received\n`);
  if (standIns?.rateLimit) io.stdout.write(`rate-limit service stand-in: ${standIns.rateLimit.service.calls.length} calls\n`);
  return 0;
}

async function record(args: Parsed, io: Io): Promise<number> {
  if (!args.upstream || !args.out) throw new UsageError("record needs --upstream URL and --out FILE");
  const rec = await startRecord({ upstream: args.upstream, out: resolve(args.out), port: args.port ?? 10001, keepSecrets: args.keepSecrets, log: (l) => io.stderr.write(l + "\n") });
  io.stdout.write(`tollgate record: ${rec.url} -> ${args.upstream}, writing ${args.out}\n`);
  io.onListening?.(rec);
  await (io.until ?? untilSignal());
  await rec.close();
  io.stdout.write(`recorded ${rec.count} exchanges to ${args.out}\n`);
  return 0;
}
