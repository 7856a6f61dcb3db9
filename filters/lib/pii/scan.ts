// One scan of a text: every enabled detector, then the per-type confidence thresholds, then
// overlaps resolved (an entity is reported once: the more confident finding wins, the longer on
// a tie). Offsets are bytes of the UTF-8 text; the caller maps them to whatever it needs.
import { Findings, PiiType, PII_TYPE_MAX } from "./findings";
import {
  detectCreditCards, detectEmails, detectIbans, detectIpAddresses, detectPhones, detectUrlCredentials, detectUsSsns,
} from "./detect-structured";
import { detectSecrets } from "./detect-secrets";

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
  if (unchecked(on[PiiType.CreditCard])) detectCreditCards(ptr, len, f);
  if (unchecked(on[PiiType.Iban])) detectIbans(ptr, len, f);
  if (unchecked(on[PiiType.UsSsn])) detectUsSsns(ptr, len, f);
  if (unchecked(on[PiiType.IpAddress])) detectIpAddresses(ptr, len, f);
  if (unchecked(on[PiiType.Phone])) detectPhones(ptr, len, f);
  for (let i = 0; i < cfg.extras.length; i++) unchecked(cfg.extras[i]).findAll(ptr, len, f);
  resolve(f, cfg, out);
}

/** Threshold, then keep the best of every group of overlapping findings. */
function resolve(f: Findings, cfg: ScanConfig, out: Findings): void {
  out.clear();
  // Insertion order by start (finding counts per text are small).
  for (let i = 0; i < f.count; i++) {
    const t = unchecked(f.type[i]);
    if (t < 1 || t > PII_TYPE_MAX || unchecked(f.score[i]) < unchecked(cfg.threshold[t])) continue;
    const s = unchecked(f.start[i]);
    const e = unchecked(f.end[i]);
    let keep = true;
    for (let j = 0; j < out.count; j++) {
      if (unchecked(out.end[j]) <= s || unchecked(out.start[j]) >= e) continue;
      if (better(f, i, out, j)) {
        out.removeAt(j);
        j--;
      } else {
        keep = false;
        break;
      }
    }
    if (keep) insertSorted(out, s, e, t, unchecked(f.subtype[i]), unchecked(f.score[i]));
  }
}

function better(a: Findings, i: i32, b: Findings, j: i32): bool {
  const sa = unchecked(a.score[i]);
  const sb = unchecked(b.score[j]);
  if (sa != sb) return sa > sb;
  return unchecked(a.end[i]) - unchecked(a.start[i]) > unchecked(b.end[j]) - unchecked(b.start[j]);
}

function insertSorted(out: Findings, s: i32, e: i32, t: i32, sub: i32, score: i32): void {
  out.add(s, e, t, sub, score);
  // Bubble the new last entry into start order.
  let k = out.count - 1;
  while (k > 0 && unchecked(out.start[k - 1]) > unchecked(out.start[k])) {
    swap(out.start, k); swap(out.end, k); swap(out.type, k); swap(out.subtype, k); swap(out.score, k);
    k--;
  }
}

function swap(a: StaticArray<i32>, k: i32): void {
  const x = unchecked(a[k]);
  unchecked(a[k] = a[k - 1]);
  unchecked(a[k - 1] = x);
}
