// Where the rate-limit service stand-in counts: envoyproxy/ratelimit's fixed-window algorithm
// is, per descriptor, INCRBY key hits then EXPIRE key window (one pipeline per request). Two
// stores give those semantics: a real Redis (what production runs) and an in-memory map (for
// `tollgate replay --stand-ins`, where no Redis is around). The key already names its window
// start, so EXPIRE only reclaims memory; decisions never depend on it.
import { Redis } from "ioredis";

export interface CounterHit {
  key: string;
  hits: number;
  /** EXPIRE seconds, set on every hit as the service does. */
  ttlSec: number;
}

export interface CounterStore {
  /** INCRBY each key by its hits, then EXPIRE it; resolves to each key's value after its INCRBY. */
  incrementAll(list: CounterHit[]): Promise<number[]>;
  close(): Promise<void>;
}

export async function connectRedisStore(url: string): Promise<CounterStore> {
  // Fail fast while Redis is down instead of queueing (the real service answers with an error),
  // and keep reconnecting so a restarted Redis is picked up.
  const redis = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
  redis.on("error", () => {});
  await redis.connect();
  return {
    async incrementAll(list) {
      if (list.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const h of list) {
        pipeline.incrby(h.key, h.hits);
        pipeline.expire(h.key, h.ttlSec);
      }
      const results = await pipeline.exec();
      if (!results) throw new Error("redis pipeline returned nothing");
      for (const [err] of results) if (err) throw err;
      return list.map((_, n) => Number(results[2 * n][1]));
    },
    async close() {
      redis.disconnect();
    },
  };
}

/**
 * Redis's INCRBY/EXPIRE on a Map: a key past its expiry counts from 0 again, as a key Redis
 * expired would. Expired keys are swept at most once per `sweepEveryMs`, so memory stays bounded
 * by the keys of live windows.
 */
export function memoryStore(clock: () => number = Date.now, sweepEveryMs = 60_000): CounterStore {
  const counters = new Map<string, { value: number; expiresAt: number }>();
  let lastSweep = clock();
  return {
    async incrementAll(list) {
      const now = clock();
      if (now - lastSweep >= sweepEveryMs) {
        for (const [k, c] of counters) if (c.expiresAt <= now) counters.delete(k);
        lastSweep = now;
      }
      return list.map((h) => {
        let c = counters.get(h.key);
        if (!c || c.expiresAt <= now) counters.set(h.key, (c = { value: 0, expiresAt: Infinity }));
        c.value += h.hits;
        c.expiresAt = now + h.ttlSec * 1000;
        return c.value;
      });
    },
    async close() {
      counters.clear();
    },
  };
}
