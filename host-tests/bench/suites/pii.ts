// The pii suite: Tollgate's PII scanner (dist/pii-redact.wasm) against the npm peers a JS
// gateway would reach for (@redactpii/node, openredaction, redact-pii, secretlint), on the same
// texts in the same rounds (issue 5: >= 10x the fastest peer's throughput).
//
// Throughput: every case is a JS case timed whole. Per text, two Tollgate rows:
// - `tollgate` (the baseline, the headline): the scan a gateway performs, pii_scan on the UTF-8
//   bytes already in wasm memory, findings left in wasm memory (pii-peers/tollgate.ts);
// - `tollgate-js`: the same scan end to end through the JS glue host-tests/pii/scanner.ts
//   (`tollgate pii scan` and the eval use it): string in, entities with UTF-16 offsets out.
// Peers are timed on their own call. Ratios divide by `tollgate` on the same text, so a peer's
// ratio reads "Tollgate's scan is N x faster than this peer", and `tollgate-js`'s ratio is what
// the glue adds; the smallest peer ratio of a text is Tollgate against the fastest peer.
//
// Accuracy: per-type precision/recall of each scanner on the dev set, scored by
// host-tests/pii/eval.ts, computed once while the Tollgate cases are prepared (untimed) and
// printed as the suite's description, which the framework reads after measuring. That is the
// one place the framework prints per-suite text without being changed for this suite.
import { defineSuite, type BenchCase } from "../framework";
import { formatAccuracy, measureAccuracy, type PiiAccuracy } from "../pii-peers/accuracy";
import { devText, mixedText, type SlicedText } from "../pii-peers/texts";
import { tollgateWasmScan } from "../pii-peers/tollgate";
import type { PiiPeer } from "../pii-peers/types";

export const SCANNER_NAMES = ["tollgate", "@redactpii/node", "openredaction", "redact-pii", "secretlint"] as const;
/** Per text: the headline wasm scan, the scan through the JS glue, then the peers. */
export const CASE_NAMES = ["tollgate", "tollgate-js", ...SCANNER_NAMES.slice(1)] as const;
export const TEXTS: SlicedText[] = [devText(), mixedText()];

// Peers are imported on first use: discovering the suites (--list, other suites' runs) should
// not load five scanners.
let peers: Promise<PiiPeer[]> | null = null;
export function loadPeers(): Promise<PiiPeer[]> {
  peers ??= import("../pii-peers/index").then(({ SCANNERS }) => SCANNERS.map((s) => s.load()));
  return peers;
}

let accuracy: Promise<PiiAccuracy> | null = null;
let accuracyText: string | null = null;
/** Dev-set scores of every scanner; computed once per process. */
export function piiAccuracy(): Promise<PiiAccuracy> {
  accuracy ??= loadPeers().then(measureAccuracy).then((a) => ((accuracyText = formatAccuracy(a)), a));
  return accuracy;
}

const SUMMARY = `scan throughput on ${TEXTS.map((t) => `${t.name} (${t.slices.length} slices, ${Math.round(t.bytes / 1024)} KB)`).join(" and ")}, one ~4 KB slice per call; tollgate = pii_scan on UTF-8 bytes in wasm memory (what the filter runs), tollgate-js = the same through the JS glue (string in, entities with UTF-16 offsets out); peer ratio = how many times faster Tollgate's scan is (target: the smallest >= 10x)`;

/**
 * PII_BENCH_BEFORE=<path of another pii-redact build> adds a `tollgate-before` row per text: the
 * same wasm scan with that build, so a change to the scanner is measured before/after in the
 * same rounds as everything else (its ratio = before / after).
 */
const BEFORE_WASM = process.env.PII_BENCH_BEFORE;

function cases(): BenchCase[] {
  const out: BenchCase[] = [];
  for (const text of TEXTS) {
    const baseline = `${text.name}/tollgate`;
    if (BEFORE_WASM) {
      out.push({
        kind: "js",
        name: `${text.name}/tollgate-before`,
        baseline,
        bytes: Math.round(text.bytes / text.slices.length),
        prepare: async () => {
          const { slices } = text;
          let i = 0;
          const scan = tollgateWasmScan(slices, BEFORE_WASM);
          return () => scan(i++ % slices.length);
        },
      });
    }
    for (const name of CASE_NAMES) {
      out.push({
        kind: "js",
        name: `${text.name}/${name}`,
        baseline,
        bytes: Math.round(text.bytes / text.slices.length),
        prepare: async () => {
          const { slices } = text;
          let i = 0;
          if (name === "tollgate") {
            await piiAccuracy();
            const scan = tollgateWasmScan(slices);
            return () => scan(i++ % slices.length);
          }
          const peerName = name === "tollgate-js" ? "tollgate" : name;
          const peer = (await loadPeers()).find((p) => p.name === peerName)!;
          return () => peer.run(slices[i++ % slices.length]);
        },
      });
    }
  }
  return out;
}

export const suite = defineSuite({
  name: "pii",
  // openredaction takes milliseconds per 4 KB slice: 300 warm-ups of it alone would take minutes.
  // 30 rounds over every slice still let V8 optimise each scanner's path before timing.
  warmup: 30,
  get description() {
    return accuracyText ? `${SUMMARY}\n${accuracyText}` : SUMMARY;
  },
  cases: cases(),
  baseline: (c) => c.baseline!,
});
