// US_SSN: `ddd-dd-dddd` or `ddd dd dddd` (one separator used twice), or nine bare digits when
// "ssn"/"social security" is near (nine digits alone are too common to report). SSA rules:
// area not 000/666/900-999, group not 00, serial not 0000.
import { Findings, PiiType, subtypeId } from "./findings";
import { at, findDigit, isWordByte } from "./detect-chars";
import { DigitRun, loneGroup, standsAlone, skipDigits } from "./detect-digits";
import { ssnValid } from "./validate";
import { WordList } from "./context";

const SUB_SSN = subtypeId("ssn");
const SSN_WORDS = new WordList("ssn ssns$ social_security soc_sec ss# ss$ taxpayer tin$ itin$");
// Numbers introduced as phones or accounts are not SSNs even when shaped like one.
const NOT_SSN_WORDS = new WordList("phone tel$ fax mobile cell call order invoice account acct$ routing zip$ isbn tracking");

const run = new DigitRun();

export function detectUsSsns(ptr: usize, len: usize, out: Findings): void {
  const n = <i32>len;
  let i = 0;
  while (true) {
    i = findDigit(ptr, n, i);
    if (i >= n) break;
    if (isWordByte(at(ptr, n, i - 1))) { i = skipDigits(ptr, n, i); continue; }
    // Most digit runs are short numbers: one group of other than nine digits is no SSN.
    const lone = loneGroup(ptr, n, i);
    if (lone >= 0 && lone != 9) { i += lone; continue; }
    run.read(ptr, n, i, 9);
    i = run.end;
    if (run.count != 9 || !standsAlone(ptr, n, run.start, run.end)) continue;
    const g = run.groupCount;
    const shaped = g == 3 && run.group(0) == 3 && run.group(1) == 2 && run.group(2) == 4;
    if (!shaped && g != 1) continue;
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
