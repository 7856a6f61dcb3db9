// The loopback rate-limit service against a real redis-server, called through a real HTTP/2
// gRPC client: the semantics the budget filter's global mode will rely on (fixed windows,
// hits_addend, per-key-value counting, overrides, outages).
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { grpcFrame } from "./support/grpc-server";
import { startRateLimitService, cacheKey, type RateLimitService } from "./support/ratelimit-service";
import {
  Code,
  SHOULD_RATE_LIMIT_PATH,
  Unit,
  decodeRateLimitResponse,
  encodeRateLimitRequest,
  type RateLimitRequest,
  type RateLimitResponse,
} from "./support/ratelimit-service-proto";
import { startRedisServer, type RedisServer } from "./support/redis-server";

interface GrpcResult {
  grpcStatus: number;
  grpcMessage: string;
  response?: RateLimitResponse;
}

/** One unary ShouldRateLimit call on a fresh h2c connection. */
function call(url: string, req: RateLimitRequest): Promise<GrpcResult> {
  return new Promise((resolve, reject) => {
    const client = http2.connect(url.replace("h2c://", "http://"));
    client.on("error", (err) => {
      client.destroy();
      reject(err);
    });
    const stream = client.request({ ":method": "POST", ":path": SHOULD_RATE_LIMIT_PATH, "content-type": "application/grpc", te: "trailers" });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let message = "";
    stream.on("response", (h) => {
      if (h["grpc-status"] !== undefined) [status, message] = [String(h["grpc-status"]), String(h["grpc-message"] ?? "")];
    });
    stream.on("trailers", (t) => {
      [status, message] = [String(t["grpc-status"]), String(t["grpc-message"] ?? "")];
    });
    stream.on("data", (c: Buffer) => chunks.push(c));
    // A refused connection also cancels the pending stream; let the session's error (the
    // useful one, e.g. ECONNREFUSED) settle the promise first.
    stream.on("error", (err) => setImmediate(() => reject(err)));
    stream.on("end", () => {
      client.close();
      const body = Buffer.concat(chunks);
      resolve({
        grpcStatus: Number(status),
        grpcMessage: decodeURIComponent(message),
        response: body.length >= 5 ? decodeRateLimitResponse(body.subarray(5, 5 + body.readUInt32BE(1))) : undefined,
      });
    });
    stream.end(grpcFrame(encodeRateLimitRequest(req)));
  });
}

const rule = (name: string, key: string) => [
  { key: "tollgate_rule", value: name },
  { key: "tollgate_key", value: key },
];

async function hit(url: string, name: string, key: string, hits?: number, domain = "tollgate"): Promise<RateLimitResponse> {
  const res = await call(url, { domain, descriptors: [{ entries: rule(name, key) }], hits_addend: hits });
  expect(res.grpcStatus).toBe(0);
  return res.response!;
}

const CONFIG = `
domain: tollgate
descriptors:
  - key: tollgate_rule
    value: per-tenant
    descriptors:
      - key: tollgate_key
        rate_limit: { unit: hour, requests_per_unit: 10 }
      - key: tollgate_key
        value: vip
        rate_limit: { unit: hour, requests_per_unit: 100 }
      - key: tollgate_key
        value: free
        rate_limit: { unlimited: true }
      - key: tollgate_key
        value: trial
        shadow_mode: true
        rate_limit: { unit: hour, requests_per_unit: 2 }
  - key: tollgate_rule
    value: monthly
    descriptors:
      - key: tollgate_key
        rate_limit: { unit: month, requests_per_unit: 5 }
  - key: flat
    rate_limit: { unit: minute, requests_per_unit: 3 }
`;

// 2025-01-15T10:30:00Z: 30 minutes into an hour window.
const T0 = Date.UTC(2025, 0, 15, 10, 30, 0);

describe("loopback rate-limit service (envoyproxy/ratelimit semantics, real Redis)", () => {
  let redisServer: RedisServer;
  let redis: Redis;
  let svc: RateLimitService;
  let now = T0;

  beforeAll(async () => {
    redisServer = await startRedisServer();
    redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    redis.on("error", () => {});
    svc = await startRateLimitService({ redisPort: redisServer.port, config: CONFIG, clock: () => now });
  });

  afterAll(async () => {
    await svc?.close();
    redis?.disconnect();
    await redisServer?.close();
  });

  beforeEach(async () => {
    now = T0;
    svc.setDelay(0);
    if (!redisServer.running) await redisServer.restart();
    await svc.start();
    await redis.flushall();
  });

  it("counts each key value separately and reports what remains until the window ends", async () => {
    const a1 = await hit(svc.url, "per-tenant", "tenant-a");
    const a2 = await hit(svc.url, "per-tenant", "tenant-a");
    const b1 = await hit(svc.url, "per-tenant", "tenant-b");
    expect(a1.overall_code).toBe(Code.OK);
    expect(a1.statuses[0]).toEqual({
      code: Code.OK,
      current_limit: { requests_per_unit: 10, unit: Unit.HOUR },
      limit_remaining: 9,
      duration_until_reset: { seconds: 1800, nanos: 0 },
    });
    expect(a2.statuses[0].limit_remaining).toBe(8);
    expect(b1.statuses[0].limit_remaining).toBe(9);
    const windowStart = Math.floor(T0 / 1000 / 3600) * 3600;
    expect(await redis.get(`tollgate_tollgate_rule_per-tenant_tollgate_key_tenant-a_${windowStart}`)).toBe("2");
    expect(await redis.get(`tollgate_tollgate_rule_per-tenant_tollgate_key_tenant-b_${windowStart}`)).toBe("1");
    expect(svc.calls.at(-1)?.request.descriptors[0].entries).toEqual(rule("per-tenant", "tenant-b"));
  });

  it("adds hits_addend; 0 counts as 1; a per-descriptor hits_addend wins, 0 included", async () => {
    expect((await hit(svc.url, "per-tenant", "t", 4)).statuses[0].limit_remaining).toBe(6);
    expect((await hit(svc.url, "per-tenant", "t", 0)).statuses[0].limit_remaining).toBe(5);
    const per = await call(svc.url, {
      domain: "tollgate",
      hits_addend: 1,
      descriptors: [
        { entries: rule("per-tenant", "t"), hits_addend: { value: 3 } },
        { entries: rule("per-tenant", "u"), hits_addend: { value: 0 } },
      ],
    });
    expect(per.response!.statuses.map((s) => s.limit_remaining)).toEqual([2, 10]);
  });

  it("is over limit only once the count exceeds the limit; the overall code follows any descriptor", async () => {
    const at = await hit(svc.url, "per-tenant", "t", 10);
    expect(at.overall_code).toBe(Code.OK);
    expect(at.statuses[0].limit_remaining).toBe(0);
    const over = await hit(svc.url, "per-tenant", "t", 1);
    expect(over.overall_code).toBe(Code.OVER_LIMIT);
    expect(over.statuses[0]).toMatchObject({ code: Code.OVER_LIMIT, limit_remaining: 0, duration_until_reset: { seconds: 1800 } });
    // Counting goes on past the limit (INCRBY is unconditional).
    const windowStart = Math.floor(T0 / 1000 / 3600) * 3600;
    expect(await redis.get(cacheKey("tollgate", rule("per-tenant", "t"), "HOUR", windowStart))).toBe("11");
    const mixed = await call(svc.url, { domain: "tollgate", descriptors: [{ entries: rule("per-tenant", "other") }, { entries: rule("per-tenant", "t") }] });
    expect(mixed.response!.overall_code).toBe(Code.OVER_LIMIT);
    expect(mixed.response!.statuses.map((s) => s.code)).toEqual([Code.OK, Code.OVER_LIMIT]);
  });

  it("rolls over to a fresh window at the boundary of the injected clock", async () => {
    now = Date.UTC(2025, 0, 15, 10, 59, 59);
    expect((await hit(svc.url, "per-tenant", "t", 11)).overall_code).toBe(Code.OVER_LIMIT);
    expect((await hit(svc.url, "per-tenant", "t", 1)).statuses[0].duration_until_reset?.seconds).toBe(1);
    now = Date.UTC(2025, 0, 15, 11, 0, 0);
    const fresh = await hit(svc.url, "per-tenant", "t", 1);
    expect(fresh.overall_code).toBe(Code.OK);
    expect(fresh.statuses[0]).toMatchObject({ limit_remaining: 9, duration_until_reset: { seconds: 3600 } });
  });

  it("MONTH is a 30-day window aligned to the epoch, as the service's divider", async () => {
    const res = await hit(svc.url, "monthly", "t");
    const nowSec = T0 / 1000;
    expect(res.statuses[0].current_limit?.unit).toBe(Unit.MONTH);
    expect(res.statuses[0].duration_until_reset?.seconds).toBe(2592000 - (nowSec % 2592000));
    expect(await redis.exists(cacheKey("tollgate", rule("monthly", "t"), "MONTH", nowSec))).toBe(1);
  });

  it("nested descriptors: a configured value is more specific than the bare key", async () => {
    expect((await hit(svc.url, "per-tenant", "vip", 50)).statuses[0]).toMatchObject({ code: Code.OK, limit_remaining: 50, current_limit: { requests_per_unit: 100 } });
    expect((await hit(svc.url, "per-tenant", "someone", 50)).overall_code).toBe(Code.OVER_LIMIT);
  });

  it("unlimited answers OK with MaxUint32 remaining and no Redis key; shadow_mode never refuses", async () => {
    const free = await hit(svc.url, "per-tenant", "free", 1_000_000);
    expect(free.statuses[0]).toEqual({ code: Code.OK, limit_remaining: 4294967295 });
    expect(await redis.dbsize()).toBe(0);
    await hit(svc.url, "per-tenant", "trial", 2);
    const shadow = await hit(svc.url, "per-tenant", "trial", 5);
    expect(shadow.overall_code).toBe(Code.OK);
    expect(shadow.statuses[0]).toMatchObject({ code: Code.OK, limit_remaining: 0 });
  });

  it("unknown descriptors and domains are OK with no limit; depth must match", async () => {
    const unknown = await call(svc.url, { domain: "tollgate", descriptors: [{ entries: [{ key: "nope", value: "x" }] }] });
    expect(unknown.response).toEqual({ overall_code: Code.OK, statuses: [{ code: Code.OK, limit_remaining: 0 }] });
    expect((await hit(svc.url, "per-tenant", "t", 1, "other-domain")).statuses[0]).toEqual({ code: Code.OK, limit_remaining: 0 });
    // The rule's limit sits at depth 2: a one-entry descriptor does not match it...
    const shallow = await call(svc.url, { domain: "tollgate", descriptors: [{ entries: [{ key: "tollgate_rule", value: "per-tenant" }] }] });
    expect(shallow.response!.statuses[0].current_limit).toBeUndefined();
    // ...and a top-level limit does not match a deeper descriptor.
    const deep = await call(svc.url, { domain: "tollgate", descriptors: [{ entries: [{ key: "flat", value: "a" }, { key: "x", value: "y" }] }] });
    expect(deep.response!.statuses[0].current_limit).toBeUndefined();
    const flat = await call(svc.url, { domain: "tollgate", descriptors: [{ entries: [{ key: "flat", value: "a" }] }] });
    expect(flat.response!.statuses[0]).toMatchObject({ limit_remaining: 2, current_limit: { unit: Unit.MINUTE } });
    expect(await redis.dbsize()).toBe(1);
  });

  it("sets a TTL of one window on every counter", async () => {
    await hit(svc.url, "per-tenant", "t");
    await call(svc.url, { domain: "tollgate", descriptors: [{ entries: [{ key: "flat", value: "a" }] }] });
    const keys = (await redis.keys("*")).sort();
    expect(keys).toHaveLength(2);
    const ttls = await Promise.all(keys.map((k) => redis.ttl(k)));
    expect(ttls[0]).toBeGreaterThan(0); // flat_… (minute)
    expect(ttls[0]).toBeLessThanOrEqual(60);
    expect(ttls[1]).toBeGreaterThan(60); // tollgate_… (hour)
    expect(ttls[1]).toBeLessThanOrEqual(3600);
  });

  it("empty domain or no descriptors is a gRPC error", async () => {
    expect((await call(svc.url, { domain: "", descriptors: [{ entries: rule("per-tenant", "t") }] })).grpcStatus).toBe(2);
    const none = await call(svc.url, { domain: "tollgate", descriptors: [] });
    expect(none).toMatchObject({ grpcStatus: 2, grpcMessage: "rate limit descriptor list must not be empty" });
  });

  it("stop refuses connections; start serves again on the same port", async () => {
    const port = svc.port;
    await svc.stop();
    await expect(call(svc.url, { domain: "tollgate", descriptors: [{ entries: rule("per-tenant", "t") }] })).rejects.toMatchObject({ code: "ECONNREFUSED" });
    await svc.start();
    expect(svc.port).toBe(port);
    expect((await hit(svc.url, "per-tenant", "t")).statuses[0].limit_remaining).toBe(9);
  });

  it("a Redis outage is a gRPC error; after Redis restarts (empty) counting resumes", async () => {
    await hit(svc.url, "per-tenant", "t", 5);
    await redisServer.stop();
    const down = await call(svc.url, { domain: "tollgate", descriptors: [{ entries: rule("per-tenant", "t") }] });
    expect(down.grpcStatus).toBe(2);
    expect(down.grpcMessage).toMatch(/redis/i);
    await redisServer.restart();
    // The service reconnects on its own (retry every 100 ms).
    let res: GrpcResult | undefined;
    for (let i = 0; i < 50 && res?.grpcStatus !== 0; i++) {
      res = await call(svc.url, { domain: "tollgate", descriptors: [{ entries: rule("per-tenant", "t") }] });
      if (res.grpcStatus !== 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(res?.response?.statuses[0].limit_remaining).toBe(9); // no persistence: the count restarted
  });

  it("setDelay holds the answer back", async () => {
    svc.setDelay(150);
    const t = Date.now();
    await hit(svc.url, "per-tenant", "t");
    expect(Date.now() - t).toBeGreaterThanOrEqual(140);
  });
});

describe("envoy/ratelimit/config.yaml on the loopback service", () => {
  it("parses and applies its per-tenant overrides", async () => {
    const redisServer = await startRedisServer();
    const svc = await startRateLimitService({
      redisUrl: redisServer.url,
      config: readFileSync(new URL("../envoy/ratelimit/config.yaml", import.meta.url), "utf8"),
    });
    try {
      const limitOf = async (name: string, key: string) => (await hit(svc.url, name, key)).statuses[0];
      expect((await limitOf("consumer-hourly", "tenant-a")).current_limit).toMatchObject({ requests_per_unit: 10000, unit: Unit.HOUR });
      expect((await limitOf("consumer-hourly", "tenant-enterprise")).current_limit?.requests_per_unit).toBe(200000);
      expect((await limitOf("consumer-hourly", "tenant-internal")).limit_remaining).toBe(4294967295);
      expect((await limitOf("model-hourly", "tenant-a")).current_limit?.requests_per_unit).toBe(50000);
      expect((await limitOf("tenant-daily-cost", "tenant-a")).current_limit).toMatchObject({ requests_per_unit: 5000000, unit: Unit.DAY });
      const trial = await hit(svc.url, "tenant-daily-cost", "tenant-trial", 2_000_000);
      expect(trial.overall_code).toBe(Code.OK); // shadow_mode
    } finally {
      await svc.close();
      await redisServer.close();
    }
  });
});
