// Checksums and number-plan rules the detectors confirm candidates with. Inputs are small
// buffers of digit values or upper-case IBAN characters, or a card's six leading digits. The
// card and IBAN detectors fold Luhn and mod-97 into their own pass over the text (same
// arithmetic); luhnValid and ibanMod97Valid are the buffer forms the test entry checks.

/** Luhn (mod 10) over digit values d[0..n). */
export function luhnValid(d: StaticArray<u8>, n: i32): bool {
  if (n < 2) return false;
  let sum = 0;
  let dbl = false;
  for (let i = n - 1; i >= 0; i--) {
    let v = <i32>unchecked(d[i]);
    if (dbl) {
      v *= 2;
      if (v > 9) v -= 9;
    }
    sum += v;
    dbl = !dbl;
  }
  return sum % 10 == 0;
}

/**
 * ISO 13616 check: move the first four characters to the end, letters A..Z become 10..35, and
 * the number mod 97 must be 1. Folded character by character so no big integer is needed:
 * the remainder is kept below 2^32 / 100 by reducing it only once it passes 2^24, which saves
 * most divisions. `c` holds n upper-case ASCII letters or digits.
 */
export function ibanMod97Valid(c: StaticArray<u8>, n: i32): bool {
  if (n < 5) return false;
  let r: u32 = 0;
  for (let k = 4; k < n + 4; k++) {
    const ch = <u32>unchecked(c[k < n ? k : k - n]);
    const digit = ch - 0x30;
    const letter = ch - 0x41;
    if (digit < 10) {
      r = r * 10 + digit;
    } else if (letter < 26) {
      r = r * 100 + letter + 10;
    } else {
      return false;
    }
    if (r >= 1 << 24) r %= 97;
  }
  return r % 97 == 1;
}

/**
 * SSA rules for a US social security number: area not 000, 666 or 900-999 (never issued);
 * group not 00; serial not 0000.
 */
export function ssnValid(area: i32, group: i32, serial: i32): bool {
  if (area == 0 || area == 666 || area >= 900) return false;
  if (group == 0 || serial == 0) return false;
  return true;
}

// ---- IBAN lengths -------------------------------------------------------------------------

// Every country of the SWIFT IBAN registry with its total IBAN length (facts, as published).
const IBAN_LENGTHS =
  "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 " +
  "DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 " +
  "IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 " +
  "MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 " +
  "SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30";

const ibanLen = buildIbanTable();

function buildIbanTable(): StaticArray<u8> {
  const t = new StaticArray<u8>(26 * 26);
  for (let i = 0; i + 4 <= IBAN_LENGTHS.length; i += 5) {
    const a = IBAN_LENGTHS.charCodeAt(i) - 0x41;
    const b = IBAN_LENGTHS.charCodeAt(i + 1) - 0x41;
    t[a * 26 + b] = <u8>I32.parseInt(IBAN_LENGTHS.substring(i + 2, i + 4));
  }
  return t;
}

/** Total IBAN length for the country whose upper-case letters are a, b (ASCII); 0 = none. */
export function ibanLength(a: u32, b: u32): i32 {
  const x = a - 0x41;
  const y = b - 0x41;
  if (x >= 26 || y >= 26) return 0;
  return <i32>unchecked(ibanLen[x * 26 + y]);
}

// ---- card brands --------------------------------------------------------------------------

export const enum Brand {
  None = 0, Visa, Mastercard, Amex, Discover, Diners, Jcb, UnionPay, Maestro, Mir, Uatp,
}

/**
 * The brand whose IIN range and length rules fit a number of n digits whose six leading digits
 * are p6 (the issuers' published ranges); None when no brand issues such a number.
 */
export function cardBrand(p6: i32, n: i32): Brand {
  if (n < 12 || n > 19) return Brand.None;
  // Every shorter prefix from the six leading digits (divisions by constants: no loops).
  const p4 = p6 / 100;
  const p3 = p6 / 1000;
  const p2 = p6 / 10000;
  const p1 = p6 / 100000;
  if ((p2 == 34 || p2 == 37) && n == 15) return Brand.Amex;
  if (p1 == 4 && (n == 13 || n == 16 || n == 19)) return Brand.Visa;
  if (((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) && n == 16) return Brand.Mastercard;
  if (p4 >= 2200 && p4 <= 2204 && n >= 16) return Brand.Mir;
  if ((p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65 || (p6 >= 622126 && p6 <= 622925)) && n >= 16) return Brand.Discover;
  if (p2 == 35 && n >= 16) return Brand.Jcb; // 3528-3589 in use; 35 is all JCB's
  if (((p3 >= 300 && p3 <= 305) || p4 == 3095 || p2 == 36 || p2 == 38 || p2 == 39) && n >= 14) return Brand.Diners;
  if (p2 == 62 && n >= 16) return Brand.UnionPay;
  if ((p2 == 50 || (p2 >= 56 && p2 <= 69)) && n >= 12) return Brand.Maestro;
  if (p1 == 1 && n == 15) return Brand.Uatp;
  return Brand.None;
}
