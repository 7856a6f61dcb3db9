// Global mode: budgets shared by several Envoys through the rate-limit service protocol. Two
// harness hosts (two Envoys, each with its own shared data) call one loopback rate-limit service
// that keeps envoyproxy/ratelimit's fixed-window counters in a real redis-server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EnvoyHost } from "./harness/host";
import { closeProbeHosts } from "./support/probe";
import { as, budgetHost, budgetState, bodyJson, headerOf, recorded, statusOf, withBody } from "./support/budget";
import { startRateLimitService, type RateLimitService } from "./support/ratelimit-service";
import { startRedisServer, type RedisServer } from "./support/redis-server";

const SERVICE_CONFIG = `
domain: tollgate
descriptors:
  - key: tollgate_rule
    value: tenant-hourly
    descriptors:
      - key: tollgate_key
        rate_limit: { unit: hour, requests_per_unit: 1000 }
      - key: tollgate_key
        value: vip
        rate_limit: { unit: hour, requests_per_unit: 100000 }
`;

let redis: RedisServer;
let service: RateLimitService;

beforeAll(async () => {
  redis = await startRedisServer();
  service = await startRateLimitService({ redisUrl: redis.url, config: SERVICE_CONFIG });
});

afterAll(async () => {
  await closeProbeHosts();
  await service?.close();
  await redis?.close();
});

const rule = (extra: object = {}) => ({
  name: "tenant-hourly",
  key: [{ header: "x-tenant" }],
  // The service's configuration holds the limit; this one applies when it falls back to local.
  limit: { tokens: 300 },
  window: { calendar: "hour" },
  ...extra,
});

const chat = (tenant: string, maxTokens: number) => withBody(as(recorded("openai/chat-basic"), [["x-tenant", tenant]]), (b) => (b.max_tokens = maxTokens));

function envoy(failureMode: string, extra: object = {}): Promise<EnvoyHost> {
  return budgetHost(
    { rules: [rule()], global: { cluster: "ratelimit", domain: "tollgate", timeout_ms: 300, failure_mode: failureMode, ...extra } },
    { clusters: { ratelimit: service.url } },
  );
}

let tenantSeq = 0;
const freshTenant = () => `t${Date.now()}-${++tenantSeq}`;

describe("global budgets through the rate-limit service", () => {
  it("two Envoys share one budget: each admission is charged in the service, and the service refuses", async () => {
    const [e1, e2] = [await envoy("open"), await envoy("open")];
    const tenant = freshTenant();
    const before = service.calls.length;
    const decisions: number[] = [];
    // 209 tokens a request (9 prompt + 200 cap): four fit in 1000, the fifth does not.
    for (let i = 0; i < 6; i++) {
      const r = await (i % 2 ? e2 : e1).exchange(chat(tenant, 200));
      decisions.push(statusOf(r)!);
      if (i === 0) {
        expect(budgetState(r).rules[0]).toMatchObject({ state: "global", limit: 1000, reserved: 209, degraded: null });
        expect(headerOf(r, "x-ratelimit-limit-tokens")).toBe("1000");
        expect(headerOf(r, "x-ratelimit-remaining-tokens")).toBe(String(1000 - 209));
      }
    }
    expect(decisions).toEqual([200, 200, 200, 200, 429, 429]);
    const calls = service.calls.slice(before);
    const admissions = calls.filter((c) => c.request.descriptors[0].entries.some((e) => e.key === "tollgate_key" && e.value === tenant));
    expect(admissions.length).toBeGreaterThanOrEqual(6);
    expect(admissions[0].request).toMatchObject({ domain: "tollgate", hits_addend: 209 });
    expect(admissions[0].request.descriptors[0].entries).toEqual([
      { key: "tollgate_rule", value: "tenant-hourly" },
      { key: "tollgate_key", value: tenant },
    ]);
    // The refusal carries the service's limit and reset.
    const refused = await e1.exchange(chat(tenant, 200));
    expect(statusOf(refused)).toBe(429);
    expect(bodyJson(refused).error.code).toBe("rate_limit_exceeded");
    expect(Number(headerOf(refused, "retry-after"))).toBeGreaterThan(0);
    expect(Number(headerOf(refused, "retry-after"))).toBeLessThanOrEqual(3600);
    expect(headerOf(refused, "x-ratelimit-remaining-tokens")).toBe("0");
    // Per-tenant limits live in the service's configuration.
    expect(statusOf(await e2.exchange(chat("vip", 5000)))).toBe(200);
  });

  it("charges the prompt at admission and the output at settlement when configured so", async () => {
    const e = await envoy("open", { charge_at_admission: "prompt" });
    const tenant = freshTenant();
    const before = service.calls.length;
    const r = await e.exchange(chat(tenant, 200));
    expect(statusOf(r)).toBe(200);
    // Settlement is sent by the root context after the stream ends: wait for it.
    await waitFor(() => service.calls.length >= before + 2);
    const hits = service.calls.slice(before).map((c) => c.request.hits_addend);
    expect(hits).toEqual([9, 9]); // 9 prompt tokens at admission; 18 used → 9 more at settlement
  });

  it("with the service down: open admits uncharged, closed refuses with 503, local falls back to this Envoy's ledger", async () => {
    const open = await envoy("open");
    const closed = await envoy("closed");
    const local = await envoy("local");
    await service.stop();
    try {
      const o = await open.exchange(chat("x", 200));
      expect(statusOf(o)).toBe(200);
      expect(budgetState(o)).toMatchObject({ degraded: "open" });
      expect(open.metrics()["tollgate.budget.degraded.rule=.tenant-hourly;mode=.open;"]).toBe(1);

      const c = await closed.exchange(chat("x", 200));
      expect(statusOf(c)).toBe(503);
      expect(bodyJson(c).error.type).toBe("server_error");
      expect(budgetState(c)).toMatchObject({ decision: "rejected", degraded: "closed" });
      expect(closed.metrics()["tollgate.budget.degraded.rule=.tenant-hourly;mode=.closed;"]).toBe(1);

      // Local fallback enforces the rule's own limit (300) on this Envoy.
      const l1 = await local.exchange(chat("x", 200));
      expect(statusOf(l1)).toBe(200);
      expect(budgetState(l1).rules[0]).toMatchObject({ state: "local", degraded: "local", limit: 300 });
      const l2 = await local.exchange(chat("x", 280));
      expect(statusOf(l2)).toBe(429);
      expect(local.metrics()["tollgate.budget.degraded.rule=.tenant-hourly;mode=.local;"]).toBe(2);
    } finally {
      await service.start();
    }
    // Back up: decisions come from the service again.
    const back = await open.exchange(chat(freshTenant(), 200));
    expect(budgetState(back)).toMatchObject({ degraded: null });
  });

  it("a service slower than timeout_ms is a degraded decision too", async () => {
    const e = await envoy("open", { timeout_ms: 100 });
    service.setDelay(400);
    try {
      const r = await e.exchange(chat(freshTenant(), 10));
      expect(statusOf(r)).toBe(200);
      expect(budgetState(r)).toMatchObject({ degraded: "open" });
    } finally {
      service.setDelay(0);
    }
  });
});

async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}
