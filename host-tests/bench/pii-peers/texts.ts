// The texts every scanner in the pii bench gets, cut into request-sized slices.
//
// Slices rather than one call on everything: the slowest peer (openredaction) needs ~9 ms per
// KB, and the framework runs every case hundreds of times to warm up, so a case's iteration must
// stay in the tens of ms for it. A gateway scans request bodies of a few KB anyway. Every case
// walks the same slices in the same order (an iteration = the next slice, wrapping), so medians
// compare the same work.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../framework";
import { loadRecords } from "../../pii/eval";

export const SLICE_BYTES = 4096;
export const MIXED_BYTES = 1 << 20;

export interface SlicedText {
  name: string;
  slices: string[];
  /** UTF-8 bytes of all slices. */
  bytes: number;
}

const utf8 = (s: string) => Buffer.byteLength(s, "utf8");

/** Pieces joined with `sep` into slices of at least `SLICE_BYTES` (a piece is never split). */
function slice(name: string, pieces: string[], sep: string): SlicedText {
  const slices: string[] = [];
  let cur: string[] = [];
  let size = 0;
  for (const p of pieces) {
    cur.push(p);
    size += utf8(p) + utf8(sep);
    if (size >= SLICE_BYTES) {
      slices.push(cur.join(sep));
      cur = [];
      size = 0;
    }
  }
  if (cur.length) slices.push(cur.join(sep));
  return { name, slices, bytes: slices.reduce((n, s) => n + utf8(s), 0) };
}

/** The dev set's texts (69 KB, PII on most lines), in file order. */
export function devText(): SlicedText {
  return slice("dev", loadRecords().map((r) => r.text), "\n\n");
}

/**
 * ~1 MB of traffic-like text: each dev record followed by ~1 KB of this repository's prose and
 * code (READMEs, TypeScript) with no PII, repeated, so most bytes are clean and entities are
 * sparse, as in real prompts. Cut at line ends.
 */
export function mixedText(): SlicedText {
  const clean = ["README.md", "host-tests/bench/README.md", "host-tests/bench/framework.ts", "host-tests/harness/host.ts"]
    .map((f) => readFileSync(join(repoRoot, f), "utf8"))
    .join("\n")
    .split("\n");
  const records = loadRecords().map((r) => r.text);
  const lines: string[] = [];
  let bytes = 0;
  for (let i = 0, c = 0; bytes < MIXED_BYTES; i++) {
    const rec = records[i % records.length];
    lines.push(rec);
    bytes += utf8(rec) + 1;
    for (let k = 0; k < 1024 && bytes < MIXED_BYTES; c++) {
      const l = clean[c % clean.length];
      lines.push(l);
      k += utf8(l) + 1;
      bytes += utf8(l) + 1;
    }
  }
  return slice("mixed-1mb", lines, "\n");
}
