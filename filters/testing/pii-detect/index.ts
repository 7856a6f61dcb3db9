// Test entry for the structured PII detectors (filters/lib/pii/detect-*.ts): plain exports
// host-tests/pii-structured.test.ts drives directly, plus the SDK's ABI surface so the module
// links in Envoy like every dist/*.wasm. Findings go to one UTF-8 output buffer as JSON.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { Findings, PiiType, piiTypeName, subtypeName, PII_TYPE_MAX } from "../../lib/pii/findings";
import { ScanConfig, scanText } from "../../lib/pii/scan";
import { luhnValid, ibanMod97Valid, ssnValid } from "../../lib/pii/validate";

class PiiDetectRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("pii-detect", (contextId: u32): RootContext => new PiiDetectRoot(contextId));

const cfg = new ScanConfig();
for (let t = 1; t <= PII_TYPE_MAX; t++) {
  cfg.enabled[t] = t == PiiType.Email || t == PiiType.Phone || t == PiiType.CreditCard || t == PiiType.Iban ||
    t == PiiType.UsSsn || t == PiiType.IpAddress || t == PiiType.UrlCredentials;
}
const found = new Findings();
let out: ArrayBuffer = new ArrayBuffer(0);

export function pd_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function pd_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function pd_out_ptr(): usize { return changetype<usize>(out); }
export function pd_out_len(): usize { return <usize>out.byteLength; }

/** Threshold applied to every type (0 = report everything the detectors add). */
export function pd_threshold(t: i32): void {
  for (let k = 1; k <= PII_TYPE_MAX; k++) cfg.threshold[k] = t;
}

/** Scans [ptr, +len); returns the finding count, JSON `[[start,end,"TYPE","subtype",score],...]` in the output buffer (byte offsets). */
export function pd_scan(ptr: usize, len: usize): i32 {
  scanText(ptr, len, cfg, found);
  let s = "[";
  for (let i = 0; i < found.count; i++) {
    if (i > 0) s += ",";
    s += "[" + found.start[i].toString() + "," + found.end[i].toString() + ",\"" + piiTypeName(found.type[i]) +
      "\",\"" + subtypeName(found.subtype[i]) + "\"," + found.score[i].toString() + "]";
  }
  s += "]";
  out = String.UTF8.encode(s);
  return found.count;
}

/** Scans without building output: for timing. */
export function pd_scan_count(ptr: usize, len: usize): i32 {
  scanText(ptr, len, cfg, found);
  return found.count;
}

/** Validators on ASCII text at [ptr, +len): kind 0 = Luhn (digits), 1 = mod-97 (IBAN chars), 2 = SSN (9 digits). */
export function pd_validate(kind: i32, ptr: usize, len: usize): bool {
  const n = <i32>len;
  const buf = new StaticArray<u8>(max(n, 1));
  for (let i = 0; i < n; i++) buf[i] = load<u8>(ptr + <usize>i);
  if (kind == 0) {
    for (let i = 0; i < n; i++) buf[i] -= 0x30;
    return luhnValid(buf, n);
  }
  if (kind == 1) return ibanMod97Valid(buf, n);
  if (n != 9) return false;
  let a = 0, g = 0, s = 0;
  for (let i = 0; i < 3; i++) a = a * 10 + (buf[i] - 0x30);
  for (let i = 3; i < 5; i++) g = g * 10 + (buf[i] - 0x30);
  for (let i = 5; i < 9; i++) s = s * 10 + (buf[i] - 0x30);
  return ssnValid(a, g, s);
}
