// Test entry for the SECRET detectors (filters/lib/pii/detect-secrets.ts): plain exports that
// host-tests/pii-secrets.test.ts drives directly, plus the SDK's ABI surface so the module
// links in Envoy like every dist/*.wasm. Findings go out as JSON (byte offsets, subtype, family)
// in one UTF-8 output buffer.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { Findings, PiiType, subtypeName } from "../../lib/pii/findings";
import { ScanConfig, scanText } from "../../lib/pii/scan";
import { detectSecrets, secretFamily } from "../../lib/pii/detect-secrets";

class PiiSecretsRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("pii-secrets", (contextId: u32): RootContext => new PiiSecretsRoot(contextId));

const found = new Findings();
let out: ArrayBuffer = new ArrayBuffer(0);

function secretsOnly(generic: bool): ScanConfig {
  const cfg = new ScanConfig();
  for (let t = 1; t < cfg.enabled.length; t++) unchecked(cfg.enabled[t] = t == PiiType.Secret);
  cfg.genericSecrets = generic;
  return cfg;
}

const plain = secretsOnly(false);
const withGeneric = secretsOnly(true);

export function ps_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function ps_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function ps_out_ptr(): usize { return changetype<usize>(out); }
export function ps_out_len(): usize { return <usize>out.byteLength; }

/** Scans [ptr, +len) for secrets; returns the finding count, JSON in the output buffer. */
export function ps_scan(ptr: usize, len: usize, generic: bool): i32 {
  scanText(ptr, len, generic ? withGeneric : plain, found);
  let s = "[";
  for (let i = 0; i < found.count; i++) {
    if (i > 0) s += ",";
    const sub = unchecked(found.subtype[i]);
    s += '{"start":' + unchecked(found.start[i]).toString() + ',"end":' + unchecked(found.end[i]).toString() +
      ',"type":' + unchecked(found.type[i]).toString() + ',"score":' + unchecked(found.score[i]).toString() +
      ',"subtype":"' + subtypeName(sub) + '","family":"' + secretFamily(sub) + '"}';
  }
  s += "]";
  out = String.UTF8.encode(s);
  return found.count;
}

/** Scans without building JSON (timing). */
export function ps_count(ptr: usize, len: usize, generic: bool): i32 {
  scanText(ptr, len, generic ? withGeneric : plain, found);
  return found.count;
}

const raw = new Findings();

/**
 * The detectors alone, without scanText's threshold and overlap resolution (timing: resolution
 * compares findings pairwise, which is the scan API's cost, not the detectors').
 */
export function ps_detect(ptr: usize, len: usize, generic: bool): i32 {
  raw.clear();
  detectSecrets(ptr, len, raw, generic);
  return raw.count;
}
