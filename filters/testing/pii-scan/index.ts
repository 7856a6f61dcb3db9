// Test entry for timing and profiling the whole PII scan (filters/lib/pii/scan.ts) without the
// pii-redact filter around it: the same scanText the filter and `tollgate pii scan` run, with
// types switched on and off one at a time (where the time goes), plus the SDK's ABI surface so
// the module links in Envoy like every dist/*.wasm. Findings stay in wasm memory; the caller
// reads them one by one (byte offsets).
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { Findings, PII_TYPE_MAX } from "../../lib/pii/findings";
import { ScanConfig, scanText } from "../../lib/pii/scan";

class PiiScanRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("pii-scan", (contextId: u32): RootContext => new PiiScanRoot(contextId));

const cfg = new ScanConfig();
const found = new Findings();

export function ps_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function ps_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }

/** Switches the detector of PiiType t on or off (t = 0: every type). */
export function ps_enable(t: i32, on: bool): void {
  for (let k = 1; k <= PII_TYPE_MAX; k++) if (t == 0 || t == k) unchecked(cfg.enabled[k] = on);
}

/** Threshold of every type (0..100). */
export function ps_threshold(v: i32): void {
  for (let k = 1; k <= PII_TYPE_MAX; k++) unchecked(cfg.threshold[k] = v);
}

export function ps_generic(on: bool): void { cfg.genericSecrets = on; }

/** Scans [ptr, +len); returns the finding count. */
export function ps_scan(ptr: usize, len: usize): i32 {
  scanText(ptr, len, cfg, found);
  return found.count;
}

// Out-of-range indices answer -1 rather than trap.
export function ps_start(i: i32): i32 { return i >= 0 && i < found.count ? unchecked(found.start[i]) : -1; }
export function ps_end(i: i32): i32 { return i >= 0 && i < found.count ? unchecked(found.end[i]) : -1; }
export function ps_type(i: i32): i32 { return i >= 0 && i < found.count ? unchecked(found.type[i]) : -1; }
