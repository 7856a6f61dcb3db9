// `npm run bench` / `node scripts/bench.mjs`: discovers the suites, runs them, prints a table
// (or the report as JSON).
import { DEFAULT_OPTIONS, QUICK_OPTIONS, discoverSuites, runSuites, selectCases, type RunOptions } from "./framework";
import { formatReport } from "./report";

export const USAGE = `tollgate bench - wasm time per proxy-wasm callback, as ratios to a pass-through baseline

usage: node scripts/bench.mjs [--quick] [--filter TEXT] [--iterations N] [--warmup N] [--budget S] [--json] [--list]

  --quick          CI smoke run: ${QUICK_OPTIONS.iterations} iterations after ${QUICK_OPTIONS.warmup} warm-up
  --filter TEXT    only cases whose "<suite>/<case>" contains TEXT (their baselines run too)
  --iterations N   measured iterations per case          default ${DEFAULT_OPTIONS.iterations}
  --warmup N       untimed iterations per case first     default ${DEFAULT_OPTIONS.warmup}
  --budget S       per suite, stop measuring after S seconds once every case has
                   ${DEFAULT_OPTIONS.minIterations} iterations                  default ${DEFAULT_OPTIONS.budgetMs / 1000}
  --json           the whole report as one JSON object on stdout
  --list           the suites and cases, without running them
Suites are host-tests/bench/suites/*.ts. Progress goes to stderr.
`;

export interface Io {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

class UsageError extends Error {}

interface Args {
  json: boolean;
  list: boolean;
  help: boolean;
  options: Partial<RunOptions>;
}

function count(flag: string, v: string | undefined, min: number): number {
  if (v === undefined || !/^\d+$/.test(v) || Number(v) < min) throw new UsageError(`${flag} needs an integer >= ${min}`);
  return Number(v);
}

export function parseArgs(argv: string[]): Args {
  const a: Args = { json: false, list: false, help: false, options: {} };
  let quick = false;
  const explicit: Partial<RunOptions> = {};
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case "--json": a.json = true; break;
      case "--list": a.list = true; break;
      case "--quick": quick = true; break;
      case "-h": case "--help": a.help = true; break;
      case "--filter":
        if (argv[i + 1] === undefined) throw new UsageError("--filter needs a value");
        explicit.filter = argv[++i];
        break;
      case "--iterations": explicit.iterations = count(flag, argv[++i], 1); break;
      case "--warmup": explicit.warmup = count(flag, argv[++i], 0); break;
      case "--budget": explicit.budgetMs = count(flag, argv[++i], 1) * 1000; break;
      default: throw new UsageError(`unknown argument ${flag}`);
    }
  }
  a.options = { ...(quick ? QUICK_OPTIONS : DEFAULT_OPTIONS), ...explicit };
  return a;
}

export async function main(argv: string[], io: Io = process): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(argv);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`bench: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  try {
    const suites = await discoverSuites();
    if (args.list) {
      for (const s of suites) {
        io.stdout.write(`${s.name}${s.description ? ` - ${s.description}` : ""}\n`);
        for (const c of selectCases(s, args.options.filter)) io.stdout.write(`  ${c.name}\n`);
      }
      return 0;
    }
    const report = await runSuites(suites, { ...args.options, progress: (line) => io.stderr.write(`bench: ${line}\n`) });
    if (report.suites.length === 0) {
      io.stderr.write(`bench: no case matches --filter ${JSON.stringify(args.options.filter)}\n`);
      return 2;
    }
    io.stdout.write(args.json ? JSON.stringify(report, null, 2) + "\n" : formatReport(report));
    return 0;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    io.stderr.write(`bench: ${err.message ?? String(e)}\n`);
    if (err.code === "ENOENT" && /\.wasm\b/.test(err.message)) io.stderr.write("bench: the filters are not built: run `npm run build` first\n");
    return 1;
  }
}
