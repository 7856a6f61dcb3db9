// Stream lifecycle, filter-chain order, traps and re-entrancy (ABI digest §2, §7, §10;
// scenarios 17, 18, 20). Driven through the probe; a small inline WAT module covers what the
// probe cannot express (on_context_create, a stream on_done returning false).
import { afterEach, describe, expect, it } from "vitest";
import type { LogRecord } from "./harness/api";
import { createHost, ManualClock } from "./harness/index";
import type { EnvoyHost } from "./harness/host";
import { wat } from "./fixtures/wat/compile";
import {
  callbackTrace,
  closeProbeHosts,
  exchangeOf,
  header,
  probeChainHost,
  probeHost,
  probeLines,
  probeValues,
  recordedStream,
  requestHeaders,
  text,
  utf8,
} from "./support/probe";

const extraHosts: EnvoyHost[] = [];
afterEach(async () => {
  await closeProbeHosts();
  await Promise.all(extraHosts.splice(0).map((h) => h.close()));
});

const streamLogs = (logs: LogRecord[], id: number) => logs.filter((l) => l.stream === id);
const all = (h: Array<[string, string]> | undefined, name: string) => (h ?? []).filter(([k]) => k === name).map(([, v]) => v);
const get = (path = "/", worker?: number) =>
  exchangeOf({ request: { method: "GET", path, body: new Uint8Array() }, attributes: worker === undefined ? undefined : { worker } });
const post = (body: string, worker?: number) => exchangeOf({ request: { body: utf8(body) }, attributes: worker === undefined ? undefined : { worker } });

describe("filter chain order (FilterManager)", () => {
  it("decodes forward through the chain and encodes backward", async () => {
    const tag = (v: string) => ({
      on_request_headers: [{ op: "add_header", map: "request_headers", key: "x-chain", value: v }],
      on_response_headers: [{ op: "add_header", map: "response_headers", key: "x-chain", value: v }],
    });
    const host = await probeChainHost([
      { name: "a", script: tag("a") },
      { name: "b", script: tag("b") },
    ]);
    const r = await host.exchange(get("/order"));
    expect(all(r.upstreamRequest?.headers, "x-chain")).toEqual(["a", "b"]);
    expect(all(r.downstreamResponse?.headers, "x-chain")).toEqual(["b", "a"]);
  });

  it("ends each stream with on_log for every filter, then on_done + on_delete filter by filter", async () => {
    // doDeferredStreamDestroy: filter_manager_.log() (access-log handlers in chain order), then
    // destroyFilters(), where each Context::onDestroy runs onDone then onDelete.
    const host = await probeChainHost([
      { name: "a", script: {} },
      { name: "b", script: {} },
    ]);
    const r = await host.exchange(get());
    expect(callbackTrace(r.logs)).toEqual([
      "a:on_request_headers", "b:on_request_headers",
      "b:on_response_headers", "a:on_response_headers",
      "b:on_response_body", "a:on_response_body",
      "a:on_log", "b:on_log",
      "a:on_done", "a:on_delete", "b:on_done", "b:on_delete",
    ]);
  });

  it("a filter behind one that answered locally never sees the request, but is created for on_log", async () => {
    const host = await probeChainHost([
      { name: "a", script: { on_request_headers: [{ op: "send_local_response", status: 401, text: "who are you" }] } },
      { name: "b", script: { on_log: [{ op: "get_header", map: "request_headers", key: ":path" }] } },
    ]);
    const r = await host.exchange(get("/secret"));
    expect(r.downstreamResponse?.status).toBe(401);
    // ctx.cc: encode callbacks return Continue for a context that was never created; only
    // Context::log creates it late ("to log these scenarios, we call onCreate()").
    expect(callbackTrace(r.logs)).toEqual([
      "a:on_request_headers", "a:on_response_headers", "a:on_response_body",
      "a:on_log", "b:on_log",
      "a:on_done", "a:on_delete", "b:on_done", "b:on_delete",
    ]);
    // The access-log phase reads the stream's request headers whatever the filter saw.
    expect(probeLines(r.logs.filter((l) => l.filter === "b"), "on_log", "get_header")[0].value).toMatchObject({ result: "Ok", text: "/secret" });
  });
});

// A module that logs its lifecycle callbacks and answers false from every on_done.
const LIFECYCLE_WAT = `
(module
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 65536))
  (data (i32.const 1024) "create")
  (data (i32.const 1040) "log")
  (data (i32.const 1056) "done")
  (data (i32.const 1072) "delete")
  (data (i32.const 1088) "request_headers")
  (func $say (param $p i32) (param $n i32) (drop (call $log (i32.const 2) (local.get $p) (local.get $n))))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (global.get $heap) (local.get $n)) (i32.const 7)) (i32.const -8)))
    (local.get $p))
  (func (export "proxy_on_context_create") (param $ctx i32) (param $parent i32)
    (if (local.get $parent) (then (call $say (i32.const 1024) (i32.const 6)))))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32)
    (call $say (i32.const 1088) (i32.const 15)) (i32.const 0))
  (func (export "proxy_on_log") (param i32) (call $say (i32.const 1040) (i32.const 3)))
  (func (export "proxy_on_done") (param i32) (result i32) (call $say (i32.const 1056) (i32.const 4)) (i32.const 0))
  (func (export "proxy_on_delete") (param i32) (call $say (i32.const 1072) (i32.const 6))))
`;

describe("stream context lifecycle", () => {
  async function lifecycleHost(): Promise<EnvoyHost> {
    const host = await createHost([{ name: "life", rootId: "life", vmId: "life", code: wat(LIFECYCLE_WAT) }]);
    extraHosts.push(host);
    return host;
  }
  const said = (logs: LogRecord[], id: number) => streamLogs(logs, id).map((l) => l.message);

  it("creates the context at the first decodeHeaders, and ignores a stream's on_done result", async () => {
    const host = await lifecycleHost();
    const { stream, rec } = recordedStream(host);
    // The HCM builds the filter chain when request headers arrive, not when the stream opens.
    expect(said(host.logs, stream.id)).toEqual([]);
    stream.sendRequestHeaders(requestHeaders("/", [], "GET"), true);
    expect(said(host.logs, stream.id)).toEqual(["create", "request_headers"]);
    stream.sendResponseHeaders([[":status", "200"]], true);
    await stream.done;
    // on_done answered false; for a stream that changes nothing: on_delete follows at once.
    expect(said(host.logs, stream.id)).toEqual(["create", "request_headers", "log", "done", "delete"]);
    expect(rec.complete).toBe(true);
  });

  it("calls nothing for a stream reset before its request headers (no filter chain yet)", async () => {
    const host = await lifecycleHost();
    const { stream } = recordedStream(host);
    stream.resetFromDownstream();
    await stream.done;
    expect(said(host.logs, stream.id)).toEqual([]);
  });

  it("runs on_log, on_done and on_delete exactly once however the stream ends", async () => {
    const host = await probeHost({
      on_request_headers: [{ op: "get_header", map: "request_headers", key: "x-end" }],
    });
    const ends: Array<(s: ReturnType<typeof recordedStream>["stream"]) => void> = [
      (s) => {
        s.sendRequestHeaders(requestHeaders("/", [], "GET"), true);
        s.sendResponseHeaders([[":status", "200"]], true);
      },
      (s) => {
        s.sendRequestHeaders(requestHeaders("/"), false);
        s.resetFromDownstream();
      },
      (s) => {
        s.sendRequestHeaders(requestHeaders("/", [], "GET"), true);
        s.resetFromUpstream();
      },
      (s) => {
        s.sendRequestHeaders(requestHeaders("/", [], "GET"), true);
        s.sendResponseHeaders([[":status", "200"]], false);
        s.resetFromUpstream();
      },
    ];
    for (const end of ends) {
      const { stream } = recordedStream(host);
      end(stream);
      await stream.done;
      const trace = callbackTrace(streamLogs(host.logs, stream.id));
      for (const cb of ["probe:on_log", "probe:on_done", "probe:on_delete"]) expect(trace.filter((t) => t === cb)).toHaveLength(1);
      expect(trace.slice(-3)).toEqual(["probe:on_log", "probe:on_done", "probe:on_delete"]);
    }
  });
});

describe("traps (VM failure and failure_policy)", () => {
  it("FAIL_CLOSED: 503 wasm_fail_stream, the trap reported, and no more calls into that VM for the stream", async () => {
    const host = await probeHost({ on_request_headers: [{ op: "trap" }] }, { host: { workers: 2 } });
    const r = await host.exchange(get("/", 0));
    expect(r.downstreamResponse?.status).toBe(503);
    expect(r.downstreamResponse?.body.length).toBe(0);
    expect(r.localReply?.details).toBe("wasm_fail_stream");
    expect(r.upstreamRequest).toBeUndefined();
    expect(r.trap?.function).toBe("proxy_on_request_headers");
    expect(r.trap?.message).toContain("Function: proxy_on_request_headers failed:");
    expect(host.traps).toHaveLength(1);
    expect(host.traps[0]).toMatchObject({ worker: 0, filter: "probe" });
    // A failed VM gets no on_log / on_done / on_delete, not even for the stream that killed it.
    expect(callbackTrace(r.logs)).toEqual(["probe:on_request_headers"]);
  });

  it("FAIL_CLOSED: later streams on that worker get 503 without the VM; another worker still runs it", async () => {
    const host = await probeHost({ on_request_body: [{ op: "trap" }] }, { host: { workers: 2 } });
    const first = await host.exchange(post("boom", 0));
    expect(first.downstreamResponse?.status).toBe(503);

    const same = await host.exchange(get("/", 0));
    expect(same.downstreamResponse?.status).toBe(503);
    expect(same.localReply?.details).toBe("wasm_fail_stream");
    expect(callbackTrace(same.logs)).toEqual([]);

    const other = await host.exchange(get("/", 1));
    expect(other.downstreamResponse?.status).toBe(200);
    expect(callbackTrace(other.logs)).toContain("probe:on_request_headers");
    expect(host.traps.map((t) => t.worker)).toEqual([0]);
  });

  it("FAIL_CLOSED in the response phase: a direct 503 before the client got headers, a reset after", async () => {
    const before = await probeHost({ on_response_headers: [{ op: "trap" }] });
    const r1 = await before.exchange(get());
    // failStream(Response) -> sendLocalReply with the response headers still inside the chain.
    expect(r1.downstreamResponse?.status).toBe(503);
    expect(r1.localReply?.details).toBe("wasm_fail_stream");
    expect(r1.downstreamResponse?.body.length).toBe(0);

    const after = await probeHost({ on_response_body: [{ op: "trap" }] });
    const { stream, rec } = recordedStream(after);
    stream.sendRequestHeaders(requestHeaders("/", [], "GET"), true);
    stream.sendResponseHeaders([[":status", "200"]], false);
    stream.sendResponseData(utf8("body"), true);
    await stream.done;
    expect(header(rec.downstream.headers, ":status")).toBe("200");
    expect(rec.reset).toBeDefined();
    expect(stream.responseCodeDetails()).toBe("wasm_fail_stream");
  });

  it("FAIL_CLOSED for a gRPC request: trailers-only UNAVAILABLE", async () => {
    const host = await probeHost({ on_request_headers: [{ op: "trap" }] });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/pkg.Svc/Call", [["content-type", "application/grpc"]]), true);
    await stream.done;
    // Context::failStream passes Grpc::Status::WellKnownGrpcStatus::Unavailable.
    expect(header(rec.downstream.headers, ":status")).toBe("200");
    expect(header(rec.downstream.headers, "grpc-status")).toBe("14");
    expect(rec.downstream.headersEos).toBe(true);
  });

  it("FAIL_OPEN: the trapping request continues upstream (with edits made before the trap), later ones bypass the filter", async () => {
    const host = await probeHost(
      { on_request_headers: [{ op: "add_header", map: "request_headers", key: "x-before-trap", value: "1" }, { op: "trap" }] },
      { host: { workers: 2 }, filter: { failurePolicy: "FAIL_OPEN" } },
    );
    const r = await host.exchange(get("/open", 0));
    expect(r.trap?.message).toContain("Function: proxy_on_request_headers failed:");
    expect(header(r.upstreamRequest?.headers, ":path")).toBe("/open");
    // The edit went straight into Envoy's header map before the VM died.
    expect(header(r.upstreamRequest?.headers, "x-before-trap")).toBe("1");
    expect(r.downstreamResponse?.status).toBe(200);
    expect(callbackTrace(r.logs)).toEqual(["probe:on_request_headers"]);

    const later = await host.exchange(get("/later", 0));
    expect(later.downstreamResponse?.status).toBe(200);
    expect(header(later.upstreamRequest?.headers, "x-before-trap")).toBeUndefined();
    expect(callbackTrace(later.logs)).toEqual([]);
  });

  it("FAIL_RELOAD: 503 during the backoff, then a fresh VM serves requests", async () => {
    const clock = new ManualClock();
    const host = await probeHost({ on_request_body: [{ op: "trap" }] }, { host: { clock }, filter: { failurePolicy: "FAIL_RELOAD" } });
    const stats = () => host.stats.all();
    // FAIL_RELOAD fails the current stream closed (fail_open_ is false).
    expect((await host.exchange(post("boom"))).downstreamResponse?.status).toBe(503);

    const during = await host.exchange(get());
    expect(during.downstreamResponse?.status).toBe(503);
    expect(callbackTrace(during.logs)).toEqual([]);
    expect(stats()["wasm.probe.vm_reload_backoff"]).toBeGreaterThanOrEqual(1);

    // JitteredLowerBoundBackOffStrategy(1000 ms) waits at most 1.5 x base.
    await host.advance(1500);
    const vmStartsBefore = probeLines(host.logs, "on_vm_start", "enter").length;
    const after = await host.exchange(get());
    expect(after.downstreamResponse?.status).toBe(200);
    expect(callbackTrace(after.logs)).toContain("probe:on_request_headers");
    expect(probeLines(host.logs, "on_vm_start", "enter").length).toBe(vmStartsBefore + 1);
    expect(stats()["wasm.probe.vm_reload_success"]).toBe(1);
  });

  it("FAIL_RELOAD: the backoff counts from the last load, so a long-lived VM is reloaded for the very next request", async () => {
    // PluginConfig::maybeReloadHandleIfNeeded compares now with handle_wrapper.last_load.
    const clock = new ManualClock();
    const host = await probeHost({ on_request_body: [{ op: "trap" }] }, { host: { clock }, filter: { failurePolicy: "FAIL_RELOAD" } });
    await host.advance(60_000);
    expect((await host.exchange(post("boom"))).downstreamResponse?.status).toBe(503);
    const next = await host.exchange(get());
    expect(next.downstreamResponse?.status).toBe(200);
    expect(host.stats.all()["wasm.probe.vm_reload_success"]).toBe(1);
  });

  it("two plugins sharing one VM fail together on that worker", async () => {
    const host = await probeChainHost(
      [
        { name: "a", vmId: "shared", failurePolicy: "FAIL_OPEN", script: { on_request_body: [{ op: "trap" }] } },
        { name: "b", vmId: "shared", script: {} },
      ],
      { workers: 2 },
    );
    expect(host.vmsOn(0)).toHaveLength(1);
    // a fails open, but b's context lives in the same (now failed) VM and fails closed.
    const r = await host.exchange(post("boom", 0));
    expect(r.trap?.filter).toBe("a");
    expect(r.downstreamResponse?.status).toBe(503);
    expect(r.upstreamRequest?.body.length ?? 0).toBe(0);

    const same = await host.exchange(get("/", 0));
    expect(same.downstreamResponse?.status).toBe(503);
    expect(callbackTrace(same.logs)).toEqual([]);

    const other = await host.exchange(get("/", 1));
    expect(other.downstreamResponse?.status).toBe(200);
    expect(callbackTrace(other.logs)).toContain("b:on_request_headers");
  });
});

describe("re-entrancy", () => {
  it("malloc during a hostcall may grow memory: a large get_buffer after the guest grew memory itself", async () => {
    const body = Array.from({ length: 300_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    const host = await probeHost({
      on_request_body: { ops: [{ op: "memory_grow", pages: 3 }, { op: "get_buffer", buffer: "request_body" }], return: "continue" },
    });
    const r = await host.exchange(exchangeOf({ request: { body: utf8(body) } }));
    const grown = probeValues(r.logs, "on_request_body", "memory_grow")[0];
    expect(grown.pages_after).toBe(grown.pages_before + 3);
    const got = probeValues(r.logs, "on_request_body", "get_buffer")[0];
    expect(got.result).toBe("Ok");
    expect(got.len).toBe(body.length);
    expect(got.text).toBe(body);
    expect(text(r.upstreamRequest?.body)).toBe(body);
  });

  it("continue_stream takes effect after the callback returns; the request maps are gone at once", async () => {
    const clock = new ManualClock();
    const host = await probeHost(
      {
        on_request_headers: { ops: [{ op: "set_tick_period", ms: 100 }], return: "pause" },
        on_tick: [
          { op: "set_tick_period", ms: 0 },
          { op: "set_effective_context", context: "last_stream" },
          { op: "get_header", map: "request_headers", key: ":path" },
          { op: "continue_stream", stream: "request" },
          { op: "get_header", map: "request_headers", key: ":path" },
          { op: "log", message: "tick done" },
        ],
        on_request_body: [{ op: "get_buffer", buffer: "request_body" }],
      },
      { host: { clock } },
    );
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/held"), false);
    stream.sendRequestData(utf8("payload"), true);
    expect(rec.upstream.headers).toBeUndefined();
    await host.advance(100);
    const trace = probeLines(host.logs)
      .filter((l) => l.callback === "on_tick" || l.callback === "on_request_body")
      .map((l) => `${l.callback} ${l.op}`);
    // Envoy queues continueDecoding with addAfterVmCallAction: no body callback inside on_tick.
    expect(trace).toEqual([
      "on_tick enter", "on_tick set_tick_period", "on_tick set_effective_context", "on_tick get_header",
      "on_tick continue_stream", "on_tick get_header", "on_tick log",
      "on_request_body enter", "on_request_body get_buffer",
    ]);
    const reads = probeValues(host.logs, "on_tick", "get_header");
    expect(reads[0]).toMatchObject({ result: "Ok", text: "/held" });
    // ctx.cc continueStream drops request_headers_ right away.
    expect(reads[1]).toMatchObject({ result: "BadArgument" });
    expect(header(rec.upstream.headers, ":path")).toBe("/held");
    expect(rec.upstream.data.map((d) => d.text).join("")).toBe("payload");
    stream.sendResponseHeaders([[":status", "204"]], true);
    await stream.done;
  });

  it("close_stream resets after the callback returns, with details wasm_close_stream", async () => {
    const host = await probeHost({
      on_request_headers: {
        ops: [
          { op: "close_stream", stream: "request" },
          { op: "get_header", map: "request_headers", key: ":path" },
        ],
        return: "continue",
      },
    });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/closing", [], "GET"), true);
    await stream.done;
    expect(probeValues(host.logs, "on_request_headers", "get_header")[0]).toMatchObject({ result: "Ok", text: "/closing" });
    expect(rec.reset).toBeDefined();
    expect(rec.downstream.headers).toBeUndefined();
    expect(stream.responseCodeDetails()).toBe("wasm_close_stream");
    // The reset is an ordinary stream end for the plugin.
    expect(callbackTrace(streamLogs(host.logs, stream.id))).toEqual(["probe:on_request_headers", "probe:on_log", "probe:on_done", "probe:on_delete"]);
  });

  it("send_local_response from a timer callback is deferred too: the callback's later ops run first", async () => {
    const clock = new ManualClock();
    const host = await probeHost(
      {
        on_request_headers: { ops: [{ op: "set_tick_period", ms: 100 }], return: "pause" },
        on_tick: [
          { op: "set_tick_period", ms: 0 },
          { op: "set_effective_context", context: "last_stream" },
          { op: "send_local_response", status: 429, text: "later" },
          { op: "log", message: "still in on_tick" },
        ],
      },
      { host: { clock } },
    );
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/", [], "GET"), true);
    await host.advance(100);
    await stream.done;
    const trace = probeLines(host.logs).filter((l) => l.callback !== "on_vm_start" && l.callback !== "on_configure").map((l) => `${l.callback} ${l.op}`);
    const logged = trace.indexOf("on_tick log");
    expect(logged).toBeGreaterThan(-1);
    expect(trace.indexOf("on_response_headers enter")).toBeGreaterThan(logged);
    expect(header(rec.downstream.headers, ":status")).toBe("429");
  });
});
