// HTTP bodies as a filter relying on Envoy sees them (digest §6.2, §6.3; §12 groups 5, 6, 8):
// what each body callback is given, what buffering after Pause means, how
// proxy_set_buffer_bytes edits a body, and how a headers Pause holds the body back.
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "./harness/index";
import { settle } from "./harness/host";
import { closeProbeHosts, probeHost, probeLines, probeValues, recordedStream, requestHeaders, utf8 } from "./support/probe";

afterEach(closeProbeHosts);

/** The `enter` lines of a callback: {size, eos} per call. */
function calls(logs: import("./harness/api").LogRecord[], callback: string): Array<{ size: number; eos: boolean }> {
  return probeValues(logs, callback, "enter").map((v) => ({ size: v.size, eos: v.eos }));
}

/** Sends headers then each chunk, the last one with end_stream unless trailers follow. */
function sendRequest(stream: ReturnType<typeof recordedStream>["stream"], chunks: string[], trailers?: Array<[string, string]>) {
  stream.sendRequestHeaders(requestHeaders("/body"), false);
  chunks.forEach((c, i) => stream.sendRequestData(utf8(c), i === chunks.length - 1 && !trailers));
  if (trailers) stream.sendRequestTrailers(trailers);
}

describe("body callbacks", () => {
  it("after Continue each call sees only its own chunk, and edits to it are forwarded", async () => {
    const host = await probeHost({
      on_request_body: [
        { op: "get_buffer", buffer: "request_body" },
        // start >= size appends, whatever len says.
        { op: "set_buffer", buffer: "request_body", start: -1, len: 0, text: "!" },
      ],
    });
    const { stream, rec } = recordedStream(host);
    sendRequest(stream, ["aaa", "bbbb", "cc"]);
    expect(calls(host.logs, "on_request_body")).toEqual([
      { size: 3, eos: false },
      { size: 4, eos: false },
      { size: 2, eos: true },
    ]);
    expect(probeValues(host.logs, "on_request_body", "get_buffer").map((v) => v.text)).toEqual(["aaa", "bbbb", "cc"]);
    expect(rec.upstream.data).toEqual([
      { text: "aaa!", eos: false },
      { text: "bbbb!", eos: false },
      { text: "cc!", eos: true },
    ]);
  });

  it("after Pause the next call reports the cumulative length and reads the whole buffered body", async () => {
    // ctx.cc decodeData: while buffering, addDecodedData appends the chunk first, and the
    // body buffer is then the filter manager's whole buffered body.
    const host = await probeHost({
      "on_request_body#1": { ops: [{ op: "get_buffer", buffer: "request_body" }], return: "pause" },
      "on_request_body#2": { ops: [{ op: "get_buffer", buffer: "request_body" }, { op: "get_buffer", buffer: "request_body", start: 2, len: 3 }], return: "pause" },
      "on_request_body#3": { ops: [{ op: "get_buffer", buffer: "request_body" }, { op: "get_buffer_status", buffer: "request_body" }], return: "continue" },
    });
    const { stream, rec } = recordedStream(host);
    sendRequest(stream, ["aaa", "bbbb", "cc"]);
    expect(calls(host.logs, "on_request_body")).toEqual([
      { size: 3, eos: false },
      { size: 7, eos: false },
      { size: 9, eos: true },
    ]);
    expect(probeValues(host.logs, "on_request_body", "get_buffer").map((v) => v.text)).toEqual(["aaa", "aaabbbb", "abb", "aaabbbbcc"]);
    expect(probeValues(host.logs, "on_request_body", "get_buffer_status")).toEqual([{ result: "Ok", len: 9, flags: 0 }]);
    // Nothing reached the upstream while paused; then the whole body as one piece.
    expect(rec.upstream.data).toEqual([{ text: "aaabbbbcc", eos: true }]);
  });

  it("Continue after a Pause forwards the buffered chunks as one piece, then streams again", async () => {
    const host = await probeHost({ "on_request_body#1": { ops: [], return: "pause" } });
    const { stream, rec } = recordedStream(host);
    sendRequest(stream, ["aaa", "bbbb", "cc"]);
    expect(calls(host.logs, "on_request_body")).toEqual([
      { size: 3, eos: false },
      { size: 7, eos: false },
      { size: 2, eos: true },
    ]);
    expect(rec.upstream.data).toEqual([
      { text: "aaabbbb", eos: false },
      { text: "cc", eos: true },
    ]);
  });

  it("with trailers, no body call has eos=true and the trailers callback follows", async () => {
    const host = await probeHost({});
    const { stream, rec } = recordedStream(host);
    sendRequest(stream, ["aaa", "bb"], [["x-trailer", "t"]]);
    expect(calls(host.logs, "on_request_body")).toEqual([
      { size: 3, eos: false },
      { size: 2, eos: false },
    ]);
    expect(probeValues(host.logs, "on_request_trailers", "enter")).toHaveLength(1);
    expect(rec.upstream.data.map((d) => d.eos)).toEqual([false, false]);
    expect(rec.upstream.trailers).toEqual([["x-trailer", "t"]]);
  });

  it("a zero-length final frame still gives a body call with size 0 and eos=true", async () => {
    const host = await probeHost({ on_request_body: [{ op: "get_buffer", buffer: "request_body" }] });
    const { stream, rec } = recordedStream(host);
    sendRequest(stream, ["abc", ""]);
    expect(calls(host.logs, "on_request_body")).toEqual([
      { size: 3, eos: false },
      { size: 0, eos: true },
    ]);
    // An empty read is Ok with nothing in it, not NotFound.
    expect(probeValues(host.logs, "on_request_body", "get_buffer")[1]).toMatchObject({ result: "Ok", len: 0 });
    expect(rec.upstream.data).toEqual([
      { text: "abc", eos: false },
      { text: "", eos: true },
    ]);
  });

  it("Pause at eos holds the body until continue_stream from on_tick", async () => {
    const clock = new ManualClock();
    const host = await probeHost(
      {
        on_request_body: { ops: [{ op: "set_tick_period", ms: 50 }], return: "pause" },
        on_tick: [
          { op: "set_effective_context", context: "last_stream" },
          // While paused the buffered body is readable and writable from another callback.
          { op: "get_buffer", buffer: "request_body" },
          { op: "set_buffer", buffer: "request_body", start: -1, text: "+tick" },
          { op: "continue_stream", stream: "request" },
          { op: "set_tick_period", ms: 0 },
        ],
      },
      { host: { clock } },
    );
    const { stream, rec } = recordedStream(host);
    sendRequest(stream, ["hello"]);
    expect(rec.upstream.headers).toBeDefined();
    expect(rec.upstream.data).toEqual([]);
    await host.advance(49);
    expect(rec.upstream.data).toEqual([]);
    await host.advance(1);
    expect(probeValues(host.logs, "on_tick", "get_buffer")[0]).toMatchObject({ result: "Ok", text: "hello" });
    expect(rec.upstream.data).toEqual([{ text: "hello+tick", eos: true }]);
    // continue_stream does not call on_request_body again.
    expect(calls(host.logs, "on_request_body")).toHaveLength(1);
  });

  it("Pause at eos holds the body until continue_stream from on_queue_ready", async () => {
    const host = await probeHost({
      on_configure: [{ op: "register_queue", name: "release" }],
      on_request_body: { ops: [{ op: "enqueue", text: "go" }], return: "pause" },
      on_queue_ready: [
        { op: "set_effective_context", context: "last_stream" },
        { op: "continue_stream", stream: "request" },
      ],
    });
    const { stream, rec } = recordedStream(host);
    sendRequest(stream, ["queued"]);
    expect(rec.upstream.data).toEqual([]);
    for (let i = 0; i < 50 && rec.upstream.data.length === 0; i++) await settle();
    expect(rec.upstream.data).toEqual([{ text: "queued", eos: true }]);
  });

  it("set_buffer_bytes on the accumulated body rewrites what the upstream receives", async () => {
    const host = await probeHost({
      "on_request_body#1": { ops: [], return: "pause" },
      "on_request_body#2": { ops: [], return: "pause" },
      "on_request_body#3": {
        ops: [
          { op: "set_buffer", buffer: "request_body", start: 0, len: -1, text: "{\"redacted\":true}" },
          { op: "get_buffer", buffer: "request_body" },
        ],
        return: "continue",
      },
    });
    const { stream, rec } = recordedStream(host);
    sendRequest(stream, ["{\"ss", "n\":\"123", "\"}"]);
    expect(probeValues(host.logs, "on_request_body", "get_buffer")[0].text).toBe("{\"redacted\":true}");
    expect(rec.upstream.data).toEqual([{ text: "{\"redacted\":true}", eos: true }]);
  });

  it("response bodies follow the same rules: per chunk, then cumulative after Pause", async () => {
    const host = await probeHost({
      "on_response_body#1": { ops: [{ op: "get_buffer", buffer: "response_body" }], return: "continue" },
      "on_response_body#2": { ops: [{ op: "get_buffer", buffer: "response_body" }], return: "pause" },
      "on_response_body#3": { ops: [{ op: "get_buffer", buffer: "response_body" }], return: "continue" },
    });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/r", [], "GET"), true);
    stream.sendResponseHeaders([[":status", "200"]], false);
    ["one", "two", "three"].forEach((c, i) => stream.sendResponseData(utf8(c), i === 2));
    expect(calls(host.logs, "on_response_body")).toEqual([
      { size: 3, eos: false },
      { size: 3, eos: false },
      { size: 8, eos: true },
    ]);
    expect(probeValues(host.logs, "on_response_body", "get_buffer").map((v) => v.text)).toEqual(["one", "two", "twothree"]);
    expect(rec.downstream.data).toEqual([
      { text: "one", eos: false },
      { text: "twothree", eos: true },
    ]);
  });
});

describe("proxy_set_buffer_bytes", () => {
  /** One body chunk "body" through on_request_body running `ops`. */
  async function onBody(ops: unknown[]) {
    const host = await probeHost({ on_request_body: [...ops, { op: "get_buffer", buffer: "request_body" }] });
    const { stream, rec } = recordedStream(host);
    sendRequest(stream, ["body"]);
    return {
      set: probeValues(host.logs, "on_request_body", "set_buffer").map((v) => v.result),
      seen: probeValues(host.logs, "on_request_body", "get_buffer").at(-1)?.text,
      upstream: rec.upstream.data.map((d) => d.text).join(""),
    };
  }

  it("start 0 with len 0 prepends", async () => {
    expect(await onBody([{ op: "set_buffer", buffer: "request_body", start: 0, len: 0, text: "<<" }])).toEqual({ set: ["Ok"], seen: "<<body", upstream: "<<body" });
  });

  it("start 0 with len = size replaces", async () => {
    expect(await onBody([{ op: "set_buffer", buffer: "request_body", start: 0, len: 4, text: "new" }])).toEqual({ set: ["Ok"], seen: "new", upstream: "new" });
  });

  it("start 0 with len 0xFFFFFFFF replaces", async () => {
    expect(await onBody([{ op: "set_buffer", buffer: "request_body", start: 0, len: -1, text: "all" }])).toEqual({ set: ["Ok"], seen: "all", upstream: "all" });
  });

  it("start 0 with a partial len drains that much, then prepends", async () => {
    // Buffer::copyFrom: drain(len) then prepend — not an in-place overwrite of len bytes.
    expect(await onBody([{ op: "set_buffer", buffer: "request_body", start: 0, len: 2, text: "XY" }])).toEqual({ set: ["Ok"], seen: "XYdy", upstream: "XYdy" });
  });

  it("start at or past the size appends and ignores len", async () => {
    expect(await onBody([{ op: "set_buffer", buffer: "request_body", start: 4, len: 3, text: ">>" }])).toEqual({ set: ["Ok"], seen: "body>>", upstream: "body>>" });
    expect(await onBody([{ op: "set_buffer", buffer: "request_body", start: 100, len: 0, text: ">>" }])).toEqual({ set: ["Ok"], seen: "body>>", upstream: "body>>" });
  });

  it("start in the middle is BadArgument and leaves the body alone", async () => {
    // Envoy has no mid-buffer splice, although the spec describes one.
    expect(await onBody([{ op: "set_buffer", buffer: "request_body", start: 2, len: 1, text: "X" }])).toEqual({ set: ["BadArgument"], seen: "body", upstream: "body" });
  });

  it("the VM and plugin configurations are immutable: BadArgument", async () => {
    const host = await probeHost(
      {
        on_configure: [{ op: "set_buffer", buffer: "plugin_configuration", text: "x" }, { op: "set_buffer", buffer: "vm_configuration", text: "x" }],
        on_request_body: [{ op: "set_buffer", buffer: "vm_configuration", text: "x" }, { op: "get_buffer", buffer: "vm_configuration" }],
      },
      // The probe reads its VM configuration as a (here empty) script.
      { filter: { vmConfiguration: "{ }" } },
    );
    const { stream } = recordedStream(host);
    sendRequest(stream, ["body"]);
    // Once per canary and once per worker VM.
    expect(new Set(probeValues(host.logs, "on_configure", "set_buffer").map((v) => v.result))).toEqual(new Set(["BadArgument"]));
    expect(probeValues(host.logs, "on_request_body", "set_buffer")).toEqual([{ result: "BadArgument" }]);
    expect(probeValues(host.logs, "on_request_body", "get_buffer")[0]).toMatchObject({ result: "Ok", text: "{ }" });
  });

  it("outside a body callback the body reads as empty (Ok) and cannot be set (BadArgument)", async () => {
    const ops = (buffer: string) => [
      { op: "get_buffer", buffer },
      { op: "call_raw", fn: "proxy_get_buffer_bytes", args: [buffer === "request_body" ? 0 : 1, 0, 100, { ret: 4 }, { ret: 4 }] },
      { op: "set_buffer", buffer, text: "x" },
    ];
    const host = await probeHost({
      on_request_headers: { ops: ops("request_body"), return: "continue" },
      on_response_headers: { ops: ops("response_body"), return: "continue" },
    });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/p"), true);
    stream.sendResponseHeaders([[":status", "200"]], false);
    stream.sendResponseData(utf8("resp"), true);
    for (const cb of ["on_request_headers", "on_response_headers"]) {
      expect(probeValues(host.logs, cb, "get_buffer")[0]).toMatchObject({ result: "Ok", len: 0 });
      expect(probeValues(host.logs, cb, "call_raw")[0]).toMatchObject({ result: "Ok", ret: [[0], [0]] });
      expect(probeValues(host.logs, cb, "set_buffer")).toEqual([{ result: "BadArgument" }]);
    }
    expect(rec.downstream.data).toEqual([{ text: "resp", eos: true }]);
  });
});

describe("Pause in a headers callback", () => {
  it("holds the body without body callbacks, then delivers it in one call after continue_stream", async () => {
    // Pause -> StopAllIterationAndWatermark: handleDataIfStopAll buffers in the filter manager
    // and the filter's decodeData is not called until it continues.
    const clock = new ManualClock();
    const host = await probeHost(
      {
        on_request_headers: { ops: [{ op: "set_tick_period", ms: 10 }], return: "pause" },
        on_request_body: [{ op: "get_buffer", buffer: "request_body" }],
        on_tick: [
          { op: "set_effective_context", context: "last_stream" },
          { op: "continue_stream", stream: "request" },
          { op: "set_tick_period", ms: 0 },
        ],
      },
      { host: { clock } },
    );
    const { stream, rec } = recordedStream(host);
    sendRequest(stream, ["aaa", "bbbb", "cc"]);
    expect(calls(host.logs, "on_request_body")).toEqual([]);
    expect(rec.upstream.headers).toBeUndefined();
    await host.advance(10);
    expect(calls(host.logs, "on_request_body")).toEqual([{ size: 9, eos: true }]);
    expect(probeValues(host.logs, "on_request_body", "get_buffer")[0].text).toBe("aaabbbbcc");
    expect(rec.upstream.headersEos).toBe(false);
    expect(rec.upstream.data).toEqual([{ text: "aaabbbbcc", eos: true }]);
  });

  it("after continue_stream, body frames that arrive later are delivered one by one", async () => {
    const clock = new ManualClock();
    const host = await probeHost(
      {
        on_request_headers: { ops: [{ op: "set_tick_period", ms: 10 }], return: "pause" },
        on_tick: [
          { op: "set_effective_context", context: "last_stream" },
          { op: "continue_stream", stream: "request" },
          { op: "set_tick_period", ms: 0 },
        ],
      },
      { host: { clock } },
    );
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/p"), false);
    stream.sendRequestData(utf8("early"), false);
    await host.advance(10);
    stream.sendRequestData(utf8("late"), true);
    expect(calls(host.logs, "on_request_body")).toEqual([
      { size: 5, eos: false },
      { size: 4, eos: true },
    ]);
    expect(rec.upstream.data).toEqual([
      { text: "early", eos: false },
      { text: "late", eos: true },
    ]);
  });

  it("works the same on the response side, and the response headers stay reachable after continue_stream", async () => {
    // ctx.cc continueStream drops only the request pointers; encodeHeaders cleared
    // response_headers_ only on a Continue result, so the body callback can still read them.
    const clock = new ManualClock();
    const host = await probeHost(
      {
        on_response_headers: { ops: [{ op: "set_tick_period", ms: 10 }], return: "pause" },
        on_response_body: [
          { op: "get_buffer", buffer: "response_body" },
          { op: "get_header", map: "response_headers", key: ":status" },
        ],
        on_tick: [
          { op: "set_effective_context", context: "last_stream" },
          { op: "continue_stream", stream: "response" },
          { op: "set_tick_period", ms: 0 },
        ],
      },
      { host: { clock } },
    );
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/p", [], "GET"), true);
    stream.sendResponseHeaders([[":status", "202"]], false);
    stream.sendResponseData(utf8("one"), false);
    stream.sendResponseData(utf8("two"), true);
    expect(calls(host.logs, "on_response_body")).toEqual([]);
    expect(rec.downstream.headers).toBeUndefined();
    await host.advance(10);
    expect(calls(host.logs, "on_response_body")).toEqual([{ size: 6, eos: true }]);
    expect(probeValues(host.logs, "on_response_body", "get_header")[0]).toMatchObject({ result: "Ok", text: "202" });
    expect(rec.downstream.data).toEqual([{ text: "onetwo", eos: true }]);
  });

  it("with allow_on_headers_stop_iteration the body callbacks arrive while the headers are paused", async () => {
    // Envoy >= 1.35: Pause maps to StopIteration, which stops only the headers; a body
    // Continue then resumes the headers too (commonHandleAfterDataCallback).
    const host = await probeHost(
      {
        on_request_headers: { ops: [], return: "pause" },
        "on_request_body#1": { ops: [{ op: "replace_header", map: "request_headers", key: "x-from-body", value: "1" }], return: "pause" },
        "on_request_body#2": { ops: [], return: "continue" },
      },
      { filter: { allowOnHeadersStopIteration: true } },
    );
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/p"), false);
    stream.sendRequestData(utf8("abc"), false);
    expect(calls(host.logs, "on_request_body")).toEqual([{ size: 3, eos: false }]);
    // The headers are still held by this filter, so they are still writable.
    expect(probeValues(host.logs, "on_request_body", "replace_header")).toEqual([{ result: "Ok" }]);
    expect(rec.upstream.headers).toBeUndefined();
    stream.sendRequestData(utf8("de"), true);
    expect(calls(host.logs, "on_request_body")).toEqual([
      { size: 3, eos: false },
      { size: 5, eos: true },
    ]);
    expect(rec.upstream.headers?.find(([k]) => k === "x-from-body")).toEqual(["x-from-body", "1"]);
    expect(rec.upstream.data).toEqual([{ text: "abcde", eos: true }]);
  });

  it("returning 3 (StopAllIterationAndBuffer) and overflowing the buffer answers 413 without calling the filter again", async () => {
    const host = await probeHost({ on_request_headers: { ops: [], return: 3 } });
    const { stream, rec } = recordedStream(host, { bufferLimitBytes: 8 });
    stream.sendRequestHeaders(requestHeaders("/p"), false);
    stream.sendRequestData(utf8("12345"), false);
    expect(rec.downstream.headers).toBeUndefined();
    stream.sendRequestData(utf8("67890"), true);
    expect(rec.downstream.headers?.find(([k]) => k === ":status")?.[1]).toBe("413");
    expect(stream.responseCodeDetails()).toBe("request_payload_too_large");
    expect(rec.upstream.headers).toBeUndefined();
    expect(calls(host.logs, "on_request_body")).toEqual([]);
  });

  it("with Pause (watermark) an overflow only applies flow control: no 413, and everything goes up after continue", async () => {
    const clock = new ManualClock();
    const host = await probeHost(
      {
        on_request_headers: { ops: [{ op: "set_tick_period", ms: 10 }], return: "pause" },
        on_tick: [
          { op: "set_effective_context", context: "last_stream" },
          { op: "continue_stream", stream: "request" },
          { op: "set_tick_period", ms: 0 },
        ],
      },
      { host: { clock, bufferLimitBytes: 8 } },
    );
    const { stream, rec } = recordedStream(host);
    sendRequest(stream, ["12345", "67890", "abcde"]);
    expect(rec.downstream.headers).toBeUndefined();
    expect(rec.reset).toBeUndefined();
    await host.advance(10);
    expect(rec.downstream.headers).toBeUndefined();
    expect(rec.upstream.data.map((d) => d.text).join("")).toBe("1234567890abcde");
    expect(rec.upstream.data.at(-1)?.eos).toBe(true);
  });

  it("with a body Pause an overflow answers 413", async () => {
    // Contrast with the headers Pause above: StopIterationAndBuffer is not streaming.
    const host = await probeHost({ on_request_body: { ops: [], return: "pause" } });
    const { stream, rec } = recordedStream(host, { bufferLimitBytes: 8 });
    sendRequest(stream, ["12345", "67890"]);
    expect(rec.downstream.headers?.find(([k]) => k === ":status")?.[1]).toBe("413");
    expect(calls(host.logs, "on_request_body")).toHaveLength(1);
    expect(probeLines(host.logs, "on_log")).toHaveLength(1);
  });
});
