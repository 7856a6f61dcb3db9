// IBAN: anchored on two letters and two digits at a word start (country + check digits). The
// country fixes the total length (registry table in validate.ts); the characters are read
// compact, or in groups of four separated by single spaces as printed, and confirmed by
// mod-97. Lower-case IBANs are accepted (people type them), checked as upper case.
import { Findings, PiiType, subtypeId } from "./findings";
import { at, isAlnum, isDigit, isWordByte } from "./detect-chars";
import { DigitRuns } from "./digit-runs";
import { ibanLength } from "./validate";
import { WordList } from "./context";
import { tick } from "./work";

const SUB_IBAN = subtypeId("iban");
const IBAN_WORDS = new WordList("iban bank account acct$ transfer swift bic$ sepa wire");

@inline function upper(b: u32): u8 { return <u8>(b >= 0x61 && b <= 0x7A ? b - 0x20 : b); }

export function detectIbans(ptr: usize, len: usize, runs: DigitRuns, out: Findings): void {
  const n = <i32>len;
  runs.classifyOnce(ptr, n);
  // An IBAN starts at s with letters at s, s+1 and digits at s+2, s+3: only the first digit of
  // a digit run can be the s+2 of a candidate, and the index lists the runs with two letters
  // before them at a word start, so the scan jumps from candidate to candidate.
  let i = 0; // no candidate starts before i (the end of the last IBAN found)
  const starts = runs.starts;
  const ibans = runs.ibans;
  const ic = runs.ibanCount;
  for (let c = 0; c < ic; c++) {
    tick(1);
    const s = unchecked(starts[unchecked(ibans[c])]) - 2;
    // (A '_' among the two "letters" gets no length from ibanLength: readIban rejects it.)
    if (s < i || s + 4 >= n || !isDigit(at(ptr, n, s + 3))) continue;
    const end = readIban(ptr, n, s);
    if (end > 0) {
      let score = 85;
      if (IBAN_WORDS.before(ptr, n, s, 40)) score += 10;
      out.add(s, end, PiiType.Iban, SUB_IBAN, score);
      i = end;
    }
  }
}

/**
 * End of a valid IBAN starting at s, or 0. s, s+1 are letters and s+2, s+3 digits (the caller
 * checked). The characters after those four are folded into the mod-97 remainder as they are
 * read (validate.ts ibanMod97Valid does the same on a buffer): the first four go last, as
 * ISO 13616 moves them, so they join at the end as one six-digit number.
 */
function readIban(ptr: usize, n: i32, s: i32): i32 {
  const c0 = <u32>upper(at(ptr, n, s));
  const c1 = <u32>upper(at(ptr, n, s + 1));
  const L = ibanLength(c0, c1);
  if (L == 0) return 0;
  let k = s + 4;
  let cnt = 4;
  let spaced = false;
  let r: u32 = 0;
  while (cnt < L) {
    tick(1);
    const b = at(ptr, n, k);
    if ((cnt & 3) == 0 && b == 0x20 && isAlnum(at(ptr, n, k + 1)) && (cnt == 4 || spaced)) {
      spaced = true;
      k++;
      continue;
    }
    if (!isAlnum(b)) return 0;
    // Printed groups are exactly four characters: a fifth one means this is not one IBAN.
    if (spaced && cnt > 4 && (cnt & 3) == 0 && at(ptr, n, k - 1) != 0x20) return 0;
    const u = <u32>upper(b);
    r = u < 0x3A ? r * 10 + (u - 0x30) : r * 100 + (u - 0x41 + 10);
    if (r >= 1 << 24) r %= 97; // keeps r * 100 + 35 below 2^32
    cnt++;
    k++;
  }
  if (isWordByte(at(ptr, n, k))) return 0;
  // Country letters as 10..35, then the two check digits.
  const head = ((c0 - 0x41 + 10) * 100 + (c1 - 0x41 + 10)) * 100 + (at(ptr, n, s + 2) - 0x30) * 10 + (at(ptr, n, s + 3) - 0x30);
  if (((r % 97) * 1000000 + head) % 97 != 1) return 0;
  return k;
}
