// Linear time of the whole PII scan (every built-in type on, generic secrets too), proved on the
// scan's step counter (dist/pii-work.wasm, filters/lib/pii/work.ts) instead of a clock: for each
// input family, 4x the input takes at most 4.5x the steps (a path that re-reads what it has
// read gives 16x), and the steps per byte stay under a fixed bound. Counts are exact, so the
// test gives the same answer on a loaded machine as on an idle one.
import { describe, it, expect, beforeAll } from "vitest";
import { prng } from "./replay/split";
import { growth, repeated, workCounter, type WorkCounter } from "./pii/work";

const MAX_RATIO = 4.5;
const MAX_STEPS_PER_BYTE = 64;

// Repeated shapes that hit every anchor and reader: digit runs and groups (cards, SSNs, phones,
// IBANs), dotted and coloned numbers (IPs), '@' and "://" (emails, URL credentials), token
// prefixes, PEM headers, assignments; some of them valid entities, found thousands of times.
const SHAPES = [
  "4", "4111 ", "4111-", "1-", "1 ", "12 ", "123 ", "1234 1234 ", "00 ", "+1 ", "+1 (", "(1) ", "1)",
  "１", "DE89 ", "1.", "192.168.", "1.2.3.4 ", ":", "1:", "a::", "::1 ", "fe80::", "1:2:3:4:5:6:7:8 ",
  "a@", "a.b@", "a@b.co ", "x://u:p", "x://u:p@h ", "sk-", "ghp_", "AKIA", "xoxb-1-", "eyJ.", "eyJhbGciOi.",
  "abc8Q~", "a-", "key = ", "token=ab ", "curl -u a:bcd ", "-----BEGIN PRIVATE KEY-----\n",
  "1234567890123456|", "4111 1111 1111 1111\n", "ssn 123-45-6789 ", "phone +1 415 555 0100 ",
  "card 4111 1111 1111 1111 ", "IBAN GB82 WEST 1234 5698 7654 32 ",
];

let counter: WorkCounter;

beforeAll(async () => {
  counter = await workCounter();
});

function expectLinear(name: string, make: (n: number) => Uint8Array): void {
  const g = growth(counter, make);
  expect(g.ratio, `${name}: ${g.small} → ${g.large} steps`).toBeLessThanOrEqual(MAX_RATIO);
  expect(g.perByte, `${name}: steps per byte`).toBeLessThanOrEqual(MAX_STEPS_PER_BYTE);
}

describe("the whole scan's steps grow linearly with the input", () => {
  it.each(SHAPES)("%j repeated", (unit) => {
    expectLinear(unit, (n) => repeated(unit, n));
  });

  it("valid entities found thousands of times (overlap resolution included)", () => {
    const found = counter.scan(repeated("card 4111 1111 1111 1111 ", 256 << 10)).found;
    expect(found).toBeGreaterThan(5000);
  });

  it("random bytes, and random soup of the anchors' bytes", () => {
    const bytes = (n: number, alphabet: string | null) => {
      const r = prng(7);
      const b = new Uint8Array(n);
      for (let i = 0; i < n; i++) b[i] = alphabet ? alphabet.charCodeAt(Math.floor(r() * alphabet.length)) : Math.floor(r() * 256);
      return b;
    };
    expectLinear("random bytes", (n) => bytes(n, null));
    expectLinear("anchor soup", (n) => bytes(n, "0123456789 -.:/@+()abcdefABCDEF xX\n=_~\"'"));
  });

  it("one huge digit run, and one huge token", () => {
    expectLinear("digits", (n) => repeated("7", n));
    expectLinear("base64", (n) => repeated("Zm9vYmFyYmF6cXV4", n));
  });

  it("the count is work, not length: a text that is one entity after another costs more than one without any", () => {
    const plain = counter.scan(repeated("the quick brown fox ", 64 << 10)).steps;
    const dense = counter.scan(repeated("1.2.3.4 ", 64 << 10)).steps;
    expect(plain).toBeGreaterThan(0);
    expect(dense).toBeGreaterThan(2 * plain);
  });
});
