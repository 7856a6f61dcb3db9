// audit configuration (CONFIG.md, config.schema.json): read once per configure. Unknown fields
// are rejected with their JSON path, like the other Tollgate filters.
import { ConfigReader, JsonKind, JsonValue } from "../lib/json";
import { LogLevel } from "../sdk";
import { CaptureConfig, readCaptureConfig } from "./capture-config";
import { HttpSinkConfig, readHttpSinkConfig } from "./http-sink-config";
import { readSources, Source } from "./sources";

export class ChainConfig {
  name: string = "tollgate";
  /** HMAC key bytes (UTF-8 of the configured string); null → plain SHA-256. */
  hmacKey: ArrayBuffer | null = null;
  keyId: string = "";
}

export class LogSinkConfig {
  prefix: string = "TOLLGATE_AUDIT ";
  level: LogLevel = LogLevel.Info;
}

export class AuditConfig {
  chain: ChainConfig = new ChainConfig();
  tenant: Source[] = [];
  key: Source[] = [];
  digestRequest: bool = false;
  digestResponse: bool = false;
  capture: CaptureConfig = new CaptureConfig();
  log: LogSinkConfig | null = new LogSinkConfig();
  http: HttpSinkConfig | null = null;
  maxRecordBytes: u32 = 16384;
  metrics: bool = true;
  metricsPrefix: string = "tollgate";
}

export class AuditConfigResult {
  config: AuditConfig | null = null;
  errorPath: string = "";
  error: string = "";
}

const LEVELS = ["trace", "debug", "info", "warn", "error", "critical"];

export function readAuditConfig(root: JsonValue): AuditConfigResult {
  const r = new ConfigReader();
  const out = new AuditConfigResult();
  const c = new AuditConfig();
  if (!r.object(root, "$", ["chain", "tenant", "key", "digests", "capture", "sinks", "max_record_bytes", "metrics"])) return failed(r, out);

  const chain = root.get("chain");
  if (chain !== null && r.object(chain, "$.chain", ["name", "hmac_key", "key_id"])) {
    c.chain.name = r.str(chain.get("name"), "$.chain.name", c.chain.name);
    if (!chainNameOk(c.chain.name)) r.fail("$.chain.name", "must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
    const key = chain.get("hmac_key");
    if (key !== null) {
      const k = r.str(key, "$.chain.hmac_key", "");
      if (k.length < 16 || k.length > 1024) r.fail("$.chain.hmac_key", "must be 16 to 1024 characters");
      c.chain.hmacKey = String.UTF8.encode(k);
      c.chain.keyId = r.str(chain.get("key_id"), "$.chain.key_id", "");
      if (chain.get("key_id") === null) r.fail("$.chain.hmac_key", "needs key_id (it names the key for verifiers)");
      else if (!printableAscii(c.chain.keyId)) r.fail("$.chain.key_id", "must be 1 to 64 printable ASCII characters");
    } else if (chain.get("key_id") !== null) {
      r.fail("$.chain.key_id", "applies only with hmac_key");
    }
  }

  c.tenant = readSources(r, root.get("tenant"), "$.tenant");
  c.key = readSources(r, root.get("key"), "$.key");

  const d = root.get("digests");
  if (d !== null && r.object(d, "$.digests", ["request", "response"])) {
    c.digestRequest = r.bool(d.get("request"), "$.digests.request", false);
    c.digestResponse = r.bool(d.get("response"), "$.digests.response", false);
  }

  c.capture = readCaptureConfig(r, root.get("capture"), "$.capture");

  const sinks = root.get("sinks");
  if (sinks !== null && r.object(sinks, "$.sinks", ["log", "http"])) {
    const l = sinks.get("log");
    c.log = null;
    if (l !== null && r.object(l, "$.sinks.log", ["prefix", "level"])) {
      const ls = new LogSinkConfig();
      ls.prefix = r.str(l.get("prefix"), "$.sinks.log.prefix", ls.prefix);
      if (ls.prefix.length > 64) r.fail("$.sinks.log.prefix", "must be at most 64 characters");
      const level = r.oneOf(l.get("level"), "$.sinks.log.level", "info", LEVELS);
      ls.level = <LogLevel>LEVELS.indexOf(level);
      c.log = ls;
    }
    c.http = readHttpSinkConfig(r, sinks.get("http"), "$.sinks.http");
    if (r.ok && c.log === null && c.http === null) r.fail("$.sinks", "must configure at least one sink (log, http)");
  }

  c.maxRecordBytes = r.u32(root.get("max_record_bytes"), "$.max_record_bytes", c.maxRecordBytes, 2048, 1 << 20);

  const m = root.get("metrics");
  if (m !== null && r.object(m, "$.metrics", ["enabled", "prefix"])) {
    c.metrics = r.bool(m.get("enabled"), "$.metrics.enabled", true);
    c.metricsPrefix = r.str(m.get("prefix"), "$.metrics.prefix", c.metricsPrefix);
    if (c.metricsPrefix.length == 0) r.fail("$.metrics.prefix", "must not be empty");
  }

  if (!r.ok) return failed(r, out);
  out.config = c;
  return out;
}

function chainNameOk(s: string): bool {
  if (s.length == 0 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    const ok = (ch >= 0x30 && ch <= 0x39) || (ch >= 0x41 && ch <= 0x5A) || (ch >= 0x61 && ch <= 0x7A) || ch == 0x2E || ch == 0x5F || ch == 0x2D;
    if (!ok) return false;
  }
  return true;
}

function printableAscii(s: string): bool {
  if (s.length == 0 || s.length > 64) return false;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 0x21 || ch > 0x7E) return false;
  }
  return true;
}

function failed(r: ConfigReader, out: AuditConfigResult): AuditConfigResult {
  out.errorPath = r.errorPath;
  out.error = r.error;
  return out;
}
