// US_SSN: `ddd-dd-dddd` or `ddd dd dddd` (one separator used twice), or nine bare digits when
// "ssn"/"social security" is near (nine digits alone are too common to report). SSA rules:
// area not 000/666/900-999, group not 00, serial not 0000.
import { Findings, PiiType, subtypeId } from "./findings";
import { at } from "./detect-chars";
import { DigitRun, standsAlone } from "./detect-digits";
import { DigitRuns } from "./digit-runs";
import { ssnValid } from "./validate";
import { WordList } from "./context";
import { tick } from "./work";

const SUB_SSN = subtypeId("ssn");
const SSN_WORDS = new WordList("ssn ssns$ social_security soc_sec ss# ss$ taxpayer tin$ itin$");
// Numbers introduced as phones or accounts are not SSNs even when shaped like one.
const NOT_SSN_WORDS = new WordList("phone tel$ fax mobile cell call order invoice account acct$ routing zip$ isbn tracking");

const run = new DigitRun();

/** Walks the card and SSN candidates of `runs` (built for this text) as detectCreditCards does. */
export function detectUsSsns(ptr: usize, len: usize, runs: DigitRuns, out: Findings): void {
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
    run.read(ptr, n, runs, k, 9);
    i = run.end;
    if (run.count != 9 || !standsAlone(ptr, n, run.start, run.end)) continue;
    const g = run.groupCount;
    const shaped = g == 3 && run.group(0) == 3 && run.group(1) == 2 && run.group(2) == 4;
    if (!shaped && g != 1) continue;
    run.fillDigits(ptr, runs);
    if (!ssnValid(run.value(0, 3), run.value(3, 5), run.value(5, 9))) continue;
    const ctx = SSN_WORDS.before(ptr, n, run.start, 40);
    let score: i32;
    if (!shaped) score = ctx ? 80 : 0;
    else score = (run.sep == 0x2D ? 60 : 55) + (ctx ? 35 : 0);
    if (NOT_SSN_WORDS.before(ptr, n, run.start, 24)) score -= 30;
    if (at(ptr, n, run.start - 1) == 0x2B || at(ptr, n, run.start - 1) == 0x28) score -= 30;
    if (score > 0) out.add(run.start, run.end, PiiType.UsSsn, SUB_SSN, score);
  }
}
