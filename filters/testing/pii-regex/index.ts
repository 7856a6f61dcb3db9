// Test entry for filters/lib/pii/regex, words.ts and custom.ts: plain exports that
// host-tests/pii-regex.test.ts drives directly, plus the SDK's ABI surface so the module links
// in Envoy like every dist/*.wasm. Messages go to one UTF-8 output buffer; match offsets to
// the Findings arrays (byte offsets), read in place through their pointers.
// The scan's step counter (filters/lib/pii/work.ts) is on in this build: the linear-time tests
// count steps (rx_work) instead of timing.
// @ts-ignore: decorator
@global const PII_COUNT_WORK = true;

export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { Findings, PiiType, subtypeName } from "../../lib/pii/findings";
import { CustomPatternDetector, WordListDetector, compileCustomPattern } from "../../lib/pii/custom";
import { ScanConfig, scanText } from "../../lib/pii/scan";
import { resetWork, workCount } from "../../lib/pii/work";

class PiiRegexRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("pii-regex", (contextId: u32): RootContext => new PiiRegexRoot(contextId));

let out: ArrayBuffer = new ArrayBuffer(0);
let pattern: CustomPatternDetector | null = null;
let words: WordListDetector | null = null;
const found = new Findings();

function setOut(s: string): void {
  out = String.UTF8.encode(s);
}

export function rx_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function rx_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function rx_out_ptr(): usize { return changetype<usize>(out); }
export function rx_out_len(): usize { return <usize>out.byteLength; }
export function rx_starts_ptr(): usize { return changetype<usize>(found.start); }
export function rx_ends_ptr(): usize { return changetype<usize>(found.end); }
export function rx_types_ptr(): usize { return changetype<usize>(found.type); }

/**
 * Compiles the UTF-8 pattern at [ptr, +len) as detector "custom-test". Returns the program size
 * (> 0), or -1 with the error message in the output buffer.
 */
export function rx_compile(ptr: usize, len: usize, caseInsensitive: bool): i32 {
  const r = compileCustomPattern(String.UTF8.decodeUnsafe(ptr, len), caseInsensitive);
  if (r.pattern === null) {
    setOut(r.error);
    pattern = null;
    return -1;
  }
  setOut("");
  const p = changetype<CustomPatternDetector>(new CustomPatternDetector(r.pattern!, "custom-test", 80));
  pattern = p;
  return p.pattern.size;
}

/** Every match of the compiled pattern in [ptr, +len): the count; offsets via rx_starts/ends_ptr. */
export function rx_find_all(ptr: usize, len: usize): i32 {
  found.clear();
  if (pattern !== null) pattern!.findAll(ptr, len, found);
  return found.count;
}

/** Builds a word list from the newline-separated UTF-8 words at [ptr, +len); returns the distinct word count. */
export function wl_build(ptr: usize, len: usize, caseInsensitive: bool, wholeWords: bool): i32 {
  const list = String.UTF8.decodeUnsafe(ptr, len).split("\n");
  const d = new WordListDetector(list, "customers", 90, caseInsensitive, wholeWords);
  words = d;
  return d.words.words;
}

export function wl_find_all(ptr: usize, len: usize): i32 {
  found.clear();
  if (words !== null) words!.findAll(ptr, len, found);
  return found.count;
}

/**
 * scanText with both configured detectors as extras and every built-in type off: the resolved
 * findings (types via rx_types_ptr), subtype names newline-separated in the output buffer.
 */
export function rx_scan(ptr: usize, len: usize): i32 {
  const cfg = new ScanConfig();
  for (let t = 1; t <= PiiType.Secret; t++) unchecked(cfg.enabled[t] = false);
  if (pattern !== null) cfg.extras.push(pattern!);
  if (words !== null) cfg.extras.push(words!);
  scanText(ptr, len, cfg, found);
  let names = "";
  for (let i = 0; i < found.count; i++) names += (i > 0 ? "\n" : "") + subtypeName(unchecked(found.subtype[i]));
  setOut(names);
  return found.count;
}

/** Steps counted since the last rx_work_reset (patterns' and word lists' matching included). */
export function rx_work(): f64 { return <f64>workCount; }
export function rx_work_reset(): void { resetWork(); }
