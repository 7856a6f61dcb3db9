// What one record says, field by field, against what the request and the other filters said:
// ids, trace context, tenant and key sources, UTF-8 sanitising, digests, timing and the policy
// version.
import { createHash } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { Exchange } from "./harness/api";
import { ManualClock } from "./harness/clock";
import { as, recorded } from "./support/budget";
import { closeProbeHosts, probeFilter, trackedHost } from "./support/probe";
import { auditFilter, fullChainHost, recordLines, records, validateRecord } from "./support/audit";

afterAll(closeProbeHosts);

const sha256 = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex");

async function one(audit: unknown, ex: Exchange, extra: Parameters<typeof fullChainHost>[0] = {}, options: Parameters<typeof fullChainHost>[1] = {}) {
  const host = await fullChainHost({ audit, ...extra }, options);
  const r = await host.exchange(ex);
  const recs = records(host.logs);
  expect(recs).toHaveLength(1);
  expect(validateRecord(recs[0]), JSON.stringify(validateRecord.errors)).toBe(true);
  return { host, r, rec: recs[0] };
}

describe("audit record fields", () => {
  it("takes request id, trace context, route, tenant and the key from the configured places", async () => {
    const ex = as(recorded("openai/chat-basic"), [
      ["x-request-id", "req-42"],
      ["traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
      ["x-tenant", "acme"],
    ], { metadata: { "envoy.filters.http.jwt_authn": { jwt_payload: { org: { id: "org-7" } } } } });
    const { rec } = await one({ tenant: [{ jwt_claim: ["org", "id"] }, { header: "x-tenant" }], key: { query: "key" } },
      { ...ex, request: { ...ex.request, path: "/v1/chat/completions?key=AIzaSyTEST&alt=json" } });
    expect(rec).toMatchObject({
      request_id: "req-42", trace_id: "4bf92f3577b34da6a3ce929d0e0e4736", span_id: "00f067aa0ba902b7",
      tenant: "org-7", path: "/v1/chat/completions", method: "POST", authority: "api.openai.com",
      key_hash: "sha256:" + sha256("AIzaSyTEST").slice(0, 32),
    });
    expect(rec.time).toBe(new Date(rec.timing.start).toISOString());
  });

  it.each([
    ["all-zero trace id", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"],
    ["upper-case hex", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01"],
    ["version ff", "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
    ["version 00 with a suffix", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x"],
    ["short", "00-4bf92f35-00f067aa0ba902b7-01"],
  ])("an invalid traceparent (%s) gives null ids", async (_, tp) => {
    const { rec } = await one({}, as(recorded("openai/chat-basic"), [["traceparent", tp]]));
    expect([rec.trace_id, rec.span_id]).toEqual([null, null]);
  });

  it("a later traceparent version with extra fields is read; the tenant falls back to the header", async () => {
    const { rec } = await one({ tenant: [{ jwt_claim: "org" }, { header: "x-tenant" }] }, as(recorded("openai/chat-basic"), [
      ["traceparent", "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future"], ["x-tenant", "acme"],
    ]));
    expect([rec.trace_id, rec.tenant]).toEqual(["4bf92f3577b34da6a3ce929d0e0e4736", "acme"]);
  });

  // The harness carries header values as UTF-8 text, so invalid bytes cannot be sent through it;
  // U+FFFD replacement (text.ts appendSanitized) is exercised only where values are cut.
  it("long values are cut at a character boundary, never inside a UTF-8 sequence", async () => {
    const { rec } = await one({ tenant: { header: "x-tenant" } }, as(recorded("openai/chat-basic"), [
      ["x-request-id", "r".repeat(255) + "é"], ["x-tenant", "é".repeat(200)],
    ]));
    expect(rec.tenant).toBe("é".repeat(128));
    expect(rec.request_id).toBe("r".repeat(255));
  });

  it("digests are the request as forwarded (after pii-redact) and the response as the upstream sent it", async () => {
    const base = recorded("openai/chat-basic");
    const body = JSON.parse(new TextDecoder().decode(base.request.body));
    body.messages[0].content = "write to ann.lee@example.com";
    const ex = { ...base, request: { ...base.request, body: new TextEncoder().encode(JSON.stringify(body)), chunks: undefined } };
    const { r, rec } = await one({ digests: { request: true, response: true } }, ex, { pii: { entities: { EMAIL: { action: "redact" } } } });
    const forwarded = r.upstreamRequest!.body;
    expect(new TextDecoder().decode(forwarded)).not.toContain("ann.lee");
    expect(rec.digests).toEqual({ request: sha256(forwarded), response: sha256(ex.response.body) });
    const off = await one({}, ex);
    expect(off.rec.digests).toBeUndefined();
  });

  it("timing: start is Envoy's request.time, ttfb when the response headers arrived, duration to the end", async () => {
    const ex = recorded("openai/chat-basic");
    const slow: Exchange = { ...ex, response: { ...ex.response, chunks: [20, ex.response.body.length - 20], gapsMs: [0, 80] } };
    const { rec } = await one({}, slow);
    expect(rec.timing.ttfb_ms).toBeGreaterThanOrEqual(0);
    expect(rec.timing.duration_ms).toBeGreaterThanOrEqual(rec.timing.ttfb_ms + 60);
    expect(Math.abs(rec.timing.start - Date.now())).toBeLessThan(60_000);
  });

  it("policy: each filter's configuration hash, and a version over all of them that changes with any", async () => {
    const budget = { rules: [{ name: "r", limit: { tokens: 100000 }, window: { calendar: "day" } }] };
    const a = await one({}, recorded("openai/chat-basic"), { budget });
    const expected = {
      audit: sha256("{}"), budget: sha256(JSON.stringify(budget)), "pii-redact": sha256("{}"), "token-meter": sha256("{}"),
    };
    expect(a.rec.policy.filters).toEqual(expected);
    const lines = Object.entries(expected).sort(([x], [y]) => (x < y ? -1 : 1)).map(([k, v]) => `${k}=${v}\n`).join("");
    expect(a.rec.policy.version).toBe(sha256(lines).slice(0, 32));
    const b = await one({}, recorded("openai/chat-basic"), { budget: { ...budget, default_output_cap: 100 } });
    expect(b.rec.policy.filters.budget).not.toBe(expected.budget);
    expect(b.rec.policy.version).not.toBe(a.rec.policy.version);
  });

  it("every record line is the prefix then canonical JSON, one line per request, through the configured level", async () => {
    const host = await fullChainHost({ audit: { sinks: { log: { prefix: "AUDIT|", level: "warn" } } } });
    await host.exchange(recorded("openai/chat-basic"));
    const lines = recordLines(host.logs, "AUDIT|");
    expect(lines).toHaveLength(1);
    expect(recordLines(host.logs)).toHaveLength(0);
    expect(host.logs.find((l) => l.message.startsWith("AUDIT|"))!.level).toBe(3);
    expect(JSON.stringify(JSON.parse(lines[0]))).toBe(lines[0]);
  });

  it.each([
    "1970-01-01T00:00:00.000Z", "2000-02-29T12:34:56.789Z", "2028-02-29T23:59:59.999Z", "2100-03-01T00:00:00.001Z", "2026-12-31T23:59:59.500Z",
  ])("time is RFC 3339 UTC with milliseconds (%s)", async (iso) => {
    const { rec } = await one({}, recorded("openai/chat-basic"), {}, { clock: new ManualClock(Date.parse(iso)) });
    expect(rec.time).toBe(iso);
    expect(rec.timing.start).toBe(Date.parse(iso));
  });

  it("quotes, backslashes, control characters and U+2028 in traffic values stay canonical and round-trip", async () => {
    const nasty = 'a"b\\c\u0001\u001f\u007f\u2028\u2029/é😀\t';
    const ex = as(recorded("openai/chat-basic"), [["x-request-id", nasty], ["x-tenant", "}{\"hash\":\"0\""]]);
    const { host, rec } = await one({ tenant: { header: "x-tenant" } }, ex);
    expect(rec.request_id).toBe(nasty);
    expect(rec.tenant).toBe('}{"hash":"0"');
    const line = recordLines(host.logs)[0];
    expect(JSON.stringify(JSON.parse(line))).toBe(line);
  });

  it("hostile filter state (invalid UTF-8, huge or fractional numbers, not JSON) gives U+FFFD and nulls, never a trap", async () => {
    const b64 = (b: number[] | string) => Buffer.from(typeof b === "string" ? Buffer.from(b, "latin1") : Buffer.from(b)).toString("base64");
    const set = (name: string, value: string) => ({ op: "set_property", path: [name], base64: b64(value) });
    // A stand-in for a misbehaving filter earlier in the chain (bytes given as latin1 = raw).
    const probe = probeFilter("hostile", "hostile-vm", {
      log_callbacks: false,
      on_request_headers: [
        set("tollgate.provider", "op\xffen\xc3"),
        set("tollgate.model", '{"requested":"gpt\xe2\x82","served":7}'),
        set("tollgate.usage", '{"input":1152921504606846976,"output":1.5,"total":-3,"cached_input":"9","source":{"input":"reported"}}'),
        set("tollgate.budget", "not json"),
        set("tollgate.cost_micro_usd", "12x"),
        set("tollgate.stream", "yes"),
        set("tollgate.pii", '{"request":{"EMAIL":{"mask":2,"redact":"x"}},"restored":1e3,"blocked":null}'),
      ],
    });
    const host = await trackedHost([probe, auditFilter({}, "hostile-audit-vm")]);
    const r = await host.exchange(recorded("openai/chat-basic"));
    expect(r.trap).toBeUndefined();
    const recs = records(host.logs);
    expect(recs).toHaveLength(1);
    const rec = recs[0];
    expect(validateRecord(rec), JSON.stringify(validateRecord.errors)).toBe(true);
    expect(rec.provider).toBe("op\ufffden\ufffd");
    // The JSON reader refuses a document with invalid UTF-8 in a string: the whole member is null.
    expect(rec.model).toEqual({ requested: null, served: null });
    expect(rec.tokens).toMatchObject({ input: null, output: null, total: -3, cached_input: null, source: { input: "reported", output: null } });
    expect([rec.budget, rec.cost_micro_usd, rec.stream]).toEqual([null, null, null]);
    expect(rec.pii).toEqual({ findings: [{ direction: "request", type: "EMAIL", action: "mask", count: 2 }, { direction: "request", type: "EMAIL", action: "redact", count: null }], restored: null, blocked: null });
    expect(JSON.stringify(rec)).toBe(recordLines(host.logs)[0]);
  });
});
