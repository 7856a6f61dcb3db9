// redact-pii: a chain of regex redactors (card, street address, zip, phone, IP, SSN, email,
// username, password, credentials, digits, URL) then a names list; `SyncRedactor.redact(text)`
// returns only the redacted text, so spans come from aligning it with the input (./align.ts).
// Default options: the Google DLP redactor is opt-in and not used.
//
// Mapping: its `password` ("password: x") and `credentials` ("login: u / p") rules are the
// nearest it has to SECRET. Its `url` rule replaces every URL, credentials or not, so it says
// nothing about URL_CREDENTIALS: n/a rather than a guess.
import { SyncRedactor } from "redact-pii";
import { alignRedacted } from "./align";
import { installedVersion, type PiiPeer } from "./types";

// snakeCase(rule).toUpperCase(), as its composition.js names each built-in's replacement, and
// the names redactor's default.
const PLACEHOLDERS = {
  CREDIT_CARD_NUMBER: "CREDIT_CARD",
  STREET_ADDRESS: null,
  ZIPCODE: null,
  PHONE_NUMBER: "PHONE",
  IP_ADDRESS: "IP_ADDRESS",
  US_SOCIAL_SECURITY_NUMBER: "US_SSN",
  EMAIL_ADDRESS: "EMAIL",
  USERNAME: null,
  PASSWORD: "SECRET",
  CREDENTIALS: "SECRET",
  DIGITS: null,
  URL: null,
  PERSON_NAME: null,
} as const;

export function redactPii(): PiiPeer {
  const redactor = new SyncRedactor();
  return {
    name: "redact-pii",
    version: installedVersion("redact-pii"),
    api: "new SyncRedactor().redact(text) -> redacted text; spans by alignment",
    types: ["EMAIL", "PHONE", "CREDIT_CARD", "US_SSN", "IP_ADDRESS", "SECRET"],
    scan: async (text) => alignRedacted(text, redactor.redact(text), PLACEHOLDERS),
    run: (text) => redactor.redact(text),
  };
}
