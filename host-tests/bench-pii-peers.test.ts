// The pii bench's adapters and report shape. Each adapter must find the kinds it claims on a few
// texts, with offsets that cut out the value (a peer update that renames a type or a placeholder
// shows here, not as a silent zero in the table). No timing is asserted.
import { describe, expect, it } from "vitest";
import { QUICK_OPTIONS, runSuites, type SuiteReport } from "./bench/framework";
import { alignRedacted } from "./bench/pii-peers/align";
import { PII_TYPES, type PiiPeer, type PiiType } from "./bench/pii-peers/types";
import { CASE_NAMES, loadPeers, piiAccuracy, SCANNER_NAMES, suite, TEXTS } from "./bench/suites/pii";

const TEXT = [
  "Write to maria.lopez@acmecorp.io or call 415-555-0134 today.",
  "Card 4111 1111 1111 1111, SSN 123-45-6789, server 192.168.10.24.",
  "IBAN GB82WEST12345698765432 and https://admin:s3cretPw@db.example.net/app",
  "password: Hunter2xyz",
  "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
  "xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJklmn",
].join("\n");

/** What each scanner must find in TEXT, by the value it covers. */
const EXPECTED: Record<string, Array<[PiiType, string]>> = {
  tollgate: [["EMAIL", "maria.lopez@acmecorp.io"], ["CREDIT_CARD", "4111 1111 1111 1111"], ["US_SSN", "123-45-6789"], ["IBAN", "GB82WEST12345698765432"]],
  "@redactpii/node": [["EMAIL", "maria.lopez@acmecorp.io"], ["PHONE", "415-555-0134"], ["CREDIT_CARD", "4111 1111 1111 1111"], ["US_SSN", "123-45-6789"]],
  openredaction: [
    ["EMAIL", "maria.lopez@acmecorp.io"], ["PHONE", "415-555-0134"], ["CREDIT_CARD", "4111 1111 1111 1111"], ["US_SSN", "123-45-6789"],
    ["URL_CREDENTIALS", "https://admin:s3cretPw@db.example.net/app"], ["SECRET", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"],
  ],
  "redact-pii": [["EMAIL", "maria.lopez@acmecorp.io"], ["PHONE", "415-555-0134"], ["CREDIT_CARD", "4111 1111 1111 1111"], ["US_SSN", "123-45-6789"], ["IP_ADDRESS", "192.168.10.24"], ["SECRET", "password: Hunter2xyz"]],
  secretlint: [["SECRET", "ghp_abcdefghijklmnopqrstuvwxyz0123456789"], ["SECRET", "xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJklmn"]],
};

describe("pii bench adapters", () => {
  let peers: PiiPeer[];

  it("loads every scanner, Tollgate first, each with a version and its types", async () => {
    peers = await loadPeers();
    expect(peers.map((p) => p.name)).toEqual([...SCANNER_NAMES]);
    for (const p of peers) {
      expect(p.version).toMatch(/\d|wasm/);
      expect(p.types.length).toBeGreaterThan(0);
      for (const t of p.types) expect(PII_TYPES).toContain(t);
    }
  });

  for (const name of SCANNER_NAMES) {
    it(`${name} finds the expected kinds, with offsets on the values`, async () => {
      const peer = peers.find((p) => p.name === name)!;
      const found = (await peer.scan(TEXT)).map((s) => [s.type, TEXT.slice(s.start, s.end)]);
      for (const want of EXPECTED[name]) expect(found).toContainEqual(want);
      for (const [type] of found) expect(peer.types).toContain(type);
    });
  }

  it("secretlint reports credentials in a URL as URL_CREDENTIALS", async () => {
    const peer = peers.find((p) => p.name === "secretlint")!;
    const spans = await peer.scan("see https://user:pass@host.com/x");
    expect(spans.map((s) => s.type)).toEqual(["URL_CREDENTIALS"]);
  });
});

describe("alignRedacted", () => {
  const P = { PHONE_NUMBER: "PHONE", NAME: null, EMAIL_ADDRESS: "EMAIL" } as const;

  it("places each placeholder between the literals around it", () => {
    const input = "call 555-0134 or a@b.io, bye";
    expect(alignRedacted(input, "call PHONE_NUMBER or EMAIL_ADDRESS, bye", P)).toEqual([
      { start: 5, end: 13, type: "PHONE" },
      { start: 17, end: 23, type: "EMAIL" },
    ]);
  });

  it("handles placeholders at either end, drops types that are not ours, and rejects output that does not fit", () => {
    expect(alignRedacted("Ann 555-0134", "NAME PHONE_NUMBER", P)).toEqual([{ start: 4, end: 12, type: "PHONE" }]);
    expect(() => alignRedacted("abc", "xyz PHONE_NUMBER", P)).toThrow(/cannot align/);
  });

  it("backtracks when the shortest value leaves the rest unalignable", () => {
    // The value "1 2" contains the following literal " "; the first fit that aligns the tail wins.
    expect(alignRedacted("x 1 2 y", "x PHONE_NUMBER y", P)).toEqual([{ start: 2, end: 5, type: "PHONE" }]);
  });
});

describe("pii bench suite", () => {
  let report: SuiteReport;

  it("has one case per scanner and text, each divided by Tollgate on the same text", () => {
    // tollgate = the wasm scan (the baseline), tollgate-js = the same through the JS glue.
    expect(suite.cases.map((c) => c.name)).toEqual(TEXTS.flatMap((t) => CASE_NAMES.map((n) => `${t.name}/${n}`)));
    for (const c of suite.cases) {
      expect(c.kind).toBe("js");
      expect(c.baseline).toBe(`${c.name.split("/")[0]}/tollgate`);
    }
    const mixed = TEXTS.find((t) => t.name === "mixed-1mb")!;
    expect(mixed.bytes).toBeGreaterThan(1_000_000);
  });

  it("runs in quick mode and reports MB/s and a ratio for every case", async () => {
    const r = await runSuites([suite], QUICK_OPTIONS);
    report = r.suites[0];
    expect(report.cases.map((c) => c.name)).toEqual(suite.cases.map((c) => c.name));
    for (const c of report.cases) {
      expect(c.total.unit).toBe("call");
      expect(Number.isFinite(c.total.mbPerS)).toBe(true);
      expect(Number.isFinite(c.total.ratio)).toBe(true);
      expect(c.isBaseline).toBe(c.name.endsWith("/tollgate"));
    }
  });

  it("prints the dev-set precision/recall table, n/a where a scanner has no such kind", async () => {
    const a = await piiAccuracy();
    expect(a.records).toBeGreaterThan(0);
    for (const s of a.scanners) {
      const peer = (await loadPeers()).find((p) => p.name === s.name)!;
      for (const t of PII_TYPES) {
        const score = s.types[t];
        if (!peer.types.includes(t)) expect(score).toBe("n/a");
        else if (score === "n/a") throw new Error(`${s.name} ${t}: n/a but supported`);
        else expect(score.tp + score.fn).toBe(score.gold);
      }
    }
    const text = report.description!;
    for (const t of PII_TYPES) expect(text).toMatch(new RegExp(`^${t}\\s`, "m"));
    for (const n of SCANNER_NAMES) expect(text).toContain(n);
    expect(text).toContain("n/a");
  });
});
