// Host profiles (host-tests/harness/profile*.ts): the rules by which Kong's ngx_wasm_module and
// APISIX's wasm-nginx-module differ from Envoy, driven through the probe filter.
import { afterEach, describe, expect, it } from "vitest";
import type { Exchange, HostOptions } from "./harness/api";
import { ConfigRejectedError, createHost, WasmLoadError } from "./harness";
import { join } from "node:path";
import { closeProbeHosts, emptyExchange, PROBE_WASM, probeFilter, probeHost, probeLines, probeValues, recordedStream, trackedHost, utf8 } from "./support/probe";

afterEach(closeProbeHosts);

const KONG: HostOptions = { host: "kong" };

function bodyExchange(chunks: string[]): Exchange {
  const body = utf8(chunks.join(""));
  return {
    request: { method: "POST", path: "/v1/chat/completions?x=1", authority: "api.example.com", headers: [["content-type", "application/json"]], body: utf8('{"a":1}') },
    response: { status: 200, headers: [["content-type", "text/plain"]], body, chunks: chunks.map((c) => utf8(c).length) },
  };
}

describe("kong profile: hostcalls Kong links but does not implement", () => {
  for (const op of ["get_log_level", "proxy_done", "get_status"]) {
    it(`${op} traps the instance on Kong, answers on Envoy`, async () => {
      const script = { log_callbacks: false, on_request_headers: [{ op }] };
      const envoy = await probeHost(script);
      const e = await envoy.exchange(emptyExchange("/"));
      expect(e.trap).toBeUndefined();
      expect(probeValues(e.logs, "on_request_headers", op)).toHaveLength(1);

      const kong = await probeHost(script, { host: KONG });
      const k = await kong.exchange(emptyExchange("/"));
      expect(k.trap?.message).toMatch(/NYI/);
      // ngx_http_proxy_wasm_ecode: Kong answers a filter error with 500 (Envoy: 503)
      expect(k.localReply?.status).toBe(500);
    });
  }

  it("gRPC callouts trap on Kong", async () => {
    const kong = await probeHost({ log_callbacks: false, on_request_headers: [{ op: "grpc_call", service: "rls", service_name: "s", method: "m" }] }, { host: KONG });
    const k = await kong.exchange(emptyExchange("/"));
    expect(k.trap?.function).toBe("proxy_on_request_headers");
  });
});

describe("kong profile: a configuration the filter rejects", () => {
  it("is not refused at load as on Envoy: every request through the chain is answered 500", async () => {
    const bad = { name: "budget", rootId: "budget", vmId: "bad", code: join(__dirname, "../dist/budget.wasm"), configuration: '{"rules": "not a list"}' };
    expect(await createHost([bad], {}).catch((e) => e)).toBeInstanceOf(ConfigRejectedError);
    const kong = await trackedHost([bad], KONG);
    const r = await kong.exchange(emptyExchange("/v1/chat/completions"));
    expect(r.localReply?.status).toBe(500);
    expect(r.upstreamRequest).toBeUndefined();
  });

  it("fail_open does not exist on Kong: a trapping filter still answers 500", async () => {
    const kong = await probeHost({ log_callbacks: false, on_request_headers: [{ op: "trap" }] }, { host: KONG, filter: { failurePolicy: "FAIL_OPEN" } });
    expect((await kong.exchange(emptyExchange("/"))).localReply?.status).toBe(500);
    const envoy = await probeHost({ log_callbacks: false, on_request_headers: [{ op: "trap" }] }, { filter: { failurePolicy: "FAIL_OPEN" } });
    expect((await envoy.exchange(emptyExchange("/"))).downstreamResponse?.status).toBe(200);
  });
});

describe("kong profile: pause in response phases", () => {
  it("Pause from on_response_headers without a local response: a warning, and the response goes on", async () => {
    const kong = await probeHost({ log_callbacks: false, on_response_headers: { ops: [], return: "pause" } }, { host: KONG });
    const r = await kong.exchange(bodyExchange(["hello"]));
    expect(r.downstreamResponse?.status).toBe(200);
    expect(new TextDecoder().decode(r.downstreamResponse!.body)).toBe("hello");
    expect(r.reset).toBeUndefined();
    expect(r.logs.some((l) => l.level === 3 && l.message.includes('"ResponseHeaders" returned "PAUSE": local response expected but none produced'))).toBe(true);

    // Envoy holds the response instead: nothing reaches the client until the stream gives up.
    const envoy = await probeHost({ log_callbacks: false, on_response_headers: { ops: [], return: "pause" } });
    const e = await envoy.exchange(bodyExchange(["hello"]));
    expect(e.reset).toBe("harness_stalled");
  });

  it("Pause from on_response_body buffers the rest; the filter then sees the whole body once, at end of stream", async () => {
    const script = {
      on_response_body: { ops: [{ op: "get_buffer", buffer: "response_body" }], return: "pause" },
    };
    const kong = await probeHost(script, { host: KONG });
    const r = await kong.exchange(bodyExchange(["a\n", "bb\n", "ccc\n", "dddd\n"]));
    const seen = probeValues(r.logs, "on_response_body", "enter").map((v) => [v.size, v.eos]);
    // as ngx_wasm_module's own test (t/03-proxy_wasm/.../response body buffering): 2 bytes, then 14 at eof
    expect(seen).toEqual([
      [2, false],
      [14, true],
    ]);
    expect(probeValues(r.logs, "on_response_body", "get_buffer").map((v) => v.text)).toEqual(["a\n", "a\nbb\nccc\ndddd\n"]);
    expect(r.downstreamResponse?.chunks).toEqual([14]);
    // the second Pause is refused with Kong's error and changes nothing
    expect(r.logs.some((l) => l.level === 4 && l.message.includes("response body buffering already requested"))).toBe(true);
  });

  it("buffers that fill up hand the filter what they hold, and the rest streams", async () => {
    const script = { log_callbacks: true, "on_response_body#1": { ops: [], return: "pause" } };
    const kong = await probeHost(script, { host: { host: "kong", responseBodyBufferBytes: 6 } });
    const r = await kong.exchange(bodyExchange(["a\n", "bb\n", "ccc\n", "dddd\n"]));
    expect(probeValues(r.logs, "on_response_body", "enter").map((v) => [v.size, v.eos])).toEqual([
      [2, false],
      [9, false],
      [5, true],
    ]);
    expect(new TextDecoder().decode(r.downstreamResponse!.body)).toBe("a\nbb\nccc\ndddd\n");
  });

  it("filters before the buffering one see none of the held chunks (nginx resumes the chain at the paused filter)", async () => {
    const kong = await trackedHost(
      [probeFilter("first", "v1", { log_callbacks: true }), probeFilter("second", "v2", { log_callbacks: true, "on_response_body#1": { ops: [], return: "pause" } })],
      KONG,
    );
    const r = await kong.exchange(bodyExchange(["a\n", "bb\n", "ccc\n"]));
    const bodies = probeLines(r.logs, "on_response_body", "enter").map((l) => l.value.size);
    // first sees chunk 1 only; second sees chunk 1, then all 9 bytes
    expect(bodies).toEqual([2, 2, 9]);
  });
});

describe("kong profile: order, callbacks, properties, metrics", () => {
  it("response callbacks run in chain order (Envoy runs them in reverse)", async () => {
    const chain = (opts: HostOptions) =>
      trackedHost([probeFilter("first", "o1", { log_callbacks: false, on_response_headers: [{ op: "log", message: "first" }] }), probeFilter("second", "o2", { log_callbacks: false, on_response_headers: [{ op: "log", message: "second" }] })], opts);
    const order = async (opts: HostOptions) => (await (await chain(opts)).exchange(emptyExchange("/"))).logs.filter((l) => l.message === "first" || l.message === "second").map((l) => l.message);
    expect(await order({})).toEqual(["second", "first"]);
    expect(await order(KONG)).toEqual(["first", "second"]);
  });

  it("no trailer callbacks on Kong", async () => {
    const script = { log_callbacks: true };
    const kong = await probeHost(script, { host: KONG });
    const { stream } = recordedStream(kong);
    stream.sendRequestHeaders([[":method", "POST"], [":path", "/"], [":authority", "a"], [":scheme", "http"]], false);
    stream.sendRequestData(utf8("x"), false);
    stream.sendRequestTrailers([["t", "1"]]);
    await new Promise((r) => setTimeout(r, 5));
    expect(probeLines(kong.logs, "on_request_trailers")).toHaveLength(0);
    const envoy = await probeHost(script);
    const e = recordedStream(envoy).stream;
    e.sendRequestHeaders([[":method", "POST"], [":path", "/"], [":authority", "a"], [":scheme", "http"]], false);
    e.sendRequestData(utf8("x"), false);
    e.sendRequestTrailers([["t", "1"]]);
    await new Promise((r) => setTimeout(r, 5));
    expect(probeLines(envoy.logs, "on_request_trailers")).toHaveLength(1);
  });

  it("properties are text, Envoy-only attributes are missing, filter state cannot be set, wasmx.* is per context", async () => {
    const kong = await probeHost(
      {
        log_callbacks: false,
        on_request_headers: [
          { op: "get_property", path: ["request", "path"] },
          { op: "get_property", path: ["request", "method"] },
          { op: "get_property", path: ["ngx", "request_uri"] },
          { op: "get_property", path: ["xds", "route_name"] },
          { op: "get_property", path: ["plugin_root_id"] },
          { op: "set_property", path: ["tollgate.usage"], text: "{}" },
          { op: "set_property", path: ["wasmx", "k"], text: "v" },
          { op: "get_property", path: ["wasmx", "k"] },
        ],
        on_response_headers: [{ op: "get_property", path: ["response", "code"] }],
      },
      { host: KONG },
    );
    const r = await kong.exchange(bodyExchange(["x"]));
    const got = probeValues(r.logs, "on_request_headers", "get_property").map((v) => [v.result, v.text]);
    expect(got[4][1]).toMatch(/^\d+$/); // Kong's numeric root context id, not the root_id "probe"
    got[4][1] = "<id>";
    expect(got).toEqual([
      ["Ok", "/v1/chat/completions?x=1"],
      ["Ok", "POST"],
      ["Ok", "/v1/chat/completions?x=1"],
      ["NotFound", undefined],
      ["Ok", "<id>"],
      ["Ok", "v"],
    ]);
    expect(probeValues(r.logs, "on_request_headers", "set_property").map((v) => v.result)).toEqual(["NotFound", "Ok"]);
    // Envoy encodes response.code as an 8-byte integer; Kong answers "200"
    expect(probeValues(r.logs, "on_response_headers", "get_property")[0].text).toBe("200");
    expect(r.filterState).toEqual({});
  });

  it("proxy_get_buffer_bytes ignores the offset: Kong copies from the start of the body", async () => {
    const script = { log_callbacks: false, on_response_body: [{ op: "get_buffer", buffer: "response_body", start: 6, len: 5 }] };
    const text = async (opts: HostOptions) => probeValues((await (await probeHost(script, { host: opts })).exchange(bodyExchange(["hello world"]))).logs, "on_response_body", "get_buffer")[0].text;
    expect(await text({})).toBe("world");
    expect(await text(KONG)).toBe("hello");
  });

  it("plugin_root_id is a number on Kong: a single-filter module serves it, the three-root bundle cannot (500, and its log names the id)", async () => {
    const dist = (f: string) => join(__dirname, "../dist", f);
    const single = await trackedHost([{ name: "token-meter", rootId: "token-meter", vmId: "r1", code: dist("token-meter.wasm"), configuration: "{}" }], KONG);
    expect((await single.exchange(emptyExchange("/"))).downstreamResponse?.status).toBe(200);
    const bundle = await trackedHost([{ name: "token-meter", rootId: "token-meter", vmId: "r2", code: dist("tollgate.wasm"), configuration: "{}" }], KONG);
    expect((await bundle.exchange(emptyExchange("/"))).localReply?.status).toBe(500);
    expect(bundle.logs.some((l) => /no root context registered for root_id "\d+"/.test(l.message))).toBe(true);
    // Envoy gives the bundle the root_id it was configured with.
    const envoy = await trackedHost([{ name: "token-meter", rootId: "token-meter", vmId: "r3", code: dist("tollgate.wasm"), configuration: "{}" }], {});
    expect((await envoy.exchange(emptyExchange("/"))).downstreamResponse?.status).toBe(200);
  });

  it("metrics are stored as pw.<filter>.<name>", async () => {
    const script = { log_callbacks: false, on_configure: [{ op: "define_metric", type: "counter", name: "hits" }], on_request_headers: [{ op: "increment_metric", metric: "hits", delta: 2 }] };
    const kong = await probeHost(script, { host: KONG });
    await kong.exchange(emptyExchange("/"));
    expect(kong.metrics()).toEqual({ "pw.probe.hits": 2 });
    const envoy = await probeHost(script);
    await envoy.exchange(emptyExchange("/"));
    expect(envoy.metrics()).toEqual({ hits: 2 });
  });
});

describe("apisix profile: configuration", () => {
  it("a configuration the filter rejects fails each request with 503 (on_configure runs lazily per route)", async () => {
    const bad = { name: "budget", rootId: "budget", vmId: "bad-a", code: join(__dirname, "../dist/budget.wasm"), configuration: '{"rules": 7}' };
    const apisix = await trackedHost([bad], { host: "apisix" });
    const r = await apisix.exchange(emptyExchange("/v1/chat/completions"));
    expect(r.localReply?.status).toBe(503);
    expect(r.upstreamRequest).toBeUndefined();
  });
});

describe("apisix profile: linking", () => {
  it("refuses a module importing a host function APISIX does not define, with wasmtime's wording", async () => {
    // The probe imports every hostcall, proxy_get_log_level and proxy_get_buffer_status among them.
    const err = await createHost([{ name: "probe", rootId: "probe", vmId: "a", code: PROBE_WASM, configuration: "{}" }], { host: "apisix" }).catch((e) => e);
    expect(err).toBeInstanceOf(WasmLoadError);
    expect(err.message).toMatch(/^failed to new instance: (unknown import: `env::proxy_\w+` has not been defined|incompatible import type for `env::proxy_get_metric`)$/);
    // Envoy and Kong link it.
    await (await createHost([{ name: "probe", rootId: "probe", vmId: "b", code: PROBE_WASM, configuration: "{}" }], { host: "kong" })).close();
  });
});
