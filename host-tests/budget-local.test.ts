// The budget filter with local (shared-data) state on recorded traffic: reservation before
// admission, settlement to the meter's usage, provider-shaped refusals with retry hints,
// windows, overrides, identities, shadow rules.
import { afterAll, describe, expect, it } from "vitest";
import { ManualClock } from "./harness/clock";
import type { EnvoyHost } from "./harness/host";
import { closeProbeHosts } from "./support/probe";
import { as, BUDGET_WASM, budgetFilter, budgetHost, budgetState, bodyJson, headerOf, meterFilter, recorded, statusOf, withBody } from "./support/budget";

afterAll(closeProbeHosts);

const HOUR = 3_600_000;
const tenantRule = (tokens: number, extra: object = {}) => ({
  name: "tenant-hourly",
  key: [{ header: "x-tenant" }],
  limit: { tokens },
  window: { calendar: "hour" },
  ...extra,
});

// chat-basic: 9 prompt tokens (counted), 9 completion tokens reported, no max_tokens.
const chat = (tenant: string, maxTokens?: number) => {
  const ex = as(recorded("openai/chat-basic"), [["x-tenant", tenant]]);
  return maxTokens === undefined ? ex : withBody(ex, (b) => (b.max_tokens = maxTokens));
};

function clockAt(iso: string): ManualClock {
  return new ManualClock(Date.parse(iso));
}

describe("admission and settlement", () => {
  it("reserves prompt + default cap, settles to reported usage, and publishes tollgate.budget", async () => {
    const host = await budgetHost({ rules: [tenantRule(1000)], default_output_cap: 200 }, { clock: clockAt("2026-01-01T10:00:00Z") });
    const r = await host.exchange(chat("acme"));
    expect(r.trap).toBeUndefined();
    expect(statusOf(r)).toBe(200);
    const s = budgetState(r);
    expect(s).toMatchObject({ decision: "admitted", rule: "tenant-hourly", key: "acme", unit: "tokens", limit: 1000, reserved: 9 + 200, settled: 18, remaining: 1000 - 18, degraded: null });
    // The client sees what remained when its response started (the reservation still held).
    expect(headerOf(r, "x-ratelimit-limit-tokens")).toBe("1000");
    expect(headerOf(r, "x-ratelimit-remaining-tokens")).toBe(String(1000 - 209));
    expect(headerOf(r, "x-ratelimit-reset-tokens")).toBe("1h0m0s");
    // The next request sees the settled balance, not the reservation.
    const r2 = await host.exchange(chat("acme", 50));
    expect(budgetState(r2)).toMatchObject({ reserved: 59, settled: 18, remaining: 1000 - 36 });
    expect(host.metrics()["tollgate.budget.admitted.rule=.tenant-hourly;"]).toBe(2);
    expect(host.metrics()["tollgate.budget.reserved.rule=.tenant-hourly;unit=.tokens;"]).toBe(209 + 59);
    expect(host.metrics()["tollgate.budget.settled.rule=.tenant-hourly;unit=.tokens;"]).toBe(36);
  });

  it("reserves the output cap once per choice (n) and the default cap when the client sets none", async () => {
    const host = await budgetHost({ rules: [tenantRule(100_000)], default_output_cap: 300 });
    const n2 = withBody(as(recorded("openai/chat-n2"), [["x-tenant", "acme"]]), (b) => (b.max_tokens = 100));
    const r = await host.exchange(n2);
    const prompt = JSON.parse(new TextDecoder().decode(r.filterState["tollgate.request_tokens"])).prompt;
    expect(budgetState(r).reserved).toBe(prompt + 2 * 100);
    const noCap = await host.exchange(as(recorded("openai/chat-n2"), [["x-tenant", "acme"]]));
    expect(budgetState(noCap).reserved).toBe(prompt + 2 * 300);
  });

  it("refuses a request whose reservation does not fit, in OpenAI's error shape with retry hints", async () => {
    const host = await budgetHost({ rules: [tenantRule(300)] }, { clock: clockAt("2026-01-01T10:15:00Z") });
    expect(statusOf(await host.exchange(chat("acme", 250)))).toBe(200); // 18 settled
    const r = await host.exchange(chat("acme", 290)); // 18 + 9 + 290 > 300
    expect(statusOf(r)).toBe(429);
    expect(r.upstreamRequest?.body?.length ?? 0).toBe(0);
    expect(bodyJson(r).error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded", param: null });
    expect(bodyJson(r).error.message).toContain("tenant-hourly");
    expect(headerOf(r, "retry-after")).toBe("2700"); // the hour ends at 11:00
    expect(headerOf(r, "retry-after-ms")).toBe("2700000");
    expect(headerOf(r, "x-should-retry")).toBe("false");
    expect(headerOf(r, "x-tollgate-budget-rule")).toBe("tenant-hourly");
    expect(headerOf(r, "x-ratelimit-remaining-tokens")).toBe("282");
    expect(budgetState(r)).toMatchObject({ decision: "rejected", rule: "tenant-hourly", key: "acme", reserved: 299, settled: null });
    expect(r.localReply?.details).toBe("tollgate_budget_exhausted");
    // Another tenant is untouched; a smaller request still fits.
    expect(statusOf(await host.exchange(chat("other", 290)))).toBe(200);
    expect(statusOf(await host.exchange(chat("acme", 100)))).toBe(200);
    expect(host.metrics()["tollgate.budget.rejected.rule=.tenant-hourly;"]).toBe(1);
  });

  it("answers Anthropic and Gemini callers in their own error shapes", async () => {
    const host = await budgetHost({ rules: [{ name: "all", limit: { tokens: 10 }, window: { calendar: "day" } }] });
    const a = await host.exchange(recorded("anthropic/messages-tool-use"));
    expect(statusOf(a)).toBe(429);
    expect(bodyJson(a)).toMatchObject({ type: "error", error: { type: "rate_limit_error" } });
    const g = await host.exchange(recorded("gemini/generate-basic"));
    expect(statusOf(g)).toBe(429);
    expect(bodyJson(g).error).toMatchObject({ code: 429, status: "RESOURCE_EXHAUSTED" });
  });

  it("releases the reservation when the provider answers with an error it does not bill", async () => {
    const host = await budgetHost({ rules: [tenantRule(1000)], default_output_cap: 500 });
    const err = as(recorded("openai/error-400-unsupported-parameter"), [["x-tenant", "acme"]]);
    const r = await host.exchange(err);
    expect(statusOf(r)).toBe(400);
    expect(budgetState(r)).toMatchObject({ decision: "admitted", settled: 0, remaining: 1000 });
    const next = await host.exchange(chat("acme"));
    expect(budgetState(next).remaining).toBe(1000 - 18);
  });

  it("charges requests and money as configured; an exhausted money budget answers 402 when asked to", async () => {
    const host = await budgetHost({
      rules: [
        { name: "rpm", key: [{ header: "x-tenant" }], limit: { requests: 2 }, window: { calendar: "minute" } },
        { name: "spend", key: [{ header: "x-tenant" }], limit: { cost_micro_usd: 150 }, window: { calendar: "month" }, money_status: 402 },
      ],
      default_output_cap: 100,
    });
    // gpt-4o-mini: $0.15/M input, $0.60/M output → 9 + 100 tokens reserve 62 micro-USD (rounded up).
    const r1 = await host.exchange(chat("acme"));
    const spend = budgetState(r1).rules.find((x: any) => x.rule === "spend");
    expect(spend.unit).toBe("cost_micro_usd");
    expect(spend.reserved).toBeGreaterThan(spend.settled);
    expect(headerOf(r1, "x-ratelimit-limit-requests")).toBe("2");
    expect(headerOf(r1, "x-ratelimit-remaining-requests")).toBe("1");
    expect(headerOf(r1, "x-ratelimit-limit-cost-micro-usd")).toBe("150");
    expect(statusOf(await host.exchange(chat("acme")))).toBe(200);
    const r3 = await host.exchange(chat("acme"));
    expect(statusOf(r3)).toBe(429);
    expect(headerOf(r3, "x-tollgate-budget-rule")).toBe("rpm");
    const big = await host.exchange(chat("big", 400)); // 9 + 400 tokens cost more than 150 micro-USD
    expect(statusOf(big)).toBe(402);
    expect(bodyJson(big).error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota" });
  });
});

describe("several rules", () => {
  const rules = [
    { name: "consumer", key: [{ header: "x-tenant" }], limit: { tokens: 500 }, window: { calendar: "hour" } },
    { name: "model-wide", key: ["model"], limit: { tokens: 800 }, window: { calendar: "hour" } },
  ];

  it("all must pass; a refusal by a later rule rolls back the earlier rule's reservation", async () => {
    const host = await budgetHost({ rules });
    await host.exchange(chat("a", 300)); // consumer a 18, model 18
    await host.exchange(chat("b", 300)); // consumer b 18, model 36
    const r = await host.exchange(chat("c", 780)); // consumer c would fit... 789 > 500: refused by consumer
    expect(headerOf(r, "x-tollgate-budget-rule")).toBe("consumer");
    const r2 = await host.exchange(chat("c", 480)); // consumer fits (489), model-wide 36 + 489 fits
    expect(statusOf(r2)).toBe(200);
    const r3 = await host.exchange(chat("d", 480)); // consumer d fits; model-wide 54 + 489 = 543 fits
    expect(statusOf(r3)).toBe(200);
    const r4 = await host.exchange(chat("e", 480)); // model-wide 72 + 489 = 561 fits
    expect(statusOf(r4)).toBe(200);
    // Hold the model budget with an admitted stream that has not ended, then check rollback.
    const held = heldRequest(host, chat("f", 480));
    await held.admitted;
    const r5 = await host.exchange(chat("g", 480)); // consumer g reserves 489, model refuses: 90 + 489 + 489 > 800
    expect(statusOf(r5)).toBe(429);
    expect(headerOf(r5, "x-tollgate-budget-rule")).toBe("model-wide");
    const g = budgetState(r5).rules.find((x: any) => x.rule === "consumer");
    expect(g.decision).toBe("not_reached");
    // consumer g's reservation was rolled back: g still has its whole budget.
    held.finish();
    await held.done;
    const r6 = await host.exchange(chat("g", 480));
    expect(budgetState(r6).rules.find((x: any) => x.rule === "consumer")).toMatchObject({ decision: "admitted", remaining: 500 - 18 });
  });
});

/** A request admitted now whose response is sent later: its reservation is held meanwhile. */
function heldRequest(host: EnvoyHost, ex: ReturnType<typeof chat>) {
  let finish!: () => void;
  const gate = new Promise<void>((r) => (finish = r));
  let admittedResolve!: () => void;
  const admitted = new Promise<void>((r) => (admittedResolve = r));
  const stream = host.newStream({
    onUpstreamData: (_d, end) => {
      if (end) admittedResolve();
    },
  });
  stream.sendRequestHeaders([[":method", ex.request.method], [":path", ex.request.path], [":authority", ex.request.authority ?? "api.openai.com"], ...ex.request.headers], false);
  stream.sendRequestData(ex.request.body, true);
  const done = gate.then(() => {
    stream.sendResponseHeaders([[":status", String(ex.response.status)], ...ex.response.headers], false);
    stream.sendResponseData(ex.response.body, true);
    return stream.done;
  });
  return { admitted, finish, done };
}

describe("windows", () => {
  it("a calendar window resets at its boundary in the configured UTC offset", async () => {
    // Day windows at +05:30: the day turns at 18:30 UTC.
    const clock = clockAt("2026-03-31T18:00:00Z");
    const host = await budgetHost({ rules: [tenantRule(250, { window: { calendar: "day", utc_offset: "+05:30" } })] }, { clock });
    expect(statusOf(await host.exchange(chat("acme", 200)))).toBe(200);
    const refused = await host.exchange(chat("acme", 230));
    expect(statusOf(refused)).toBe(429);
    expect(headerOf(refused, "retry-after")).toBe("1800");
    await host.advance(30 * 60_000);
    expect(statusOf(await host.exchange(chat("acme", 230)))).toBe(200);
  });

  it("a month window runs to the first of the next month (leap February)", async () => {
    const clock = clockAt("2028-02-10T00:00:00Z");
    const host = await budgetHost({ rules: [tenantRule(20, { window: { calendar: "month" } })], default_output_cap: 1 }, { clock });
    await host.exchange(chat("acme"));
    const r = await host.exchange(chat("acme"));
    expect(statusOf(r)).toBe(429);
    expect(Number(headerOf(r, "retry-after"))).toBe((Date.parse("2028-03-01T00:00:00Z") - Date.parse("2028-02-10T00:00:00Z")) / 1000);
  });

  it("a rolling window frees spend slot by slot as it ages out", async () => {
    const clock = clockAt("2026-01-01T10:00:00Z");
    const host = await budgetHost({ rules: [tenantRule(60, { window: { rolling: "1h", slots: 4 } })] }, { clock });
    await host.exchange(chat("acme", 10)); // 18 in slot 10:00
    await host.advance(20 * 60_000);
    await host.exchange(chat("acme", 10)); // 18 in slot 10:15
    await host.advance(20 * 60_000);
    await host.exchange(chat("acme", 10)); // 18 in slot 10:30 → 54 used at 10:40
    const r = await host.exchange(chat("acme", 10)); // needs 19: over
    expect(statusOf(r)).toBe(429);
    // The 10:00 slot leaves the window at 11:00: 20 minutes from 10:40.
    expect(headerOf(r, "retry-after")).toBe("1200");
    await host.advance(20 * 60_000);
    expect(statusOf(await host.exchange(chat("acme", 10)))).toBe(200);
  });
});

describe("identity, overrides and shadow rules", () => {
  it("keys on a JWT claim that jwt_authn verified (payload_in_metadata)", async () => {
    const host = await budgetHost({ rules: [{ name: "by-sub", key: [{ jwt_claim: "sub" }], limit: { tokens: 300 }, window: { calendar: "hour" } }] });
    const jwt = (sub: string) => ({ metadata: { "envoy.filters.http.jwt_authn": { jwt_payload: { sub, iss: "https://issuer" } } } });
    const r = await host.exchange(as(chat("ignored", 250), [], jwt("user-1")));
    expect(budgetState(r).key).toBe("user-1");
    expect(statusOf(await host.exchange(as(chat("ignored", 290), [], jwt("user-1"))))).toBe(429);
    expect(statusOf(await host.exchange(as(chat("ignored", 250), [], jwt("user-2"))))).toBe(200);
  });

  it("per-key overrides from config and from metadata; a limit of 0 suspends a tenant", async () => {
    const host = await budgetHost({
      rules: [tenantRule(100, { overrides: { vip: 5000, banned: 0 }, limit_from: ["metadata", "filter_metadata", "tollgate", "token_limit"] })],
    });
    expect(statusOf(await host.exchange(chat("plain", 200)))).toBe(429);
    expect(statusOf(await host.exchange(chat("vip", 200)))).toBe(200);
    const banned = await host.exchange(chat("banned", 1));
    expect(statusOf(banned)).toBe(429);
    expect(bodyJson(banned).error.message).toContain("suspended");
    // An earlier filter (ext_authz, a Lua script...) set the tenant's limit in dynamic metadata.
    const md = (n: unknown) => ({ metadata: { tollgate: { token_limit: n } } });
    expect(statusOf(await host.exchange(as(chat("plain", 200), [], md(1000))))).toBe(200);
    expect(statusOf(await host.exchange(as(chat("vip", 200), [], md(0))))).toBe(429);
    expect(statusOf(await host.exchange(as(chat("plain", 200), [], md("5000"))))).toBe(200);
  });

  it("without an identity: shared bucket, skip, or refuse, as configured", async () => {
    const host = await budgetHost({
      rules: [
        tenantRule(30, { name: "shared", on_missing_key: "shared" }),
        tenantRule(30, { name: "skip", on_missing_key: "skip", key: [{ header: "x-other" }] }),
      ],
    });
    const anon = recorded("openai/chat-basic");
    const r = await host.exchange(withBody(anon, (b) => (b.max_tokens = 5)));
    expect(budgetState(r).rules.map((x: any) => [x.rule, x.key])).toEqual([["shared", "_missing"]]);
    expect(host.metrics()["tollgate.budget.missing_key.rule=.skip;"]).toBe(1);
    const strict = await budgetHost({ rules: [tenantRule(30, { on_missing_key: "reject" })] });
    const refused = await strict.exchange(anon);
    expect(statusOf(refused)).toBe(403);
    expect(bodyJson(refused).error.message).toContain("identity");
  });

  it("a shadow rule lets the request through, records it, and still charges", async () => {
    const host = await budgetHost({ rules: [tenantRule(50, { action: "shadow" })] });
    const r1 = await host.exchange(chat("acme", 100));
    expect(statusOf(r1)).toBe(200);
    expect(budgetState(r1).decision).toBe("shadow_rejected");
    expect(host.metrics()["tollgate.budget.shadow_rejected.rule=.tenant-hourly;"]).toBe(1);
    expect(host.metrics()["tollgate.budget.rejected.rule=.tenant-hourly;"]).toBeUndefined();
  });

  it("past the soft threshold: a warning header and a metric", async () => {
    const host = await budgetHost({ rules: [tenantRule(100, { soft_threshold: 0.5 })] });
    const r1 = await host.exchange(chat("acme", 20)); // 29 reserved of 100
    expect(headerOf(r1, "x-tollgate-budget-warning")).toBeUndefined();
    const r2 = await host.exchange(chat("acme", 40)); // 18 + 49 = 67 → 67%
    expect(headerOf(r2, "x-tollgate-budget-warning")).toBe("tenant-hourly=67%");
    expect(host.metrics()["tollgate.budget.soft_limit.rule=.tenant-hourly;"]).toBe(1);
  });
});

describe("configuration reloads", () => {
  it("balances survive a reload (new limits apply to them) and a new build under the same vm_id; a new vm_id starts afresh", async () => {
    const vmId = "tollgate-reload";
    const host = await budgetHost({ rules: [tenantRule(300)] }, {}, {}, vmId);
    expect(statusOf(await host.exchange(chat("acme", 250)))).toBe(200); // 18 settled
    expect(statusOf(await host.exchange(chat("acme", 290)))).toBe(429); // 18 + 299 > 300

    // Same code, new configuration: the raised limit applies to the balance already spent.
    await host.reconfigure([meterFilter({}, vmId), budgetFilter({ rules: [tenantRule(317)] }, vmId)]);
    const r = await host.exchange(chat("acme", 290));
    expect(statusOf(r)).toBe(200); // 18 + 299 = 317
    expect(budgetState(r).remaining).toBe(317 - 36);

    // New code (the debug build) under the same vm_id: a new VM, the same shared data.
    await host.reconfigure([meterFilter({}, vmId), { ...budgetFilter({ rules: [tenantRule(317)] }, vmId), code: BUDGET_WASM.replace(/\.wasm$/, ".debug.wasm") }]);
    expect(budgetState(await host.exchange(chat("acme", 1))).remaining).toBe(317 - 54);

    // A configuration the filter rejects leaves the running one in place.
    await expect(host.reconfigure([meterFilter({}, vmId), budgetFilter({ rules: [{ name: "bad" }] }, vmId)])).rejects.toThrow();
    expect(budgetState(await host.exchange(chat("acme", 1))).remaining).toBe(317 - 72);

    // Another vm_id is another shared-data space.
    await host.reconfigure([meterFilter({}, "tollgate-other"), budgetFilter({ rules: [tenantRule(317)] }, "tollgate-other")]);
    expect(budgetState(await host.exchange(chat("acme", 1))).remaining).toBe(317 - 18);
  });
});

describe("rule matching is per request", () => {
  const rules = [
    { name: "messages-only", match: { path_prefix: "/v1/messages" }, limit: { tokens: 1_000_000 }, window: { calendar: "hour" } },
    { name: "everything", limit: { tokens: 1_000_000 }, window: { calendar: "hour" } },
  ];
  const names = (r: any) => budgetState(r).rules.map((x: any) => x.rule);

  it("a rule matched by one request's path does not stick to the next request", async () => {
    const host = await budgetHost({ rules });
    expect(names(await host.exchange(recorded("anthropic/messages-tool-use")))).toEqual(["messages-only", "everything"]);
    expect(names(await host.exchange(chat("acme")))).toEqual(["everything"]);
  });

  it("another stream's headers arriving between a stream's headers and its body change nothing", async () => {
    const host = await budgetHost({ rules });
    const a = recorded("anthropic/messages-tool-use");
    const b = chat("acme");
    const state = (s: any) => JSON.parse(new TextDecoder().decode(s.filterState().get("wasm.tollgate.budget")));
    const open = (ex: typeof a) => {
      const s = host.newStream({}, { worker: 0 });
      s.sendRequestHeaders([[":method", "POST"], [":path", ex.request.path], [":authority", ex.request.authority ?? "x"], ...ex.request.headers], false);
      return s;
    };
    const sa = open(a);
    const sb = open(b);
    sa.sendRequestData(a.request.body, true);
    sb.sendRequestData(b.request.body, true);
    expect(state(sa).rules.map((x: any) => x.rule)).toEqual(["messages-only", "everything"]);
    expect(state(sb).rules.map((x: any) => x.rule)).toEqual(["everything"]);
    sa.resetFromDownstream();
    sb.resetFromDownstream();
  });
});
