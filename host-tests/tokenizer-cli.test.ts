// `tollgate count-tokens` end to end on the built tokenizer module, through its exported main().
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { main } from "./cli/count-tokens";

const here = dirname(fileURLToPath(import.meta.url));

async function run(argv: string[], stdin: string | Uint8Array) {
  let out = "", err = "";
  const status = await main(argv, { stdin, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { status, out, err };
}

describe("tollgate count-tokens", () => {
  it("counts standard input as raw bytes, in either encoding", async () => {
    expect(await run(["--encoding", "o200k_base"], "hello world")).toMatchObject({ status: 0, out: "2\n" });
    expect(await run(["count-tokens", "--encoding=cl100k_base", "--json"], "日本語")).toMatchObject({
      status: 0, out: JSON.stringify({ encoding: "cl100k_base", tokens: 4, bytes: 9 }) + "\n",
    });
    expect((await run([], new Uint8Array([0x68, 0x69, 0xff]))).status).toBe(0);
  });

  it("--chat adds OpenAI's chat overhead to a request", async () => {
    const request = readFileSync(join(here, "recordings/openai/chat-tool-call.request.json"), "utf8");
    expect(await run(["--chat"], request)).toMatchObject({ status: 0, out: "75\n" });
    expect((await run(["--chat"], '{"model":"x"}')).status).toBe(1);
  });

  it("--jsonl answers one line per line, in order, errors in place", async () => {
    const input = ['{"text":"hello world"}', '{"text":""}', "not json", '{"text":"a b c"}'].join("\n") + "\n";
    const r = await run(["--jsonl"], input);
    expect(r.status).toBe(1);
    const lines = r.out.trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.tokens)).toEqual([2, 0, undefined, 3]);
    expect(lines[2].error).toBeTruthy();
  });

  it("rejects unknown encodings and flags as usage errors", async () => {
    expect((await run(["--encoding", "p50k_base"], "")).status).toBe(2);
    expect((await run(["--bogus"], "")).status).toBe(2);
  });
});
