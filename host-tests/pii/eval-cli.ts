// `npm run eval:pii`: the pii-redact wasm scored on the labelled dev set. A report, not a gate:
// it exits 0 whatever the numbers (host-tests/pii-eval.test.ts asserts the targets).
import { DEV_SET, evaluate, loadRecords, SCORED_TYPES } from "./eval";
import { formatMisses, formatTable, selectMisses } from "./eval-report";
import { loadPiiScanner, PII_WASM } from "./scanner";

export const EVAL_USAGE = `usage: npm run eval:pii -- [--json] [--misses TYPE] [--data FILE] [--wasm FILE] [--config FILE]

Scores dist/pii-redact.wasm on labelled texts (default host-tests/pii/data/pii-dev.jsonl): per
record only the types in its scope, optional spans ignored, a match = same type and overlap of at
least half the longer span. Prints precision/recall per type (SECRET also per family) against
the targets of issue 5.
  --json          the result as one JSON object (rows and misses)
  --misses TYPE   also list false positives and negatives of TYPE (or one row: SECRET/aws), in context
  --data FILE     another labelled file in the same format
  --wasm FILE     another build of the filter
  --config FILE   scan configuration (see tollgate pii scan --help)
`;

export interface EvalIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

export async function main(argv: string[], io: EvalIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const o: { json: boolean; misses?: string; data: string; wasm: string; config?: string } = { json: false, data: DEV_SET, wasm: PII_WASM };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const need = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === "--json") o.json = true;
      else if (a === "--misses") o.misses = need();
      else if (a === "--data") o.data = need();
      else if (a === "--wasm") o.wasm = need();
      else if (a === "--config") o.config = need();
      else if (a === "-h" || a === "--help") {
        io.stdout.write(EVAL_USAGE);
        return 0;
      } else throw new Error(`unknown argument ${JSON.stringify(a)}`);
    } catch (e) {
      io.stderr.write(`eval:pii: ${(e as Error).message}\n\n${EVAL_USAGE}`);
      return 2;
    }
  }
  if (o.misses && !SCORED_TYPES.includes(o.misses.split("/")[0])) {
    io.stderr.write(`eval:pii: --misses takes one of ${SCORED_TYPES.join(", ")} (or SECRET/<family>)\n`);
    return 2;
  }
  const { readFileSync } = await import("node:fs");
  const scanner = loadPiiScanner(o.wasm, o.config ? readFileSync(o.config, "utf8") : undefined);
  const result = evaluate(loadRecords(o.data), (text) => scanner.scan(text));
  const misses = o.misses ? selectMisses(result.misses, o.misses) : [];
  if (o.json) {
    io.stdout.write(JSON.stringify({ records: result.records, rows: result.rows, ...(o.misses ? { misses } : {}) }, null, 2) + "\n");
  } else {
    io.stdout.write(formatTable(result));
    if (o.misses) io.stdout.write(`\nmisses for ${o.misses}:\n` + formatMisses(misses));
  }
  return 0;
}
