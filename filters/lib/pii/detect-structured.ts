// Structured PII detectors (EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS,
// URL_CREDENTIALS). Each scans the whole UTF-8 text [ptr, ptr+len) once, left to right, with
// bounded look-behind and look-ahead (linear time, no backtracking), and adds what it finds to
// `out` as byte offsets with a 0..100 score. The numeric ones (phone, card, IBAN, SSN, IP) do
// not look for their anchors themselves: they walk the DigitRuns index (digit-runs.ts) that
// scanText builds once per text. One file per detector:
//   detect-email.ts, detect-phone.ts (+ detect-phone-plan.ts), detect-card.ts, detect-iban.ts,
//   detect-ssn.ts, detect-ip.ts, detect-urlcred.ts; validators in validate.ts, context words in
//   context.ts, byte classes and digit runs in detect-chars.ts / detect-digits.ts.
export { detectEmails } from "./detect-email";
export { detectPhones } from "./detect-phone";
export { detectCreditCards } from "./detect-card";
export { detectIbans } from "./detect-iban";
export { detectUsSsns } from "./detect-ssn";
export { detectIpAddresses } from "./detect-ip";
export { detectUrlCredentials } from "./detect-urlcred";
