// `npm start` and `tollgate replay --stand-ins`: the shipped chain runs against a rate-limit
// service and an audit collector on loopback, and the report shows each call's PII summary and
// audit record, then whether every record arrived and its hash chain verifies.
import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { HostOptions, WasmFilterConfig } from "./harness/api";
import { main } from "./cli/main";
import { decodeBytes, type EncodedBytes } from "./replay/bytes";
import { hostModuleEnv, testCreateHost } from "./replay/testing/hosts";
import { SkipClock } from "./replay/skip-clock";

const repo = resolve(__dirname, "..");
const recordings = join(repo, "host-tests/recordings");
const chain = join(repo, "envoy/envoy.yaml");

/** The arguments `npm start` gives the CLI, read from package.json so the test follows it. */
function npmStartArgs(): string[] {
  const start = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")).scripts.start as string;
  const m = /node scripts\/tollgate\.mjs (.*)$/.exec(start);
  if (!m) throw new Error(`package.json start does not run scripts/tollgate.mjs: ${start}`);
  return m[1].trim().split(/\s+/);
}

async function inProcess(args: string[], wrap?: (filters: WasmFilterConfig[], options: HostOptions) => void) {
  let stdout = "";
  let stderr = "";
  const createHost = await testCreateHost();
  const code = await main(args, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    createHost: (filters, options) => {
      wrap?.(filters, options ?? {});
      return createHost(filters, options);
    },
  });
  return { code, stdout, stderr };
}

describe("npm start", () => {
  it("replays every recording through the whole chain: budget counted by the rate-limit service, one verified audit record per call", () => {
    const r = spawnSync(process.execPath, [join(repo, "scripts/tollgate.mjs"), ...npmStartArgs()], { cwd: repo, env: { ...process.env, ...hostModuleEnv() }, encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^stand-in: ratelimit: rate-limit service stand-in .* at h2c:\/\/127\.0\.0\.1:\d+$/m);
    expect(r.stdout).toMatch(/^stand-in: audit_collector: audit collector stand-in \(OTLP\/HTTP JSON logs\) at http:\/\/127\.0\.0\.1:\d+$/m);
    const lines = r.stdout.split("\n").filter((l) => /^[✓✗] /.test(l));
    expect(lines).toHaveLength(53);
    const seqs: number[] = [];
    for (const l of lines) {
      expect(l, l).toMatch(/^✓ /);
      // The global rule was answered by the service: no fallback to local counters.
      expect(l, l).toMatch(/ {2}budget admitted by model-hourly \d+ tokens left {2}/);
      expect(l, l).not.toContain("degraded");
      // None of the bundled recordings carries PII.
      expect(l, l).toContain("  pii: none  ");
      const audit = / {2}audit: (completed|upstream_error) #(\d+)$/.exec(l);
      expect(audit, l).not.toBeNull();
      seqs.push(Number(audit![2]));
    }
    // One record per call, each a different link of the one chain.
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 53 }, (_, i) => i + 1));
    expect(r.stdout).toMatch(/^audit: 53 of 53 records received; 1 chain verified \(tollgate audit verify\)/m);
    const calls = /^rate-limit service \(ratelimit\): (\d+) calls, 0 over limit, 0 errors$/m.exec(r.stdout);
    expect(calls).not.toBeNull();
    expect(Number(calls![1])).toBeGreaterThanOrEqual(53);
    expect(r.stdout).toMatch(/\nOK\n$/);
  });
});

describe("tollgate replay --stand-ins", () => {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-stand-ins-"));
  const cassette = join(dir, "pii.yaml");
  writeFileSync(
    cassette,
    `exchanges:
  - name: email-in-prompt
    request: { method: POST, path: /v1/chat/completions, authority: api.openai.com, headers: { content-type: application/json }, body_json: { model: gpt-4o-mini, messages: [{ role: user, content: "Write to jane.doe@example.com and to bob@example.org please" }] } }
    response: { status: 200, headers: [[content-type, application/json]], body_file: ${join(recordings, "openai/chat-basic.json")} }
  - name: clean
    request: { method: POST, path: /v1/chat/completions, authority: api.openai.com, headers: { content-type: application/json }, body_json: { model: gpt-4o-mini, messages: [{ role: user, content: "hello" }] } }
    response: { status: 200, headers: [[content-type, application/json]], body_file: ${join(recordings, "openai/chat-basic.json")} }
`,
  );

  it("says what pii-redact did per call, and the audit record of each call", async () => {
    const r = await inProcess(["replay", cassette, "--chain", chain, "--stand-ins"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^✓ email-in-prompt .* {2}pii: EMAIL redact 2 {2}audit: completed #1$/m);
    expect(r.stdout).toMatch(/^✓ clean .* {2}pii: none {2}audit: completed #2$/m);
    expect(r.stdout).toMatch(/^audit: 2 of 2 records received; 1 chain verified/m);
    expect(r.stdout).toMatch(/^rate-limit service \(ratelimit\): \d+ calls/m);
  });

  it("--json carries the request id and the audit record's outcome, and the prompt left redacted", async () => {
    const r = await inProcess(["replay", cassette, "--chain", chain, "--stand-ins", "--json", "--grep", "email"]);
    expect(r.code).toBe(0);
    const o = JSON.parse(r.stdout.trim()) as { requestId: string; audit: { outcome: string; seq: number }[]; upstreamRequest: { headers: [string, string][]; body: EncodedBytes } };
    expect(o.audit).toMatchObject([{ outcome: "completed", seq: 1 }]);
    expect(o.upstreamRequest.headers).toContainEqual(["x-request-id", o.requestId]);
    expect(new TextDecoder().decode(decodeBytes(o.upstreamRequest.body))).not.toContain("jane.doe@example.com");
    expect(r.stderr).toMatch(/^audit: 1 of 1 records received; 1 chain verified/m);
  });

  it("reports records that never reached the collector, and fails", async () => {
    // The audit sink's cluster leads nowhere: every batch fails, nothing arrives.
    const r = await inProcess(["replay", cassette, "--chain", chain, "--stand-ins"], (_f, options) => {
      options.clusters = { ...options.clusters, audit_collector: "http://127.0.0.1:1" };
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✓ clean .* {2}audit: no record$/m);
    expect(r.stdout).toMatch(/^audit: 0 of 2 records received, 2 MISSING; nothing to verify/m);
    expect(r.stdout).toMatch(/\nFAILED\n$/);
  }, 20_000);

  it("--cluster keeps a cluster away from its stand-in; --ratelimit-config without --stand-ins is a usage error", async () => {
    const r = await inProcess(["replay", cassette, "--chain", chain, "--stand-ins", "--cluster", "ratelimit=h2c://127.0.0.1:1", "--grep", "clean"]);
    expect(r.stdout).not.toMatch(/^stand-in: ratelimit/m);
    expect(r.stdout).toMatch(/^stand-in: audit_collector/m);
    expect(r.stdout).toMatch(/budget admitted by model-hourly \d+ tokens left \(degraded: local\)/);
    const u = await inProcess(["replay", cassette, "--chain", chain, "--ratelimit-config", "x.yaml"]);
    expect(u.code).toBe(2);
    const missing = await inProcess(["replay", cassette, "--chain", chain, "--stand-ins", "--ratelimit-config", join(dir, "none.yaml")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("none.yaml does not exist");
  });

  it("finds the services by the filters' configurations, not by cluster names; verifies an HMAC chain with the configured key", async () => {
    // The shipped bootstrap with its service clusters renamed and the audit chain keyed.
    const yaml = readFileSync(chain, "utf8")
      .replace('"cluster": "ratelimit"', '"cluster": "limits"')
      .replace("- name: ratelimit", "- name: limits")
      .replace("cluster_name: ratelimit", "cluster_name: limits")
      .replaceAll("audit_collector", "otel")
      .replace('"tenant": [{ "jwt_claim": "sub" }],', '"chain": { "hmac_key": "replay-test-key-0123456789", "key_id": "k1" }, "tenant": [{ "jwt_claim": "sub" }],');
    const renamed = join(dir, "renamed.yaml");
    writeFileSync(renamed, yaml);
    // No ratelimit/config.yaml beside this file: the rules must be named.
    const without = await inProcess(["replay", cassette, "--chain", renamed, "--stand-ins"]);
    expect(without.code).toBe(2);
    expect(without.stderr).toContain("calls a rate-limit service (cluster limits): give its rules with --ratelimit-config FILE");
    const r = await inProcess(["replay", cassette, "--chain", renamed, "--stand-ins", "--ratelimit-config", join(repo, "envoy/ratelimit/config.yaml")]);
    expect(r.stdout).toMatch(/^stand-in: limits: rate-limit service stand-in/m);
    expect(r.stdout).toMatch(/^stand-in: otel: audit collector stand-in/m);
    expect(r.stdout).not.toContain("degraded");
    expect(r.stdout).toMatch(/^audit: 2 of 2 records received; 1 chain verified/m);
    expect(r.stdout).toMatch(/^rate-limit service \(limits\): \d+ calls/m);
    expect(r.code).toBe(0);
  });

  it("a request's own x-request-id is kept; records that share one are not attributed to either call", async () => {
    const shared = join(dir, "shared-id.yaml");
    const exchange = (name: string) => `  - name: ${name}
    request: { method: POST, path: /v1/chat/completions, authority: api.openai.com, headers: { content-type: application/json, x-request-id: fixed-id }, body_json: { model: gpt-4o-mini, messages: [{ role: user, content: hi }] } }
    response: { status: 200, headers: [[content-type, application/json]], body_file: ${join(recordings, "openai/chat-basic.json")} }
`;
    writeFileSync(shared, `exchanges:\n${exchange("first")}${exchange("second")}`);
    const r = await inProcess(["replay", shared, "--chain", chain, "--stand-ins"]);
    expect(r.stdout).toMatch(/^✓ first .* {2}audit: 2 records share x-request-id fixed-id$/m);
    expect(r.stdout).toMatch(/^audit: 2 of 2 records received; 1 chain verified/m);
    expect(r.code).toBe(0);
  });
});

describe("the replay clock with stand-ins", () => {
  it("runs in real time, and skip() jumps ahead firing what fell due, in due order", async () => {
    const clock = new SkipClock();
    const fired: string[] = [];
    const wall0 = clock.nowMs();
    clock.setTimer(1000, () => fired.push("1s"));
    clock.setTimer(400, () => {
      fired.push("400ms");
      clock.setTimer(100, () => fired.push("400ms+100ms"));
    });
    const cancel = clock.setTimer(600, () => fired.push("cancelled"));
    clock.setTimer(5, () => fired.push("5ms"));
    await new Promise((r) => setTimeout(r, 40));
    expect(fired).toEqual(["5ms"]); // real time: only the 5 ms timer is due
    cancel();
    clock.skip(700);
    expect(fired).toEqual(["5ms", "400ms", "400ms+100ms"]);
    expect(clock.nowMs() - wall0).toBeGreaterThanOrEqual(740);
    clock.skip(300);
    expect(fired).toEqual(["5ms", "400ms", "400ms+100ms", "1s"]);
  });
});
