// The rate-limit stand-in's in-memory counters (what `tollgate replay --stand-ins` runs) decide
// exactly as its Redis counters do: the same gRPC requests, on the same clock, to one service
// counting in a real redis-server and one counting in memory, must get the same answers.
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { grpcFrame } from "./support/grpc-server";
import { memoryStore } from "./support/ratelimit-counters";
import { startRateLimitService, type RateLimitService } from "./support/ratelimit-service";
import { Code, SHOULD_RATE_LIMIT_PATH, decodeRateLimitResponse, encodeRateLimitRequest, type RateLimitRequest, type RateLimitResponse } from "./support/ratelimit-service-proto";
import { findRedisServerBinary, startRedisServer } from "./support/redis-server";

const config = readFileSync(join(__dirname, "../envoy/ratelimit/config.yaml"), "utf8");

/** One ShouldRateLimit over h2c; resolves to the decoded answer, or the gRPC status when not OK. */
async function ask(url: string, req: RateLimitRequest): Promise<RateLimitResponse | { grpcStatus: number }> {
  const session = http2.connect(url.replace("h2c://", "http://"));
  try {
    return await new Promise((resolve, reject) => {
      session.on("error", reject);
      const stream = session.request({ ":method": "POST", ":path": SHOULD_RATE_LIMIT_PATH, "content-type": "application/grpc", te: "trailers" });
      const parts: Buffer[] = [];
      let status = "";
      stream.on("response", (h) => (status = String(h["grpc-status"] ?? "")));
      stream.on("trailers", (t) => (status = String(t["grpc-status"])));
      stream.on("data", (c: Buffer) => parts.push(c));
      stream.on("error", reject);
      stream.on("end", () => {
        const body = Buffer.concat(parts);
        if (status !== "0") return resolve({ grpcStatus: Number(status) });
        resolve(decodeRateLimitResponse(body.subarray(5, 5 + body.readUInt32BE(1))));
      });
      stream.end(grpcFrame(encodeRateLimitRequest(req)));
    });
  } finally {
    session.close();
  }
}

const rule = (name: string, key: string, hits?: number) => ({ entries: [{ key: "tollgate_rule", value: name }, { key: "tollgate_key", value: key }], ...(hits === undefined ? {} : { hits_addend: { value: hits } }) });

/** A day of traffic across hour and day windows: limits reached, unlimited keys, shadow mode, checks without counting. */
function script(): Array<{ atMs: number; req: RateLimitRequest }> {
  const start = Date.UTC(2026, 10, 23, 9, 59, 58);
  const out: Array<{ atMs: number; req: RateLimitRequest }> = [];
  let t = start;
  for (let i = 0; i < 40; i++) {
    t += 500 + ((i * 7919) % 3) * 400;
    const model = i % 3 === 0 ? "gpt-4o" : "claude-sonnet";
    out.push({ atMs: t, req: { domain: "tollgate", descriptors: [rule("model-hourly", model, 3000 + (i % 5) * 1000)] } });
    out.push({ atMs: t, req: { domain: "tollgate", descriptors: [rule("consumer-hourly", i % 4 === 0 ? "tenant-internal" : "alice"), rule("tenant-daily-cost", "tenant-trial", 90_000)], hits_addend: 700 } });
    if (i % 9 === 0) out.push({ atMs: t, req: { domain: "tollgate", descriptors: [rule("model-hourly", model, 0)] } });
    if (i === 20) t += 3600_000; // the next hour: fresh windows for hourly rules, the same day
  }
  out.push({ atMs: t, req: { domain: "", descriptors: [rule("model-hourly", "x")] } });
  out.push({ atMs: t, req: { domain: "other", descriptors: [rule("model-hourly", "x")] } });
  return out;
}

async function replay(service: RateLimitService, now: { ms: number }) {
  const answers: unknown[] = [];
  for (const step of script()) {
    now.ms = step.atMs;
    answers.push(await ask(service.url, step.req));
  }
  return answers;
}

describe("rate-limit stand-in: in-memory counters", () => {
  const services: RateLimitService[] = [];
  afterAll(async () => {
    for (const s of services) await s.close();
  });

  it("count per fixed window and refuse past the limit, as the config says", async () => {
    const now = { ms: Date.UTC(2026, 10, 23, 10, 0, 0) };
    const s = await startRateLimitService({ memory: true, config, clock: () => now.ms });
    services.push(s);
    const first = (await ask(s.url, { domain: "tollgate", descriptors: [rule("model-hourly", "m", 49_000)] })) as RateLimitResponse;
    expect(first.overall_code).toBe(Code.OK);
    expect(first.statuses[0].limit_remaining).toBe(1000);
    const over = (await ask(s.url, { domain: "tollgate", descriptors: [rule("model-hourly", "m", 1001)] })) as RateLimitResponse;
    expect(over.overall_code).toBe(Code.OVER_LIMIT);
    now.ms += 3600_000;
    const nextHour = (await ask(s.url, { domain: "tollgate", descriptors: [rule("model-hourly", "m", 1)] })) as RateLimitResponse;
    expect(nextHour.statuses[0].limit_remaining).toBe(49_999);
    expect(s.calls).toHaveLength(3);
  });

  it("a key past its EXPIRE counts from zero again, like a key Redis expired", async () => {
    let now = 1_000_000;
    const store = memoryStore(() => now, 10);
    expect(await store.incrementAll([{ key: "k", hits: 5, ttlSec: 2 }, { key: "j", hits: 1, ttlSec: 60 }])).toEqual([5, 1]);
    now += 1999;
    expect(await store.incrementAll([{ key: "k", hits: 1, ttlSec: 2 }])).toEqual([6]);
    now += 2000; // EXPIRE was renewed by the last hit: gone exactly 2 s after it
    expect(await store.incrementAll([{ key: "k", hits: 3, ttlSec: 2 }, { key: "j", hits: 1, ttlSec: 60 }])).toEqual([3, 2]);
  });

  it.skipIf(!findRedisServerBinary())("decide exactly as the Redis counters on the same requests and clock", async () => {
    const redisServer = await startRedisServer();
    try {
      const now = { ms: 0 };
      const withRedis = await startRateLimitService({ redisUrl: redisServer.url, config, clock: () => now.ms });
      const inMemory = await startRateLimitService({ memory: true, config, clock: () => now.ms });
      services.push(withRedis, inMemory);
      const a = await replay(withRedis, now);
      const b = await replay(inMemory, now);
      expect(b).toEqual(a);
      // The script reaches every kind of answer, so the comparison covers each path.
      const codes = new Set(a.map((x) => ("grpcStatus" in (x as object) ? `grpc ${(x as { grpcStatus: number }).grpcStatus}` : String((x as RateLimitResponse).overall_code))));
      expect(codes).toEqual(new Set([String(Code.OK), String(Code.OVER_LIMIT), "grpc 2"]));
    } finally {
      await redisServer.close();
    }
  });
});
