// How a request ended, as the record says: local replies of the budget and pii-redact filters,
// client aborts and upstream resets (driven through the harness stream API), and a filter that
// trapped and failed open.
import { afterAll, describe, expect, it } from "vitest";
import type { Exchange } from "./harness/api";
import type { EnvoyHost } from "./harness/host";
import { recorded } from "./support/budget";
import { closeProbeHosts } from "./support/probe";
import { chainProblems, fullChainHost, recordLines, records, validateRecord } from "./support/audit";

afterAll(closeProbeHosts);

const dec = new TextDecoder();
const enc = new TextEncoder();
// Built from the format facts, not a real key.
const GH_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";

function withPrompt(ex: Exchange, prompt: string): Exchange {
  const body = JSON.parse(dec.decode(ex.request.body));
  body.messages[0].content = prompt;
  return { ...ex, request: { ...ex.request, body: enc.encode(JSON.stringify(body)), chunks: undefined } };
}

/** The one record the last request wrote (asserting there is exactly one, schema-valid). */
function lastRecord(host: EnvoyHost, before: number): any {
  const lines = recordLines(host.logs).slice(before);
  expect(lines).toHaveLength(1);
  const rec = JSON.parse(lines[0]);
  expect(validateRecord(rec), JSON.stringify(validateRecord.errors)).toBe(true);
  return rec;
}

/** Starts a stream for `ex`, sends the request and the response headers, and hands it over. */
function started(host: EnvoyHost, ex: Exchange, responseHeaders: boolean) {
  const stream = host.newStream({});
  stream.sendRequestHeaders([[":method", ex.request.method], [":path", ex.request.path], [":authority", ex.request.authority ?? "api.openai.com"], ...ex.request.headers], false);
  stream.sendRequestData(ex.request.body, true);
  if (responseHeaders) {
    stream.sendResponseHeaders([[":status", String(ex.response.status)], ...ex.response.headers], false);
    stream.sendResponseData(ex.response.body.subarray(0, 10), false);
  }
  return stream;
}

describe("audit outcomes", () => {
  it("a budget refusal is `rejected` with the budget's 429 and its figures, never its key", async () => {
    const host = await fullChainHost({
      budget: { rules: [{ name: "tenant-hourly", key: [{ header: "x-tenant" }], limit: { tokens: 50 }, window: { calendar: "hour" } }] },
    });
    const ex = recorded("openai/chat-basic");
    const tenant: Exchange = { ...ex, request: { ...ex.request, headers: [...ex.request.headers, ["x-tenant", "acme-secret-tenant"]] } };
    const n = recordLines(host.logs).length;
    const r = await host.exchange(tenant);
    expect(r.localReply?.status).toBe(429);
    const rec = lastRecord(host, n);
    expect(rec).toMatchObject({ outcome: "rejected", status: 429, budget: { decision: "rejected", rule: "tenant-hourly", unit: "tokens", limit: 50, settled: null } });
    expect(rec.budget.reserved).toBeGreaterThan(50);
    expect(recordLines(host.logs)[n]).not.toContain("acme-secret-tenant");
    expect(host.metrics()["tollgate.audit.records.outcome=.rejected;"]).toBe(1);
  });

  it("a pii block is `blocked` with 400 and the type, never the value", async () => {
    const host = await fullChainHost();
    const n = recordLines(host.logs).length;
    const r = await host.exchange(withPrompt(recorded("openai/chat-basic"), `deploy with ${GH_TOKEN}`));
    expect(r.localReply?.status).toBe(400);
    const rec = lastRecord(host, n);
    expect(rec).toMatchObject({ outcome: "blocked", status: 400, pii: { blocked: "SECRET" } });
    expect(rec.pii.findings).toContainEqual(expect.objectContaining({ direction: "request", type: "SECRET" }));
    expect(recordLines(host.logs)[n]).not.toContain(GH_TOKEN.slice(4, 12));
  });

  it("a client that goes away mid-response is `client_abort` (and before any response too)", async () => {
    const host = await fullChainHost();
    const ex = recorded("openai/chat-basic");
    let n = recordLines(host.logs).length;
    const s = started(host, ex, true);
    s.resetFromDownstream();
    await s.done;
    let rec = lastRecord(host, n);
    expect(rec).toMatchObject({ outcome: "client_abort", status: 200 });
    expect(rec.timing.ttfb_ms).not.toBeNull();

    n = recordLines(host.logs).length;
    const early = started(host, ex, false);
    early.resetFromDownstream();
    await early.done;
    rec = lastRecord(host, n);
    expect(rec).toMatchObject({ outcome: "client_abort", status: null });
    expect(rec.timing.ttfb_ms).toBeNull();
  });

  // After the response started, Envoy tells an upstream reset apart only by response.flags (UR),
  // which the harness reports as 0: that case is classified by the flag rule in outcome.ts and
  // is not replayable here.
  it("an upstream reset before the response started is `upstream_error` with Envoy's 503", async () => {
    const host = await fullChainHost();
    const ex = recorded("openai/chat-basic");
    const n = recordLines(host.logs).length;
    const before = started(host, ex, false);
    before.resetFromUpstream();
    await before.done;
    expect(lastRecord(host, n)).toMatchObject({ outcome: "upstream_error", status: 503 });
  });

  it("a provider error status is `upstream_error`; a normal call `completed`", async () => {
    const host = await fullChainHost();
    const ok = recorded("openai/chat-basic");
    const failing: Exchange = { ...ok, response: { ...ok.response, status: 500 } };
    let n = recordLines(host.logs).length;
    await host.exchange(failing);
    expect(lastRecord(host, n)).toMatchObject({ outcome: "upstream_error", status: 500 });
    n = recordLines(host.logs).length;
    await host.exchange(ok);
    expect(lastRecord(host, n)).toMatchObject({ outcome: "completed", status: 200 });
  });

  it("a token meter that trapped and fails open leaves recognised calls `trapped_open`; the audit VM keeps writing", async () => {
    const host = await fullChainHost({ extra: { "token-meter": { failurePolicy: "FAIL_OPEN" } } });
    const ex = recorded("openai/chat-basic");
    let n = recordLines(host.logs).length;
    await host.exchange(ex);
    expect(lastRecord(host, n).outcome).toBe("completed");
    // A real trap inside the meter's module: an allocation no VM can satisfy aborts it (the
    // SDK's abort handler logs, then traps), and Envoy marks that VM failed.
    const meterVm = (host.rootsOf("token-meter")[0] as any).vm; // eslint-disable-line @typescript-eslint/no-explicit-any
    meterVm.call("malloc", 0, 0xFFFFFFF0);
    expect(meterVm.failed).toBe(true);
    n = recordLines(host.logs).length;
    const r = await host.exchange(ex);
    expect(r.downstreamResponse?.status).toBe(200);
    expect(r.filterState["tollgate.provider"]).toBeUndefined();
    const rec = lastRecord(host, n);
    expect(rec).toMatchObject({ outcome: "trapped_open", status: 200, provider: null, tokens: null });
    // Not an LLM call: nothing was expected of the meter.
    n = recordLines(host.logs).length;
    await host.exchange({ ...ex, request: { ...ex.request, method: "GET", path: "/healthz", body: new Uint8Array() } });
    expect(lastRecord(host, n).outcome).toBe("completed");
    expect(host.metrics()["tollgate.audit.records.outcome=.trapped_open;"]).toBe(1);
    expect(chainProblems(recordLines(host.logs))).toEqual([]);
  });

  it("a pii-redact VM that trapped and fails open lets prompts through unredacted: the record says `trapped_open`", async () => {
    const host = await fullChainHost({ extra: { "pii-redact": { failurePolicy: "FAIL_OPEN" } }, pii: { entities: { EMAIL: { action: "redact" } } } });
    const ex = withPrompt(recorded("openai/chat-basic"), "mail ann.lee@example.com");
    let n = recordLines(host.logs).length;
    const ok = await host.exchange(ex);
    expect(dec.decode(ok.upstreamRequest!.body)).not.toContain("ann.lee@example.com");
    expect(lastRecord(host, n).outcome).toBe("completed");
    const piiVm = (host.rootsOf("pii-redact")[0] as any).vm; // eslint-disable-line @typescript-eslint/no-explicit-any
    piiVm.call("malloc", 0, 0xFFFFFFF0);
    expect(piiVm.failed).toBe(true);
    n = recordLines(host.logs).length;
    const r = await host.exchange(ex);
    expect(dec.decode(r.upstreamRequest!.body)).toContain("ann.lee@example.com");
    const rec = lastRecord(host, n);
    expect(rec).toMatchObject({ outcome: "trapped_open", status: 200, pii: null, provider: "openai" });
    expect(recordLines(host.logs)[n]).not.toContain("ann.lee");
  });
});
