// `tollgate audit verify` on records from an independent writer (support/audit-chain-writer.ts):
// a clean multi-chain export passes, and each kind of tampering a log store can suffer is named
// at the right line with the right kind. Input forms: NDJSON, Envoy log lines (plain, escaped,
// JSON), OTLP/HTTP JSON documents from the OpenTelemetry JS SDK.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { LoggerProvider, SimpleLogRecordProcessor, InMemoryLogRecordExporter } from "@opentelemetry/sdk-logs";
import { JsonLogsSerializer } from "@opentelemetry/otlp-transformer";
import { main } from "./cli/main";
import { readLines, MAX_LINE_BYTES } from "./cli/audit-lines";
import { cUnescape } from "./cli/audit-envoy-log";
import { ChainWriter, hashOf, interleave, recordFields, rehashWithoutKey } from "./support/audit-chain-writer";

const dir = mkdtempSync(join(tmpdir(), "audit-verify-"));
let fileSeq = 0;

function file(lines: string[], ext = "ndjson"): string {
  const f = join(dir, `f${++fileSeq}.${ext}`);
  writeFileSync(f, lines.map((l) => l + "\n").join(""));
  return f;
}

async function verify(args: string[], opts: { env?: Record<string, string>; stdin?: string } = {}) {
  let out = "", err = "";
  const io = {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    env: opts.env ?? {},
    stdin: opts.stdin === undefined ? undefined : (async function* () { yield Buffer.from(opts.stdin!); })(),
  };
  const status = await main(["audit", "verify", ...args], io);
  return { status, out, err };
}

/** The failure `--json` reports. */
async function failure(args: string[], opts: { env?: Record<string, string> } = {}) {
  const r = await verify([...args, "--json"], opts);
  expect(r.err).toBe("");
  const j = JSON.parse(r.out);
  expect(r.status, r.out).toBe(1);
  expect(j.ok).toBe(false);
  return j.failure as { kind: string; line: number; index?: number; chain?: string; seq?: number; message: string; file: string };
}

/** Three chains of `n` records each, interleaved as three workers write one log. */
function threeChains(n: number, opts: { key?: string } = {}) {
  const writers = ["w0", "w1", "w2"].map((name) => new ChainWriter({ name, key: opts.key }));
  const chains = writers.map((w, k) => Array.from({ length: n }, (_, i) => w.next(recordFields(k * 1000 + i))));
  return { writers, chains, lines: interleave(...chains) };
}

const lineOf = (lines: string[], chain: string, seq: number) => lines.findIndex((l) => JSON.parse(l).chain === chain && JSON.parse(l).seq === seq) + 1;

describe("audit verify on NDJSON", () => {
  it("passes a clean export of three interleaved chains and reports each chain", async () => {
    const { writers, chains, lines } = threeChains(7);
    const r = await verify([file(lines)]);
    expect(r.status, r.out + r.err).toBe(0);
    for (const [k, w] of writers.entries()) {
      const last = JSON.parse(chains[k].at(-1)!);
      expect(r.out).toContain(`chain ${w.chain}: 7 records, seq 1..7, sha256, last hash ${last.hash}`);
    }
    expect(r.out).toContain("OK: 21 records in 3 chains verify.");

    const j = JSON.parse((await verify([file(lines), "--json"])).out);
    expect(j.ok).toBe(true);
    expect(j.failure).toBeNull();
    expect(j.chains.map((c: { chain: string; records: number; lastSeq: number }) => [c.chain, c.records, c.lastSeq])).toEqual(writers.map((w) => [w.chain, 7, 7]));
  });

  it("names a modified field at its line", async () => {
    const { writers, lines } = threeChains(5);
    const at = lineOf(lines, writers[1].chain, 3);
    const r = JSON.parse(lines[at - 1]);
    r.status = r.status === 200 ? 500 : 200;
    lines[at - 1] = JSON.stringify(r);
    expect(await failure([file(lines)])).toMatchObject({ kind: "modified", line: at, chain: writers[1].chain, seq: 3 });
  });

  it("names a deleted record at the record after the gap", async () => {
    const { writers, lines } = threeChains(5);
    const gone = lineOf(lines, writers[2].chain, 2);
    const next = lineOf(lines, writers[2].chain, 3);
    lines.splice(gone - 1, 1);
    const f = await failure([file(lines)]);
    expect(f).toMatchObject({ kind: "deleted", line: next - 1, chain: writers[2].chain, seq: 3 });
    expect(f.message).toContain("seq 2 is missing");
  });

  it("names two swapped records as reordered at the first of them", async () => {
    const { writers, lines } = threeChains(5);
    const a = lineOf(lines, writers[0].chain, 2);
    const b = lineOf(lines, writers[0].chain, 3);
    [lines[a - 1], lines[b - 1]] = [lines[b - 1], lines[a - 1]];
    const f = await failure([file(lines)]);
    expect(f).toMatchObject({ kind: "reordered", line: a, chain: writers[0].chain, seq: 3 });
    expect(f.message).toContain(`seq 3 comes before seq 2 (${dir}/f${fileSeq}.ndjson:${b})`);
  });

  it("names a record moved further back as reordered, pointing at the first record it skipped", async () => {
    const { writers, lines } = threeChains(6);
    const from = lineOf(lines, writers[1].chain, 5);
    const to = lineOf(lines, writers[1].chain, 2);
    const [moved] = lines.splice(from - 1, 1);
    lines.splice(to - 1, 0, moved);
    const f = await failure([file(lines)]);
    expect(f).toMatchObject({ kind: "reordered", line: to, chain: writers[1].chain, seq: 5 });
    expect(f.message).toContain(`seq 5 comes before seq 2 (${dir}/f${fileSeq}.ndjson:${to + 1})`);
  });

  it("names a duplicated record at the copy", async () => {
    const { writers, lines } = threeChains(5);
    const at = lineOf(lines, writers[1].chain, 2);
    lines.splice(at + 4, 0, lines[at - 1]);
    expect(await failure([file(lines)])).toMatchObject({ kind: "duplicated", line: at + 5, chain: writers[1].chain, seq: 2 });
  });

  it("names a record changed and re-hashed on its own at the next record of its chain", async () => {
    const { writers, lines } = threeChains(5);
    const at = lineOf(lines, writers[0].chain, 3);
    const r = JSON.parse(lines[at - 1]);
    r.model.served = "gpt-cheaper";
    delete r.hash;
    lines[at - 1] = JSON.stringify({ ...r, hash: hashOf(r.prev, JSON.stringify(r)) });
    const f = await failure([file(lines)]);
    expect(f).toMatchObject({ kind: "modified", line: lineOf(lines, writers[0].chain, 4), seq: 4 });
    expect(f.message).toContain(`prev is not the hash of seq 3`);
  });

  it("names a non-canonical line (one extra space)", async () => {
    const { lines } = threeChains(3);
    lines[4] = lines[4].replace('"seq":', '"seq": ');
    const f = await failure([file(lines)]);
    expect(f).toMatchObject({ kind: "not canonical", line: 5 });
    expect(f.message).toContain("character");
  });

  it("names a schema violation even when the hash was recomputed for it", async () => {
    const w = new ChainWriter({ name: "s" });
    const lines = [0, 1, 2].map((i) => w.next(recordFields(i)));
    const bad = new ChainWriter({ name: "s" });
    const forged = [0, 1, 2].map((i) => bad.next(i === 1 ? { ...recordFields(i), outcome: "teleported" } : recordFields(i)));
    expect(forged[0]).toBe(lines[0]);
    expect(await failure([file(forged)])).toMatchObject({ kind: "schema", line: 2, seq: 2 });
  });

  it("names lines that are not records: not JSON, invalid UTF-8", async () => {
    const { lines } = threeChains(2);
    expect(await failure([file([...lines.slice(0, 2), lines[2].slice(0, 40)])])).toMatchObject({ kind: "unreadable", line: 3 });
    const f = join(dir, "latin1.ndjson");
    writeFileSync(f, Buffer.concat([Buffer.from(lines[0] + "\n"), Buffer.from([0x7b, 0xe9, 0x7d, 0x0a])]));
    expect(await failure([f])).toMatchObject({ kind: "unreadable", line: 2, message: "not valid UTF-8" });
  });

  it("requires seq 1 first unless --partial, and then trusts where each chain starts", async () => {
    const { lines } = threeChains(6);
    const tail = lines.slice(6);
    expect(await failure([file(tail)])).toMatchObject({ kind: "deleted", line: 1, seq: 3 });
    const r = await verify([file(tail), "--partial"]);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain("4 records, seq 3..6");
  });

  it("--window: accepts records that come early within the window, still names deletions and duplicates", async () => {
    const { writers, lines } = threeChains(9);
    // Each chain's records shuffled within blocks of three, as a store that does not keep order.
    const shuffled = [...lines];
    for (let i = 0; i + 9 <= shuffled.length; i += 9) shuffled.splice(i, 9, ...shuffled.slice(i, i + 9).reverse());
    expect(shuffled).not.toEqual(lines);
    expect((await failure([file(shuffled)])).kind).toBe("reordered");
    expect((await verify([file(shuffled), "--window", "2"])).status).toBe(0);
    expect((await failure([file(shuffled), "--window", "1"])).kind).toMatch(/reordered|deleted/);

    const gone = lineOf(shuffled, writers[1].chain, 5);
    const deleted = shuffled.filter((_, i) => i !== gone - 1);
    const f = await failure([file(deleted), "--window", "2"]);
    expect(f).toMatchObject({ kind: "deleted", chain: writers[1].chain, seq: 6 });
    expect(f.line).toBe(lineOf(deleted, writers[1].chain, 6));

    const dup = [...shuffled];
    const at = lineOf(dup, writers[0].chain, 8);
    dup.splice(at, 0, dup[at - 1]);
    expect(await failure([file(dup), "--window", "2"])).toMatchObject({ kind: "duplicated", line: at + 1, seq: 8 });
  });

  it("reads several files as one stream (rotated logs, oldest first) and reports the file", async () => {
    const { lines } = threeChains(4);
    const a = file(lines.slice(0, 5));
    const b = file(lines.slice(5));
    expect((await verify([a, b])).status).toBe(0);
    // Newest first: the chains' first records come after their successors.
    const f = await failure([b, a]);
    expect(f).toMatchObject({ file: b, line: 1, kind: "reordered", seq: 2 });
    expect(f.message).toContain(`(${a}:`);
  });

  it("accepts CRLF line endings", async () => {
    const { lines } = threeChains(2);
    const f = join(dir, "crlf.ndjson");
    writeFileSync(f, lines.join("\r\n") + "\r\n");
    expect((await verify([f])).status).toBe(0);
  });

  it("inflates .gz files as they stream", async () => {
    const { lines } = threeChains(3);
    const f = join(dir, "export.ndjson.gz");
    writeFileSync(f, gzipSync(lines.join("\n") + "\n"));
    expect((await verify([f])).status).toBe(0);
    writeFileSync(f, gzipSync(lines.filter((_, i) => i !== 4).join("\n") + "\n"));
    expect(await failure([f])).toMatchObject({ kind: "deleted", line: 7 });
  });

  it("reads standard input as -", async () => {
    const { lines } = threeChains(2);
    const r = await verify(["-"], { stdin: lines.join("\n") + "\n" });
    expect(r.status, r.out).toBe(0);
  });

  it("fails an input with no record at all", async () => {
    const r = await verify([file(["[2026-11-23 17:00:00.000][1][info][main] starting"], "log")]);
    expect(r.status).toBe(1);
    expect(r.out).toContain('no line carries the prefix "TOLLGATE_AUDIT "');
  });
});

describe("audit verify with an HMAC key", () => {
  const KEY = "correct horse battery staple";

  it("verifies keyed chains with --key-file (trailing newline dropped) and --key-env", async () => {
    const { lines } = threeChains(4, { key: KEY });
    const keyFile = join(dir, "key");
    writeFileSync(keyFile, KEY + "\n");
    expect((await verify([file(lines), "--key-file", keyFile])).status).toBe(0);
    expect((await verify([file(lines), "--key-env", "AUDIT_KEY"], { env: { AUDIT_KEY: KEY } })).status).toBe(0);
  });

  it("cannot verify keyed chains without the key (exit 2) and names the first record under a wrong key", async () => {
    const { lines } = threeChains(2, { key: KEY });
    const r = await verify([file(lines)]);
    expect(r.status).toBe(2);
    expect(r.err).toContain("give its key");
    const f = await failure([file(lines), "--key-env", "K"], { env: { K: "a different key!!" } });
    expect(f).toMatchObject({ kind: "modified", line: 1 });
    expect(f.message).toContain("or the key is not this chain's");
  });

  it("names a chain re-hashed by someone without the key as bad hash, at the first forged record", async () => {
    const { writers, lines } = threeChains(5, { key: KEY });
    const at = lineOf(lines, writers[2].chain, 2);
    const r = JSON.parse(lines[at - 1]);
    r.cost_micro_usd = 1;
    lines[at - 1] = JSON.stringify(r);
    const forged = rehashWithoutKey(lines, writers[2].chain, at - 1);
    expect(await failure([file(forged), "--key-env", "K"], { env: { K: KEY } })).toMatchObject({ kind: "bad hash", line: at, chain: writers[2].chain, seq: 2 });
  });

  it("names a downgrade to plain sha256 as bad hash when the key is given", async () => {
    const plain = new ChainWriter({ name: "w0" });
    const lines = [0, 1].map((i) => plain.next(recordFields(i)));
    expect(await failure([file(lines), "--key-env", "K"], { env: { K: KEY } })).toMatchObject({ kind: "bad hash", line: 1 });
  });
});

const ENVOY_PREFIX = "[2026-11-23 17:00:00.123][15][info][wasm] [source/extensions/common/wasm/context.cc:1192] wasm log audit audit tollgate: ";

describe("audit verify on Envoy logs", () => {
  it("picks records out of a default-format Envoy log, skipping other lines, and counts log lines", async () => {
    const { writers, lines } = threeChains(3);
    const log = lines.flatMap((l, i) => [`[2026-11-23 17:00:00.1${i}][15][debug][http] [source/common/http/conn_manager_impl.cc:400] [C${i}] new stream`, ENVOY_PREFIX + "TOLLGATE_AUDIT " + l]);
    expect((await verify([file(log, "log")])).status).toBe(0);
    const at = lineOf(lines, writers[1].chain, 2);
    log[2 * at - 1] = log[2 * at - 1].replace('"status":200', '"status":201');
    expect(await failure([file(log, "log")])).toMatchObject({ kind: "modified", line: 2 * at, seq: 2 });
  });

  it("honours --prefix", async () => {
    const { lines } = threeChains(2);
    const log = lines.map((l) => ENVOY_PREFIX + "AUDIT> " + l);
    expect((await verify([file(log, "log"), "--prefix", "AUDIT> "])).status).toBe(0);
    expect((await verify([file(log, "log")])).status).toBe(1);
  });

  it("reads --log-format-escaped lines (absl::CEscape: quotes, backslashes, octal UTF-8)", async () => {
    const w = new ChainWriter();
    const lines = [0, 1, 2].map((i) => w.next({ ...recordFields(i), path: `/v1/chat/"é"\\${i}` }));
    const escaped = lines.map((l) => ENVOY_PREFIX + "TOLLGATE_AUDIT " + cEscape(l));
    expect(escaped[1]).toContain('\\"path\\":\\"/v1/chat/\\\\\\"\\303\\251\\\\\\"');
    expect((await verify([file(escaped, "log")])).status).toBe(0);
    expect(cUnescape(cEscape(lines[1]))).toBe(lines[1]);
  });

  it("reads a JSON application log (%j message inside a JSON line)", async () => {
    const { lines } = threeChains(2);
    const log = [JSON.stringify({ Timestamp: "2026-11-23T17:00:00.0", Level: "info", Message: "starting workers" })];
    log.push(...lines.map((l) => JSON.stringify({ Timestamp: "2026-11-23T17:00:00.1", Level: "info", Message: "wasm log audit audit tollgate: TOLLGATE_AUDIT " + l })));
    const r = await verify([file(log, "log"), "--json"]);
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out).formats).toEqual({ [join(dir, `f${fileSeq}.log`)]: "log" });
  });
});

/** absl::CEscape as Envoy's --log-format-escaped applies it: bytes, octal outside printable ASCII. */
function cEscape(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8")) {
    const named: Record<number, string> = { 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x22: '\\"', 0x27: "\\'", 0x5c: "\\\\" };
    out += named[b] ?? (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : "\\" + b.toString(8).padStart(3, "0"));
  }
  return out;
}

/** ExportLogsServiceRequest JSON as the OpenTelemetry JS SDK serializes it, records as structured bodies. */
function otlpDocument(records: string[]): string {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(exporter)] });
  const logger = provider.getLogger("tollgate.audit");
  for (const r of records) logger.emit({ body: JSON.parse(r) });
  return new TextDecoder().decode(JsonLogsSerializer.serializeRequest(exporter.getFinishedLogRecords()));
}

describe("audit verify on OTLP/HTTP JSON", () => {
  it("verifies records carried as kvlist bodies, intValue as number (SDK) or string (proto3 JSON)", async () => {
    const { writers, lines } = threeChains(4);
    const docs = [otlpDocument(lines.slice(0, 5)), otlpDocument(lines.slice(5))];
    expect(docs[0]).toContain('"kvlistValue"');
    expect(docs[0]).toMatch(/"intValue":\d/);
    const r = await verify([file(docs, "json"), "--json"]);
    expect(r.status, r.out).toBe(0);
    expect(JSON.parse(r.out).records).toBe(12);
    const collector = docs.map((d) => d.replace(/"intValue":(-?\d+)/g, '"intValue":"$1"'));
    expect((await verify([file(collector, "json")])).status).toBe(0);

    // The first chain's seq 3 is the second document's second record (after the third chain's seq 2).
    const tampered = [docs[0], docs[1].replace('"stringValue":"req-2"', '"stringValue":"req-x"')];
    expect(tampered[1]).not.toBe(docs[1]);
    expect(await failure([file(tampered, "json")])).toMatchObject({ kind: "modified", line: 2, index: 2, chain: writers[0].chain, seq: 3 });
  });

  it("reads a body that is an empty AnyValue as null", async () => {
    const w = new ChainWriter();
    const lines = [0, 1].map((i) => w.next({ ...recordFields(i), trace_id: null }));
    const doc = otlpDocument(lines);
    expect(doc).toContain('{"key":"trace_id","value":{}}');
    expect((await verify([file([doc], "json"), "--format", "otlp"])).status).toBe(0);
  });
});

describe("audit verify usage", () => {
  it("exits 2 on usage errors", async () => {
    const f = file(threeChains(1).lines);
    for (const args of [[], [f, "--bogus"], [f, "--format", "xml"], [f, "--key-file", "k", "--key-env", "K"], [f, "--key-env", "UNSET"], [join(dir, "missing.ndjson")], [f, "--schema", join(dir, "missing.json")], [f, "--window", "-1"]]) {
      const r = await verify(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.err).not.toBe("");
    }
    expect((await main(["audit", "frobnicate"], { stdout: { write: () => true }, stderr: { write: () => true } }))).toBe(2);
  });

  it("is listed in tollgate's usage", async () => {
    let out = "";
    await main(["--help"], { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true } });
    expect(out).toContain("tollgate audit verify <file>...");
  });
});

describe("line reading", () => {
  it("splits at LF across chunk boundaries, multi-byte characters included", async () => {
    const text = 'a\n{"x":"é日本😀"}\n\nlast';
    const bytes = Buffer.from(text);
    for (let cut = 0; cut <= bytes.length; cut++) {
      const got: string[] = [];
      for await (const l of readLines([bytes.subarray(0, cut), bytes.subarray(cut)])) got.push(`${l.no}:${l.text}`);
      expect(got, `cut at ${cut}`).toEqual(["1:a", '2:{"x":"é日本😀"}', "3:", "4:last"]);
    }
  });

  it("reports an over-long line without keeping it", async () => {
    const chunk = Buffer.alloc(1 << 20, 0x61);
    async function* big() {
      yield Buffer.from("first\n");
      for (let i = 0; i <= MAX_LINE_BYTES >> 20; i++) yield chunk;
      yield Buffer.from("\nafter\n");
    }
    const got = [];
    for await (const l of readLines(big())) got.push(l);
    expect(got.map((l) => l.text)).toEqual(["first", null, "after"]);
    expect(got[1].problem).toContain("longer than");
  });
});
