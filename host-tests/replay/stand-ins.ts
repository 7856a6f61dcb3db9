// Stand-ins for the services a chain calls out to, on loopback, for `tollgate replay|serve
// --stand-ins`. Which cluster plays which role is read from the filters' own configurations,
// not from cluster names: the cluster a budget's `global` section names is a rate-limit service
// (filters/budget/CONFIG.md), the one an audit filter's `sinks.http` names is a log collector
// (filters/audit/HTTP-SINK.md). A cluster given with --cluster keeps its URL and gets no stand-in.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { load as loadYaml } from "js-yaml";
import type { WasmFilterConfig } from "../harness/api";
import type { Bootstrap } from "../harness/bootstrap";
import { Collector } from "../support/collector";
import { startRateLimitService, type RateLimitService } from "../support/ratelimit-service";
import { displayPath } from "./report";

export interface RateLimitRole {
  role: "ratelimit";
  cluster: string;
  domain?: string;
  filter: string;
}

export interface CollectorRole {
  role: "audit-collector";
  cluster: string;
  format: "otlp" | "ndjson";
  /** sinks.http.flush_interval_ms: the longest a record waits in the sink (default 1000). */
  flushIntervalMs: number;
  /** chain.hmac_key, so the received chains can be verified. */
  hmacKey?: string;
  filter: string;
}

export type ServiceRole = RateLimitRole | CollectorRole;

function configJson(f: WasmFilterConfig): Record<string, any> | null {
  if (f.configuration === undefined) return null;
  const text = typeof f.configuration === "string" ? f.configuration : new TextDecoder().decode(f.configuration);
  try {
    const v = JSON.parse(text);
    return v && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null; // not a JSON configuration: not one of ours
  }
}

/** The external services the chain's filters call, by the shape of their configurations. */
export function findServiceRoles(filters: WasmFilterConfig[]): ServiceRole[] {
  const roles: ServiceRole[] = [];
  for (const f of filters) {
    const c = configJson(f);
    if (!c) continue;
    if (c.global && typeof c.global === "object" && typeof c.global.cluster === "string" && c.global.cluster) {
      roles.push({ role: "ratelimit", cluster: c.global.cluster, domain: typeof c.global.domain === "string" ? c.global.domain : undefined, filter: f.name });
    }
    const http = c.sinks?.http;
    if (http && typeof http === "object" && typeof http.cluster === "string" && http.cluster) {
      roles.push({
        role: "audit-collector",
        cluster: http.cluster,
        format: http.format === "ndjson" ? "ndjson" : "otlp",
        flushIntervalMs: typeof http.flush_interval_ms === "number" ? http.flush_interval_ms : 1000,
        hmacKey: typeof c.chain?.hmac_key === "string" ? c.chain.hmac_key : undefined,
        filter: f.name,
      });
    }
  }
  return roles;
}

export interface StandInOptions {
  filters: WasmFilterConfig[];
  bootstrap?: Bootstrap;
  /** The --chain file: the rate-limit config defaults to ratelimit/config.yaml beside it. */
  chainFile?: string;
  /** envoyproxy/ratelimit YAML for the rate-limit stand-in (--ratelimit-config). */
  rateLimitConfig?: string;
  /** Clusters the user mapped with --cluster: left alone. */
  explicitClusters?: Record<string, string>;
  /** Time source for the rate-limit windows, ms; the host's clock. */
  clockMs?: () => number;
}

export interface StandIns {
  /** Cluster name → stand-in URL, for HostOptions.clusters. */
  clusters: Record<string, string>;
  rateLimit?: { role: RateLimitRole; service: RateLimitService; configFile: string };
  collector?: { role: CollectorRole; collector: Collector };
  /** One line per stand-in for the report header. */
  descriptions: string[];
  warnings: string[];
  close(): Promise<void>;
}

export class StandInError extends Error {}

export async function startStandIns(o: StandInOptions): Promise<StandIns> {
  const out: StandIns = { clusters: {}, descriptions: [], warnings: [], close: async () => {} };
  const closers: Array<() => Promise<void>> = [];
  out.close = async () => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  const known = o.bootstrap ? new Set(Object.keys(o.bootstrap.clusters)) : null;
  const wanted = (r: ServiceRole): boolean => {
    if (o.explicitClusters?.[r.cluster] !== undefined) return false;
    if (known && !known.has(r.cluster)) {
      // Envoy refuses a callout to a cluster it does not have; a stand-in would hide that.
      out.warnings.push(`${r.filter} calls cluster ${r.cluster}, which the bootstrap does not define: no stand-in`);
      return false;
    }
    return !out.clusters[r.cluster];
  };
  try {
    for (const r of findServiceRoles(o.filters)) {
      if (!wanted(r)) continue;
      if (r.role === "ratelimit") {
        if (out.rateLimit) {
          out.warnings.push(`${r.filter}: a second rate-limit cluster ${r.cluster}: no stand-in (one per replay)`);
          continue;
        }
        const configFile = o.rateLimitConfig ? resolve(o.rateLimitConfig) : o.chainFile ? join(dirname(resolve(o.chainFile)), "ratelimit/config.yaml") : undefined;
        if (!configFile || !existsSync(configFile)) {
          throw new StandInError(`${r.filter} calls a rate-limit service (cluster ${r.cluster}): give its rules with --ratelimit-config FILE${configFile ? ` (${configFile} does not exist)` : ""}`);
        }
        const config = readFileSync(configFile, "utf8");
        const service = await startRateLimitService({ memory: true, config, clock: o.clockMs });
        closers.push(() => service.close());
        const domain = (loadYaml(config) as { domain?: unknown } | null)?.domain;
        if (r.domain && domain !== r.domain) {
          out.warnings.push(`${configFile} has no domain ${r.domain}: the stand-in will answer OK without counting`);
        }
        out.rateLimit = { role: r, service, configFile };
        out.clusters[r.cluster] = service.url;
        out.descriptions.push(`${r.cluster}: rate-limit service stand-in (in-memory counters, ${displayPath(configFile)}) at ${service.url}`);
      } else {
        if (out.collector) {
          out.warnings.push(`${r.filter}: a second audit collector cluster ${r.cluster}: no stand-in (one per replay)`);
          continue;
        }
        const collector = await Collector.start();
        closers.push(() => collector.stop());
        out.collector = { role: r, collector };
        out.clusters[r.cluster] = collector.url;
        out.descriptions.push(`${r.cluster}: audit collector stand-in (${r.format === "otlp" ? "OTLP/HTTP JSON logs" : "NDJSON"}) at ${collector.url}`);
      }
    }
  } catch (e) {
    await out.close();
    throw e;
  }
  if (!out.descriptions.length && !out.warnings.length) out.warnings.push("--stand-ins: no filter of the chain calls a rate-limit service or an audit collector");
  return out;
}
