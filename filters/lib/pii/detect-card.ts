// CREDIT_CARD: digit runs of 12-19 digits, compact or in groups joined by one consistent space
// or dash (4-4-4-4, Amex 4-6-5, ...), confirmed by Luhn and by an issuer's IIN range and
// length. Subtype = brand. Context words ("card", "visa") raise the score; document-number
// words ("order", "tracking", "invoice") lower it below the threshold.
import { Findings, PiiType, subtypeId } from "./findings";
import { at, findDigit, isWordByte } from "./detect-chars";
import { DigitRun, loneGroup, standsAlone, skipDigits } from "./detect-digits";
import { Brand, cardBrand, luhnValid } from "./validate";
import { NOT_PII_WORDS, WordList } from "./context";

const BRAND_IDS: StaticArray<i32> = [
  0, subtypeId("visa"), subtypeId("mastercard"), subtypeId("amex"), subtypeId("discover"),
  subtypeId("diners"), subtypeId("jcb"), subtypeId("unionpay"), subtypeId("maestro"),
  subtypeId("mir"), subtypeId("uatp"),
];

const CARD_WORDS = new WordList(
  "card cc$ ccn$ credit debit visa mastercard amex american_express discover diners jcb unionpay maestro pan$ payment billing expir cvv cvc",
);

const run = new DigitRun();

export function detectCreditCards(ptr: usize, len: usize, out: Findings): void {
  const n = <i32>len;
  let i = 0;
  while (true) {
    i = findDigit(ptr, n, i);
    if (i >= n) break;
    if (isWordByte(at(ptr, n, i - 1))) { i = skipDigits(ptr, n, i); continue; }
    // Most digit runs are short numbers: one group of fewer than 12 digits is no card.
    const lone = loneGroup(ptr, n, i);
    if (lone >= 0 && lone < 12) { i += lone; continue; }
    run.read(ptr, n, i, 19);
    i = run.end;
    const score = cardScore(ptr, n);
    if (score > 0) {
      out.add(run.start, run.end, PiiType.CreditCard, unchecked(BRAND_IDS[cardBrand(run.digits, run.count)]), score);
    }
  }
}

function cardScore(ptr: usize, n: i32): i32 {
  const c = run.count;
  if (c < 12 || c > 19) return 0;
  if (!standsAlone(ptr, n, run.start, run.end)) return 0;
  if (run.groupCount > 1 && !cardGrouping()) return 0;
  const brand = cardBrand(run.digits, c);
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
