// Callout transport: Envoy clusters mapped to real servers on loopback. HTTP callouts go over
// HTTP/1.1 (Envoy's AsyncClient semantics: timeouts and connect failures come back as ordinary
// 504/503 responses, a reset mid-response is a failure); gRPC over real HTTP/2 with gRPC framing.
import http from "node:http";
import http2 from "node:http2";
import { HeaderMap } from "./header-map";
import type { Clock } from "./api";
import type { HttpCallResponse } from "./context";
import { readProtoFields } from "./protobuf";

export interface HttpCallbacks {
  onSuccess(resp: HttpCallResponse): void;
  onFailure(): void;
}

export interface GrpcCallbacks {
  onInitialMetadata?(md: HeaderMap): void;
  onMessage(msg: Uint8Array): void;
  onTrailingMetadata?(md: HeaderMap): void;
  onClose(status: number, message: string): void;
}

export interface CalloutHandle {
  cancel(): void;
  send?(msg: Uint8Array, end: boolean): void;
  close?(): void;
}

export interface CalloutTransport {
  hasCluster(name: string): boolean;
  /** The cluster a serialized GrpcService (or a bare cluster name) points at; undefined if unknown. */
  grpcCluster(service: Uint8Array): string | undefined;
  http(cluster: string, headers: HeaderMap, body: Uint8Array, trailers: Array<[string, string]>, timeoutMs: number, cb: HttpCallbacks): CalloutHandle | null;
  grpcUnary(cluster: string, service: string, method: string, metadata: Array<[string, string]>, message: Uint8Array, timeoutMs: number, cb: GrpcCallbacks): CalloutHandle | null;
  grpcStream(cluster: string, service: string, method: string, metadata: Array<[string, string]>, cb: GrpcCallbacks): CalloutHandle | null;
  /** Callouts still in flight (for idle detection). */
  readonly inFlight: number;
  close(): void;
}

const GRPC_UNAVAILABLE = 14;
const GRPC_INTERNAL = 13;
const GRPC_UNKNOWN = 2;
const GRPC_CANCELLED = 1;

/** Envoy's Grpc::Utility::httpToGrpcStatus (grpc's http-grpc-status-mapping.md). */
function httpToGrpcStatus(status: number): number {
  switch (status) {
    case 400:
      return GRPC_INTERNAL;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return GRPC_UNAVAILABLE;
    default:
      return GRPC_UNKNOWN;
  }
}

function textResponse(status: number, body: string): HttpCallResponse {
  const headers = new HeaderMap();
  headers.add(":status", String(status));
  headers.add("content-length", String(Buffer.byteLength(body)));
  headers.add("content-type", "text/plain");
  return { headers, body: new TextEncoder().encode(body), trailers: null };
}

/** Decodes envoy.config.core.v3.GrpcService{envoy_grpc=1{cluster_name=1}}; null if it is not one. */
function grpcServiceCluster(b: Uint8Array): string | null {
  const service = readProtoFields(b);
  const envoyGrpc = service?.get(1);
  if (!(envoyGrpc instanceof Uint8Array)) return null;
  const cluster = readProtoFields(envoyGrpc)?.get(1);
  return cluster instanceof Uint8Array ? new TextDecoder().decode(cluster) : null;
}

function frame(msg: Uint8Array): Buffer {
  const out = Buffer.alloc(5 + msg.length);
  out.writeUInt32BE(msg.length, 1);
  out.set(msg, 5);
  return out;
}

/** Splits a gRPC byte stream into messages, keeping a partial tail. */
class GrpcDeframer {
  private buf = Buffer.alloc(0);
  push(chunk: Buffer, emit: (m: Uint8Array) => void): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    while (this.buf.length >= 5) {
      const len = this.buf.readUInt32BE(1);
      if (this.buf.length < 5 + len) break;
      emit(new Uint8Array(this.buf.subarray(5, 5 + len)));
      this.buf = this.buf.subarray(5 + len);
    }
  }
}

function toHeaderMap(h: http2.IncomingHttpHeaders | http.IncomingHttpHeaders, pseudoStatus?: number): HeaderMap {
  const m = new HeaderMap();
  if (pseudoStatus !== undefined) m.add(":status", String(pseudoStatus));
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined || k === ":status") continue;
    for (const one of Array.isArray(v) ? v : [String(v)]) m.add(k, one);
  }
  return m;
}

/** Envoy's codec adds each received header line as its own entry; Node's `headers` would join repeats. */
function rawHeaderMap(raw: string[], status?: number): HeaderMap {
  const m = new HeaderMap();
  if (status !== undefined) m.add(":status", String(status));
  for (let i = 0; i + 1 < raw.length; i += 2) m.add(raw[i].toLowerCase(), raw[i + 1]);
  return m;
}

export class LoopbackCallouts implements CalloutTransport {
  private pending = 0;
  private sessions = new Map<string, http2.ClientHttp2Session>();
  private agent = new http.Agent({ keepAlive: true });

  /** Timeouts run on the host clock: Envoy's AsyncClient timers are dispatcher timers like tick timers. */
  constructor(
    private readonly clusters: Record<string, string>,
    private readonly clock?: Clock,
  ) {}

  private timer(ms: number, fn: () => void): () => void {
    if (this.clock) return this.clock.setTimer(ms, fn);
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  }

  get inFlight(): number {
    return this.pending;
  }

  hasCluster(name: string): boolean {
    return name in this.clusters;
  }

  grpcCluster(service: Uint8Array): string | undefined {
    const fromProto = grpcServiceCluster(service);
    const name = fromProto ?? new TextDecoder().decode(service);
    return this.hasCluster(name) ? name : undefined;
  }

  private track<T>(settle: (done: () => void) => T): T {
    this.pending++;
    let settled = false;
    return settle(() => {
      if (!settled) {
        settled = true;
        this.pending--;
      }
    });
  }

  http(cluster: string, headers: HeaderMap, body: Uint8Array, trailers: Array<[string, string]>, timeoutMs: number, cb: HttpCallbacks): CalloutHandle | null {
    const url = new URL(this.clusters[cluster].replace(/^h2c:/, "http:"));
    return this.track((done) => {
      let finished = false;
      let cancelTimer = () => {};
      const finish = (fn: () => void) => {
        if (finished) return;
        finished = true;
        cancelTimer();
        done();
        fn();
      };
      const reqHeaders: Record<string, string> = {};
      for (const [k, v] of headers.pairs()) if (!k.startsWith(":")) reqHeaders[k] = v;
      reqHeaders.host = headers.get(":authority")!;
      const req = http.request({
        host: url.hostname,
        port: url.port,
        method: headers.get(":method"),
        path: headers.get(":path"),
        headers: reqHeaders,
        agent: this.agent,
      });
      if (timeoutMs > 0) {
        cancelTimer = this.timer(timeoutMs, () => {
          req.destroy();
          finish(() => cb.onSuccess(textResponse(504, "upstream request timeout")));
        });
      }
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => finish(() => cb.onSuccess({
          headers: rawHeaderMap(res.rawHeaders, res.statusCode),
          body: new Uint8Array(Buffer.concat(chunks)),
          trailers: res.rawTrailers.length ? rawHeaderMap(res.rawTrailers) : null,
        })));
        res.on("error", () => finish(() => cb.onFailure()));
        res.on("aborted", () => finish(() => cb.onFailure()));
      });
      req.on("error", (e: NodeJS.ErrnoException) => {
        // Before any response: Envoy's router answers the async client with a 503.
        finish(() => cb.onSuccess(textResponse(503, `upstream connect error or disconnect/reset before headers. reset reason: ${e.code === "ECONNREFUSED" ? "remote connection failure" : "connection termination"}`)));
      });
      if (body.length) req.write(body);
      req.end();
      return { cancel: () => { finished = true; cancelTimer(); done(); req.destroy(); } };
    });
  }

  private session(cluster: string): http2.ClientHttp2Session {
    let s = this.sessions.get(cluster);
    if (!s || s.destroyed || s.closed) {
      s = http2.connect(this.clusters[cluster].replace(/^h2c:/, "http:"));
      s.on("error", () => {});
      s.unref();
      this.sessions.set(cluster, s);
    }
    return s;
  }

  private openGrpc(cluster: string, service: string, method: string, metadata: Array<[string, string]>, timeoutMs: number, cb: GrpcCallbacks, unary: boolean): CalloutHandle {
    return this.track((done) => {
      let closed = false;
      const close = (status: number, message: string) => {
        if (closed) return;
        closed = true;
        done();
        cb.onClose(status, message);
      };
      const headers: http2.OutgoingHttpHeaders = {
        ":method": "POST",
        ":path": `/${service}/${method}`,
        // Common::prepareHeaders: the host is the EnvoyGrpc authority, by default the cluster name.
        ":authority": cluster,
        "content-type": "application/grpc",
        te: "trailers",
      };
      if (timeoutMs > 0) headers["grpc-timeout"] = `${timeoutMs}m`;
      for (const [k, v] of metadata) headers[k] = v;
      let req: http2.ClientHttp2Stream;
      try {
        req = this.session(cluster).request(headers);
      } catch (e) {
        setImmediate(() => close(GRPC_UNAVAILABLE, String((e as Error).message)));
        return { cancel: () => {} };
      }
      const deframer = new GrpcDeframer();
      const messages: Uint8Array[] = [];
      let headersSeen = false;
      let cancelTimer = () => {};
      // The router's response timeout answers with a 504 local reply, whose gRPC form is
      // trailers-only with grpc-status httpToGrpcStatus(504) = UNAVAILABLE.
      if (timeoutMs > 0) {
        cancelTimer = this.timer(timeoutMs, () => {
          req.close(http2.constants.NGHTTP2_CANCEL);
          close(GRPC_UNAVAILABLE, "upstream request timeout");
        });
      }
      // AsyncStreamImpl::streamError: empty trailing metadata, then the close.
      const streamError = (status: number, message = "") => {
        cancelTimer();
        if (closed) return;
        if (!unary) cb.onTrailingMetadata?.(new HeaderMap());
        close(status, message);
        req.close(http2.constants.NGHTTP2_CANCEL);
      };
      // AsyncStreamImpl::onTrailers: trailing metadata, then the close with grpc-status (Unknown if absent).
      const onTrailers = (t: http2.IncomingHttpHeaders) => {
        cancelTimer();
        const status = t["grpc-status"] === undefined ? GRPC_UNKNOWN : Number(t["grpc-status"]);
        const message = decodeURIComponent(String(t["grpc-message"] ?? ""));
        if (unary) {
          if (status === 0 && messages.length) {
            closed = true;
            done();
            cb.onMessage(messages[0]);
          } else close(status === 0 ? GRPC_INTERNAL : status, message);
        } else {
          cb.onTrailingMetadata?.(toHeaderMap(t, t[":status"] === undefined ? undefined : Number(t[":status"])));
          close(status, message);
        }
      };
      req.on("response", (h, flags) => {
        headersSeen = true;
        const endStream = (flags & http2.constants.NGHTTP2_FLAG_END_STREAM) !== 0;
        const httpStatus = Number(h[":status"]);
        const trailersOnly = endStream && (httpStatus === 200 || h["grpc-status"] !== undefined);
        // Initial metadata is the response header map as is (:status included); empty when the
        // headers end the stream or are not a 200.
        if (!unary) cb.onInitialMetadata?.(trailersOnly || httpStatus !== 200 ? new HeaderMap() : toHeaderMap(h, httpStatus));
        if (trailersOnly) onTrailers(h);
        else if (httpStatus !== 200) streamError(httpToGrpcStatus(httpStatus));
      });
      req.on("data", (c: Buffer) => deframer.push(c, (m) => (unary ? messages.push(m) : cb.onMessage(m))));
      req.on("trailers", onTrailers);
      // A reset once the response started is AsyncStreamImpl::onReset: streamError(Internal).
      // Before any response the router answers 503, i.e. UNAVAILABLE.
      const onReset = (message: string) => (headersSeen ? streamError(GRPC_INTERNAL) : (cancelTimer(), close(GRPC_UNAVAILABLE, message)));
      req.on("close", () => onReset("upstream reset"));
      req.on("error", (e) => onReset(e.message));
      return {
        cancel: () => { closed = true; cancelTimer(); done(); req.close(http2.constants.NGHTTP2_CANCEL); },
        send: (msg, end) => { req.write(frame(msg)); if (end) req.end(); },
        close: () => req.end(),
      };
    });
  }

  grpcUnary(cluster: string, service: string, method: string, metadata: Array<[string, string]>, message: Uint8Array, timeoutMs: number, cb: GrpcCallbacks): CalloutHandle | null {
    const h = this.openGrpc(cluster, service, method, metadata, timeoutMs, cb, true);
    h.send?.(message, true);
    return { cancel: h.cancel };
  }

  grpcStream(cluster: string, service: string, method: string, metadata: Array<[string, string]>, cb: GrpcCallbacks): CalloutHandle | null {
    return this.openGrpc(cluster, service, method, metadata, 0, cb, false);
  }

  close(): void {
    for (const s of this.sessions.values()) s.destroy();
    this.agent.destroy();
  }
}

export { GRPC_CANCELLED };
