// Every finding of the scanner on a fixed set of texts, as text lines: the guard that keeps
// speed work on the detectors from changing what they find. host-tests/pii-findings.test.ts
// compares the dump of dist/pii-redact.wasm with the committed one
// (host-tests/pii/data/findings.dump) byte for byte.
//
//   npx tsx host-tests/pii/findings-dump.ts --write        rewrite the committed dump
//   npx tsx host-tests/pii/findings-dump.ts [wasm] [--mixed] > out   print (--mixed adds the
//       bench's mixed-1mb slices, which read this repo's READMEs and so are not in the
//       committed dump: compare two builds with it)
//
// Texts: every dev-set record, alone and padded with clean prose on both sides (so the scan's
// block passes read it), the bench's dev slices (records joined, so context windows cross
// records) and seeded random texts built from anchor-heavy fragments (digit groups,
// separators, secret prefixes, context words, full-width digits, gold values cut and glued),
// where rewrites of the scan loops tend to differ. Two configurations: the default, and every
// threshold 0 with generic assignments on (findings below the thresholds and the opt-in
// detector show too). A line: text id, config, start, end (UTF-16), type, subtype, score.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadRecords } from "./eval";
import { loadPiiScanner, PII_WASM, type PiiScanner, type ScanConfigJson } from "./scanner";

export const DUMP_FILE = join(dirname(fileURLToPath(import.meta.url)), "data/findings.dump");

const TYPES = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "URL_CREDENTIALS", "SECRET"];

export const CONFIGS: Array<[string, ScanConfigJson]> = [
  ["default", {}],
  ["all", { thresholds: Object.fromEntries(TYPES.map((t) => [t, 0])), generic_secrets: true }],
];

export interface NamedText {
  id: string;
  text: string;
}

/** A small deterministic PRNG (xorshift32): the random texts must be the same on every run. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const FRAGMENTS = [
  " ", " ", " ", "\n", "-", ".", "(", ")", "+", ":", "/", "@", "=", "_", "~", "'", "\"", ",", "#", "%", "|", "::", "://",
  "card", "ssn", "phone", "tel", "call", "iban", "order", "version", "key", "token", "password", "secret", "api_key",
  "http", "https", "postgres", "mailto:", "example", "user", "admin", "x", "ext.", "Dr", "The",
  "AKIA", "ghp_", "github_pat_", "xoxb-", "xoxp-", "eyJ", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----",
  "sk-", "sk-ant-api03-", "sk_live_", "AIza", "hf_", "glpat-", "SG.", "Q~", "-u ", "--user ", "hooks.slack.com/services/",
  "＋１", "（", "）", "　", "１２３", "é", "日本", "\u00a0", "‐", "😀",
  // Assignments with blanks around the operator, and names that gate keyword formats.
  " = ", " : ", " := ", " ?= ", "  = ", "\t= ", " => ", "\": \"", "='", "api_key", "password", "client_secret",
  "HEROKU_API_KEY", "aws_secret_access_key", "db_password", "SENDGRID_API_KEY", "heroku", "datadog_api_key",
];

function randomRun(r: () => number, alphabet: string, min: number, max: number): string {
  const n = min + Math.floor(r() * (max - min + 1));
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

const DIGITS = "0123456789";
const HEX = "0123456789abcdef";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const B64 = ALNUM + "+/-_";

function uuidLike(r: () => number): string {
  return [8, 4, 4, 4, 12].map((n) => randomRun(r, HEX, n, n)).join("-");
}

/** Seeded texts of anchor-heavy pieces, with real gold values (whole or cut) mixed in. */
export function randomTexts(count = 3000, seed = 0x7011): NamedText[] {
  const r = rng(seed);
  const gold = loadRecords().flatMap((rec) => rec.spans.map((s) => rec.text.slice(s.start, s.end))).filter((v) => v.length > 0);
  const out: NamedText[] = [];
  for (let t = 0; t < count; t++) {
    let s = "";
    const target = 40 + Math.floor(r() * 400);
    while (s.length < target) {
      const k = r();
      if (k < 0.35) s += FRAGMENTS[Math.floor(r() * FRAGMENTS.length)];
      else if (k < 0.55) s += randomRun(r, DIGITS, 1, 20);
      else if (k < 0.62) s += randomRun(r, HEX, 2, 40);
      else if (k < 0.72) s += randomRun(r, ALNUM, 1, 48);
      else if (k < 0.76) s += r() < 0.3 ? uuidLike(r) : randomRun(r, B64, 8, 60);
      else if (k < 0.9) {
        const v = gold[Math.floor(r() * gold.length)];
        // Whole, or cut at either end, or with one byte changed.
        const c = r();
        if (c < 0.5) s += v;
        else if (c < 0.7) s += v.slice(0, Math.max(1, Math.floor(r() * v.length)));
        else if (c < 0.85) s += v.slice(Math.floor(r() * v.length));
        else {
          const at = Math.floor(r() * v.length);
          s += v.slice(0, at) + FRAGMENTS[Math.floor(r() * FRAGMENTS.length)] + v.slice(at + 1);
        }
      } else s += randomRun(r, " \t\n", 1, 3);
    }
    out.push({ id: `random-${t}`, text: s });
  }
  return out;
}

// Clean prose around a record: the scan's 64-byte block passes leave a text's last 128 bytes to
// the byte loops, so most records alone (86 bytes on average) never reach them; padded, they do.
const PAD_BEFORE = "Thanks for the update on the quarterly planning notes; the team reviewed every section and " +
  "left comments where the wording could be clearer before the next meeting starts. ";
const PAD_AFTER = " Please send the revised draft when it is ready, and note any open questions for the review " +
  "so that nothing is lost between the two versions of this document.";

/** The texts of the committed dump. */
export async function guardTexts(): Promise<NamedText[]> {
  const { devText } = await import("../bench/pii-peers/texts");
  const records = loadRecords().map((rec) => ({ id: rec.id, text: rec.text }));
  const padded = records.map((r) => ({ id: `padded-${r.id}`, text: PAD_BEFORE + r.text + PAD_AFTER }));
  const slices = devText().slices.map((text, i) => ({ id: `dev-slice-${i}`, text }));
  return [...records, ...padded, ...slices, ...randomTexts()];
}

export async function mixedTexts(): Promise<NamedText[]> {
  const { mixedText } = await import("../bench/pii-peers/texts");
  return mixedText().slices.map((text, i) => ({ id: `mixed-slice-${i}`, text }));
}

/** The dump of `scanner` (reconfigured per configuration) on `texts`. */
export function dumpFindings(scanner: PiiScanner, texts: NamedText[]): string {
  const lines: string[] = [];
  for (const [name, config] of CONFIGS) {
    scanner.configure(config);
    for (const { id, text } of texts) {
      for (const e of scanner.scan(text)) lines.push(`${id}\t${name}\t${e.start}\t${e.end}\t${e.type}\t${e.subtype}\t${e.score}`);
    }
  }
  scanner.configure({});
  return lines.join("\n") + "\n";
}

async function main(argv: string[]): Promise<void> {
  const write = argv.includes("--write");
  const wasm = argv.find((a) => !a.startsWith("--")) ?? PII_WASM;
  const texts = await guardTexts();
  if (argv.includes("--mixed")) texts.push(...(await mixedTexts()));
  const dump = dumpFindings(loadPiiScanner(wasm), texts);
  if (write) {
    writeFileSync(DUMP_FILE, dump);
    process.stderr.write(`wrote ${DUMP_FILE}: ${dump.split("\n").length - 1} findings\n`);
  } else process.stdout.write(dump);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
