// openredaction: ~570 regex patterns with validators and context scoring; `detect(text)`
// (async) returns detections with a type and [start, end) position, so no alignment is needed.
// Default options (all patterns, context analysis on, confidence >= 0.5), as its README's quick
// start uses it.
import { OpenRedaction } from "openredaction";
import { installedVersion, type PiiPeer, type PiiType, type Span } from "./types";

/** Its pattern types that are ours; every other kind (names, addresses, ids, ...) is dropped. */
const TYPE_MAP: Record<string, PiiType> = {
  EMAIL: "EMAIL",
  PHONE_UK_MOBILE: "PHONE", PHONE_UK: "PHONE", PHONE_US: "PHONE", PHONE_INTERNATIONAL: "PHONE",
  CREDIT_CARD: "CREDIT_CARD",
  IBAN: "IBAN", UK_BANK_ACCOUNT_IBAN: "IBAN",
  SSN: "US_SSN",
  IPV4: "IP_ADDRESS", IPV6: "IP_ADDRESS",
  // A connection string is a URL with credentials in it (postgres://user:pass@host).
  URL_WITH_AUTH: "URL_CREDENTIALS", DATABASE_CONNECTION: "URL_CREDENTIALS",
};
// Credential patterns; session ids, payment tokens and the like are identifiers, not secrets.
for (const t of [
  "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "OPENAI_API_KEY", "GOOGLE_API_KEY", "STRIPE_API_KEY", "GITHUB_TOKEN", "JWT_TOKEN",
  "GENERIC_API_KEY", "GENERIC_SECRET", "PRIVATE_KEY", "SSH_PRIVATE_KEY", "DOCKER_AUTH", "SLACK_WEBHOOK", "SLACK_TOKEN",
  "TWILIO_API_KEY", "MAILGUN_API_KEY", "SENDGRID_API_KEY", "BEARER_TOKEN", "AZURE_STORAGE_KEY", "KUBERNETES_SECRET",
  "NPM_TOKEN", "PYPI_TOKEN", "HEROKU_API_KEY", "FIREBASE_API_KEY", "OAUTH_CLIENT_SECRET", "OAUTH_TOKEN",
]) TYPE_MAP[t] = "SECRET";

export function openRedaction(): PiiPeer {
  const shield = new OpenRedaction();
  return {
    name: "openredaction",
    version: installedVersion("openredaction"),
    api: "await new OpenRedaction().detect(text) -> detections {type, position: [start, end]}",
    types: ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "URL_CREDENTIALS", "SECRET"],
    scan: async (text) => {
      const r = await shield.detect(text);
      return r.detections.flatMap((d): Span[] => {
        const type = TYPE_MAP[d.type];
        return type ? [{ start: d.position[0], end: d.position[1], type }] : [];
      });
    },
    run: (text) => shield.detect(text),
  };
}
