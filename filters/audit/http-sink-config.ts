// The `sinks.http` block: where and how the audit records are shipped (HTTP-SINK.md has the
// fields, their defaults and the JSON Schema fragment). Read once per configure; every bad value
// rejects the configuration with its JSON path, nothing is guessed.
import { ConfigReader, JsonKind, JsonValue } from "../lib/json";

export const FORMAT_OTLP: i32 = 0;
export const FORMAT_NDJSON: i32 = 1;

export const OVERFLOW_DROP_OLDEST: i32 = 0;
export const OVERFLOW_LOG: i32 = 1;

export const OTLP_DEFAULT_PATH = "/v1/logs";

const FIELDS: string[] = [
  "cluster", "authority", "path", "headers", "format",
  "batch_max_records", "batch_max_bytes", "flush_interval_ms", "timeout_ms",
  "retry_initial_ms", "retry_max_ms", "buffer_max_records", "buffer_max_bytes",
  "on_overflow", "resource_attributes",
];

// Headers the sink sets itself: a configured copy would contradict the body or the route.
const RESERVED_HEADERS: string[] = ["content-type", "content-length", "host", "transfer-encoding", "connection", "te"];

export class HttpSinkConfig {
  cluster: string = "";
  /** :authority; defaults to the cluster name. */
  authority: string = "";
  path: string = OTLP_DEFAULT_PATH;
  format: i32 = FORMAT_OTLP;
  /** Extra request headers, name (lowercase) and value alternating. */
  headers: string[] = [];
  batchMaxRecords: u32 = 100;
  batchMaxBytes: u32 = 1 << 20;
  flushIntervalMs: u32 = 1000;
  timeoutMs: u32 = 5000;
  retryInitialMs: u32 = 200;
  retryMaxMs: u32 = 30000;
  bufferMaxRecords: u32 = 10000;
  bufferMaxBytes: u32 = 16 << 20;
  onOverflow: i32 = OVERFLOW_DROP_OLDEST;
  /** Extra OTLP resource attributes (string values), key and value alternating. */
  resourceAttributes: string[] = [];

  // Set by the audit root, not read from `sinks.http`.
  /** Stat name prefix (`<prefix>.audit.http.*`). */
  metricsPrefix: string = "tollgate";
  /** metrics.enabled: false keeps the sink's stats undefined. */
  metricsEnabled: bool = true;
  /** OTLP resource `service.version` and scope version. */
  serviceVersion: string = "0.1.0";
}

/** Reads `sinks.http` at `path` (e.g. "$.sinks.http"); null when absent; errors go to `r`. */
export function readHttpSinkConfig(r: ConfigReader, v: JsonValue | null, path: string): HttpSinkConfig | null {
  if (v === null) return null;
  if (!r.object(v, path, FIELDS)) return null;
  const c = new HttpSinkConfig();

  const cluster = v.get("cluster");
  if (cluster === null) { r.fail(path + ".cluster", "is required"); return null; }
  c.cluster = r.str(cluster, path + ".cluster", "");
  if (r.ok && c.cluster.length == 0) { r.fail(path + ".cluster", "must not be empty"); return null; }
  c.authority = r.str(v.get("authority"), path + ".authority", c.cluster);
  if (r.ok && (c.authority.length == 0 || hasControl(c.authority))) {
    r.fail(path + ".authority", "must be a non-empty host name without control characters");
    return null;
  }

  c.format = r.oneOf(v.get("format"), path + ".format", "otlp", ["otlp", "ndjson"]) == "ndjson" ? FORMAT_NDJSON : FORMAT_OTLP;
  const p = v.get("path");
  if (p === null && c.format == FORMAT_NDJSON) { r.fail(path + ".path", "is required when format is ndjson"); return null; }
  c.path = r.str(p, path + ".path", OTLP_DEFAULT_PATH);
  if (r.ok && (c.path.length == 0 || c.path.charCodeAt(0) != 0x2F || hasControl(c.path) || c.path.includes(" "))) {
    r.fail(path + ".path", "must start with / and contain no spaces or control characters");
    return null;
  }

  readHeaders(r, v.get("headers"), path + ".headers", c);
  readResource(r, v.get("resource_attributes"), path + ".resource_attributes", c);

  c.batchMaxRecords = r.u32(v.get("batch_max_records"), path + ".batch_max_records", c.batchMaxRecords, 1, 100000);
  c.batchMaxBytes = r.u32(v.get("batch_max_bytes"), path + ".batch_max_bytes", c.batchMaxBytes, 1024, 64 << 20);
  c.flushIntervalMs = r.u32(v.get("flush_interval_ms"), path + ".flush_interval_ms", c.flushIntervalMs, 1, 3600000);
  // Envoy reads the callout timeout as a signed 32-bit value; 10 minutes is far inside it.
  c.timeoutMs = r.u32(v.get("timeout_ms"), path + ".timeout_ms", c.timeoutMs, 1, 600000);
  c.retryInitialMs = r.u32(v.get("retry_initial_ms"), path + ".retry_initial_ms", c.retryInitialMs, 1, 3600000);
  c.retryMaxMs = r.u32(v.get("retry_max_ms"), path + ".retry_max_ms", c.retryMaxMs, 1, 3600000);
  if (r.ok && c.retryMaxMs < c.retryInitialMs) { r.fail(path + ".retry_max_ms", "must be at least retry_initial_ms"); return null; }
  c.bufferMaxRecords = r.u32(v.get("buffer_max_records"), path + ".buffer_max_records", c.bufferMaxRecords, 1, 10000000);
  c.bufferMaxBytes = r.u32(v.get("buffer_max_bytes"), path + ".buffer_max_bytes", c.bufferMaxBytes, 1024, 512 << 20);
  c.onOverflow = r.oneOf(v.get("on_overflow"), path + ".on_overflow", "drop_oldest", ["drop_oldest", "log"]) == "log" ? OVERFLOW_LOG : OVERFLOW_DROP_OLDEST;
  return r.ok ? c : null;
}

function readHeaders(r: ConfigReader, v: JsonValue | null, path: string, c: HttpSinkConfig): void {
  if (v === null) return;
  if (v.kind != JsonKind.Object) { r.fail(path, "must be an object of header names to string values"); return; }
  for (let i = 0; i < v.length; i++) {
    const name = v.keyAt(i);
    const at = path + "." + name;
    if (!isToken(name)) { r.fail(at, "is not a valid lowercase header name"); return; }
    if (RESERVED_HEADERS.includes(name)) { r.fail(at, "is set by the sink and cannot be configured"); return; }
    const value = v.valueAt(i);
    if (value === null || value.kind != JsonKind.String) { r.fail(at, "must be a string"); return; }
    if (hasControl(value.str)) { r.fail(at, "must not contain control characters"); return; }
    c.headers.push(name);
    c.headers.push(value.str);
  }
}

function readResource(r: ConfigReader, v: JsonValue | null, path: string, c: HttpSinkConfig): void {
  if (v === null) return;
  if (v.kind != JsonKind.Object) { r.fail(path, "must be an object of attribute names to string values"); return; }
  for (let i = 0; i < v.length; i++) {
    const key = v.keyAt(i);
    const at = path + "." + key;
    if (key.length == 0 || hasControl(key)) { r.fail(at, "is not a valid attribute name"); return; }
    if (key == "service.name" || key == "service.version") { r.fail(at, "is set by the sink and cannot be configured"); return; }
    const value = v.valueAt(i);
    if (value === null || value.kind != JsonKind.String) { r.fail(at, "must be a string"); return; }
    c.resourceAttributes.push(key);
    c.resourceAttributes.push(value.str);
  }
}

// RFC 9110 token characters, lowercase only (HTTP/2 forbids uppercase field names).
function isToken(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) ||
      c == 0x21 || c == 0x23 || c == 0x24 || c == 0x25 || c == 0x26 || c == 0x27 || c == 0x2A ||
      c == 0x2B || c == 0x2D || c == 0x2E || c == 0x5E || c == 0x5F || c == 0x60 || c == 0x7C || c == 0x7E;
    if (!ok) return false;
  }
  return true;
}

function hasControl(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}
