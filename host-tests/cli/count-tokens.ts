// `tollgate count-tokens`: the filters' tokenizer (dist/tokenizer.wasm) on standard input, so a
// count can be checked by hand against a provider's bill or another tokenizer.
import { WasmTokenizer, ENCODINGS, chatOps, type EncodingName } from "../support/tokenizer";

export const COUNT_TOKENS_USAGE = `usage: tollgate count-tokens [--encoding o200k_base|cl100k_base] [--chat] [--json | --jsonl]

Counts tokens of standard input with the same AssemblyScript tokenizer the filters run.
  --encoding E   o200k_base (gpt-4o, gpt-4.1, o-series, gpt-5; default) or cl100k_base (gpt-4, gpt-3.5)
  --chat         input is an OpenAI chat completions request: prompt tokens including the per-message
                 overhead (3 + 1 per name), the reply priming (3) and function tools
  --json         print {"encoding", "tokens", "bytes"} instead of the bare number
  --jsonl        one JSON object per input line, {"text": ...} (or a request with --chat); prints
                 {"tokens": n} per line, in order ({"error": ...} for a line that cannot be read)
  --wasm FILE    tokenizer module to use (default dist/tokenizer.wasm; build with npm run build)
Input is taken as raw bytes: invalid UTF-8 counts as U+FFFD, as TextDecoder would read it.
Special-token text such as <|endoftext|> counts as ordinary text.
`;

export interface CountTokensIo {
  stdin?: AsyncIterable<Buffer | string> | string | Uint8Array;
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

interface Options {
  encoding: EncodingName;
  chat: boolean;
  json: boolean;
  jsonl: boolean;
  wasm?: string;
}

function parse(argv: string[]): Options | string {
  const o: Options = { encoding: "o200k_base", chat: false, json: false, jsonl: false };
  const args = argv[0] === "count-tokens" ? argv.slice(1) : argv;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--encoding" || a === "-e") {
      const v = args[++i];
      if (!ENCODINGS.includes(v as EncodingName)) return `--encoding must be one of ${ENCODINGS.join(", ")}`;
      o.encoding = v as EncodingName;
    } else if (a.startsWith("--encoding=")) {
      const v = a.slice("--encoding=".length);
      if (!ENCODINGS.includes(v as EncodingName)) return `--encoding must be one of ${ENCODINGS.join(", ")}`;
      o.encoding = v as EncodingName;
    } else if (a === "--chat") o.chat = true;
    else if (a === "--json") o.json = true;
    else if (a === "--jsonl") o.jsonl = true;
    else if (a === "--wasm") {
      o.wasm = args[++i];
      if (!o.wasm) return "--wasm needs a file";
    } else if (a === "-h" || a === "--help") return "help";
    else return `unknown argument ${JSON.stringify(a)}`;
  }
  if (o.json && o.jsonl) return "give either --json or --jsonl";
  return o;
}

async function readAll(input: CountTokensIo["stdin"]): Promise<Buffer> {
  if (input === undefined) input = process.stdin;
  if (typeof input === "string") return Buffer.from(input, "utf8");
  if (input instanceof Uint8Array) return Buffer.from(input);
  const chunks: Buffer[] = [];
  for await (const c of input) chunks.push(typeof c === "string" ? Buffer.from(c, "utf8") : c);
  return Buffer.concat(chunks);
}

function check(n: number): number {
  if (n === -2) throw new Error("an unbroken run of more than 1 MiB cannot be counted exactly");
  if (n < 0) throw new Error(`tokenizer error ${n}`);
  return n;
}

/** Runs the subcommand; `argv` may start with "count-tokens". Returns the exit status. */
export async function main(argv: string[], io: CountTokensIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const o = parse(argv);
  if (o === "help") {
    io.stdout.write(COUNT_TOKENS_USAGE);
    return 0;
  }
  if (typeof o === "string") {
    io.stderr.write(`tollgate count-tokens: ${o}\n\n${COUNT_TOKENS_USAGE}`);
    return 2;
  }
  let tok: WasmTokenizer;
  try {
    tok = await WasmTokenizer.load(o.wasm);
  } catch (e) {
    io.stderr.write(`tollgate count-tokens: cannot load the tokenizer: ${(e as Error).message}\n`);
    return 1;
  }
  const countChat = (request: unknown) => {
    if (!request || typeof request !== "object" || !Array.isArray((request as any).messages)) {
      throw new Error("not a chat request (no messages array)");
    }
    return check(tok.chat(chatOps(request), o.encoding));
  };
  const input = await readAll(io.stdin);

  if (o.jsonl) {
    let failed = false;
    const lines = input.toString("utf8").split("\n");
    if (lines.at(-1) === "") lines.pop();
    for (const line of lines) {
      try {
        const v = JSON.parse(line);
        let n: number;
        if (o.chat) n = countChat(v);
        else if (v && typeof v.text === "string") n = check(tok.count(v.text, o.encoding));
        else throw new Error('expected {"text": string}');
        io.stdout.write(JSON.stringify({ tokens: n }) + "\n");
      } catch (e) {
        failed = true;
        io.stdout.write(JSON.stringify({ error: (e as Error).message }) + "\n");
      }
    }
    return failed ? 1 : 0;
  }

  try {
    const n = o.chat ? countChat(JSON.parse(input.toString("utf8"))) : check(tok.count(input, o.encoding));
    io.stdout.write(o.json ? JSON.stringify({ encoding: o.encoding, tokens: n, bytes: input.length }) + "\n" : `${n}\n`);
    return 0;
  } catch (e) {
    io.stderr.write(`tollgate count-tokens: ${(e as Error).message}\n`);
    return 1;
  }
}
