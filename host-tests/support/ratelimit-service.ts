// A real rate-limit service on loopback that behaves like envoyproxy/ratelimit with its Redis
// backend and fixed-window algorithm: Envoy's RateLimitService/ShouldRateLimit over gRPC (h2c),
// counting in a real Redis with INCRBY + EXPIRE (or, with `memory`, the same two steps on a Map:
// ratelimit-counters.ts). It exists so the budget filter's global-mode tests, and
// `tollgate replay --stand-ins`, run against the same semantics as production without a Go build
// or a container.
// What was checked against envoyproxy/ratelimit (and from which files) is listed in
// envoy/ratelimit/README.md; deviations are named there too.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { load as loadYaml } from "js-yaml";
import { grpcFrame } from "./grpc-server";
import { connectRedisStore, memoryStore, type CounterStore } from "./ratelimit-counters";
import {
  Code,
  SHOULD_RATE_LIMIT_PATH,
  Unit,
  decodeRateLimitRequest,
  encodeRateLimitResponse,
  type DescriptorEntry,
  type DescriptorStatus,
  type RateLimitDescriptor,
  type RateLimitRequest,
  type RateLimitResponse,
  type UnitName,
} from "./ratelimit-service-proto";

// ---------------------------------------------------------------------------------------------
// Configuration: envoyproxy/ratelimit's YAML format.

export interface RateLimitConfigDescriptor {
  key: string;
  value?: string;
  rate_limit?: {
    unit?: string;
    requests_per_unit?: number;
    unlimited?: boolean;
    name?: string;
    replaces?: { name: string }[];
  };
  shadow_mode?: boolean;
  detailed_metric?: boolean;
  descriptors?: RateLimitConfigDescriptor[];
}

export interface RateLimitConfig {
  domain: string;
  descriptors?: RateLimitConfigDescriptor[];
}

interface Limit {
  requestsPerUnit: number;
  unit: UnitName;
  unlimited: boolean;
  shadowMode: boolean;
  name?: string;
  replaces: string[];
  /** domain.key_value.key…, as the service names the rule in its stats. */
  fullKey: string;
}

interface Node {
  limit?: Limit;
  children: Map<string, Node>;
  /** Children whose configured value ends in "*": prefix → node. */
  wildcards: Map<string, Node>;
}

const MAX_UINT32 = 4294967295;

/** Window length in seconds per unit, as the service's UnitToDivider (MONTH = 30 d, YEAR = 365 d). */
export function windowSeconds(unit: UnitName): number {
  switch (unit) {
    case "SECOND": return 1;
    case "MINUTE": return 60;
    case "HOUR": return 3600;
    case "DAY": return 86400;
    case "WEEK": return 7 * 86400;
    case "MONTH": return 30 * 86400;
    case "YEAR": return 365 * 86400;
    default: throw new Error(`no window for unit ${unit}`);
  }
}

/** The Redis key the service counts in: domain_k1_v1_k2_v2_<window start, unix seconds>. */
export function cacheKey(domain: string, entries: DescriptorEntry[], unit: UnitName, nowSec: number, prefix = ""): string {
  const divider = windowSeconds(unit);
  let key = `${prefix}${domain}_`;
  for (const e of entries) key += `${e.key}_${e.value}_`;
  return key + String(Math.floor(nowSec / divider) * divider);
}

function parseUnit(raw: unknown, where: string): UnitName {
  const name = String(raw ?? "").toUpperCase();
  if (!(name in Unit) || name === "UNKNOWN") throw new Error(`${where}: invalid rate limit unit '${String(raw)}'`);
  return name as UnitName;
}

function loadDescriptors(parent: Node, parentKey: string, list: RateLimitConfigDescriptor[] | undefined): void {
  for (const d of list ?? []) {
    if (!d || typeof d.key !== "string" || d.key === "") throw new Error(`${parentKey}: descriptor has empty key`);
    const value = d.value === undefined || d.value === null ? "" : String(d.value);
    const finalKey = value === "" ? d.key : `${d.key}_${value}`;
    const fullKey = parentKey + finalKey;
    if (parent.children.has(finalKey)) throw new Error(`duplicate descriptor composite key '${fullKey}'`);
    const node: Node = { children: new Map(), wildcards: new Map() };
    const rl = d.rate_limit;
    if (rl) {
      const unlimited = rl.unlimited === true;
      node.limit = {
        requestsPerUnit: unlimited ? 0 : Number(rl.requests_per_unit ?? 0),
        unit: unlimited ? "UNKNOWN" : parseUnit(rl.unit, fullKey),
        unlimited,
        shadowMode: d.shadow_mode === true,
        name: rl.name,
        replaces: (rl.replaces ?? []).map((r) => r.name),
        fullKey,
      };
    }
    loadDescriptors(node, fullKey + ".", d.descriptors);
    parent.children.set(finalKey, node);
    if (value.endsWith("*")) parent.wildcards.set(`${d.key}_${value.slice(0, -1)}`, node);
  }
}

function parseConfigs(config: ServiceConfigInput): Map<string, Node> {
  const list = Array.isArray(config) ? config : [config];
  const domains = new Map<string, Node>();
  for (const item of list) {
    const root = (typeof item === "string" ? loadYaml(item) : item) as RateLimitConfig;
    if (!root || typeof root.domain !== "string" || root.domain === "") throw new Error("config file cannot have empty domain");
    if (domains.has(root.domain)) throw new Error(`duplicate domain '${root.domain}' in config file`);
    const node: Node = { children: new Map(), wildcards: new Map() };
    loadDescriptors(node, root.domain + ".", root.descriptors);
    domains.set(root.domain, node);
  }
  return domains;
}

/**
 * The limit for one request descriptor: entry by entry down the nested lists, key_value first,
 * then a wildcard value, then the bare key (any value); a limit applies only if it sits at the
 * depth of the descriptor's last entry.
 */
function getLimit(domains: Map<string, Node>, domain: string, descriptor: RateLimitDescriptor): Limit | undefined {
  const root = domains.get(domain);
  if (!root) return undefined;
  if (descriptor.limit) {
    // Request-side override: the descriptor brings its own limit.
    const unitName = (Object.keys(Unit) as UnitName[]).find((k) => Unit[k] === descriptor.limit!.unit) ?? "UNKNOWN";
    return {
      requestsPerUnit: descriptor.limit.requests_per_unit,
      unit: unitName,
      unlimited: false,
      shadowMode: false,
      replaces: [],
      fullKey: `${domain}.${descriptor.entries.map((e) => (e.value ? `${e.key}_${e.value}` : e.key)).join(".")}`,
    };
  }
  let level: Node = root;
  let found: Limit | undefined;
  const entries = descriptor.entries;
  for (let i = 0; i < entries.length; i++) {
    const { key, value } = entries[i];
    let next = level.children.get(`${key}_${value}`);
    if (!next) {
      for (const [prefix, node] of level.wildcards) {
        if (`${key}_${value}`.startsWith(prefix)) {
          next = node;
          break;
        }
      }
    }
    if (!next) next = level.children.get(key);
    if (next?.limit && i === entries.length - 1) found = next.limit;
    if (next && next.children.size > 0) level = next;
    else break;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The service.

export type ServiceConfigInput = string | RateLimitConfig | (string | RateLimitConfig)[];

export interface RateLimitServiceOptions {
  redisUrl?: string;
  redisPort?: number;
  /** Count in memory instead of Redis (same INCRBY + EXPIRE semantics, ratelimit-counters.ts). */
  memory?: boolean;
  /** envoyproxy/ratelimit YAML text or parsed object (or several, one per domain). */
  config: ServiceConfigInput;
  /** Delay before each call is handled, in ms (for timeout tests). */
  delayMs?: number;
  /** Time source in ms; windows and resets are computed from it. Default Date.now. */
  clock?: () => number;
  /** CACHE_KEY_PREFIX of the real service. Default "". */
  cacheKeyPrefix?: string;
  /** Fixed port to listen on; default a free one. */
  port?: number;
}

export interface RateLimitCall {
  request: RateLimitRequest;
  headers: http2.IncomingHttpHeaders;
  /** The gRPC status the service answered with (0 = OK). */
  grpcStatus?: number;
  response?: RateLimitResponse;
}

export interface RateLimitService {
  /** "h2c://127.0.0.1:PORT", as HostOptions.clusters wants it. */
  readonly url: string;
  readonly port: number;
  readonly calls: RateLimitCall[];
  /** Stop listening and drop open connections; new connections are refused. */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
  setDelay(ms: number): void;
  /** Stop and disconnect from Redis (or drop the in-memory counters). */
  close(): Promise<void>;
}

class ServiceError extends Error {}

export async function startRateLimitService(opts: RateLimitServiceOptions): Promise<RateLimitService> {
  const domains = parseConfigs(opts.config);
  const clock = opts.clock ?? Date.now;
  const prefix = opts.cacheKeyPrefix ?? "";
  let delayMs = opts.delayMs ?? 0;
  const redisUrl = opts.redisUrl ?? (opts.redisPort !== undefined ? `redis://127.0.0.1:${opts.redisPort}` : undefined);
  if (!redisUrl && !opts.memory) throw new Error("startRateLimitService: redisUrl, redisPort or memory is required");
  if (redisUrl && opts.memory) throw new Error("startRateLimitService: give either a Redis or memory, not both");
  const store: CounterStore = redisUrl ? await connectRedisStore(redisUrl) : memoryStore(clock);

  const shouldRateLimit = async (req: RateLimitRequest): Promise<RateLimitResponse> => {
    if (!req.domain) throw new ServiceError("rate limit domain must not be empty");
    if (req.descriptors.length === 0) throw new ServiceError("rate limit descriptor list must not be empty");
    const nowSec = Math.floor(clock() / 1000);

    const limits = req.descriptors.map((d) => getLimit(domains, req.domain, d));
    const unlimited = limits.map((l) => !!l?.unlimited);
    const replaced = new Set(limits.flatMap((l) => l?.replaces ?? []));
    const effective = limits.map((l) => (!l || l.unlimited || (l.name && replaced.has(l.name)) ? undefined : l));

    // Per-descriptor hits_addend wins when present (0 included: check without counting);
    // otherwise the request's, with 0 meaning 1.
    const hits = req.descriptors.map((d) => (d.hits_addend ? Number(d.hits_addend.value) : Math.max(1, req.hits_addend ?? 0)));

    const keys = effective.map((l, i) => (l ? cacheKey(req.domain, req.descriptors[i].entries, l.unit, nowSec, prefix) : ""));
    const slots: number[] = [];
    keys.forEach((key, i) => key && slots.push(i));
    const counts = await store.incrementAll(slots.map((i) => ({ key: keys[i], hits: hits[i], ttlSec: windowSeconds(effective[i]!.unit) })));
    const after: number[] = new Array(keys.length).fill(0);
    slots.forEach((i, n) => (after[i] = counts[n]));

    let overall: number = Code.OK;
    const statuses: DescriptorStatus[] = effective.map((limit, i) => {
      if (unlimited[i]) return { code: Code.OK, limit_remaining: MAX_UINT32 };
      if (!limit) return { code: Code.OK, limit_remaining: 0 };
      const divider = windowSeconds(limit.unit);
      const status: DescriptorStatus = {
        code: Code.OK,
        current_limit: { requests_per_unit: limit.requestsPerUnit, unit: Unit[limit.unit], ...(limit.name ? { name: limit.name } : {}) },
        limit_remaining: 0,
        duration_until_reset: { seconds: divider - (nowSec % divider), nanos: 0 },
      };
      if (after[i] > limit.requestsPerUnit) {
        // Over the limit; a shadow_mode rule still answers OK (remaining stays 0).
        status.code = limit.shadowMode ? Code.OK : Code.OVER_LIMIT;
      } else {
        status.limit_remaining = Math.min(MAX_UINT32, limit.requestsPerUnit - after[i]);
      }
      if (status.code === Code.OVER_LIMIT) overall = Code.OVER_LIMIT;
      return status;
    });
    return { overall_code: overall, statuses };
  };

  const calls: RateLimitCall[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  let server: http2.Http2Server | undefined;
  let port = opts.port ?? 0;

  const onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    stream.on("error", () => {});
    const trailersOnly = (status: number, message: string) => {
      if (stream.closed || stream.headersSent) return;
      stream.respond(
        { ":status": 200, "content-type": "application/grpc", "grpc-status": String(status), "grpc-message": encodeURIComponent(message) },
        { endStream: true },
      );
    };
    if (headers[":path"] !== SHOULD_RATE_LIMIT_PATH) {
      trailersOnly(12, `unknown method ${String(headers[":path"])}`); // UNIMPLEMENTED
      return;
    }
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.on("end", async () => {
      const body = Buffer.concat(chunks);
      if (body.length < 5 || body.length < 5 + body.readUInt32BE(1)) {
        trailersOnly(13, "expected one length-prefixed message"); // INTERNAL
        return;
      }
      const call: RateLimitCall = { request: decodeRateLimitRequest(body.subarray(5, 5 + body.readUInt32BE(1))), headers };
      calls.push(call);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if (stream.closed) return;
      try {
        const response = await shouldRateLimit(call.request);
        call.response = response;
        call.grpcStatus = 0;
        stream.respond({ ":status": 200, "content-type": "application/grpc" }, { waitForTrailers: true });
        stream.once("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
        stream.end(grpcFrame(encodeRateLimitResponse(response)));
      } catch (err) {
        // The Go service returns plain errors (service errors, Redis errors): gRPC UNKNOWN.
        call.grpcStatus = 2;
        trailersOnly(2, err instanceof ServiceError ? err.message : `redis error: ${(err as Error).message}`);
      }
    });
  };

  const start = async () => {
    if (server) return;
    const srv = http2.createServer();
    srv.on("session", (s) => {
      sessions.add(s);
      s.on("close", () => sessions.delete(s));
      s.on("error", () => {});
    });
    srv.on("stream", onStream);
    await new Promise<void>((resolve, reject) => {
      srv.once("error", reject);
      srv.listen(port, "127.0.0.1", () => resolve());
    });
    port = (srv.address() as AddressInfo).port;
    server = srv;
  };

  const stop = async () => {
    const srv = server;
    server = undefined;
    if (!srv) return;
    const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
    for (const s of sessions) s.destroy();
    await closed;
  };

  await start();

  return {
    get url() {
      return `h2c://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    calls,
    stop,
    start,
    setDelay: (ms: number) => {
      delayMs = ms;
    },
    close: async () => {
      await stop();
      await store.close();
    },
  };
}
