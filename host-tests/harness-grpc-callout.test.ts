// proxy_grpc_call / proxy_grpc_stream against a real gRPC server (h2c, node:http2) on loopback
// (digest §1, §2, §12 group 11). Envoy's Envoy-gRPC client decides which callbacks a filter gets
// and with what: unary success is a receive without close, failures and stream ends are closes,
// streams see initial metadata, messages and trailing metadata. Most scripts use `raw: true` so
// every callback lands on the root exactly as Envoy calls it, with no SDK routing in between.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "./harness/clock";
import type { EnvoyHost } from "./harness/host";
import { grpcServiceProto, startGrpcServer, type GrpcTestServer } from "./support/grpc-server";
import { closeProbeHosts, exchangeOf, probeHost, probeLines, probeValues, recordedStream, requestHeaders } from "./support/probe";

/** Waits (bounded) for something the loopback network will deliver; never a timing assertion. */
async function until(cond: () => boolean, what: string, maxMs = 5000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Lets anything already on the wire arrive (used before asserting that nothing more came). */
async function drain(h: EnvoyHost): Promise<void> {
  await until(() => h.callouts.inFlight === 0, "callouts to settle");
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

let server: GrpcTestServer;
beforeEach(async () => {
  server = await startGrpcServer();
});
afterEach(async () => {
  await closeProbeHosts();
  await server.close();
});

const CALLBACKS = ["on_grpc_receive_initial_metadata", "on_grpc_receive", "on_grpc_receive_trailing_metadata", "on_grpc_close"];

/** The gRPC callbacks, in the order the host made them. */
const grpcTrace = (h: EnvoyHost) => probeLines(h.logs).filter((l) => l.op === "enter" && CALLBACKS.includes(l.callback)).map((l) => l.callback);

function host(script: unknown, clock?: ManualClock): Promise<EnvoyHost> {
  return probeHost(script, { host: { clusters: { grpc: server.url }, clock } });
}

const unary = (method: string, extra: Record<string, unknown> = {}) => ({ op: "grpc_call", service: "grpc", service_name: "test.Echo", method, text: "hello", raw: true, ...extra });

describe("unary calls", () => {
  it("delivers a successful call as one on_grpc_receive with the message, and no on_grpc_close", async () => {
    const h = await host({
      on_request_headers: [unary("Echo", { metadata: [["x-tenant", "acme"]] })],
      on_grpc_receive: [{ op: "get_buffer", buffer: "grpc_receive" }],
    });
    await h.exchange(exchangeOf());
    await until(() => grpcTrace(h).length > 0, "the gRPC answer");
    await drain(h);
    expect(grpcTrace(h)).toEqual(["on_grpc_receive"]);
    const [enter] = probeValues(h.logs, "on_grpc_receive", "enter");
    expect(enter.context).toBe(h.rootsOf("probe")[0].id);
    expect(enter.token).toBe(probeValues(h.logs, "on_request_headers", "grpc_call")[0].token);
    // grpc_call ids are 1 mod 4.
    expect(enter.token % 4).toBe(1);
    expect(enter.size).toBe(5);
    expect(probeValues(h.logs, "on_grpc_receive", "get_buffer")[0]).toMatchObject({ result: "Ok", text: "hello" });
  });

  it("sends the call as Envoy's gRPC client does: path, content-type, te, grpc-timeout, :authority = cluster, and the metadata", async () => {
    const h = await host({ on_request_headers: [unary("Echo", { metadata: [["x-tenant", "acme"]], timeout: 1500 })] });
    await h.exchange(exchangeOf());
    await until(() => grpcTrace(h).length > 0, "the gRPC answer");
    const [call] = server.calls;
    expect(call.path).toBe("/test.Echo/Echo");
    expect(call.messages).toEqual(["hello"]);
    expect(call.headers[":method"]).toBe("POST");
    expect(call.headers["content-type"]).toBe("application/grpc");
    expect(call.headers.te).toBe("trailers");
    expect(call.headers["grpc-timeout"]).toBe("1500m");
    // Common::prepareHeaders sets :authority to the EnvoyGrpc authority, defaulting to the cluster name.
    expect(call.headers[":authority"]).toBe("grpc");
    expect(call.headers["x-tenant"]).toBe("acme");
  });

  it("routes the answer to the issuing stream when called through the SDK", async () => {
    const h = await host({
      on_request_headers: { ops: [unary("Echo", { raw: false })], return: "pause" },
      on_grpc_receive: [{ op: "get_buffer", buffer: "grpc_receive" }, { op: "continue_stream", stream: "request" }],
    });
    const r = await h.exchange(exchangeOf());
    expect(r.downstreamResponse?.status).toBe(200);
    const streamCtx = probeValues(h.logs, "on_request_headers", "enter")[0].context;
    expect(probeValues(h.logs, "on_grpc_receive", "enter")[0].context).toBe(streamCtx);
    expect(probeValues(h.logs, "on_grpc_receive", "get_buffer")[0].text).toBe("hello");
  });

  it("reports a non-zero grpc-status as on_grpc_close with the status, and get_status gives the message", async () => {
    const h = await host({
      on_request_headers: [unary("Fail")],
      on_grpc_close: [{ op: "get_status" }],
    });
    await h.exchange(exchangeOf());
    await until(() => grpcTrace(h).length > 0, "the failure");
    await drain(h);
    expect(grpcTrace(h)).toEqual(["on_grpc_close"]);
    expect(probeValues(h.logs, "on_grpc_close", "enter")[0].status).toBe(5);
    expect(probeValues(h.logs, "on_grpc_close", "get_status")[0]).toMatchObject({ result: "Ok", code: 5, message: "no such thing" });
  });

  it("reads the status of a trailers-only answer (how gRPC servers send early errors)", async () => {
    // AsyncStreamImpl::onHeaders with end_stream hands the headers to onTrailers.
    const h = await host({
      on_request_headers: [unary("FailTrailersOnly")],
      on_grpc_close: [{ op: "get_status" }],
    });
    await h.exchange(exchangeOf());
    await until(() => grpcTrace(h).length > 0, "the failure");
    expect(grpcTrace(h)).toEqual(["on_grpc_close"]);
    expect(probeValues(h.logs, "on_grpc_close", "get_status")[0]).toMatchObject({ code: 7, message: "go away" });
  });

  it("closes a call that outlives its timeout with UNAVAILABLE 'upstream request timeout'", async () => {
    // The router's response timeout answers the async gRPC stream with a 504 local reply, which
    // Envoy's gRPC local-reply form turns into grpc-status httpToGrpcStatus(504) = UNAVAILABLE.
    const clock = new ManualClock();
    const h = await host({ on_request_headers: [unary("Slow", { timeout: 1000 })], on_grpc_close: [{ op: "get_status" }] }, clock);
    const { stream } = recordedStream(h);
    stream.sendRequestHeaders(requestHeaders("/"), true);
    await until(() => server.calls.length === 1 && server.calls[0].clientEnded, "the server to get the call");
    await h.advance(999);
    expect(grpcTrace(h)).toEqual([]);
    await h.advance(1);
    expect(grpcTrace(h)).toEqual(["on_grpc_close"]);
    expect(probeValues(h.logs, "on_grpc_close", "enter")[0].status).toBe(14);
    // Newer Envoy appends the stream's response code details in braces.
    expect(probeValues(h.logs, "on_grpc_close", "get_status")[0]).toMatchObject({ code: 14, message: expect.stringMatching(/^upstream request timeout/) });
  });

  it("maps a non-gRPC HTTP answer through httpToGrpcStatus (404 -> UNIMPLEMENTED)", async () => {
    const h = await host({ on_request_headers: [unary("Missing")], on_grpc_close: [{ op: "get_status" }] });
    await h.exchange(exchangeOf());
    await until(() => grpcTrace(h).length > 0, "the failure");
    expect(grpcTrace(h)).toEqual(["on_grpc_close"]);
    expect(probeValues(h.logs, "on_grpc_close", "enter")[0].status).toBe(12);
  });

  it("accepts a serialized GrpcService{envoy_grpc{cluster_name}} like a bare cluster name", async () => {
    const proto = Buffer.from(grpcServiceProto("grpc")).toString("base64");
    const h = await host({
      on_request_headers: [
        { op: "grpc_call", service_base64: proto, service_name: "test.Echo", method: "Echo", text: "via-proto" },
      ],
      on_grpc_receive: [{ op: "get_buffer", buffer: "grpc_receive" }],
    });
    await h.exchange(exchangeOf());
    await until(() => grpcTrace(h).length > 0, "the gRPC answer");
    expect(probeValues(h.logs, "on_request_headers", "grpc_call")[0].result).toBe("Ok");
    expect(probeValues(h.logs, "on_grpc_receive", "get_buffer")[0].text).toBe("via-proto");
  });

  it("returns ParseFailure for an unknown cluster name (call and stream)", async () => {
    const h = await host({
      on_request_headers: [
        unary("Echo", { service: "nowhere" }),
        { op: "grpc_stream", service: "nowhere", service_name: "test.Echo", method: "Chat", raw: true },
      ],
    });
    await h.exchange(exchangeOf());
    expect(probeValues(h.logs, "on_request_headers", "grpc_call")[0].result).toBe("ParseFailure");
    expect(probeValues(h.logs, "on_request_headers", "grpc_stream")[0].result).toBe("ParseFailure");
    expect(server.calls).toHaveLength(0);
  });
});

describe("streams", () => {
  const stream = (extra: Record<string, unknown> = {}) => ({ op: "grpc_stream", service: "grpc", service_name: "test.Echo", method: "Chat", raw: true, ...extra });

  it("delivers initial metadata (map 4), each message (buffer 5), trailing metadata (map 5), then close", async () => {
    const h = await host({
      on_request_headers: [stream({ metadata: [["x-tenant", "acme"]] }), { op: "grpc_send", text: "one" }],
      on_grpc_receive_initial_metadata: [
        { op: "get_pairs", map: "grpc_initial_metadata" },
        { op: "get_header", map: "grpc_initial_metadata", key: "x-initial" },
      ],
      "on_grpc_receive#1": [{ op: "get_buffer", buffer: "grpc_receive" }, { op: "grpc_send", text: "two" }],
      "on_grpc_receive#2": [{ op: "get_buffer", buffer: "grpc_receive" }, { op: "grpc_send", text: "bye" }],
      on_grpc_receive_trailing_metadata: [{ op: "get_pairs", map: "grpc_trailing_metadata" }, { op: "get_pairs", map: "grpc_initial_metadata" }],
      on_grpc_close: [{ op: "get_status" }, { op: "get_pairs", map: "grpc_trailing_metadata" }],
    });
    await h.exchange(exchangeOf());
    await until(() => grpcTrace(h).includes("on_grpc_close"), "the stream to close");
    expect(probeValues(h.logs, "on_request_headers", "grpc_stream")[0].token % 4).toBe(2);
    expect(grpcTrace(h)).toEqual([
      "on_grpc_receive_initial_metadata",
      "on_grpc_receive",
      "on_grpc_receive",
      "on_grpc_receive_trailing_metadata",
      "on_grpc_close",
    ]);
    expect(server.calls[0].headers["x-tenant"]).toBe("acme");
    expect(server.calls[0].messages).toEqual(["one", "two", "bye"]);

    // Envoy hands the response headers over as they are, :status included.
    const initial = probeValues(h.logs, "on_grpc_receive_initial_metadata", "get_pairs")[0];
    expect(initial.pairs).toContainEqual([":status", "200"]);
    expect(initial.pairs).toContainEqual(["x-initial", "hello"]);
    expect(probeValues(h.logs, "on_grpc_receive_initial_metadata", "enter")[0].headers).toBe(initial.count);
    expect(probeValues(h.logs, "on_grpc_receive_initial_metadata", "get_header")[0].text).toBe("hello");

    expect(probeValues(h.logs, "on_grpc_receive", "get_buffer").map((v) => v.text)).toEqual(["echo:one", "echo:two"]);
    expect(probeValues(h.logs, "on_grpc_receive", "grpc_send").map((v) => v.result)).toEqual(["Ok", "Ok"]);

    const [trailing, initialLater] = probeValues(h.logs, "on_grpc_receive_trailing_metadata", "get_pairs");
    expect(trailing.pairs).toContainEqual(["grpc-status", "0"]);
    expect(trailing.pairs).toContainEqual(["x-trailer", "bye"]);
    // Each metadata map lives only during its own callback.
    expect(initialLater.count ?? 0).toBe(0);
    expect(probeValues(h.logs, "on_grpc_close", "get_pairs")[0].count ?? 0).toBe(0);
    expect(probeValues(h.logs, "on_grpc_close", "enter")[0].status).toBe(0);
    expect(probeValues(h.logs, "on_grpc_close", "get_status")[0].code).toBe(0);
  });

  it("gives a trailers-only answer as empty initial metadata, its headers as trailing metadata, then close", async () => {
    const h = await host({
      on_request_headers: [stream({ method: "FailTrailersOnly" }), { op: "grpc_close" }],
      on_grpc_receive_trailing_metadata: [{ op: "get_header", map: "grpc_trailing_metadata", key: "grpc-status" }],
      on_grpc_close: [{ op: "get_status" }],
    });
    await h.exchange(exchangeOf());
    await until(() => grpcTrace(h).includes("on_grpc_close"), "the stream to close");
    expect(grpcTrace(h)).toEqual(["on_grpc_receive_initial_metadata", "on_grpc_receive_trailing_metadata", "on_grpc_close"]);
    expect(probeValues(h.logs, "on_grpc_receive_initial_metadata", "enter")[0].headers).toBe(0);
    expect(probeValues(h.logs, "on_grpc_receive_trailing_metadata", "get_header")[0].text).toBe("7");
    expect(probeValues(h.logs, "on_grpc_close", "get_status")[0]).toMatchObject({ code: 7, message: "go away" });
  });

  it("reports a server reset after the response started as empty trailing metadata and INTERNAL", async () => {
    // AsyncStreamImpl::onReset -> streamError(Internal).
    const h = await host({
      on_request_headers: [stream({ method: "Reset" })],
      on_grpc_receive: [{ op: "get_buffer", buffer: "grpc_receive" }],
    });
    await h.exchange(exchangeOf());
    await until(() => grpcTrace(h).includes("on_grpc_close"), "the stream to close");
    expect(grpcTrace(h)).toEqual(["on_grpc_receive_initial_metadata", "on_grpc_receive", "on_grpc_receive_trailing_metadata", "on_grpc_close"]);
    expect(probeValues(h.logs, "on_grpc_receive", "get_buffer")[0].text).toBe("partial");
    expect(probeValues(h.logs, "on_grpc_receive_trailing_metadata", "enter")[0].trailers).toBe(0);
    expect(probeValues(h.logs, "on_grpc_close", "enter")[0].status).toBe(13);
  });

  it("half-closes with grpc_close and still gets the server's trailers and close", async () => {
    const h = await host({
      on_request_headers: [stream(), { op: "grpc_send", text: "one" }],
      on_grpc_receive: [{ op: "grpc_close" }],
    });
    await h.exchange(exchangeOf());
    await until(() => grpcTrace(h).includes("on_grpc_close"), "the stream to close");
    expect(probeValues(h.logs, "on_grpc_receive", "grpc_close")[0].result).toBe("Ok");
    expect(server.calls[0].clientEnded).toBe(true);
    expect(grpcTrace(h).slice(-2)).toEqual(["on_grpc_receive_trailing_metadata", "on_grpc_close"]);
  });

  it("keeps a remotely closed stream known until the filter closes it too", async () => {
    // Envoy erases a stream only once both sides closed (local_closed_ / remote_closed_).
    const h = await host({
      on_request_headers: [stream(), { op: "grpc_send", text: "bye" }],
      on_response_headers: [{ op: "grpc_close" }, { op: "grpc_close" }],
    });
    const { stream: s } = recordedStream(h);
    s.sendRequestHeaders(requestHeaders("/"), true);
    await until(() => grpcTrace(h).includes("on_grpc_close"), "the server to end the stream");
    s.sendResponseHeaders([[":status", "200"]], true);
    await s.done;
    expect(probeValues(h.logs, "on_response_headers", "grpc_close").map((v) => v.result)).toEqual(["Ok", "NotFound"]);
  });

  it("stops all callbacks after grpc_cancel, resets the stream, and forgets the token", async () => {
    const h = await host({
      on_request_headers: [stream(), { op: "grpc_send", text: "one" }],
      on_grpc_receive: [{ op: "grpc_cancel" }, { op: "grpc_send", text: "late" }, { op: "grpc_cancel" }, { op: "grpc_close" }],
    });
    await h.exchange(exchangeOf());
    await until(() => server.calls[0]?.cancelled === true, "the server to see the reset");
    await drain(h);
    expect(probeValues(h.logs, "on_grpc_receive", "grpc_cancel").map((v) => v.result)).toEqual(["Ok", "NotFound"]);
    expect(probeValues(h.logs, "on_grpc_receive", "grpc_send")[0].result).toBe("NotFound");
    expect(probeValues(h.logs, "on_grpc_receive", "grpc_close")[0].result).toBe("NotFound");
    expect(grpcTrace(h)).toEqual(["on_grpc_receive_initial_metadata", "on_grpc_receive"]);
    expect(server.calls[0].messages).toEqual(["one"]);
  });
});

describe("token checks", () => {
  it("answers BadArgument for tokens of the wrong kind and NotFound for unknown ones", async () => {
    const h = await host({
      on_request_headers: [
        unary("Slow"),
        // grpc_send only takes stream ids; a live unary call id is the wrong kind.
        { op: "grpc_send", text: "x" },
        // Http call ids (0 mod 4) and the unused kind 3 are neither calls nor streams.
        { op: "grpc_cancel", token: 4 },
        { op: "grpc_close", token: 8 },
        { op: "grpc_cancel", token: 7 },
        { op: "grpc_send", token: 4, text: "x" },
        // Right kind, never issued.
        { op: "grpc_cancel", token: 1001 },
        { op: "grpc_close", token: 1002 },
        { op: "grpc_send", token: 1002, text: "x" },
        // The live unary call: cancelled once, then gone.
        { op: "grpc_cancel" },
        { op: "grpc_close" },
      ],
    });
    await h.exchange(exchangeOf());
    const result = (op: string) => probeValues(h.logs, "on_request_headers", op).map((v) => v.result);
    expect(result("grpc_send")).toEqual(["BadArgument", "BadArgument", "NotFound"]);
    expect(result("grpc_cancel")).toEqual(["BadArgument", "BadArgument", "NotFound", "Ok"]);
    expect(result("grpc_close")).toEqual(["BadArgument", "NotFound", "NotFound"]);
    await until(() => server.calls[0]?.cancelled === true, "the server to see the cancel");
    await drain(h);
    // A cancelled call gets no callback at all.
    expect(grpcTrace(h)).toEqual([]);
  });
});
