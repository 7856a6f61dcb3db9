// IBAN: anchored on two letters and two digits at a word start (country + check digits). The
// country fixes the total length (registry table in validate.ts); the characters are read
// compact, or in groups of four separated by single spaces as printed, and confirmed by
// mod-97. Lower-case IBANs are accepted (people type them), checked as upper case.
import { Findings, PiiType, subtypeId } from "./findings";
import { at, isAlnum, isAlpha, isDigit, isWordByte } from "./detect-chars";
import { ibanLength, ibanMod97Valid } from "./validate";
import { WordList } from "./context";

const SUB_IBAN = subtypeId("iban");
const IBAN_WORDS = new WordList("iban bank account acct$ transfer swift bic$ sepa wire");

const buf = new StaticArray<u8>(40);

@inline function upper(b: u32): u8 { return <u8>(b >= 0x61 && b <= 0x7A ? b - 0x20 : b); }

export function detectIbans(ptr: usize, len: usize, out: Findings): void {
  const n = <i32>len;
  let i = 0;
  while (i + 4 < n) {
    if (!isAlpha(at(ptr, n, i)) || !isAlpha(at(ptr, n, i + 1)) || !isDigit(at(ptr, n, i + 2)) || !isDigit(at(ptr, n, i + 3)) || isWordByte(at(ptr, n, i - 1))) {
      i++;
      continue;
    }
    const end = readIban(ptr, n, i);
    if (end > 0) {
      let score = 85;
      if (IBAN_WORDS.before(ptr, n, i, 40)) score += 10;
      out.add(i, end, PiiType.Iban, SUB_IBAN, score);
      i = end;
    } else {
      i++;
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
