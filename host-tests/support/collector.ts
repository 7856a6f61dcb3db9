// A log collector on loopback for the audit http sink: records every request, answers what the
// test says (a status, Retry-After, or holding the answer until released), can be stopped and
// started again on the same port, and decodes what it accepted: NDJSON lines, or OTLP/HTTP JSON
// ExportLogsServiceRequests checked with OpenTelemetry's own protobuf definitions
// (@opentelemetry/otlp-transformer's generated protobufjs root) and turned back into records.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-var-requires
const otlpRoot = require("@opentelemetry/otlp-transformer/build/src/generated/root.js");
const ExportLogsServiceRequest = otlpRoot.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

export interface CollectorRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** The status it was answered with (0 while held or if the connection was cut). */
  status: number;
}

export type Answer = number | { status: number; headers?: Record<string, string>; body?: string } | "hold";

export class Collector {
  readonly requests: CollectorRequest[] = [];
  /** How to answer the next request; default 200 with an empty ExportLogsServiceResponse. */
  answer: (req: CollectorRequest) => Answer = () => 200;
  private held: Array<{ res: http.ServerResponse; req: CollectorRequest }> = [];
  private server: http.Server | null = null;
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<Collector> {
    const c = new Collector();
    await c.listen();
    return c;
  }

  /** Listens (again) on the same port. */
  async listen(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const r: CollectorRequest = { method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks), status: 0 };
        this.requests.push(r);
        const a = this.answer(r);
        if (a === "hold") {
          this.held.push({ res, req: r });
          return;
        }
        this.reply(res, r, a);
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private reply(res: http.ServerResponse, r: CollectorRequest, a: Exclude<Answer, "hold">): void {
    const status = typeof a === "number" ? a : a.status;
    const body = typeof a === "number" ? (status < 300 ? "{}" : `{"message":"status ${status}"}`) : (a.body ?? "{}");
    r.status = status;
    res.writeHead(status, { "content-type": "application/json", ...(typeof a === "number" ? {} : a.headers) }).end(body);
  }

  /** Answers every held request now. */
  release(a: Exclude<Answer, "hold"> = 200): void {
    for (const { res, req } of this.held.splice(0)) this.reply(res, req, a);
  }

  /** Stops listening and cuts open connections (held answers are never sent). */
  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    for (const { res } of this.held.splice(0)) res.destroy();
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** Requests answered 2xx. */
  accepted(): CollectorRequest[] {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** Records of every accepted NDJSON body, in arrival order, as the lines' text. */
  ndjsonLines(): string[] {
    const out: string[] = [];
    for (const r of this.accepted()) {
      const text = r.body.toString("utf8");
      if (!text.endsWith("\n")) throw new Error("NDJSON body does not end with a newline");
      out.push(...text.slice(0, -1).split("\n"));
    }
    return out;
  }

  /** Records of every accepted OTLP body, in arrival order (see decodeOtlpLogs). */
  otlpRecords(): OtlpLogRecord[] {
    return this.accepted().flatMap((r) => decodeOtlpLogs(r.body));
  }
}

export interface OtlpLogRecord {
  /** The record rebuilt from the log body: canonical JSON, one line. */
  line: string;
  /** The decoded LogRecord (longs as decimal strings, bytes as hex). */
  logRecord: any;
  resource: any;
  scope: any;
}

const HEX_ID_FIELDS = new Set(["traceId", "spanId"]);

/** OTLP JSON carries trace and span ids in hex (its one deviation from proto3 JSON); protobufjs wants base64. */
function hexIdsToBase64(v: any): any {
  if (Array.isArray(v)) return v.map(hexIdsToBase64);
  if (v === null || typeof v !== "object") return v;
  const out: any = {};
  for (const [k, x] of Object.entries(v)) {
    out[k] = HEX_ID_FIELDS.has(k) && typeof x === "string" ? Buffer.from(x, "hex").toString("base64") : hexIdsToBase64(x);
  }
  return out;
}

/**
 * Every member of `sent` is present in `decoded` with the same value: a misspelt or misplaced
 * field would be silently dropped by the decoder (OTLP receivers ignore unknown fields), so a
 * payload is only accepted when the decoder understood all of it.
 */
function assertUnderstood(sent: any, decoded: any, path: string): void {
  if (Array.isArray(sent)) {
    if (!Array.isArray(decoded) || decoded.length !== sent.length) throw new Error(`${path}: array not decoded as sent`);
    sent.forEach((x, i) => assertUnderstood(x, decoded[i], `${path}[${i}]`));
    return;
  }
  if (sent !== null && typeof sent === "object") {
    if (decoded === null || typeof decoded !== "object") throw new Error(`${path}: object not decoded`);
    for (const [k, x] of Object.entries(sent)) {
      if (!(k in decoded)) throw new Error(`${path}.${k}: not a field the decoder knows`);
      assertUnderstood(x, decoded[k], `${path}.${k}`);
    }
    return;
  }
  if (String(sent) !== String(decoded)) throw new Error(`${path}: sent ${JSON.stringify(sent)}, decoded ${JSON.stringify(decoded)}`);
}

/** An OTLP AnyValue (decoded) as the JSON value it stands for: the sink's mapping, reversed. */
export function anyValueToJson(v: any, path = "body"): unknown {
  if (v === null || typeof v !== "object") throw new Error(`${path}: not an AnyValue`);
  if ("kvlistValue" in v) {
    const out: Record<string, unknown> = {};
    for (const kv of v.kvlistValue.values ?? []) {
      if (kv.key in out) throw new Error(`${path}: duplicate key ${kv.key}`);
      out[kv.key] = anyValueToJson(kv.value ?? {}, `${path}.${kv.key}`);
    }
    return out;
  }
  if ("arrayValue" in v) return (v.arrayValue.values ?? []).map((x: any, i: number) => anyValueToJson(x, `${path}[${i}]`));
  if ("stringValue" in v) return v.stringValue;
  if ("boolValue" in v) return v.boolValue;
  if ("intValue" in v) {
    const n = Number(v.intValue);
    if (!Number.isSafeInteger(n)) throw new Error(`${path}: intValue ${v.intValue} is not a safe integer`);
    return n;
  }
  if ("doubleValue" in v) return v.doubleValue;
  if ("bytesValue" in v) throw new Error(`${path}: bytesValue has no JSON counterpart in a record`);
  return null; // an AnyValue with nothing set
}

/** Decodes, verifies and reverses one OTLP/HTTP JSON ExportLogsServiceRequest body. */
export function decodeOtlpLogs(body: Buffer | string): OtlpLogRecord[] {
  const sent = hexIdsToBase64(JSON.parse(body.toString()));
  const message = ExportLogsServiceRequest.fromObject(sent);
  const problem = ExportLogsServiceRequest.verify(message);
  if (problem) throw new Error(`ExportLogsServiceRequest.verify: ${problem}`);
  // Through the binary encoding and back, so only what the protobuf schema carries survives.
  const wire = ExportLogsServiceRequest.encode(message).finish();
  const decoded = ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(wire), { longs: String, enums: Number, bytes: String, defaults: true, arrays: true });
  assertUnderstood(sent, decoded, "$");
  const out: OtlpLogRecord[] = [];
  for (const rl of decoded.resourceLogs) {
    for (const sl of rl.scopeLogs) {
      for (const lr of sl.logRecords) {
        const logRecord = { ...lr, traceId: Buffer.from(lr.traceId, "base64").toString("hex"), spanId: Buffer.from(lr.spanId, "base64").toString("hex") };
        out.push({ line: JSON.stringify(anyValueToJson(lr.body)), logRecord, resource: rl.resource, scope: sl.scope });
      }
    }
  }
  return out;
}

/** The attributes of a decoded resource, scope or log record as key → plain value. */
export function attributesOf(x: { attributes?: any[] }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of x.attributes ?? []) out[kv.key] = anyValueToJson(kv.value, kv.key);
  return out;
}
