// The SECRET scan's candidate pass (filters/lib/pii/secrets-candidates.ts) works on 64-byte
// blocks with a look-ahead of one block and walks back from ':' and '=' to assignment names, so
// a secret's place relative to the block edges must never matter: every dev-set text with a
// secret, and every text the secrets' own cases are built from, shifted by 1..130 newlines,
// gives exactly the findings of the text shifted by one, moved by the shift, with the default
// configuration and with generic assignments on.
import { beforeAll, describe, expect, it } from "vitest";
import { loadRecords } from "./pii/eval";
import { loadPiiScanner, type Entity, type PiiScanner } from "./pii/scanner";

let scanner: PiiScanner;
let texts: string[];

beforeAll(() => {
  scanner = loadPiiScanner();
  texts = loadRecords()
    .filter((r) => r.spans.some((s) => s.type === "SECRET" || s.type === "URL_CREDENTIALS"))
    .map((r) => r.text);
  // Assignments whose name and value straddle a block edge at some shift.
  texts.push(
    'config:\n  aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"\n',
    "export HEROKU_API_KEY=01234567-89ab-cdef-0123-456789abcdef && deploy",
    'const db = { "service.api-token" :  "Zx81Qm2vT9kLp0Rw7sYd3Nf5Hj6Gb4Ce" };',
    "curl -u admin:S3cr3tPassw0rd! https://example.com/api",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\n-----END RSA PRIVATE KEY-----",
  );
});

function shifted(text: string, by: number): string[] {
  const pad = "\n".repeat(by);
  return scanner.scan(pad + text).map((e: Entity) => `${e.start - by}-${e.end - by} ${e.type} ${e.subtype}`);
}

describe.each([
  ["default configuration", {}],
  ["generic assignments on", { generic_secrets: true }],
])("secrets candidates, %s", (_name, config) => {
  it("the findings do not depend on where the text starts relative to the 64-byte blocks", () => {
    scanner.configure(config);
    expect(texts.length).toBeGreaterThan(90);
    let findings = 0;
    const moved: string[] = [];
    for (const text of texts) {
      const base = shifted(text, 1);
      findings += base.length;
      for (let by = 2; by <= 130; by++) {
        const got = shifted(text, by);
        if (got.join("|") !== base.join("|")) moved.push(`shift ${by}: ${JSON.stringify(text.slice(0, 60))}: ${got.join("|")} vs ${base.join("|")}`);
        if (moved.length > 5) break;
      }
    }
    expect(moved).toEqual([]);
    expect(findings).toBeGreaterThan(100);
  });
});
