// Plain exports for `tollgate pii scan` and `npm run eval:pii`: the same detection code the filter
// runs, driven from JavaScript without a proxy-wasm host (host-tests/pii/scanner.ts).
//
//   pii_alloc(len) / pii_free(ptr)   bytes for the caller to write config or text into
//   pii_configure(ptr, len): i32     JSON config (below); 0 = ok, -1 = rejected (pii_error)
//   pii_scan(ptr, len): i32          scans UTF-8 text, returns the entity count (< 0 never)
//   pii_start(i) / pii_end(i)        entity i as UTF-8 *byte* offsets, end exclusive; the JS
//                                    side maps them to UTF-16 indices (it has the string)
//   pii_type(i) / pii_subtype(i) / pii_score(i)   numbers: PiiType, subtype id, 0..100
//   pii_type_name(t), pii_subtype_name(id), pii_secret_family(id), pii_error()
//                                    write UTF-8 into the text buffer at pii_text_ptr() and
//                                    return its length; names are looked up by id so the
//                                    caller can cache them (the scan itself makes no strings)
//
// Configuration (every key optional):
//   {"enabled": ["EMAIL", "SECRET", ...],   types to detect; default all
//    "thresholds": {"PHONE": 60, ...},      minimum score 0..100 per type; default 50
//    "generic_secrets": false,              opt-in generic key=/token= assignments
//    "entities": {"PHONE": {"enabled": true, "threshold": 60, "action": ...}}}
//                                           the filter's per-type form, read after the two above
// Other keys (the filter's actions, custom_patterns, word_lists, ...) are accepted and ignored
// for now, so the filter's configuration file can be given to the tool as it is; custom
// patterns and word lists are to be wired in here once their detectors exist.
import { Findings, PII_TYPE_MAX, piiTypeFromName, piiTypeName, subtypeName } from "../lib/pii/findings";
import { ScanConfig, scanText } from "../lib/pii/scan";
import { secretFamily } from "../lib/pii/detect-secrets";
import { parseJsonAt, ConfigReader, JsonKind, JsonValue } from "../lib/json";

let config = new ScanConfig();
const findings = new Findings();

export function pii_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function pii_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }

// ---- configuration ------------------------------------------------------------------------

let lastError = "";

export function pii_configure(ptr: usize, len: usize): i32 {
  const parsed = parseJsonAt(ptr, len);
  const root = parsed.value;
  if (root === null) {
    lastError = "config: " + parsed.describe();
    return -1;
  }
  const r = new ConfigReader();
  const c = readScanConfig(r, root);
  if (!r.ok) {
    lastError = "config: " + r.errorPath + ": " + r.error;
    return -1;
  }
  // Applied only when valid: a rejected configuration leaves the previous one in force.
  config = c;
  lastError = "";
  return 0;
}

function readScanConfig(r: ConfigReader, root: JsonValue): ScanConfig {
  const c = new ScanConfig();
  if (root.kind != JsonKind.Object) {
    r.fail("$", "must be an object");
    return c;
  }
  const enabled = root.get("enabled");
  if (enabled !== null) {
    const names = r.strings(enabled, "$.enabled");
    for (let t = 1; t <= PII_TYPE_MAX; t++) unchecked(c.enabled[t] = false);
    for (let i = 0; i < names.length; i++) {
      const t = knownType(r, unchecked(names[i]), "$.enabled[" + i.toString() + "]");
      if (t > 0) unchecked(c.enabled[t] = true);
    }
  }
  const thresholds = root.get("thresholds");
  if (thresholds !== null) {
    if (thresholds.kind != JsonKind.Object) r.fail("$.thresholds", "must be an object");
    for (let i = 0; i < thresholds.length; i++) {
      const name = thresholds.keyAt(i);
      const path = "$.thresholds." + name;
      const t = knownType(r, name, path);
      if (t > 0) unchecked(c.threshold[t] = <i32>r.u32(thresholds.valueAt(i), path, 50, 0, 100));
    }
  }
  // The filter's own per-type block (filters/pii-redact/config.ts), so its configuration file
  // scans the same way here; `action` and any other key in it are the filter's business.
  const entities = root.get("entities");
  if (entities !== null) {
    if (entities.kind != JsonKind.Object) r.fail("$.entities", "must be an object");
    for (let i = 0; i < entities.length; i++) {
      const path = "$.entities." + entities.keyAt(i);
      const t = knownType(r, entities.keyAt(i), path);
      const e = entities.valueAt(i);
      if (t == 0 || e === null) continue;
      if (e.kind != JsonKind.Object) {
        r.fail(path, "must be an object");
        continue;
      }
      unchecked(c.enabled[t] = r.bool(e.get("enabled"), path + ".enabled", unchecked(c.enabled[t])));
      unchecked(c.threshold[t] = <i32>r.u32(e.get("threshold"), path + ".threshold", <u32>unchecked(c.threshold[t]), 0, 100));
    }
  }
  c.genericSecrets = r.bool(root.get("generic_secrets"), "$.generic_secrets", false);
  return c;
}

function knownType(r: ConfigReader, name: string, path: string): i32 {
  const t = piiTypeFromName(name);
  if (t == 0) r.fail(path, "is not a PII type (EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS, URL_CREDENTIALS, SECRET, CUSTOM, WORD)");
  return t;
}

// ---- scanning -----------------------------------------------------------------------------

/** Scans UTF-8 text at [ptr, +len); returns the number of entities found. */
export function pii_scan(ptr: usize, len: usize): i32 {
  scanText(ptr, len, config, findings);
  return findings.count;
}

// Out-of-range indices answer -1 rather than trap: a trap would leave the instance unusable.
function inRange(i: i32): bool { return i >= 0 && i < findings.count; }

export function pii_start(i: i32): i32 { return inRange(i) ? unchecked(findings.start[i]) : -1; }
export function pii_end(i: i32): i32 { return inRange(i) ? unchecked(findings.end[i]) : -1; }
export function pii_type(i: i32): i32 { return inRange(i) ? unchecked(findings.type[i]) : -1; }
export function pii_subtype(i: i32): i32 { return inRange(i) ? unchecked(findings.subtype[i]) : -1; }
export function pii_score(i: i32): i32 { return inRange(i) ? unchecked(findings.score[i]) : -1; }

// ---- names, through one reusable text buffer ----------------------------------------------

let text: usize = heap.alloc(256);
let textCap: usize = 256;

function put(s: string): i32 {
  const n = <usize>String.UTF8.byteLength(s);
  if (n > textCap) {
    heap.free(text);
    textCap = n;
    text = heap.alloc(n);
  }
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, text);
  return <i32>n;
}

/** Where the *_name functions, pii_secret_family and pii_error put their answer. */
export function pii_text_ptr(): usize { return text; }

export function pii_type_name(t: i32): i32 { return put(piiTypeName(t)); }
export function pii_subtype_name(id: i32): i32 { return put(subtypeName(id)); }
/** The family of a SECRET subtype ("aws", "github", ...); "" for other subtypes. */
export function pii_secret_family(id: i32): i32 { return put(secretFamily(id)); }
/** Why the last pii_configure failed; "" after a success. */
export function pii_error(): i32 { return put(lastError); }
