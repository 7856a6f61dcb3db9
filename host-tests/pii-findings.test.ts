// The findings guard: dist/pii-redact.wasm must find exactly what the committed dump
// (host-tests/pii/data/findings.dump, see host-tests/pii/findings-dump.ts) records, on every
// dev-set record, the bench's dev slices and the seeded random texts, under the default and the
// everything-on configuration. Speed work on the scan must leave this untouched; a change in
// what is detected is made on purpose, the dump rewritten (`npx tsx
// host-tests/pii/findings-dump.ts --write`) and the difference explained in the commit.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { DUMP_FILE, dumpFindings, guardTexts, randomTexts, type NamedText } from "./pii/findings-dump";
import { loadPiiScanner, type PiiScanner } from "./pii/scanner";

let scanner: PiiScanner;
let texts: NamedText[];

beforeAll(async () => {
  scanner = loadPiiScanner();
  texts = await guardTexts();
});

describe("findings guard", () => {
  it("the random texts are the same on every run (seeded) and hold entities of every kind", () => {
    const a = randomTexts(50);
    expect(randomTexts(50)).toEqual(a);
    const dump = readFileSync(DUMP_FILE, "utf8");
    const randomTypes = new Set(dump.split("\n").filter((l) => l.startsWith("random-")).map((l) => l.split("\t")[4]));
    expect([...randomTypes].sort()).toEqual(["CREDIT_CARD", "EMAIL", "IBAN", "IP_ADDRESS", "PHONE", "SECRET", "URL_CREDENTIALS", "US_SSN"]);
  });

  it("every finding on the guard texts equals the committed dump, line for line", () => {
    const want = readFileSync(DUMP_FILE, "utf8").split("\n");
    const got = dumpFindings(scanner, texts).split("\n");
    // The first differing lines, not a 3,000-line diff.
    const diffs: string[] = [];
    for (let i = 0; i < Math.max(want.length, got.length) && diffs.length < 10; i++) {
      if (want[i] !== got[i]) diffs.push(`line ${i + 1}: want ${JSON.stringify(want[i])} got ${JSON.stringify(got[i])}`);
    }
    expect(diffs).toEqual([]);
    expect(got.length).toBe(want.length);
  });
});
