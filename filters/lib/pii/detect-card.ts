// CREDIT_CARD: digit runs of 12-19 digits, compact or in groups joined by one consistent space
// or dash (4-4-4-4, Amex 4-6-5, ...), confirmed by Luhn and by an issuer's IIN range and
// length. Subtype = brand. Context words ("card", "visa") raise the score; document-number
// words ("order", "tracking", "invoice") lower it below the threshold.
import { Findings, PiiType, subtypeId } from "./findings";
import { DigitRun, standsAlone } from "./detect-digits";
import { DigitRuns } from "./digit-runs";
import { Brand, cardBrand, luhnValid } from "./validate";
import { NOT_PII_WORDS, WordList } from "./context";
import { tick } from "./work";

const BRAND_IDS: StaticArray<i32> = [
  0, subtypeId("visa"), subtypeId("mastercard"), subtypeId("amex"), subtypeId("discover"),
  subtypeId("diners"), subtypeId("jcb"), subtypeId("unionpay"), subtypeId("maestro"),
  subtypeId("mir"), subtypeId("uatp"),
];

const CARD_WORDS = new WordList(
  "card cc$ ccn$ credit debit visa mastercard amex american_express discover diners jcb unionpay maestro pan$ payment billing expir cvv cvc",
);

const run = new DigitRun();
/** The brand of the run cardScore last accepted. */
let brand: Brand = Brand.None;

/**
 * Walks the card and SSN candidates of `runs` (built for this text: runs not glued to a word,
 * grouped or of 9+ digits) from left to right; `i` (the end of what was read last, never
 * inside a run) skips the runs a candidate swallowed.
 */
export function detectCreditCards(ptr: usize, len: usize, runs: DigitRuns, out: Findings): void {
  const n = <i32>len;
  const starts = runs.starts;
  const nums = runs.nums;
  const nc = runs.numCount;
  let i = 0;
  for (let c = 0; c < nc; c++) {
    tick(1);
    const k = unchecked(nums[c]);
    if (unchecked(starts[k]) < i) continue;
    run.read(ptr, n, runs, k, 19);
    i = run.end;
    const score = cardScore(ptr, n, runs);
    if (score > 0) {
      out.add(run.start, run.end, PiiType.CreditCard, unchecked(BRAND_IDS[brand]), score);
    }
  }
}

function cardScore(ptr: usize, n: i32, runs: DigitRuns): i32 {
  const c = run.count;
  if (c < 12 || c > 19) return 0;
  if (!standsAlone(ptr, n, run.start, run.end)) return 0;
  if (run.groupCount > 1 && !cardGrouping()) return 0;
  run.fillDigits(ptr, runs);
  brand = cardBrand(run.digits, c);
  if (brand == Brand.None) return 0;
  if (!luhnValid(run.digits, c)) return 0;
  // 0000 0000 0000 0000 passes Luhn; a run of one digit is a placeholder, not a card.
  let same = true;
  for (let k = 1; k < c; k++) if (unchecked(run.digits[k]) != unchecked(run.digits[0])) same = false;
  if (same) return 0;
  let score = 75;
  if (CARD_WORDS.near(ptr, n, run.start, run.end, 48, 16)) score += 20;
  if (NOT_PII_WORDS.before(ptr, n, run.start, 32)) score -= 45;
  return score;
}

/** Printed groupings: a first group of 4, then groups of 4-6 (Amex/Diners 6), last 3-6. */
function cardGrouping(): bool {
  const g = run.groupCount;
  if (run.group(0) != 4) return false;
  for (let k = 1; k < g; k++) {
    const x = run.group(k);
    if (k < g - 1 ? x < 4 || x > 6 : x < 3 || x > 6) return false;
  }
  return true;
}
