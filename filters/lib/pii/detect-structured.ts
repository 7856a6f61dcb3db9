// Structured PII detectors (EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS,
// URL_CREDENTIALS). Placeholder signatures: each scans the whole UTF-8 text [ptr, ptr+len) and
// adds what it finds to `out` (byte offsets).
import { Findings } from "./findings";

export function detectEmails(ptr: usize, len: usize, out: Findings): void {}
export function detectPhones(ptr: usize, len: usize, out: Findings): void {}
export function detectCreditCards(ptr: usize, len: usize, out: Findings): void {}
export function detectIbans(ptr: usize, len: usize, out: Findings): void {}
export function detectUsSsns(ptr: usize, len: usize, out: Findings): void {}
export function detectIpAddresses(ptr: usize, len: usize, out: Findings): void {}
export function detectUrlCredentials(ptr: usize, len: usize, out: Findings): void {}
