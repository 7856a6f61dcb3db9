// `tollgate replay … --host kong|apisix`: the gateway's own configuration file as the chain,
// replayed on that host's profile.
import { describe, expect, it } from "vitest";
import { join, resolve } from "node:path";
import { main } from "./cli/main";

const repo = resolve(__dirname, "..");
const cassette = join(repo, "host-tests/recordings/cassettes/openai.yaml");

async function tollgate(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } });
  return { code, stdout, stderr };
}

const lines = (out: string) => out.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));

describe("tollgate replay --host", () => {
  it("kong: examples/kong/kong.yaml's first chain on the Kong profile, no trap, Kong's metric names", async () => {
    const r = await tollgate(["replay", cassette, "--chain", join(repo, "examples/kong/kong.yaml"), "--host", "kong", "--json", "--no-progress"]);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out.length).toBeGreaterThan(5);
    expect(out.every((o) => o.trap === null)).toBe(true);
    const metrics = Object.keys(out[out.length - 1].metrics);
    expect(metrics.some((k) => k.startsWith("pw.token-meter."))).toBe(true);
    expect(metrics.every((k) => k.startsWith("pw."))).toBe(true);
  }, 120_000);

  it("apisix: examples/apisix's route on the APISIX profile, no trap", async () => {
    const r = await tollgate(["replay", cassette, "--chain", join(repo, "examples/apisix/apisix.yaml"), "--host", "apisix", "--json", "--no-progress"]);
    expect(r.code, r.stderr).toBe(0);
    const out = lines(r.stdout);
    expect(out.every((o) => o.trap === null && o.localReply === null)).toBe(true);
  }, 120_000);

  it("a chain name Kong's file does not have, and an unknown host, are usage errors", async () => {
    const missing = await tollgate(["replay", cassette, "--chain", join(repo, "examples/kong/kong.yaml"), "--host", "kong", "--listener", "nope", "--json"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain("no filter chain named nope");
    const bad = await tollgate(["replay", cassette, "--host", "nginx"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("--host: envoy, kong or apisix");
  });
});
