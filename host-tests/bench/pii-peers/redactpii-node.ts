// @redactpii/node: regexes for card, email, US phone, SSN and greeting-led names, run one after
// another over the text; `redact(text)` returns only the redacted text, so spans come from
// aligning it with the input (./align.ts). Default options (all rules, normal mode, no
// dashboard key: it makes no network call).
import { Redactor } from "@redactpii/node";
import { alignRedacted } from "./align";
import { installedVersion, type PiiPeer } from "./types";

// The replacement each rule writes (Redactor._redactString); PERSON_NAME is not one of our types.
const PLACEHOLDERS = {
  CREDIT_CARD_NUMBER: "CREDIT_CARD",
  EMAIL_ADDRESS: "EMAIL",
  PERSON_NAME: null,
  PHONE_NUMBER: "PHONE",
  US_SOCIAL_SECURITY_NUMBER: "US_SSN",
} as const;

export function redactpiiNode(): PiiPeer {
  const redactor = new Redactor();
  return {
    name: "@redactpii/node",
    version: installedVersion("@redactpii/node"),
    api: "new Redactor().redact(text) -> redacted text; spans by alignment",
    types: ["EMAIL", "PHONE", "CREDIT_CARD", "US_SSN"],
    scan: async (text) => alignRedacted(text, redactor.redact(text), PLACEHOLDERS),
    run: (text) => redactor.redact(text),
  };
}
