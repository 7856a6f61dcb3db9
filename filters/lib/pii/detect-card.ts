// CREDIT_CARD: digit runs of 12-19 digits, compact or in groups joined by one consistent space
// or dash (4-4-4-4, Amex 4-6-5, ...), confirmed by Luhn and by an issuer's IIN range and
// length. Subtype = brand. Context words ("card", "visa") raise the score; document-number
// words ("order", "tracking", "invoice") lower it below the threshold.
import { Findings, PiiType, subtypeId } from "./findings";
import { DigitRun, standsAlone } from "./detect-digits";
import { DigitRuns } from "./digit-runs";
import { Brand, cardBrand } from "./validate";
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
  runs.classifyOnce(ptr, n);
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
  const lead = scanDigits(ptr, runs, c);
  brand = cardBrand(lead, c);
  if (brand == Brand.None) return 0;
  if (!luhnOk) return 0;
  // 0000 0000 0000 0000 passes Luhn; a run of one digit is a placeholder, not a card.
  if (allSame) return 0;
  let score = 75;
  if (CARD_WORDS.near(ptr, n, run.start, run.end, 48, 16)) score += 20;
  if (NOT_PII_WORDS.before(ptr, n, run.start, 32)) score -= 45;
  return score;
}

/** Results of scanDigits besides its return value. */
let luhnOk = false;
let allSame = false;

/**
 * One pass over the c digits of the groups read, in the text: returns the six leading digits
 * as a number, and sets luhnOk (the mod-10 check: from the right, every second digit doubled,
 * as validate.ts luhnValid) and allSame.
 */
function scanDigits(ptr: usize, runs: DigitRuns, c: i32): i32 {
  const starts = changetype<usize>(runs.starts);
  const ends = changetype<usize>(runs.ends);
  const first = run.first;
  const last = first + run.groupCount;
  const d0 = <u32>load<u8>(ptr + <usize>load<i32>(starts + (<usize>first << 2)));
  let lead = 0;
  let sum: u32 = 0;
  let diff: u32 = 0;
  let j = 0;
  for (let r = first; r < last; r++) {
    const s = load<i32>(starts + (<usize>r << 2));
    const e = load<i32>(ends + (<usize>r << 2));
    tick(e - s);
    for (let x = s; x < e; x++) {
      const b = <u32>load<u8>(ptr + <usize>x);
      if (j < 6) lead = lead * 10 + <i32>(b - 0x30);
      const t = (b - 0x30) << <u32>((c - 1 - j) & 1);
      sum += t > 9 ? t - 9 : t;
      diff |= b ^ d0;
      j++;
    }
  }
  luhnOk = sum % 10 == 0;
  allSame = diff == 0;
  return lead;
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
