// `tollgate pii scan`: the pii-redact filter's detectors on JSON lines from standard input, so
// users can see what the filter would find in their own prompts before turning it on.
import { readFileSync } from "node:fs";
import { loadPiiScanner, PII_WASM, type Entity, type PiiScanner } from "./scanner";
import { redactText } from "./redact-text";

export const PII_USAGE = `usage: tollgate pii scan [--json] [--config FILE] [--wasm FILE]

Reads JSON lines {"text": "..."} on standard input and scans each text with the pii-redact
filter's detectors (the same wasm code the filter runs). Prints, per input line:
  default   the text with each entity replaced by [TYPE], then one line per entity
  --json    {"entities": [{"start", "end", "type", "subtype"}], "redacted": "..."}
Offsets are JavaScript string indices (UTF-16 code units), end exclusive.
A line that is not JSON or has no string "text" gives {"error": "..."} (or "error: ...") and
scanning goes on; the exit status is 0 unless standard input cannot be read.
  --config FILE   scan configuration, JSON: {"enabled": [types], "thresholds": {TYPE: 0..100},
                  "generic_secrets": bool}, or the filter's own configuration ("entities":
                  {TYPE: {"enabled", "threshold"}}); other keys are ignored
  --wasm FILE     module to use (default dist/pii-redact.wasm; build with npm run build)
`;

export interface PiiIo {
  stdin?: AsyncIterable<Buffer | string> | string | Uint8Array;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
  /** Instead of loading --wasm (tests). */
  scanner?: PiiScanner;
}

interface Options {
  json: boolean;
  config?: string;
  wasm?: string;
}

function parse(argv: string[]): Options | string {
  const args = argv[0] === "pii" ? argv.slice(1) : argv;
  if (args[0] === "-h" || args[0] === "--help") return "help";
  if (args[0] !== "scan") return args.length ? `unknown pii command ${JSON.stringify(args[0])}` : "pii needs a command: scan";
  const o: Options = { json: false };
  for (let i = 1; i < args.length; i++) {
    const a = args[i];
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const flag = eq > 0 ? a.slice(0, eq) : a;
    const value = () => (eq > 0 ? a.slice(eq + 1) : args[++i]);
    if (flag === "--json" && eq < 0) o.json = true;
    else if (flag === "--config" || flag === "--wasm") {
      const v = value();
      if (!v) return `${flag} needs a file`;
      if (flag === "--config") o.config = v;
      else o.wasm = v;
    } else if (a === "-h" || a === "--help") return "help";
    else return `unknown argument ${JSON.stringify(a)}`;
  }
  return o;
}

/** Input lines as they arrive, so a long stream is answered line by line. */
async function* lines(input: PiiIo["stdin"]): AsyncGenerator<string> {
  if (input === undefined) input = process.stdin;
  if (typeof input === "string" || input instanceof Uint8Array) input = [input] as unknown as AsyncIterable<Buffer | string>;
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = pending.indexOf("\n")) >= 0) {
      yield pending.slice(0, nl).replace(/\r$/, "");
      pending = pending.slice(nl + 1);
    }
  }
  pending += decoder.decode();
  // A final newline ends the last line; it does not start an empty one.
  if (pending) yield pending.replace(/\r$/, "");
}

function textOf(line: string): string {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    throw new Error(`not JSON: ${(e as Error).message}`);
  }
  const text = v && typeof v === "object" && !Array.isArray(v) ? (v as { text?: unknown }).text : undefined;
  if (typeof text !== "string") throw new Error('expected {"text": string}');
  return text;
}

function humanEntity(text: string, e: Entity): string {
  const sub = e.subtype ? `/${e.subtype}` : "";
  return `  ${e.start}-${e.end} ${e.type}${sub} score ${e.score}: ${JSON.stringify(text.slice(e.start, e.end))}\n`;
}

function answer(scanner: PiiScanner, line: string, json: boolean): string {
  let text: string;
  try {
    text = textOf(line);
  } catch (e) {
    const error = (e as Error).message;
    return json ? JSON.stringify({ error }) + "\n" : `error: ${error}\n`;
  }
  const entities = scanner.scan(text);
  const redacted = redactText(text, entities);
  if (json) {
    return JSON.stringify({ entities: entities.map(({ start, end, type, subtype }) => ({ start, end, type, subtype })), redacted }) + "\n";
  }
  return redacted + "\n" + entities.map((e) => humanEntity(text, e)).join("");
}

/** Runs `tollgate pii ...`; `argv` may start with "pii". Returns the exit status. */
export async function main(argv: string[], io: PiiIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const o = parse(argv);
  if (o === "help") {
    io.stdout.write(PII_USAGE);
    return 0;
  }
  if (typeof o === "string") {
    io.stderr.write(`tollgate pii: ${o}\n\n${PII_USAGE}`);
    return 2;
  }
  let scanner: PiiScanner;
  try {
    scanner = io.scanner ?? loadPiiScanner(o.wasm ?? PII_WASM);
    if (o.config !== undefined) scanner.configure(readFileSync(o.config, "utf8"));
  } catch (e) {
    io.stderr.write(`tollgate pii scan: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    for await (const line of lines(io.stdin)) io.stdout.write(answer(scanner, line, o.json));
  } catch (e) {
    io.stderr.write(`tollgate pii scan: cannot read standard input: ${(e as Error).message}\n`);
    return 1;
  }
  return 0;
}
