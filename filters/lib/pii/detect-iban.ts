// IBAN: anchored on two letters and two digits at a word start (country + check digits). The
// country fixes the total length (registry table in validate.ts); the characters are read
// compact, or in groups of four separated by single spaces as printed, and confirmed by
// mod-97. Lower-case IBANs are accepted (people type them), checked as upper case.
import { Findings, PiiType, subtypeId } from "./findings";
import { at, isAlnum, isDigit, isWordByte } from "./detect-chars";
import { DigitRuns } from "./digit-runs";
import { ibanLength, ibanMod97Valid } from "./validate";
import { WordList } from "./context";
import { tick } from "./work";

const SUB_IBAN = subtypeId("iban");
const IBAN_WORDS = new WordList("iban bank account acct$ transfer swift bic$ sepa wire");

const buf = new StaticArray<u8>(40);

@inline function upper(b: u32): u8 { return <u8>(b >= 0x61 && b <= 0x7A ? b - 0x20 : b); }

export function detectIbans(ptr: usize, len: usize, runs: DigitRuns, out: Findings): void {
  const n = <i32>len;
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

/** End of a valid IBAN starting at s, or 0. */
function readIban(ptr: usize, n: i32, s: i32): i32 {
  const L = ibanLength(upper(at(ptr, n, s)), upper(at(ptr, n, s + 1)));
  if (L == 0) return 0;
  let k = s;
  let cnt = 0;
  let spaced = false;
  while (cnt < L) {
    tick(1);
    const b = at(ptr, n, k);
    if (cnt > 0 && (cnt & 3) == 0 && b == 0x20 && isAlnum(at(ptr, n, k + 1)) && (cnt == 4 || spaced)) {
      spaced = true;
      k++;
      continue;
    }
    if (!isAlnum(b)) return 0;
    // Printed groups are exactly four characters: a fifth one means this is not one IBAN.
    if (spaced && cnt > 4 && (cnt & 3) == 0 && at(ptr, n, k - 1) != 0x20) return 0;
    unchecked(buf[cnt] = upper(b));
    cnt++;
    k++;
  }
  if (isWordByte(at(ptr, n, k))) return 0;
  if (!ibanMod97Valid(buf, L)) return 0;
  return k;
}
