import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "./cli/main";
import { decodeBytes, type EncodedBytes } from "./replay/bytes";
import { hostModuleEnv, testCreateHost } from "./replay/testing/hosts";
import { buildChain } from "./replay/chain";

const repo = resolve(__dirname, "..");
const recordings = join(repo, "host-tests/recordings");
const passthrough = join(repo, "dist/passthrough.wasm");
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function tollgate(args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, "scripts/tollgate.mjs"), ...args], { cwd: repo, env: { ...process.env, ...hostModuleEnv() }, encoding: "utf8", maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface JsonOutcome {
  name: string;
  localReply: null | { status: number };
  upstreamRequest: null | { headers: [string, string][]; body: EncodedBytes };
  downstreamResponse: null | { status: number; headers: [string, string][]; body: EncodedBytes; chunks: number[] };
  filterState: Record<string, EncodedBytes>;
  logs: { level: number; message: string }[];
  metrics: Record<string, number>;
  trap: unknown;
  split: { mode: string; replays: number; mismatches: number };
}

async function inProcess(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, createHost: await testCreateHost() });
  return { code, stdout, stderr };
}

describe("tollgate replay --json on the real recordings", () => {
  it("with the shipped envoy.yaml (token meter) every recorded byte reaches the client unchanged, and the upstream too but for injected include_usage", () => {
    const r = tollgate(["replay", "host-tests/recordings/cassettes", "--chain", "envoy/envoy.yaml", "--json"]);
    expect(r.stderr).toMatch(/53 exchanges from 10 cassettes/);
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as JsonOutcome);
    expect(out).toHaveLength(53);
    const index = JSON.parse(readFileSync(join(recordings, "index.json"), "utf8")) as Array<{ provider: string; name: string; sha256: string; files: Record<string, string>; response: { status: number } }>;
    const byName = new Map(out.map((o) => [o.name, o]));
    for (const e of index) {
      const o = byName.get(`${e.provider}/${e.name}${e.files.response_wire_gzip ? ".decoded" : ""}`)!;
      expect(o, e.name).toBeDefined();
      expect(o.localReply).toBeNull();
      expect(o.trap).toBeNull();
      expect(o.downstreamResponse!.status).toBe(e.response.status);
      expect(sha(decodeBytes(o.downstreamResponse!.body)), e.name).toBe(e.sha256);
      if (e.files.request) {
        const original = readFileSync(join(recordings, e.files.request));
        const sent = decodeBytes(o.upstreamRequest!.body);
        const asked = JSON.parse(original.toString("utf8"));
        if (asked.stream === true && /chat\/completions$|\/completions$/.test(o.upstreamRequest!.headers.find(([k]) => k === ":path")![1]) && asked.stream_options?.include_usage !== true) {
          // The meter asks for usage on OpenAI-style streams (filters/token-meter/CONFIG.md include_usage).
          expect(JSON.parse(Buffer.from(sent).toString("utf8")), e.name).toEqual({ ...asked, stream_options: { ...asked.stream_options, include_usage: true } });
        } else {
          expect(sha(sent), e.name).toBe(sha(original));
        }
      }
      // Every recorded exchange is an LLM call the meter recognises.
      expect(Object.keys(o.filterState), e.name).toContain("tollgate.usage");
    }
    // Binary bodies come as base64 with a marker; text stays text.
    expect(typeof byName.get("bedrock/converse-stream-nova")!.downstreamResponse!.body).toBe("object");
    expect(byName.get("gemini/stream-json-array")!.downstreamResponse!.body).toHaveProperty("base64");
    expect(typeof byName.get("openai/chat-basic")!.downstreamResponse!.body).toBe("string");
  });

  it.skipIf(!existsSync(passthrough))("through dist/passthrough.wasm, every-byte splits of SSE and eventstream give the recorded result", () => {
    const grep = "^(anthropic/messages-stream-text|bedrock/converse-stream-tool-use|gemini/stream-sse)$";
    const recorded = tollgate(["replay", "host-tests/recordings/cassettes", "--filter", passthrough, "--root-id", "passthrough", "--grep", grep, "--json"]);
    const split = tollgate(["replay", "host-tests/recordings/cassettes", "--filter", passthrough, "--root-id", "passthrough", "--grep", grep, "--split", "every-byte", "--json"]);
    expect(split.stderr).toMatch(/split mismatches: 0 /);
    expect(split.code).toBe(0);
    const a = recorded.stdout.trim().split("\n").map((l) => JSON.parse(l) as JsonOutcome);
    const b = split.stdout.trim().split("\n").map((l) => JSON.parse(l) as JsonOutcome);
    expect(b.map((o) => o.name)).toEqual(a.map((o) => o.name));
    expect(a).toHaveLength(3);
    for (let i = 0; i < a.length; i++) {
      expect(b[i].split.mode).toBe("every-byte");
      expect(b[i].split.replays).toBeGreaterThan(500);
      expect(b[i].split.mismatches).toBe(0);
      expect(b[i].downstreamResponse!.body).toEqual(a[i].downstreamResponse!.body);
      expect(b[i].upstreamRequest!.body).toEqual(a[i].upstreamRequest!.body);
    }
  });
});

describe("tollgate replay: report, expectations, exit status", () => {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-cli-"));
  const cassette = join(dir, "expect.yaml");
  writeFileSync(
    cassette,
    `exchanges:
  - name: holds
    request: { method: POST, path: /v1/chat/completions, headers: { content-type: application/json, x-tenant: acme }, body_json: { model: gpt-4o-mini } }
    response: { status: 200, headers: [[content-type, application/json]], body_file: ${join(recordings, "openai/chat-basic.json")} }
    expect:
      status: 200
      localReply: false
      headers: { content-type: application/json, x-missing: null }
      upstreamHeaders: { x-tenant: acme }
      upstreamBodyContains: gpt-4o-mini
      bodyContains: [chat.completion, usage]
      trap: false
  - name: fails
    request: { method: GET, path: /v1/models }
    response: { status: 200, body: "{}" }
    expect: { status: 201, bodyContains: nope, filterState: { tollgate.model: gpt } }
`,
  );

  it("prints one line per exchange and a summary, and exits 1 when an expectation fails", async () => {
    const r = await inProcess(["replay", cassette, "--chain", join(repo, "envoy/envoy.yaml")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^chain: .*envoy\.yaml listener llm_ingress: pii-redact \(wasm\) → token-meter \(wasm\) → budget \(wasm\) → audit \(wasm\) → \(envoy\.filters\.http\.router\)$/m);
    expect(r.stdout).toMatch(/^✓ holds {2}200 {2}up 23B down 839B {2}chunks 1→1 {2}openai-compatible\/gpt-4o-mini-2024-07-18 {2}tokens in 9 out 9 {2}\$0\.\d{6} {2}budget admitted by model-hourly \d+ tokens left\b/m);
    expect(r.stdout).toMatch(/^✗ fails {2}200/m);
    expect(r.stdout).toContain("    expected status: expected 201, got 200");
    expect(r.stdout).toContain('    expected bodyContains: "nope" not in the body the client received');
    expect(r.stdout).toContain("    expected filterState.tollgate.model: not set");
    expect(r.stdout).toMatch(/expectations: 1 passed, 1 failed, 0 exchanges without/);
    expect(r.stdout).toMatch(/FAILED$/m);
  });

  it("exits 0 when every expectation holds; --grep selects exchanges", async () => {
    const r = await inProcess(["replay", cassette, "--grep", "^holds$", "--split", "size:7"]);
    expect(r.stdout).toMatch(/expectations: 1 passed, 0 failed/);
    expect(r.code).toBe(0);
  });

  it("usage errors exit 2 with the usage text", async () => {
    for (const args of [["replay"], ["replay", cassette, "--split", "bytes"], ["replay", cassette, "--chain", "a.yaml", "--filter", "b.wasm"], ["frobnicate"], ["replay", cassette, "--root-id", "x"], ["replay", cassette, "--cluster", "nourl"]]) {
      const r = await inProcess(args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr).toContain("usage:");
    }
  });

  it("bad cassettes and chains exit 1 with the cassette's own error", async () => {
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "exchanges:\n  - name: broken\n    request: { method: GET, path: /x }\n    response: { status: 200, body_file: nowhere.sse }\n");
    const r = await inProcess(["replay", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("exchanges[0] (broken): response.body_file: cannot read nowhere.sse");
    const c = await inProcess(["replay", cassette, "--chain", join(dir, "missing.yaml")]);
    expect(c.code).toBe(1);
    expect(c.stderr).toMatch(/missing\.yaml: cannot read/);
  });
});

describe("tollgate replay: workers, concurrency, progress, chain options", () => {
  it("spreads exchanges over workers with several in flight, output still in cassette order", async () => {
    const r = await inProcess(["replay", join(recordings, "cassettes/openai.yaml"), "--workers", "2", "--concurrency", "4", "--json", "--progress"]);
    expect(r.code).toBe(0);
    const out = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as JsonOutcome & { worker: number });
    expect(out.map((o) => o.name)).toEqual(loadNames(join(recordings, "cassettes/openai.yaml")));
    expect(new Set(out.map((o) => o.worker))).toEqual(new Set([0, 1]));
    expect(r.stderr).toContain("12/12 replays");
  });

  it("--chain gives the bootstrap's clusters as callout targets, --cluster overrides them", () => {
    const c = buildChain({ chain: join(repo, "envoy/envoy.yaml"), clusters: { openai: "http://127.0.0.1:9999", ratelimit: "h2c://127.0.0.1:8081" }, workers: 3 });
    expect(c.hostOptions).toMatchObject({
      workers: 3,
      bufferLimitBytes: 8388608,
      clusters: { openai: "http://127.0.0.1:9999", anthropic: "https://api.anthropic.com:443", ratelimit: "h2c://127.0.0.1:8081" },
    });
    const f = buildChain({ filters: [{ file: "dist/x.wasm", rootId: "budget", config: "{not json" }] });
    expect(f.filters).toEqual([{ name: "budget", rootId: "budget", vmId: "", code: join(process.cwd(), "dist/x.wasm"), configuration: "{not json" }]);
  });
});

function loadNames(file: string): string[] {
  return [...readFileSync(file, "utf8").matchAll(/^  - name: (.+)$/gm)].map((m) => m[1]);
}
