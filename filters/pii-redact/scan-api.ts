// Plain exports for `tollgate pii scan` and `npm run eval:pii` (to be completed): the same
// detection code the filter runs.
import { Findings } from "../lib/pii/findings";
import { ScanConfig, scanText } from "../lib/pii/scan";

const config = new ScanConfig();
const findings = new Findings();

export function pii_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function pii_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }

/** Scans UTF-8 text at [ptr, +len); returns the number of entities found. */
export function pii_scan(ptr: usize, len: usize): i32 {
  scanText(ptr, len, config, findings);
  return findings.count;
}
