// `tollgate audit verify`: checks exported audit records (schema, canonical form, seq, prev,
// hash per filters/audit/CHAIN.md) and names the first broken one. See filters/audit/VERIFY.md.
import { createReadStream, readFileSync } from "node:fs";
import { createGunzip } from "node:zlib";
import { FORMATS, candidatesOf, detectFormat, type Format } from "./audit-input";
import { readLines } from "./audit-lines";
import { DEFAULT_SCHEMA, loadRecordSchema } from "./audit-schema";
import { CannotVerify, ChainVerifier, where, type ChainSummary, type Failure } from "./audit-verify";

export const AUDIT_USAGE = `usage: tollgate audit verify <file>... [--key-file F | --key-env VAR] [--prefix P]
                             [--format auto|ndjson|log|otlp] [--partial] [--window N] [--json] [--schema F]

Checks audit records (filters/audit/CHAIN.md) in input order, per chain: schema, canonical form,
seq continuity, prev linkage and hash, and names the first broken record.
  <file>...        read in order as one stream ("-" is standard input, *.gz is inflated);
                   rotated logs oldest first
  --key-file F     the chain's HMAC key: the file's bytes, one trailing newline dropped
  --key-env VAR    the HMAC key from an environment variable
  --prefix P       what precedes a record in a log line            default "TOLLGATE_AUDIT "
  --format F       ndjson: one record per line; log: Envoy log lines, those without the prefix
                   skipped; otlp: OTLP/HTTP JSON ExportLogsServiceRequest documents, one per line
                   (OpenTelemetry Collector file exporter); auto (default): per file, from its
                   first non-empty line
  --partial        an export that starts mid-chain: trust the first record of each chain
  --window N       a store that does not keep write order: a record may come up to N records
                   of its chain early (held until its turn)                      default 0
  --json           the result as one JSON object on stdout
  --schema F       record schema                  default filters/audit/record.schema.json
Exit status: 0 all records verify; 1 a record fails (or no record was found); 2 usage error,
unreadable file, or HMAC records without a key.
A record deleted from the END of a chain leaves no trace in the records: compare each chain's
last seq with the filter's tollgate.audit.records metric (see VERIFY.md).
`;

export interface AuditIo {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  stdin?: AsyncIterable<Uint8Array | string>;
  env?: Record<string, string | undefined>;
}

class UsageError extends Error {}

interface Options {
  files: string[];
  key?: Buffer;
  prefix: string;
  format: Format | "auto";
  partial: boolean;
  window: number;
  json: boolean;
  schema: string;
}

function parse(argv: string[], env: Record<string, string | undefined>): Options | "help" {
  const o: Options = { files: [], prefix: "TOLLGATE_AUDIT ", format: "auto", partial: false, window: 0, json: false, schema: DEFAULT_SCHEMA };
  let keyFile: string | undefined;
  let keyEnv: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = () => {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case "--key-file": keyFile = value(); break;
      case "--key-env": keyEnv = value(); break;
      case "--prefix": o.prefix = value(); break;
      case "--schema": o.schema = value(); break;
      case "--format": {
        const v = value();
        if (!(FORMATS as readonly string[]).includes(v)) throw new UsageError(`--format must be one of ${FORMATS.join(", ")}`);
        o.format = v as Options["format"];
        break;
      }
      case "--partial": o.partial = true; break;
      case "--window": {
        const v = value();
        if (!/^\d{1,6}$/.test(v)) throw new UsageError("--window needs an integer from 0 to 999999");
        o.window = Number(v);
        break;
      }
      case "--json": o.json = true; break;
      case "-h": case "--help": return "help";
      default:
        if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option ${a}`);
        o.files.push(a);
    }
  }
  if (!o.files.length) throw new UsageError("verify needs at least one file");
  if (o.prefix === "") throw new UsageError("--prefix cannot be empty");
  if (keyFile !== undefined && keyEnv !== undefined) throw new UsageError("give either --key-file or --key-env, not both");
  if (keyFile !== undefined) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(keyFile);
    } catch (e) {
      throw new UsageError(`--key-file: ${(e as Error).message}`);
    }
    // `echo KEY > file` adds a newline that is not part of the configured key.
    o.key = bytes.at(-1) === 0x0a ? bytes.subarray(0, bytes.at(-2) === 0x0d ? -2 : -1) : bytes;
  }
  if (keyEnv !== undefined) {
    const v = env[keyEnv];
    if (v === undefined) throw new UsageError(`--key-env: ${keyEnv} is not set`);
    o.key = Buffer.from(v, "utf8");
  }
  if (o.key && o.key.length === 0) throw new UsageError("the key is empty");
  return o;
}

/** `argv` starts after `audit`. Returns the exit status. */
export async function main(argv: string[], io: AuditIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "-h" || sub === "--help" || sub === "help") {
    (sub === undefined ? io.stderr : io.stdout).write(AUDIT_USAGE);
    return sub === undefined ? 2 : 0;
  }
  let o: Options | "help";
  try {
    if (sub !== "verify") throw new UsageError(`unknown audit command ${JSON.stringify(sub)}`);
    o = parse(rest, io.env ?? process.env);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr.write(`tollgate audit: ${e.message}\n\n${AUDIT_USAGE}`);
    return 2;
  }
  if (o === "help") {
    io.stdout.write(AUDIT_USAGE);
    return 0;
  }
  try {
    return await verify(o, io);
  } catch (e) {
    io.stderr.write(`tollgate audit verify: ${(e as Error).message}\n`);
    return 2;
  }
}

async function verify(o: Options, io: AuditIo): Promise<number> {
  let validate;
  try {
    validate = loadRecordSchema(o.schema);
  } catch (e) {
    throw new Error(`cannot load the record schema ${o.schema}: ${(e as Error).message}`);
  }
  const v = new ChainVerifier({ validate, key: o.key, partial: o.partial, window: o.window });
  const formats: Record<string, Format> = {};
  try {
    for (const file of o.files) {
      if (!v.wantsMore) break;
      const name = file === "-" ? "<stdin>" : file;
      const source = file === "-" ? (io.stdin ?? process.stdin) : openFile(file);
      let format = o.format === "auto" ? null : o.format;
      try {
        for await (const line of readLines(source)) {
          if (format === null) {
            if (line.text === "") continue;
            format = line.text === null ? "ndjson" : detectFormat(line.text, o.prefix);
          }
          for (const c of candidatesOf(line, format, o.prefix)) v.add(name, c);
          if (!v.wantsMore) break;
        }
      } finally {
        if ("destroy" in source && typeof source.destroy === "function") source.destroy();
      }
      formats[name] = format ?? (o.format === "auto" ? "ndjson" : o.format);
    }
  } catch (e) {
    if (e instanceof CannotVerify) throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code) throw new Error(`${err.path ?? "input"}: ${err.message}`);
    throw e;
  }
  const failure = v.finish();
  const chains = v.summaries();
  if (o.json) {
    io.stdout.write(JSON.stringify({ ok: !failure && v.records > 0, records: v.records, formats, chains, failure: failure ?? (v.records ? null : { kind: "no records", message: "no audit record found" }) }) + "\n");
  } else {
    io.stdout.write(report(failure, chains, v.records, formats, o));
  }
  return failure || v.records === 0 ? 1 : 0;
}

/** Log stores export compressed files: *.gz is inflated as it streams. */
function openFile(file: string): NodeJS.ReadableStream & { destroy(): void } {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  if (!file.endsWith(".gz")) return raw;
  const gunzip = createGunzip();
  raw.on("error", (e) => gunzip.destroy(e));
  return raw.pipe(gunzip);
}

function report(failure: Failure | null, chains: ChainSummary[], records: number, formats: Record<string, Format>, o: Options): string {
  if (failure) {
    const who = failure.chain !== undefined ? ` chain ${failure.chain}${failure.seq !== undefined ? ` seq ${failure.seq}` : ""}` : "";
    return `FAILED ${where(failure)}${who}: ${failure.kind}: ${failure.message}\n`;
  }
  if (records === 0) {
    const hint = Object.values(formats).includes("log") ? ` (no line carries the prefix ${JSON.stringify(o.prefix)})` : "";
    return `FAILED: no audit record found${hint}\n`;
  }
  const lines = chains.map((c) => `chain ${c.chain}: ${c.records} records, seq ${c.firstSeq}..${c.lastSeq}, ${c.alg}${c.keyId ? ` key_id ${c.keyId}` : ""}, last hash ${c.lastHash}`);
  lines.push(`OK: ${records} records in ${chains.length} chain${chains.length === 1 ? "" : "s"} verify.`);
  lines.push("Not visible in the records: a deletion at the END of a chain. Compare each chain's last seq with tollgate.audit.records.");
  return lines.join("\n") + "\n";
}
