// `tollgate` command line: replay cassettes through the chain, serve it as a local proxy, record.
import { resolve } from "node:path";
import { loadCassettes, type CassetteExchange } from "../replay/cassette";
import { buildChain, loadCreateHost, parseClusterArg, type ChainChoice, type FilterArg } from "../replay/chain";
import { displayPath, failed, outcomeJson, outcomeText, summarize, summaryText } from "../replay/report";
import { runExchanges, type CreateHost } from "../replay/run";
import { formatSplit, parseSplit, type SplitMode } from "../replay/split";
import { startServe } from "../replay/serve";
import { startRecord } from "../replay/record";

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
                  [--cluster NAME=URL]... [--grep REGEX] [--json] [--progress] [--fresh-host]
  tollgate serve  [chain] (--upstream URL | --cassette FILE) [--port P] [--cluster NAME=URL]...
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
}

function positiveInt(flag: string, v: string | undefined, min = 1): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag} needs an integer >= ${min}`);
  return Number(v);
}

export function parseArgs(argv: string[]): Parsed {
  const [command, ...rest] = argv;
  const p: Parsed = { command: command ?? "help", positional: [], chain: {}, split: { kind: "recorded" }, concurrency: 1, json: false, freshHost: false, keepSecrets: false };
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
    const takesValue = (a.startsWith("--") && a.includes("=")) || ["--chain", "--listener", "--filter", "--root-id", "--vm-id", "--config", "--workers", "--concurrency", "--split", "--cluster", "--log-level", "--host", "--upstream", "--cassette", "--out", "--port", "--grep"].includes(a);
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

async function replay(args: Parsed, io: Io): Promise<number> {
  if (!args.positional.length) throw new UsageError("replay needs at least one cassette or folder");
  const cassettes = loadCassettes(args.positional);
  const items: CassetteExchange[] = cassettes.flatMap((c) => c.exchanges).filter((e) => !args.grep || args.grep.test(e.name));
  if (!items.length) throw new Error(args.grep ? `no exchange name matches --grep ${args.grep.source}` : "the cassettes hold no exchanges");
  const chain = buildChain(args.chain);
  const createHost = io.createHost ?? (await loadCreateHost());
  const showProgress = args.progress ?? !!io.stderr.isTTY;
  const log = args.json ? io.stderr : io.stdout;

  if (!args.json) {
    log.write(`chain: ${chain.description}\n`);
    for (const w of chain.bootstrap?.warnings ?? []) log.write(`warning: ${w}\n`);
    const from = cassettes.length <= 3 ? cassettes.map((c) => displayPath(c.file)).join(", ") : `${cassettes.length} cassettes`;
    log.write(`${items.length} exchanges from ${from}, split ${formatSplit(args.split)}\n\n`);
  }
  const started = Date.now();
  let progressShown = false;
  let lastDraw = 0;
  const clearProgress = () => {
    if (progressShown) io.stderr.write("\r\x1b[K");
    progressShown = false;
  };
  const outcomes = await runExchanges(items, {
    newHost: async () => createHost(chain.filters, chain.hostOptions),
    split: args.split,
    concurrency: args.concurrency,
    freshHost: args.freshHost,
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
      if (args.json) io.stdout.write(JSON.stringify(outcomeJson(o, args.split)) + "\n");
      else io.stdout.write(outcomeText(o) + "\n");
    },
  });
  clearProgress();
  const summary = summarize(outcomes);
  log.write(summaryText(summary, args.split, Date.now() - started) + "\n");
  return failed(summary) ? 1 : 0;
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
  const host = await createHost(chain.filters, chain.hostOptions);
  const cassette = args.cassette ? loadCassettes([args.cassette]).flatMap((c) => c.exchanges) : undefined;
  const server = await startServe({ host, upstream: args.upstream, cassette, port: args.port ?? 10000, log: (l) => io.stderr.write(l + "\n") });
  io.stdout.write(`tollgate serve: ${server.url} -> ${args.upstream ?? `cassette ${args.cassette} (${cassette!.length} exchanges)`}\nchain: ${chain.description}\n`);
  io.onListening?.(server);
  await (io.until ?? untilSignal());
  await server.close();
  await host.close();
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
