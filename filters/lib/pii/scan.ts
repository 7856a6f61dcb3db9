// One scan of a text: every enabled detector, then the per-type confidence thresholds, then
// overlaps resolved (an entity is reported once: the more confident finding wins, the longer on
// a tie). Offsets are bytes of the UTF-8 text; the caller maps them to whatever it needs.
import { Findings, PiiType, PII_TYPE_MAX } from "./findings";
import {
  detectCreditCards, detectEmails, detectIbans, detectIpAddresses, detectPhones, detectUrlCredentials, detectUsSsns,
} from "./detect-structured";
import { detectSecrets } from "./detect-secrets";
import { digitRuns } from "./digit-runs";
import { tick } from "./work";

/** A configured detector beyond the built-in ones: custom patterns, word lists. */
export abstract class ExtraDetector {
  abstract findAll(ptr: usize, len: usize, out: Findings): void;
}

export class ScanConfig {
  /** enabled[t]: detector of PiiType t runs. */
  enabled: StaticArray<bool> = new StaticArray<bool>(PII_TYPE_MAX + 1);
  /** threshold[t]: findings of type t scoring below it are dropped (0..100). */
  threshold: StaticArray<i32> = new StaticArray<i32>(PII_TYPE_MAX + 1);
  /** Generic `key=`/`token=` high-entropy assignments (opt-in: noisy in code-heavy prompts). */
  genericSecrets: bool = false;
  extras: ExtraDetector[] = [];

  constructor() {
    for (let t = 1; t <= PII_TYPE_MAX; t++) {
      unchecked(this.enabled[t] = true);
      unchecked(this.threshold[t] = 50);
    }
  }
}

const raw = new Findings();

export function scanText(ptr: usize, len: usize, cfg: ScanConfig, out: Findings): void {
  const f = raw;
  f.clear();
  const on = cfg.enabled;
  if (unchecked(on[PiiType.Email])) detectEmails(ptr, len, f);
  if (unchecked(on[PiiType.UrlCredentials])) detectUrlCredentials(ptr, len, f);
  if (unchecked(on[PiiType.Secret])) detectSecrets(ptr, len, f, cfg.genericSecrets);
  // The numeric detectors share one index of the text's digit runs (and ':', '+', '(' bytes).
  const runs = digitRuns;
  if (unchecked(on[PiiType.CreditCard]) || unchecked(on[PiiType.Iban]) || unchecked(on[PiiType.UsSsn]) ||
    unchecked(on[PiiType.IpAddress]) || unchecked(on[PiiType.Phone])) runs.build(ptr, <i32>len);
  if (unchecked(on[PiiType.CreditCard])) detectCreditCards(ptr, len, runs, f);
  if (unchecked(on[PiiType.Iban])) detectIbans(ptr, len, runs, f);
  if (unchecked(on[PiiType.UsSsn])) detectUsSsns(ptr, len, runs, f);
  if (unchecked(on[PiiType.IpAddress])) detectIpAddresses(ptr, len, runs, f);
  if (unchecked(on[PiiType.Phone])) detectPhones(ptr, len, runs, f);
  tick(1);
  for (let i = 0; i < cfg.extras.length; i++) unchecked(cfg.extras[i]).findAll(ptr, len, f);
  resolve(f, cfg, out);
}

/**
 * Threshold, then keep the best of every run of overlapping findings: sorted by start, each
 * finding is compared only with the last one kept (kept ones never overlap each other), so a
 * text with thousands of findings stays O(n log n).
 */
function resolve(f: Findings, cfg: ScanConfig, out: Findings): void {
  out.clear();
  const order = orderBuffer(f.count);
  let n = 0;
  tick(f.count);
  for (let i = 0; i < f.count; i++) {
    const t = unchecked(f.type[i]);
    if (t < 1 || t > PII_TYPE_MAX || unchecked(f.score[i]) < unchecked(cfg.threshold[t])) continue;
    order[n++] = i;
  }
  order.length = n;
  sorting = f;
  order.sort(byStart);
  for (let k = 0; k < n; k++) {
    const i = unchecked(order[k]);
    const last = out.count - 1;
    if (last >= 0 && unchecked(out.end[last]) > unchecked(f.start[i])) {
      if (!better(f, i, out, last)) continue;
      out.count = last;
    }
    out.add(unchecked(f.start[i]), unchecked(f.end[i]), unchecked(f.type[i]), unchecked(f.subtype[i]), unchecked(f.score[i]));
  }
}

let sorting: Findings = raw;
let orderArray: i32[] = [];

function orderBuffer(n: i32): i32[] {
  if (orderArray.length < n) orderArray = new Array<i32>(n);
  orderArray.length = n;
  return orderArray;
}

function byStart(a: i32, b: i32): i32 {
  tick(1);
  const f = sorting;
  const d = unchecked(f.start[a]) - unchecked(f.start[b]);
  return d != 0 ? d : a - b;
}

function better(a: Findings, i: i32, b: Findings, j: i32): bool {
  const sa = unchecked(a.score[i]);
  const sb = unchecked(b.score[j]);
  if (sa != sb) return sa > sb;
  return unchecked(a.end[i]) - unchecked(a.start[i]) > unchecked(b.end[j]) - unchecked(b.start[j]);
}
