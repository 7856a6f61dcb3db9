// The hash chain (CHAIN.md) as the filter writes it: one chain per worker VM with continuous
// seq/prev, HMAC chains, new chains after a reload, a record too large to write that leaves
// the chain intact, and the recomputation catching a modified, deleted or reordered record.
import { afterAll, describe, expect, it } from "vitest";
import { createHmac } from "node:crypto";
import { allRecorded, as, recorded } from "./support/budget";
import { closeProbeHosts } from "./support/probe";
import { auditFilter, chainProblems, fullChainHost, recordLines, validateRecord } from "./support/audit";

afterAll(closeProbeHosts);

const KEY = "audit-test-key-0123456789";

describe("audit hash chain", () => {
  it("four workers write four chains, each with seq 1, 2, … and prev linking every record", async () => {
    const host = await fullChainHost({}, { workers: 4 });
    const exchanges = allRecorded();
    for (const ex of exchanges) await host.exchange(ex);
    const lines = recordLines(host.logs);
    expect(lines).toHaveLength(exchanges.length);
    const chains = new Map<string, number[]>();
    for (const l of lines) {
      const r = JSON.parse(l);
      expect(JSON.stringify(r)).toBe(l);
      chains.set(r.chain, [...(chains.get(r.chain) ?? []), r.seq]);
    }
    expect(chains.size).toBe(4);
    for (const [id, seqs] of chains) {
      expect(id).toMatch(/^tollgate\/[0-9a-f]{16}$/);
      expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    }
    expect(chainProblems(lines)).toEqual([]);
  });

  it("an HMAC chain verifies with its key only, names the key, and hashes API keys with it", async () => {
    const host = await fullChainHost({ audit: { chain: { name: "eu-1", hmac_key: KEY, key_id: "k1" }, key: [{ header: "authorization" }, { header: "x-api-key" }] } });
    const apiKey = "sk-test-" + "k".repeat(24);
    await host.exchange(as(recorded("openai/chat-basic"), [["authorization", `Bearer ${apiKey}`]]));
    await host.exchange(as(recorded("anthropic/messages-tool-use"), [["x-api-key", apiKey]]));
    await host.exchange(recorded("openai/chat-basic"));
    const lines = recordLines(host.logs);
    const recs = lines.map((l) => JSON.parse(l));
    expect(recs.map((r) => [r.alg, r.key_id])).toEqual(Array(3).fill(["hmac-sha256", "k1"]));
    expect(recs[0].chain).toMatch(/^eu-1\/[0-9a-f]{16}$/);
    expect(chainProblems(lines, KEY)).toEqual([]);
    expect(chainProblems(lines, KEY + "x").length).toBe(3);
    // The same key as a bearer token and as x-api-key hashes alike; the key itself is nowhere.
    expect(recs[0].key_hash).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    expect(recs[1].key_hash).toBe(recs[0].key_hash);
    expect(recs[0].key_hash).toBe("hmac-sha256:" + createHmac("sha256", KEY).update(apiKey).digest("hex").slice(0, 32));
    expect(recs[2].key_hash).toBeNull();
    expect(lines.join("\n")).not.toContain(apiKey);
  });

  it("the recomputation names a modified, a deleted and a reordered record", async () => {
    const host = await fullChainHost();
    for (let i = 0; i < 5; i++) await host.exchange(recorded("openai/chat-basic"));
    const lines = recordLines(host.logs);
    expect(chainProblems(lines)).toEqual([]);
    const modified = [...lines];
    modified[2] = modified[2].replace('"outcome":"completed"', '"outcome":"rejected"');
    expect(chainProblems(modified)).toEqual(["line 3: bad hash"]);
    const deleted = lines.filter((_, i) => i !== 1);
    expect(chainProblems(deleted)[0]).toBe("line 2: seq 3 after 1");
    const reordered = [lines[0], lines[2], lines[1], lines[3], lines[4]];
    expect(chainProblems(reordered)[0]).toBe("line 2: seq 3 after 1");
  });

  it("a reload starts a new chain at seq 1 in every worker VM", async () => {
    const host = await fullChainHost({}, { workers: 2 });
    const ex = recorded("openai/chat-basic");
    for (let i = 0; i < 4; i++) await host.exchange(ex);
    const before = recordLines(host.logs).map((l) => JSON.parse(l).chain);
    const vmId = (host.rootsOf("audit")[0] as any).plugin.vmId; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(vmId).toMatch(/^tollgate-audit-/);
    // An LDS/ECDS update of the chain: the audit VM is unchanged, its root context is new.
    await host.reconfigure!([auditFilter({ chain: { name: "reloaded" } }, vmId)]);
    for (let i = 0; i < 4; i++) await host.exchange(ex);
    const after = recordLines(host.logs).slice(before.length).map((l) => JSON.parse(l));
    expect(after).toHaveLength(4);
    const ids = new Set(after.map((r) => r.chain));
    expect(ids.size).toBe(2);
    for (const id of ids) {
      expect(id).toMatch(/^reloaded\//);
      expect(before).not.toContain(id);
      expect(after.filter((r) => r.chain === id).map((r) => r.seq)).toEqual([1, 2]);
    }
    expect(chainProblems(recordLines(host.logs))).toEqual([]);
  });

  it("a record over max_record_bytes is counted and logged without values; the chain goes on", async () => {
    const host = await fullChainHost({ audit: { max_record_bytes: 2048 } });
    const ex = recorded("openai/chat-basic");
    await host.exchange(ex);
    const secretPath = "/v1/chat/" + "very-long-segment-".repeat(150);
    const big = await host.exchange({ ...ex, request: { ...ex.request, path: secretPath } });
    expect(big.trap).toBeUndefined();
    await host.exchange(ex);
    const lines = recordLines(host.logs);
    expect(lines).toHaveLength(2);
    expect(lines.map((l) => JSON.parse(l).seq)).toEqual([1, 2]);
    expect(chainProblems(lines)).toEqual([]);
    expect(host.metrics()["tollgate.audit.record_failures.reason=.too_large;"]).toBe(1);
    const warn = host.logs.find((l) => l.message.startsWith("audit: record over max_record_bytes"));
    expect(warn?.level).toBe(3);
    expect(host.logs.some((l) => l.message.includes("very-long-segment"))).toBe(false);
    for (const l of lines) expect(validateRecord(JSON.parse(l))).toBe(true);
  });

  // Envoy gives a plugin started again with the same key a second onConfigure on its root.
  it("a second onConfigure of the same root keeps its chain, unless the chain settings changed", async () => {
    const host = await fullChainHost({ audit: { chain: { name: "a" } } });
    const ex = recorded("openai/chat-basic");
    await host.exchange(ex);
    const [root] = host.rootsOf("audit") as any[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(root.configure()).toBe(true);
    await host.exchange(ex);
    root.plugin.configuration = new TextEncoder().encode(JSON.stringify({ chain: { name: "a", hmac_key: KEY, key_id: "k9" } }));
    expect(root.configure()).toBe(true);
    await host.exchange(ex);
    await host.exchange(ex);
    const recs = recordLines(host.logs).map((l) => JSON.parse(l));
    expect(recs.map((r) => [r.seq, r.alg])).toEqual([[1, "sha256"], [2, "sha256"], [1, "hmac-sha256"], [2, "hmac-sha256"]]);
    expect(recs[1].chain).toBe(recs[0].chain);
    expect(recs[2].chain).not.toBe(recs[1].chain);
    expect(chainProblems(recordLines(host.logs), KEY)).toEqual([]);
  });
});
