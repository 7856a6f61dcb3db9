// Where the PII scan's time goes, per detector: `npx tsx host-tests/bench/pii-split.ts [TYPE...]`.
// For each bench text (pii-peers/texts.ts), times pii_scan with the default configuration, with
// every type on, and with one type on at a time (each of those includes the shared per-scan
// passes), next to @redactpii/node on the same slices. PII_BENCH_BEFORE=<wasm> times another
// build in the same interleaved rounds (their order alternating) and prints after/before per
// row. A developer's tool for speed work; `npm run bench` stays the measurement of record.
import { Redactor } from "@redactpii/node";
import { loadPiiExports, type PiiScanExports } from "../pii/scanner";
import { devText, mixedText } from "./pii-peers/texts";

const TYPES = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "URL_CREDENTIALS", "SECRET"];
const only = process.argv.slice(2);
const builds: [string, string | undefined][] = [["after", undefined]];
if (process.env.PII_BENCH_BEFORE) builds.push(["before", process.env.PII_BENCH_BEFORE]);
const configs: [string, string[] | null][] = [["default", null], ["all", TYPES], ...(only.length ? only : TYPES).map((t): [string, string[]] => [t, [t]])];
const encoder = new TextEncoder();
const ROUNDS = 40;

function instance(wasm: string | undefined, enabled: string[] | null): PiiScanExports {
  const x = loadPiiExports(wasm);
  if (enabled) {
    const cfg = encoder.encode(JSON.stringify({ enabled }));
    const p = x.pii_alloc(cfg.length);
    new Uint8Array(x.memory.buffer, p, cfg.length).set(cfg);
    if (x.pii_configure(p, cfg.length) !== 0) throw new Error(`configure ${enabled.join(",")} rejected`);
  }
  return x;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[s.length >> 1];
}

for (const text of [devText(), mixedText()]) {
  const slices = text.slices.slice(0, 64);
  const cases: { name: string; run: (k: number) => unknown; samples: number[] }[] = [];
  for (const [cname, enabled] of configs) {
    for (const [bname, wasm] of builds) {
      const x = instance(wasm, enabled);
      const inputs = slices.map((s) => {
        const b = encoder.encode(s);
        const p = x.pii_alloc(b.length);
        new Uint8Array(x.memory.buffer, p, b.length).set(b);
        return [p, b.length] as const;
      });
      cases.push({ name: `${cname}/${bname}`, run: (k) => x.pii_scan(inputs[k][0], inputs[k][1]), samples: [] });
    }
  }
  const redactor = new Redactor();
  cases.push({ name: "@redactpii/node", run: (k) => redactor.redact(slices[k]), samples: [] });
  for (const c of cases) for (let w = 0; w < 300; w++) c.run(w % slices.length);
  for (let r = 0; r < ROUNDS; r++) {
    // Every other round runs the cases backwards: whichever goes first in a round is slower.
    for (const c of r % 2 ? [...cases].reverse() : cases) {
      const t0 = process.hrtime.bigint();
      for (let k = 0; k < slices.length; k++) c.run(k);
      c.samples.push(Number(process.hrtime.bigint() - t0) / slices.length / 1000);
    }
  }
  const peer = median(cases[cases.length - 1].samples);
  console.log(`${text.name}: µs per ~4 KB slice (median of ${ROUNDS} rounds); @redactpii/node ${peer.toFixed(1)} µs`);
  for (let i = 0; i < cases.length - 1; i += builds.length) {
    const after = median(cases[i].samples);
    let line = `  ${cases[i].name.split("/")[0].padEnd(16)} ${after.toFixed(1).padStart(6)} µs  peer/this ${(peer / after).toFixed(2)}x`;
    if (builds.length > 1) {
      const before = median(cases[i + 1].samples);
      line += `  before ${before.toFixed(1)} µs  after/before ${(after / before).toFixed(2)}`;
    }
    console.log(line);
  }
}
