// Local replies and body overflow (ABI digest §7.1, §10, scenarios 7 and 9), driven through the
// probe filter. Each case is something a filter author relying on Envoy sees: what the client
// receives, which callbacks the plugin still gets, and what the upstream never receives.
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "./harness/index";
import {
  callbackTrace,
  closeProbeHosts,
  exchangeOf,
  header,
  probeHost,
  probeValues,
  recordedStream,
  requestHeaders,
  text,
  utf8,
} from "./support/probe";

afterEach(closeProbeHosts);

const all = (h: Array<[string, string]> | undefined, name: string) => (h ?? []).filter(([k]) => k === name).map(([, v]) => v);
const enter = (logs: Parameters<typeof callbackTrace>[0]) => callbackTrace(logs).map((l) => l.replace(/^probe:/, ""));

describe("send_local_response from the request phase", () => {
  it("is deferred until the callback returns, overrides its Continue, and runs the plugin's own response callbacks", async () => {
    const host = await probeHost({
      on_request_headers: {
        ops: [
          { op: "send_local_response", status: 403, details: "denied", text: "no entry", headers: [["x-reason", "policy"]] },
          // ctx.cc queues the reply with addAfterVmCallAction: the request is still there.
          { op: "get_header", map: "request_headers", key: ":path" },
        ],
        return: "continue",
      },
      on_response_headers: [{ op: "get_pairs", map: "response_headers" }],
      on_response_body: [{ op: "get_buffer", buffer: "response_body" }],
    });
    const r = await host.exchange(exchangeOf({ request: { method: "GET", path: "/private", body: new Uint8Array() } }));

    expect(probeValues(r.logs, "on_request_headers", "get_header")[0]).toMatchObject({ result: "Ok", text: "/private" });
    // Nothing re-entered the VM before the callback's own ops had all run.
    expect(enter(r.logs)).toEqual(["on_request_headers", "on_response_headers", "on_response_body", "on_log", "on_done", "on_delete"]);
    // cpp-host stopNextIteration: the callback's Continue becomes StopAllIterationAndWatermark.
    expect(r.upstreamRequest).toBeUndefined();
    expect(r.downstreamResponse?.status).toBe(403);
    expect(text(r.downstreamResponse?.body)).toBe("no entry");
    // The reply goes through the encoder chain, so the plugin sees it like any response.
    const pairs = probeValues(r.logs, "on_response_headers", "get_pairs")[0].pairs as Array<[string, string]>;
    expect(header(pairs, ":status")).toBe("403");
    expect(header(pairs, "content-length")).toBe("8");
    expect(header(pairs, "content-type")).toBe("text/plain");
    expect(header(pairs, "x-reason")).toBe("policy");
    expect(probeValues(r.logs, "on_response_body", "get_buffer")[0]).toMatchObject({ text: "no entry" });
    expect(r.localReply?.details).toBe("denied");
  });

  it("replaces whitespace in the details with '_' (StringUtil::replaceAllEmptySpace)", async () => {
    const host = await probeHost({
      on_request_headers: [{ op: "send_local_response", status: 429, details: "rate limited\tby  tenant\n", text: "slow down" }],
    });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/", [], "GET"), true);
    await stream.done;
    expect(header(rec.downstream.headers, ":status")).toBe("429");
    expect(stream.responseCodeDetails()).toBe("rate_limited_by__tenant_");
  });

  it("keeps a content-type the plugin passed instead of adding text/plain", async () => {
    // Utility::sendLocalReply sets text/plain only when modify_headers left no content-type.
    const host = await probeHost({
      on_request_headers: [
        { op: "send_local_response", status: 400, text: '{"error":"bad"}', headers: [["content-type", "application/json"]] },
      ],
    });
    const r = await host.exchange(exchangeOf({ request: { method: "GET", body: new Uint8Array() } }));
    expect(r.downstreamResponse?.status).toBe(400);
    expect(all(r.downstreamResponse?.headers, "content-type")).toEqual(["application/json"]);
    expect(all(r.downstreamResponse?.headers, "content-length")).toEqual(["15"]);
  });

  it("sends no content-type or content-length with an empty body, even ones the plugin passed", async () => {
    // Utility::sendLocalReply: an empty body removes both headers after modify_headers ran.
    const host = await probeHost({
      on_request_headers: [
        { op: "send_local_response", status: 204, headers: [["content-type", "application/json"], ["content-length", "0"], ["x-kept", "1"]] },
      ],
    });
    const r = await host.exchange(exchangeOf({ request: { method: "GET", body: new Uint8Array() } }));
    expect(r.downstreamResponse?.status).toBe(204);
    expect(header(r.downstreamResponse?.headers, "content-type")).toBeUndefined();
    expect(header(r.downstreamResponse?.headers, "content-length")).toBeUndefined();
    expect(header(r.downstreamResponse?.headers, "x-kept")).toBe("1");
    expect(r.downstreamResponse?.body.length).toBe(0);
  });

  it("answers a HEAD request with headers only (content-length of the would-be body kept)", async () => {
    const host = await probeHost({ on_request_headers: [{ op: "send_local_response", status: 401, text: "login first" }] });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/", [], "HEAD"), true);
    await stream.done;
    expect(header(rec.downstream.headers, ":status")).toBe("401");
    expect(header(rec.downstream.headers, "content-length")).toBe("11");
    // is_head_request: encode_headers(..., end_stream=true), no data frame.
    expect(rec.downstream.headersEos).toBe(true);
    expect(rec.downstream.data).toEqual([]);
  });

  it("stops the request: no later body/trailer callbacks and nothing upstream", async () => {
    const host = await probeHost({ on_request_headers: [{ op: "send_local_response", status: 403, text: "no" }] });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/upload"), false);
    stream.sendRequestData(utf8("first"), false);
    stream.sendRequestData(utf8("second"), false);
    stream.sendRequestTrailers([["x-checksum", "1"]]);
    await stream.done;
    // sendLocalReply during decoding sets decoder_filter_chain_aborted_.
    expect(enter(host.logs)).not.toContain("on_request_body");
    expect(enter(host.logs)).not.toContain("on_request_trailers");
    expect(rec.upstream.headers).toBeUndefined();
    expect(rec.upstream.data).toEqual([]);
    expect(header(rec.downstream.headers, ":status")).toBe("403");
  });

  it("from on_request_body: the buffered request never reaches upstream", async () => {
    const host = await probeHost({
      "on_request_body#1": { ops: [], return: "pause" },
      "on_request_body#2": [{ op: "send_local_response", status: 413, details: "too_big_for_policy", text: "too big" }],
    });
    const r = await host.exchange(exchangeOf({ request: { body: utf8("0123456789"), chunks: [5, 5] } }));
    expect(r.downstreamResponse?.status).toBe(413);
    expect(text(r.downstreamResponse?.body)).toBe("too big");
    expect(r.upstreamRequest?.body.length ?? 0).toBe(0);
    expect(r.localReply?.details).toBe("too_big_for_policy");
  });
});

describe("send_local_response for gRPC requests (Utility::sendLocalReply, is_grpc)", () => {
  const grpcRequest = (extra: Array<[string, string]> = []) =>
    exchangeOf({
      request: { method: "POST", path: "/pkg.Svc/Call", headers: [["content-type", "application/grpc"], ["te", "trailers"], ...extra], body: new Uint8Array() },
    });

  it("is a trailers-only 200 with grpc-status mapped from the HTTP code and the body as grpc-message", async () => {
    const host = await probeHost({ on_request_headers: [{ op: "send_local_response", status: 403, text: "access denied: no token" }] });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/pkg.Svc/Call", [["content-type", "application/grpc"]]), true);
    await stream.done;
    const h = rec.downstream.headers;
    expect(header(h, ":status")).toBe("200");
    expect(all(h, "content-type")).toEqual(["application/grpc"]);
    // Grpc::Utility::httpToGrpcStatus(403) = PERMISSION_DENIED.
    expect(header(h, "grpc-status")).toBe("7");
    // PercentEncoding::encode escapes only '%' and bytes outside ' '..'}'; spaces stay.
    expect(header(h, "grpc-message")).toBe("access denied: no token");
    expect(header(h, "content-length")).toBeUndefined();
    expect(rec.downstream.headersEos).toBe(true);
    expect(rec.downstream.data).toEqual([]);
  });

  it("uses the grpc_status the plugin gave and percent-encodes only what gRPC requires", async () => {
    const host = await probeHost({
      on_request_headers: [{ op: "send_local_response", status: 401, grpc_status: 16, text: "50% ~quota✓" }],
    });
    const r = await host.exchange(grpcRequest());
    expect(header(r.downstreamResponse?.headers, "grpc-status")).toBe("16");
    expect(header(r.downstreamResponse?.headers, "grpc-message")).toBe("50%25 %7Equota%E2%9C%93");
    expect(r.upstreamRequest).toBeUndefined();
  });

  it("maps unmapped HTTP codes to UNKNOWN and 503 to UNAVAILABLE", async () => {
    const host = await probeHost({
      "on_request_headers#1": [{ op: "send_local_response", status: 418 }],
    });
    const r1 = await host.exchange(grpcRequest());
    expect(header(r1.downstreamResponse?.headers, "grpc-status")).toBe("2");
    expect(header(r1.downstreamResponse?.headers, "grpc-message")).toBeUndefined();

    const host2 = await probeHost({ on_request_headers: [{ op: "send_local_response", status: 503, text: "x" }] });
    const r2 = await host2.exchange(grpcRequest());
    expect(header(r2.downstreamResponse?.headers, "grpc-status")).toBe("14");
  });
});

describe("send_local_response from the response phase (FilterManager::sendLocalReply)", () => {
  it("before the client got headers: goes straight to the client, bypassing filters, and drops the upstream response", async () => {
    const host = await probeHost({
      on_response_headers: [{ op: "send_local_response", status: 502, details: "bad upstream", text: "upstream said no" }],
      on_log: [{ op: "get_header", map: "response_headers", key: ":status" }],
    });
    const r = await host.exchange(exchangeOf({ response: { status: 200, body: utf8("secret upstream body"), chunks: [6, 14] } }));
    expect(r.downstreamResponse?.status).toBe(502);
    expect(text(r.downstreamResponse?.body)).toBe("upstream said no");
    expect(header(r.downstreamResponse?.headers, "content-type")).toBe("text/plain");
    // sendDirectLocalReply encodes to the codec: no on_response_headers for the reply itself,
    // and the upstream body never reaches the filter.
    expect(enter(r.logs)).toEqual(["on_request_headers", "on_request_body", "on_response_headers", "on_log", "on_done", "on_delete"]);
    expect(r.localReply?.details).toBe("bad_upstream");
    // sendDirectLocalReply moves its headers into the FilterManager "to make sure they're
    // visible to access logs".
    expect(probeValues(r.logs, "on_log", "get_header")[0]).toMatchObject({ result: "Ok", text: "502" });
  });

  it("after the client got headers: resets the stream", async () => {
    const host = await probeHost({
      "on_response_body#1": [{ op: "send_local_response", status: 500, details: "late", text: "too late" }],
    });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/", [], "GET"), true);
    stream.sendResponseHeaders([[":status", "200"], ["content-type", "text/plain"]], false);
    stream.sendResponseData(utf8("part one"), false);
    stream.sendResponseData(utf8("part two"), true);
    await stream.done;
    expect(header(rec.downstream.headers, ":status")).toBe("200");
    expect(rec.reset).toBeDefined();
    expect(rec.downstream.data.map((d) => d.text).join("")).not.toContain("too late");
    expect(rec.downstream.data.some((d) => d.eos)).toBe(false);
    expect(stream.responseCodeDetails()).toBe("late");
  });
});

describe("buffer limit overflow (ActiveStream{De,En}coderFilter::*DataTooLarge)", () => {
  const limit = 16;

  it("request body buffered over the limit: 413, and no further on_request_body", async () => {
    const host = await probeHost({ on_request_body: { ops: [], return: "pause" } }, { host: { bufferLimitBytes: limit } });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/upload"), false);
    stream.sendRequestData(utf8("0123456789"), false);
    stream.sendRequestData(utf8("abcdefghij"), false);
    stream.sendRequestData(utf8("klmnopqrst"), true);
    await stream.done;
    expect(header(rec.downstream.headers, ":status")).toBe("413");
    expect(rec.downstream.data.map((d) => d.text).join("")).toBe("Payload Too Large");
    expect(stream.responseCodeDetails()).toBe("request_payload_too_large");
    // ctx.cc decodeData: addDecodedData triggered the 413 and destroyed the context, so the VM
    // is not called for the chunk; the plugin still sees the 413 go out through the chain.
    expect(enter(host.logs.filter((l) => l.stream === stream.id))).toEqual([
      "on_request_headers", "on_request_body", "on_response_headers", "on_response_body", "on_log", "on_done", "on_delete",
    ]);
    expect(rec.upstream.data).toEqual([]);
  });

  it("a body exactly at the limit is not too large", async () => {
    // WatermarkBuffer fires above the high watermark, not at it.
    const host = await probeHost(
      { "on_request_body#1": { ops: [], return: "pause" }, "on_request_body#2": { ops: [{ op: "get_buffer", buffer: "request_body" }], return: "continue" } },
      { host: { bufferLimitBytes: limit } },
    );
    const r = await host.exchange(exchangeOf({ request: { body: utf8("0123456789abcdef"), chunks: [8, 8] } }));
    expect(r.downstreamResponse?.status).toBe(200);
    expect(text(r.upstreamRequest?.body)).toBe("0123456789abcdef");
    expect(probeValues(r.logs, "on_request_body", "get_buffer")[0]).toMatchObject({ len: 16 });
  });

  it("request headers paused (watermark): over the limit is flow control, not 413; continue delivers it all at once", async () => {
    const clock = new ManualClock();
    const host = await probeHost(
      {
        on_request_headers: { ops: [{ op: "set_tick_period", ms: 1000 }], return: "pause" },
        on_tick: [{ op: "set_tick_period", ms: 0 }, { op: "set_effective_context", context: "last_stream" }, { op: "continue_stream", stream: "request" }],
        on_request_body: [{ op: "get_buffer", buffer: "request_body" }],
      },
      { host: { bufferLimitBytes: limit, clock } },
    );
    const { stream, rec } = recordedStream(host, { worker: 0 });
    stream.sendRequestHeaders(requestHeaders("/upload"), false);
    stream.sendRequestData(utf8("0123456789"), false);
    stream.sendRequestData(utf8("abcdefghij"), true);
    expect(rec.downstream.headers).toBeUndefined();
    expect(rec.upstream.headers).toBeUndefined();
    expect(enter(host.logs.filter((l) => l.stream === stream.id))).toEqual(["on_request_headers"]);

    await host.advance(1000);
    expect(rec.upstream.headers).toBeDefined();
    expect(rec.upstream.data.map((d) => d.text).join("")).toBe("0123456789abcdefghij");
    const bodies = probeValues(host.logs, "on_request_body", "enter");
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toMatchObject({ size: 20, eos: true });
    stream.sendResponseHeaders([[":status", "200"]], true);
    await stream.done;
    expect(header(rec.downstream.headers, ":status")).toBe("200");
  });

  it("response body buffered over the limit before the client got headers: a direct 500", async () => {
    const host = await probeHost(
      { on_response_headers: { ops: [], return: "pause" }, on_response_body: { ops: [], return: "pause" } },
      // Headers Pause as StopIteration (Envoy >= 1.35 with allow_on_headers_stop_iteration):
      // the body still reaches this filter, which buffers it.
      { host: { bufferLimitBytes: limit }, filter: { allowOnHeadersStopIteration: true } },
    );
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/", [], "GET"), true);
    stream.sendResponseHeaders([[":status", "200"], ["content-type", "text/plain"]], false);
    stream.sendResponseData(utf8("0123456789"), false);
    stream.sendResponseData(utf8("abcdefghij"), true);
    await stream.done;
    expect(header(rec.downstream.headers, ":status")).toBe("500");
    expect(rec.downstream.data.map((d) => d.text).join("")).toBe("Internal Server Error");
    expect(stream.responseCodeDetails()).toBe("response_payload_too_large");
    expect(rec.reset).toBeUndefined();
  });

  it("response body buffered over the limit after the client got headers: a reset", async () => {
    const host = await probeHost({ on_response_body: { ops: [], return: "pause" } }, { host: { bufferLimitBytes: limit } });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/", [], "GET"), true);
    stream.sendResponseHeaders([[":status", "200"], ["content-type", "text/plain"]], false);
    stream.sendResponseData(utf8("0123456789"), false);
    stream.sendResponseData(utf8("abcdefghij"), true);
    await stream.done;
    expect(header(rec.downstream.headers, ":status")).toBe("200");
    expect(rec.reset).toBeDefined();
    expect(rec.downstream.data).toEqual([]);
  });

  it("response headers paused (watermark): over the limit is flow control, not 500", async () => {
    const host = await probeHost({ on_response_headers: { ops: [], return: "pause" } }, { host: { bufferLimitBytes: limit } });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/", [], "GET"), true);
    stream.sendResponseHeaders([[":status", "200"]], false);
    stream.sendResponseData(utf8("0123456789"), false);
    stream.sendResponseData(utf8("abcdefghij"), true);
    expect(rec.downstream.headers).toBeUndefined();
    expect(rec.reset).toBeUndefined();
    expect(stream.finishedStream).toBe(false);
    stream.resetFromDownstream();
    await stream.done;
  });
});
