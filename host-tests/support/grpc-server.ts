// A small real gRPC server on node:http2 (h2c), for callout tests: 5-byte message framing,
// initial metadata, grpc-status/grpc-message trailers. Service `test.Echo`:
//   Echo              unary: answers the request message, with initial and trailing metadata
//   Fail              unary: headers, then trailers with grpc-status 5 "no such thing"
//   FailTrailersOnly  unary: a trailers-only answer (what gRPC servers send for an early error)
//   Slow              unary: never answers (until the client gives up or the server closes)
//   Chat              bidi: echoes each message as "echo:<msg>"; a message "bye" makes it end
//                     the call with trailers; the client ending its side does the same
//   Reset             bidi: sends initial metadata and one message, then resets the stream
//   anything else     a plain HTTP 404, as from a server that is no gRPC server
// Every call is recorded (path, request headers, messages, how it ended) for assertions.
import http2 from "node:http2";
import type { AddressInfo } from "node:net";

export interface GrpcCallRecord {
  path: string;
  headers: http2.IncomingHttpHeaders;
  messages: string[];
  /** The client half-closed its side. */
  clientEnded: boolean;
  /** The client reset (cancelled) the stream. */
  cancelled: boolean;
}

export interface GrpcTestServer {
  readonly port: number;
  /** "h2c://127.0.0.1:PORT", as HostOptions.clusters wants it. */
  readonly url: string;
  readonly calls: GrpcCallRecord[];
  close(): Promise<void>;
}

export function grpcFrame(msg: Uint8Array | string): Buffer {
  const body = typeof msg === "string" ? Buffer.from(msg) : Buffer.from(msg);
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  body.copy(out, 5);
  return out;
}

/** Serialized envoy.config.core.v3.GrpcService{envoy_grpc: {cluster_name}}. */
export function grpcServiceProto(cluster: string): Uint8Array {
  const name = Buffer.from(cluster);
  const envoyGrpc = Buffer.concat([Buffer.from([0x0a, name.length]), name]); // cluster_name = 1
  return new Uint8Array(Buffer.concat([Buffer.from([0x0a, envoyGrpc.length]), envoyGrpc])); // envoy_grpc = 1
}

const OK_HEADERS = { ":status": 200, "content-type": "application/grpc", "x-initial": "hello" };

export async function startGrpcServer(): Promise<GrpcTestServer> {
  const calls: GrpcCallRecord[] = [];
  const streams = new Set<http2.ServerHttp2Stream>();
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on("session", (s) => {
    sessions.add(s);
    s.on("close", () => sessions.delete(s));
  });
  server.on("stream", (stream, headers) => {
    streams.add(stream);
    const call: GrpcCallRecord = { path: String(headers[":path"]), headers, messages: [], clientEnded: false, cancelled: false };
    calls.push(call);
    const method = call.path.split("/").pop();
    let buf = Buffer.alloc(0);
    const trailers = (status: number, message: string, extra: Record<string, string> = {}) => {
      stream.sendTrailers({ "grpc-status": String(status), "grpc-message": encodeURIComponent(message), ...extra });
    };
    const respond = () => {
      if (!stream.headersSent) stream.respond(OK_HEADERS, { waitForTrailers: true });
    };
    stream.on("wantTrailers", () => {
      if (method === "Echo") trailers(0, "", { "x-trailer": "bye" });
      else if (method === "Fail") trailers(5, "no such thing");
      else trailers(0, "", { "x-trailer": "bye" });
    });
    stream.on("close", () => {
      streams.delete(stream);
      if (stream.rstCode === http2.constants.NGHTTP2_CANCEL) call.cancelled = true;
    });
    stream.on("error", () => {});
    const onMessage = (m: string) => {
      call.messages.push(m);
      if (method === "Chat") {
        respond();
        if (m === "bye") stream.end();
        else stream.write(grpcFrame(`echo:${m}`));
      }
    };
    stream.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
        const len = buf.readUInt32BE(1);
        onMessage(buf.subarray(5, 5 + len).toString());
        buf = buf.subarray(5 + len);
      }
    });
    stream.on("end", () => {
      call.clientEnded = true;
      if (method === "Echo") {
        respond();
        stream.end(grpcFrame(call.messages[0] ?? ""));
      } else if (method === "Fail") {
        respond();
        stream.end();
      } else if (method === "FailTrailersOnly") {
        stream.respond({ ":status": 200, "content-type": "application/grpc", "grpc-status": "7", "grpc-message": encodeURIComponent("go away") }, { endStream: true });
      } else if (method === "Chat" && !stream.closed) {
        respond();
        if (!stream.writableEnded) stream.end();
      }
    });
    if (!["Echo", "Fail", "FailTrailersOnly", "Slow", "Chat", "Reset"].includes(method ?? "")) {
      // Not a gRPC endpoint at all: a plain HTTP 404.
      stream.respond({ ":status": 404 }, { endStream: true });
      return;
    }
    if (method === "Reset") {
      stream.respond(OK_HEADERS);
      stream.write(grpcFrame("partial"), () => setImmediate(() => stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR)));
    }
    if (method === "Chat") respond();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `h2c://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of streams) s.close(http2.constants.NGHTTP2_CANCEL);
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
}
