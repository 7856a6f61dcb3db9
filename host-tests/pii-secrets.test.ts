// The SECRET detectors (filters/lib/pii/detect-secrets.ts and secrets-*.ts) through
// dist/pii-secrets.wasm (filters/testing/pii-secrets): precision/recall on the labelled dev set
// (overall targets asserted, per family printed), positive and negative cases per format with
// tokens synthesized from the published formats (never real credentials), no findings in the
// bundled provider recordings, and fuzzing (never traps, linear work: steps counted by
// dist/pii-work.wasm, not time).
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { resolve, join } from "node:path";
import { prng } from "./replay/split";
import { loadTestWasm, withBytesIn } from "./support/test-wasm";
import { growth, workCounter } from "./pii/work";

const DEV = resolve(__dirname, "pii/data/pii-dev.jsonl");
const RECORDINGS = resolve(__dirname, "recordings");

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  ps_alloc(len: number): number;
  ps_free(ptr: number): void;
  ps_out_ptr(): number;
  ps_out_len(): number;
  ps_scan(ptr: number, len: number, generic: number): number;
  ps_count(ptr: number, len: number, generic: number): number;
  ps_detect(ptr: number, len: number, generic: number): number;
}

interface Finding { start: number; end: number; type: number; score: number; subtype: string; family: string }

let x: Exports;

beforeAll(async () => {
  x = await loadTestWasm<Exports>("pii-secrets");
});

function withBytes<T>(bytes: Uint8Array, f: (ptr: number, len: number) => T): T {
  return withBytesIn(x, x.ps_alloc, x.ps_free, bytes, f);
}

function scanBytes(bytes: Uint8Array, generic = false): Finding[] {
  return withBytes(bytes, (p, n) => {
    x.ps_scan(p, n, generic ? 1 : 0);
    return JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.ps_out_ptr(), x.ps_out_len())));
  });
}

/** UTF-16 index of every UTF-8 byte offset of `text` (and of its end). */
function byteToUtf16(text: string): Int32Array {
  const bytes = new TextEncoder().encode(text);
  const map = new Int32Array(bytes.length + 1);
  let b = 0;
  let u = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const nb = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < nb; k++) map[b + k] = u;
    b += nb;
    u += ch.length;
  }
  map[b] = u;
  return map;
}

/** Findings of `text` in UTF-16 offsets, with the matched string. */
function scan(text: string, generic = false): Array<Finding & { value: string }> {
  const map = byteToUtf16(text);
  return scanBytes(new TextEncoder().encode(text), generic).map((f) => {
    const start = map[f.start];
    const end = map[f.end];
    return { ...f, start, end, value: text.slice(start, end) };
  });
}

// ---- dev set ------------------------------------------------------------------------------

interface Span { start: number; end: number; type: string; subtype: string; family?: string; optional?: boolean }
interface Row { id: string; text: string; spans: Span[]; scope: string[] }

const overlap = (a: { start: number; end: number }, b: { start: number; end: number }) =>
  Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
const matches = (p: { start: number; end: number }, g: { start: number; end: number }) =>
  overlap(p, g) * 2 >= Math.max(p.end - p.start, g.end - g.start);

interface Tally { tp: number; fp: number; fn: number }

function evaluate(generic: boolean) {
  const rows: Row[] = readFileSync(DEV, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
  const total: Tally = { tp: 0, fp: 0, fn: 0 };
  const fam = new Map<string, Tally>();
  const tally = (f: string) => fam.get(f) ?? (fam.set(f, { tp: 0, fp: 0, fn: 0 }), fam.get(f)!);
  const misses: string[] = [];
  const falsePos: string[] = [];
  for (const row of rows) {
    if (!row.scope.includes("SECRET")) continue;
    const gold = row.spans.filter((s) => s.type === "SECRET");
    const required = gold.filter((s) => !s.optional);
    const optional = gold.filter((s) => s.optional);
    const preds = scan(row.text, generic).filter((f) => f.type === 8);
    const used = new Set<number>();
    for (const p of preds) {
      const g = required.findIndex((s, k) => !used.has(k) && matches(p, s));
      if (g >= 0) {
        used.add(g);
        total.tp++;
        tally(required[g].family ?? "?").tp++;
      } else if (!optional.some((s) => overlap(p, s) > 0)) {
        total.fp++;
        tally(p.family).fp++;
        falsePos.push(`${row.id} ${p.subtype} ${JSON.stringify(p.value.slice(0, 80))}`);
      }
    }
    required.forEach((s, k) => {
      if (used.has(k)) return;
      total.fn++;
      tally(s.family ?? "?").fn++;
      misses.push(`${row.id} ${s.subtype} ${JSON.stringify(row.text.slice(s.start, s.end).slice(0, 80))}`);
    });
  }
  return { total, fam, misses, falsePos };
}

const pct = (a: number, b: number) => (b === 0 ? 100 : (100 * a) / b);

describe("dev set (texts whose scope includes SECRET)", () => {
  for (const generic of [false, true]) {
    it(`precision >= 90, recall >= 60 overall${generic ? " with generic assignments" : ""}`, () => {
      const { total, fam, misses, falsePos } = evaluate(generic);
      const lines = [`SECRET${generic ? " (+generic)" : ""}: P ${pct(total.tp, total.tp + total.fp).toFixed(1)} R ${pct(total.tp, total.tp + total.fn).toFixed(1)} (tp ${total.tp} fp ${total.fp} fn ${total.fn})`];
      for (const [f, t] of [...fam.entries()].sort()) {
        lines.push(`  ${f.padEnd(14)} P ${pct(t.tp, t.tp + t.fp).toFixed(1).padStart(5)} R ${pct(t.tp, t.tp + t.fn).toFixed(1).padStart(5)}  tp ${t.tp} fp ${t.fp} fn ${t.fn}`);
      }
      if (process.env.PII_SECRETS_VERBOSE) lines.push("misses:", ...misses, "false positives:", ...falsePos);
      console.log(lines.join("\n"));
      expect(pct(total.tp, total.tp + total.fp)).toBeGreaterThanOrEqual(90);
      expect(pct(total.tp, total.tp + total.fn)).toBeGreaterThanOrEqual(60);
    });
  }
});

// ---- per-format cases (bodies synthesized from the published formats) ----------------------

const rnd = prng(0x5ec2e7);
const AL = {
  alnum: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
  upper: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
  letters: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
  b64url: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-",
  b64: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
  hex: "0123456789abcdef",
  digits: "0123456789",
  bech: "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
};
/** n random bytes of an alphabet, always holding a digit, a lower and an upper where it has them. */
function r(alpha: string, n: number): string {
  for (;;) {
    let s = "";
    for (let i = 0; i < n; i++) s += alpha[Math.floor(rnd() * alpha.length)];
    const want = [/[0-9]/, /[a-z]/, /[A-Z]/].filter((re) => re.test(alpha));
    if (want.every((re) => re.test(s))) return s;
  }
}
const b64url = (s: string) => Buffer.from(s).toString("base64url");

// [family, token] pairs: each must be found whole inside a sentence.
const positives: Array<[string, string]> = [
  ["aws", "AKIA" + r(AL.upper, 16)],
  ["aws", "ASIA" + r(AL.upper, 16)],
  ["github", "ghp_" + r(AL.alnum, 36)],
  ["github", "ghs_" + r(AL.alnum, 36)],
  ["github", "github_pat_" + r(AL.alnum, 22) + "_" + r(AL.alnum, 59)],
  ["gitlab", "glpat-" + r(AL.b64url, 20)],
  ["openai", "sk-proj-" + r(AL.b64url, 120)],
  ["openai", "sk-svcacct-" + r(AL.b64url, 80)],
  ["openai", "sk-" + r(AL.alnum, 48)],
  ["anthropic", "sk-ant-api03-" + r(AL.b64url, 93) + "AA"],
  ["anthropic", "sk-ant-admin01-" + r(AL.b64url, 93) + "AA"],
  ["slack", "xoxb-" + r(AL.digits, 13) + "-" + r(AL.digits, 13) + "-" + r(AL.alnum, 24)],
  ["slack", "xoxp-" + r(AL.digits, 12) + "-" + r(AL.digits, 12) + "-" + r(AL.digits, 12) + "-" + r(AL.hex, 32)],
  ["slack", "xoxe.xoxp-1-" + r(AL.alnum, 164)],
  ["slack", "xoxe-1-" + r(AL.alnum, 146)],
  ["slack", "https://hooks.slack.com/services/T" + r(AL.upper, 8) + "/B" + r(AL.upper, 8) + "/" + r(AL.alnum, 24)],
  ["gcp", "AIza" + r(AL.b64url, 35)],
  ["stripe", "sk_live_" + r(AL.alnum, 24)],
  ["stripe", "rk_test_" + r(AL.alnum, 99)],
  ["jwt", b64url('{"alg":"HS256","typ":"JWT"}') + "." + b64url('{"sub":"42","iat":1700000000}') + "." + r(AL.b64url, 43)],
  ["private_key", "-----BEGIN RSA PRIVATE KEY-----\n" + r(AL.b64, 64) + "\n" + r(AL.b64, 40) + "=\n-----END RSA PRIVATE KEY-----"],
  ["private_key", "-----BEGIN OPENSSH PRIVATE KEY-----\\n" + r(AL.b64, 70) + "\\n-----END OPENSSH PRIVATE KEY-----"],
  ["huggingface", "hf_" + r(AL.letters, 34)],
  ["huggingface", "api_org_" + r(AL.letters, 34)],
  ["discord", "MTk" + r(AL.b64url, 21) + "." + r(AL.b64url, 6) + "." + r(AL.b64url, 27)],
  ["azure", r(AL.alnum, 3) + "8Q~" + r(AL.b64url, 34)],
  ["other_service", "ops_eyJ" + r(AL.b64, 300)],
  ["other_service", "AGE-SECRET-KEY-1" + r(AL.bech, 58)],
  ["other_service", "hvs." + r(AL.b64url, 95)],
  ["other_service", "SG." + r(AL.b64url, 22) + "." + r(AL.b64url, 43)],
  ["other_service", "npm_" + r(AL.alnum, 36)],
  ["other_service", "pypi-AgEIcHlwaS5vcmc" + r(AL.b64url, 70)],
  ["other_service", "dop_v1_" + r(AL.hex, 64)],
  ["other_service", "shpat_" + r(AL.hex, 32)],
  ["other_service", "tskey-auth-" + r(AL.alnum, 12) + "-" + r(AL.alnum, 30)],
  ["other_service", "PMAK-" + r(AL.hex, 24) + "-" + r(AL.hex, 34)],
  ["other_service", "lin_api_" + r(AL.alnum, 40)],
  ["other_service", "dp.pt." + r(AL.alnum, 43)],
  ["gitlab", "glagent-" + r(AL.b64url, 60)],
  ["other_service", "sgp_" + r(AL.hex, 40)],
  ["other_service", "tk-us-" + r(AL.b64url, 48)],
  ["other_service", "v1.0-" + r(AL.hex, 24) + "-" + r(AL.hex, 146)],
  ["other_service", r(AL.digits, 10) + ":AA" + r(AL.b64url, 33)],
  ["other_service", r(AL.digits, 16) + "|" + r(AL.b64url, 27)],
  ["other_service", "fm2_" + r(AL.b64, 150)],
];

// Keyword-gated values: [family, text, value].
const assigned: Array<[string, string, string]> = (() => {
  const uuid = `${r(AL.hex, 8)}-${r(AL.hex, 4)}-${r(AL.hex, 4)}-${r(AL.hex, 4)}-${r(AL.hex, 12)}`;
  const aws = r(AL.b64, 40);
  const sumo = r(AL.alnum, 64);
  const jira = r(AL.alnum, 24);
  return [
    ["other_service", `HEROKU_API_KEY=${uuid}`, uuid],
    ["other_service", `snyk_token: "${uuid}"`, uuid],
    ["aws", `aws_secret_access_key = ${aws}`, aws],
    ["other_service", `export SUMO_ACCESS_KEY="${sumo}"`, sumo],
    ["other_service", `JIRA_API_TOKEN=${jira}`, jira],
  ] as Array<[string, string, string]>;
})();

const negatives: string[] = [
  "ghp_" + "x".repeat(36), // redacted
  "ghp_" + r(AL.alnum, 35), // one short
  "ghp_" + r(AL.alnum, 40), // too long: not this format
  "wordghp_" + r(AL.alnum, 36), // inside a word
  "AKIAIOSFODNN7EXAMPLE", // AWS's documentation key
  "xoxb-123-456-########",
  "XOXB-" + r(AL.digits, 12) + "-" + r(AL.alnum, 24),
  "hf_" + r(AL.letters, 20),
  "eyJhbGciOiJub25lIn0", // a lone header
  "eyJhYmMiOjF9." + b64url('{"x":1}'), // header without "alg"
  "-----BEGIN PUBLIC KEY-----\n" + r(AL.b64, 64) + "\n-----END PUBLIC KEY-----",
  "-----BEGIN CERTIFICATE-----\n" + r(AL.b64, 64) + "\n-----END CERTIFICATE-----",
  "id = " + `${r(AL.hex, 8)}-${r(AL.hex, 4)}-${r(AL.hex, 4)}-${r(AL.hex, 4)}-${r(AL.hex, 12)}`, // a bare UUID
  "sha1 " + r(AL.hex, 40),
  "~".repeat(40),
  "sk-learn and sk-image are Python packages",
  "curl -u user:$PASSWORD https://example.com",
  "curl -u <user:password> https://example.com",
  "s.THISSTRINGISALLUPPERCASE",
  "The quick brown fox jumps over the lazy dog. ".repeat(4),
];

describe("formats", () => {
  it.each(positives.map(([f, t]) => [f, t.slice(0, 24), t]))("finds %s %s…", (family, _short, token) => {
    const text = `config: ${token} (rotate soon)`;
    const found = scan(text);
    expect(found.map((f) => f.value)).toEqual([token]);
    expect(found[0].family).toBe(family);
  });

  it.each(assigned)("finds %s in %s", (family, text, value) => {
    const found = scan(text);
    expect(found.map((f) => f.value)).toEqual([value]);
    expect(found[0].family).toBe(family);
  });

  it.each(negatives.map((t) => [t.slice(0, 40), t]))("ignores %s", (_short, text) => {
    expect(scan(`value: ${text} end`)).toEqual([]);
  });

  it("curl -u credentials, quoted or continued over lines", () => {
    const pass = r(AL.alnum, 14);
    expect(scan(`curl -X POST https://h/x \\\n  -u deploy:${pass}`).map((f) => f.value)).toEqual([`deploy:${pass}`]);
    expect(scan(`curl --user 'ci:${pass}' https://h/`).map((f) => f.value)).toEqual([`'ci:${pass}'`]);
    expect(scan(`ssh -u deploy:${pass}`)).toEqual([]); // not curl
  });

  it("generic assignments only when enabled, and only random-looking values", () => {
    const v = r(AL.alnum, 32);
    const text = `my_service_token = "${v}"`;
    expect(scan(text)).toEqual([]);
    expect(scan(text, true).map((f) => [f.value, f.family])).toEqual([[v, "generic"]]);
    expect(scan(`password: "${r(AL.alnum, 12)}!"`, true).length).toBe(1);
    expect(scan(`token = "the_default_token_value"`, true)).toEqual([]);
    expect(scan(`api_key: ${"x".repeat(32)}`, true)).toEqual([]);
    expect(scan(`auth_header = "${r(AL.alnum, 32)}"`, true)).toEqual([]);
  });

  it("offsets are exact around multi-byte text", () => {
    const t = "ghp_" + r(AL.alnum, 36);
    const text = `clé 🔑 « ${t} » 日本`;
    const [f] = scan(text);
    expect(text.slice(f.start, f.end)).toBe(t);
  });

  it("several secrets in one text, each once", () => {
    const a = "AKIA" + r(AL.upper, 16);
    const b = "xoxb-" + r(AL.digits, 12) + "-" + r(AL.alnum, 24);
    const c = "npm_" + r(AL.alnum, 36);
    expect(scan(`${a}\n${b}, ${c}.`).map((f) => f.value)).toEqual([a, b, c]);
  });
});

// ---- recorded provider traffic: no credentials in bodies ----------------------------------

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

describe("recordings", () => {
  it("no SECRET finding in any recorded request or response body", () => {
    const bodies = files(RECORDINGS).filter((p) => !/MANIFEST\.md$|\.gitattributes$/.test(p));
    expect(bodies.length).toBeGreaterThan(50);
    const hits: string[] = [];
    for (const p of bodies) {
      const bytes = readFileSync(p);
      for (const generic of [false, true]) {
        for (const f of scanBytes(bytes, generic)) {
          hits.push(`${p.slice(RECORDINGS.length + 1)} ${f.subtype} ${bytes.subarray(f.start, Math.min(f.end, f.start + 60)).toString()}`);
        }
      }
    }
    expect(hits).toEqual([]);
  });
});

// ---- fuzz: never trap, linear time --------------------------------------------------------

const enc = (s: string) => new TextEncoder().encode(s);
const generators: Array<[string, (n: number) => Uint8Array]> = [
  ["random bytes", (n) => { const b = new Uint8Array(n); for (let i = 0; i < n; i++) b[i] = Math.floor(rnd() * 256); return b; }],
  ["one base64 run", (n) => enc(r(AL.b64, n))],
  ["prefix repeats", (n) => enc("xoxb-1-".repeat(Math.ceil(n / 7)).slice(0, n))],
  ["dashed words", (n) => enc("a-".repeat(n / 2))],
  ["jwt-like chain", (n) => enc("eyJhbGciOi.".repeat(Math.ceil(n / 11)).slice(0, n))],
  ["BEGIN lines without END", (n) => enc("-----BEGIN PRIVATE KEY-----\n".repeat(Math.ceil(n / 28)).slice(0, n))],
  ["curl -u repeats", (n) => enc("curl -u a:bcd ".repeat(Math.ceil(n / 14)).slice(0, n))],
  ["assignments", (n) => enc("token=ab ".repeat(Math.ceil(n / 9)).slice(0, n))],
  ["digits and pipes", (n) => enc("1234567890123456|".repeat(Math.ceil(n / 17)).slice(0, n))],
  ["azure-like", (n) => enc("abc8Q~".repeat(Math.ceil(n / 6)).slice(0, n))],
];

describe("fuzz", () => {
  it("random and pathological inputs never trap", () => {
    for (let round = 0; round < 200; round++) {
      const n = Math.floor(rnd() * 2000);
      const b = new Uint8Array(n);
      // Random bytes biased toward token bytes and format prefixes' letters.
      const pool = "xoxb-AKIAghp_eyJ.-----BEGIN PRIVATE KEY:=\"' \n|~Q8" + AL.b64url;
      for (let i = 0; i < n; i++) b[i] = rnd() < 0.3 ? Math.floor(rnd() * 256) : pool.charCodeAt(Math.floor(rnd() * pool.length));
      expect(() => scanBytes(b, true)).not.toThrow();
    }
    for (const [, g] of generators) expect(() => scanBytes(g(20000), true)).not.toThrow();
  });

  // Steps, not milliseconds: the scan's step counter (host-tests/pii/work.ts), SECRET only.
  it.each(generators.map(([name, g]) => [name, g]))("%s: 4x the input takes at most 4.5x the steps", async (_name, g) => {
    const grown = growth(await workCounter(["SECRET"], true), g);
    expect(grown.ratio, `${grown.small} → ${grown.large} steps`).toBeLessThanOrEqual(4.5);
    expect(grown.perByte).toBeLessThanOrEqual(64);
  });
});
