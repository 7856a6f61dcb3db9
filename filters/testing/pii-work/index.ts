// Test entry that counts the PII scan's steps (filters/lib/pii/work.ts): the same scanText as
// the filter, built with the step counter switched on, so host-tests/pii-linear.test.ts can
// show that the work grows linearly with the input without timing anything. Plus the SDK's ABI
// surface so the module links in Envoy like every dist/*.wasm.

// Switches the counter on for this build only (work.ts tests for this global at compile time).
// @ts-ignore: decorator
@global const PII_COUNT_WORK = true;

export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { Findings, PII_TYPE_MAX } from "../../lib/pii/findings";
import { ScanConfig, scanText } from "../../lib/pii/scan";
import { resetWork, workCount } from "../../lib/pii/work";

class PiiWorkRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("pii-work", (contextId: u32): RootContext => new PiiWorkRoot(contextId));

const cfg = new ScanConfig();
const found = new Findings();

export function pw_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function pw_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }

/** Switches the detector of PiiType t on or off (t = 0: every type). */
export function pw_enable(t: i32, on: bool): void {
  for (let k = 1; k <= PII_TYPE_MAX; k++) if (t == 0 || t == k) unchecked(cfg.enabled[k] = on);
}

/** Generic `key=`/`token=` secrets on or off. */
export function pw_generic(on: bool): void { cfg.genericSecrets = on; }

/** Scans [ptr, +len) and returns the steps it took (the finding count is pw_found). */
export function pw_scan(ptr: usize, len: usize): f64 {
  resetWork();
  scanText(ptr, len, cfg, found);
  return <f64>workCount;
}

export function pw_found(): i32 { return found.count; }
