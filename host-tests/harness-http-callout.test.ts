// proxy_http_call against a real HTTP/1.1 server on loopback (digest §7.2, §12 group 10): what a
// filter author relying on Envoy's AsyncClient sees — validation codes, where the callback
// lands, what is readable inside it, and how timeouts, resets and refused connections surface.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "./harness/clock";
import type { EnvoyHost } from "./harness/host";
import { closeProbeHosts, exchangeOf, header, probeHost, probeValues, recordedStream, requestHeaders, text, utf8 } from "./support/probe";

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A loopback backend for the `auth` cluster; `held` keeps /slow answers until a test releases them. */
interface Backend {
  url: string;
  seen: Seen[];
  held: http.ServerResponse[];
  close(): Promise<void>;
}

async function startBackend(): Promise<Backend> {
  const seen: Seen[] = [];
  const held: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      switch (req.url) {
        case "/echo":
          res.writeHead(200, { "content-type": "text/plain", "x-backend": "yes", trailer: "x-checksum" });
          res.write(`echo:${body}`);
          res.addTrailers({ "x-checksum": "c0ffee" });
          res.end();
          return;
        case "/dup":
          res.writeHead(200, [["X-Multi", "a"], ["X-Multi", "b"]]).end();
          return;
        case "/allow":
          res.writeHead(200, { "x-verdict": "allow" }).end("ok");
          return;
        case "/deny":
          res.writeHead(403, { "x-verdict": "deny" }).end("nope");
          return;
        case "/slow":
          held.push(res);
          return;
        case "/reset":
          // Headers and part of a promised body, then the connection dies.
          res.writeHead(200, { "content-length": "100" });
          res.write("partial", () => setImmediate(() => res.socket?.destroy()));
          return;
        default:
          res.writeHead(404).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    held,
    close: () =>
      new Promise<void>((r) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Waits (bounded) for something the loopback network will deliver; never a timing assertion. */
async function until(cond: () => boolean, what: string, maxMs = 5000): Promise<void> {
  const end = Date.now() + maxMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const call = (path: string, extra: Array<[string, string]> = []) => [[":method", "GET"], [":path", path], [":authority", "auth.internal"], ...extra];

let backend: Backend;
beforeEach(async () => {
  backend = await startBackend();
});
afterEach(async () => {
  await closeProbeHosts();
  await backend.close();
});

function host(script: unknown, extra: { clock?: ManualClock; clusters?: Record<string, string> } = {}): Promise<EnvoyHost> {
  return probeHost(script, { host: { clusters: extra.clusters ?? { auth: backend.url }, clock: extra.clock } });
}

const responses = (h: EnvoyHost) => probeValues(h.logs, "on_http_call_response", "enter");

describe("validation", () => {
  it("rejects an unknown cluster, a missing :method/:path/:authority and a timeout >= 2^31 with BadArgument", async () => {
    const h = await host({
      on_request_headers: [
        { op: "http_call", cluster: "nowhere", headers: call("/echo") },
        { op: "http_call", cluster: "auth", headers: [[":path", "/echo"], [":authority", "a"]] },
        { op: "http_call", cluster: "auth", headers: [[":method", "GET"], [":authority", "a"]] },
        { op: "http_call", cluster: "auth", headers: [[":method", "GET"], [":path", "/echo"]] },
        // Envoy reads timeout_ms as a signed int: 2^31 and 0xFFFFFFFF are negative.
        { op: "http_call", cluster: "auth", headers: call("/echo"), timeout: 2147483648 },
        { op: "http_call", cluster: "auth", headers: call("/echo"), timeout: -1 },
        // raw: the answer goes to the root, which outlives this short exchange.
        { op: "http_call", cluster: "auth", headers: call("/echo"), timeout: 2147483647, raw: true },
      ],
    });
    await h.exchange(exchangeOf());
    const results = probeValues(h.logs, "on_request_headers", "http_call").map((v) => v.result);
    expect(results).toEqual(["BadArgument", "BadArgument", "BadArgument", "BadArgument", "BadArgument", "BadArgument", "Ok"]);
    await until(() => responses(h).length === 1, "the accepted call's response");
    // Rejected calls never leave the proxy.
    expect(backend.seen).toHaveLength(1);
  });
});

describe("delivery", () => {
  it("calls proxy_on_http_call_response on the root context id with the call's token", async () => {
    // The raw hostcall bypasses the SDK's token routing, so the probe shows what Envoy passes.
    const h = await host({ on_request_headers: [{ op: "http_call", cluster: "auth", headers: call("/echo"), raw: true }] });
    await h.exchange(exchangeOf());
    await until(() => responses(h).length === 1, "the callout response");
    const token = probeValues(h.logs, "on_request_headers", "http_call")[0].token;
    const [enter] = responses(h);
    expect(enter.context).toBe(h.rootsOf("probe")[0].id);
    expect(enter.token).toBe(token);
    // Envoy's ids for http calls are multiples of 4 (grpc calls and streams use the low bits).
    expect(token % 4).toBe(0);
    expect(enter.headers).toBeGreaterThan(0);
  });

  it("exposes headers (with :status), body and trailers inside the callback only, routed to the issuing stream", async () => {
    const h = await host({
      on_request_headers: { ops: [{ op: "http_call", cluster: "auth", headers: call("/echo", [["content-type", "text/plain"]]), text: "hi" }], return: "pause" },
      on_http_call_response: [
        { op: "get_header", map: "http_call_response_headers", key: ":status" },
        { op: "get_pairs", map: "http_call_response_headers" },
        { op: "get_buffer", buffer: "http_call_response_body" },
        { op: "get_pairs", map: "http_call_response_trailers" },
        // get_header_map_size resolves the mutable map, which callout responses are not.
        { op: "get_map_size", map: "http_call_response_headers" },
        { op: "continue_stream", stream: "request" },
      ],
      on_response_headers: [
        { op: "get_pairs", map: "http_call_response_headers" },
        { op: "get_header", map: "http_call_response_headers", key: ":status" },
        { op: "get_buffer", buffer: "http_call_response_body" },
        { op: "get_pairs", map: "http_call_response_trailers" },
      ],
    });
    const r = await h.exchange(exchangeOf());
    expect(r.downstreamResponse?.status).toBe(200);

    // The SDK made the issuing stream effective, so the step ran in the stream's context.
    const [enter] = responses(h);
    const streamCtx = probeValues(h.logs, "on_request_headers", "enter")[0].context;
    expect(enter.context).toBe(streamCtx);
    expect(enter.body_size).toBe("echo:hi".length);
    expect(enter.trailers).toBe(1);

    expect(probeValues(h.logs, "on_http_call_response", "get_header")[0]).toMatchObject({ result: "Ok", text: "200" });
    const pairs: Array<[string, string]> = probeValues(h.logs, "on_http_call_response", "get_pairs")[0].pairs;
    expect(pairs[0]).toEqual([":status", "200"]);
    expect(pairs).toContainEqual(["x-backend", "yes"]);
    expect(enter.headers).toBe(pairs.length);
    expect(probeValues(h.logs, "on_http_call_response", "get_buffer")[0]).toMatchObject({ result: "Ok", text: "echo:hi" });
    expect(probeValues(h.logs, "on_http_call_response", "get_pairs")[1].pairs).toEqual([["x-checksum", "c0ffee"]]);
    expect(probeValues(h.logs, "on_http_call_response", "get_map_size")[0].result).toBe("BadArgument");

    // Envoy frees the response when the callback returns.
    const after = (op: string) => probeValues(h.logs, "on_response_headers", op);
    expect(after("get_pairs").map((v) => v.count ?? 0)).toEqual([0, 0]);
    expect(after("get_header")[0].result).toBe("BadArgument");
    expect(after("get_buffer")[0].result).toBe("NotFound");
  });

  it("keeps repeated response headers as separate entries, get_header giving the first", async () => {
    const h = await host({
      on_request_headers: [{ op: "http_call", cluster: "auth", headers: call("/dup"), raw: true }],
      on_http_call_response: [{ op: "get_header", map: "http_call_response_headers", key: "x-multi" }, { op: "get_pairs", map: "http_call_response_headers" }],
    });
    await h.exchange(exchangeOf());
    await until(() => responses(h).length === 1, "the callout response");
    expect(probeValues(h.logs, "on_http_call_response", "get_header")[0].text).toBe("a");
    const pairs: Array<[string, string]> = probeValues(h.logs, "on_http_call_response", "get_pairs")[0].pairs;
    expect(pairs.filter(([k]) => k === "x-multi")).toEqual([["x-multi", "a"], ["x-multi", "b"]]);
  });

  it("sees no request headers from the callback once on_request_headers continued", async () => {
    // Continue dropped Envoy's request header pointer; the stream made effective has no map.
    const h = await host({
      on_request_headers: [{ op: "http_call", cluster: "auth", headers: call("/echo") }],
      on_http_call_response: [
        { op: "get_header", map: "request_headers", key: ":path" },
        { op: "add_header", map: "request_headers", key: "x-late", value: "1" },
        { op: "get_pairs", map: "request_headers" },
      ],
    });
    const { stream, rec } = recordedStream(h);
    stream.sendRequestHeaders(requestHeaders("/"), true);
    await until(() => responses(h).length === 1, "the callout response");
    expect(probeValues(h.logs, "on_http_call_response", "get_header")[0].result).toBe("BadArgument");
    expect(probeValues(h.logs, "on_http_call_response", "add_header")[0].result).toBe("BadArgument");
    expect(probeValues(h.logs, "on_http_call_response", "get_pairs")[0].count ?? 0).toBe(0);
    expect(header(rec.upstream.headers, "x-late")).toBeUndefined();
    stream.sendResponseHeaders([[":status", "200"]], true);
    await stream.done;
  });

  it("sends the body with content-length and :authority as Host", async () => {
    const h = await host({
      on_request_headers: [
        {
          op: "http_call",
          cluster: "auth",
          headers: [[":method", "POST"], [":path", "/echo"], [":authority", "auth.internal"], ["x-trace", "t1"], ["content-length", "999"]],
          text: "ping=1",
          raw: true,
        },
      ],
    });
    await h.exchange(exchangeOf());
    await until(() => responses(h).length === 1, "the callout response");
    const [req] = backend.seen;
    expect(req).toMatchObject({ method: "POST", url: "/echo", body: "ping=1" });
    expect(req.headers.host).toBe("auth.internal");
    // Envoy sets content-length from the body, overriding whatever the filter passed.
    expect(req.headers["content-length"]).toBe("6");
    expect(req.headers["x-trace"]).toBe("t1");
  });
});

describe("failures", () => {
  it("answers a timed-out call with a normal 504 'upstream request timeout' response", async () => {
    const clock = new ManualClock();
    const h = await host(
      {
        on_request_headers: { ops: [{ op: "http_call", cluster: "auth", headers: call("/slow"), timeout: 1000 }], return: "pause" },
        on_http_call_response: [
          { op: "get_header", map: "http_call_response_headers", key: ":status" },
          { op: "get_buffer", buffer: "http_call_response_body" },
          { op: "get_status" },
        ],
      },
      { clock },
    );
    const { stream } = recordedStream(h);
    stream.sendRequestHeaders(requestHeaders("/"), true);
    await until(() => backend.held.length === 1, "the backend to hold the request");
    // The timeout runs on Envoy's dispatcher clock, like every other timer.
    await h.advance(999);
    expect(responses(h)).toHaveLength(0);
    await h.advance(1);
    expect(responses(h)).toHaveLength(1);
    // The router's local reply comes through the success path, not as a failure.
    expect(responses(h)[0].headers).toBeGreaterThan(0);
    expect(probeValues(h.logs, "on_http_call_response", "get_header")[0].text).toBe("504");
    expect(probeValues(h.logs, "on_http_call_response", "get_buffer")[0].text).toBe("upstream request timeout");
    expect(probeValues(h.logs, "on_http_call_response", "get_status")[0].code).toBe(0);
  });

  it("reports a reset mid-response as (0, 0, 0) with get_status (11, 'reset') and nothing readable", async () => {
    const h = await host({
      on_request_headers: { ops: [{ op: "http_call", cluster: "auth", headers: call("/reset") }], return: "pause" },
      on_http_call_response: [
        { op: "get_status" },
        { op: "get_buffer", buffer: "http_call_response_body" },
        { op: "get_pairs", map: "http_call_response_headers" },
        { op: "continue_stream", stream: "request" },
      ],
    });
    await h.exchange(exchangeOf());
    await until(() => responses(h).length === 1, "the failure callback");
    expect(responses(h)[0]).toMatchObject({ headers: 0, body_size: 0, trailers: 0 });
    expect(probeValues(h.logs, "on_http_call_response", "get_status")[0]).toMatchObject({ result: "Ok", code: 11, message: "reset" });
    expect(probeValues(h.logs, "on_http_call_response", "get_buffer")[0].result).toBe("NotFound");
    expect(probeValues(h.logs, "on_http_call_response", "get_pairs")[0].count ?? 0).toBe(0);
  });

  it("answers a refused connection with a normal 503 response", async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const port = (dead.address() as AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    const h = await host(
      {
        on_request_headers: [{ op: "http_call", cluster: "gone", headers: call("/x") }],
        on_http_call_response: [{ op: "get_header", map: "http_call_response_headers", key: ":status" }, { op: "get_buffer", buffer: "http_call_response_body" }],
      },
      { clusters: { gone: `http://127.0.0.1:${port}` } },
    );
    await h.exchange(exchangeOf());
    await until(() => responses(h).length === 1, "the 503");
    expect(responses(h)[0].headers).toBeGreaterThan(0);
    expect(probeValues(h.logs, "on_http_call_response", "get_header")[0].text).toBe("503");
    expect(probeValues(h.logs, "on_http_call_response", "get_buffer")[0].text).toMatch(/^upstream connect error or disconnect\/reset before headers/);
  });
});

describe("ownership", () => {
  it("keeps the call alive after the issuing stream is gone: the root still gets the response", async () => {
    // The call belongs to the root context; the stream's end does not cancel it.
    const h = await host({
      on_request_headers: [{ op: "http_call", cluster: "auth", headers: call("/slow"), raw: true }],
      on_http_call_response: [{ op: "get_buffer", buffer: "http_call_response_body" }],
    });
    const { stream, rec } = recordedStream(h);
    stream.sendRequestHeaders(requestHeaders("/"), true);
    stream.sendResponseHeaders([[":status", "204"]], true);
    await stream.done;
    expect(rec.complete).toBe(true);
    expect(probeValues(h.logs, "on_delete", "enter")).toHaveLength(1);

    await until(() => backend.held.length === 1, "the backend to hold the request");
    backend.held[0].writeHead(200).end("late");
    await until(() => responses(h).length === 1, "the late response");
    expect(responses(h)[0].context).toBe(h.rootsOf("probe")[0].id);
    expect(probeValues(h.logs, "on_http_call_response", "get_buffer")[0].text).toBe("late");
  });

  it("works from the root context in on_tick", async () => {
    const clock = new ManualClock();
    const h = await host(
      {
        on_configure: [{ op: "set_tick_period", ms: 1000 }],
        "on_tick#1": [{ op: "http_call", cluster: "auth", headers: call("/echo"), text: "tick" }],
        on_tick: [],
        on_http_call_response: [{ op: "get_buffer", buffer: "http_call_response_body" }, { op: "set_tick_period", ms: 0 }],
      },
      { clock },
    );
    await h.advance(1000);
    expect(probeValues(h.logs, "on_tick", "http_call")[0].result).toBe("Ok");
    await until(() => responses(h).length === 1, "the response to the tick's call");
    expect(responses(h)[0].context).toBe(h.rootsOf("probe")[0].id);
    expect(probeValues(h.logs, "on_http_call_response", "get_buffer")[0].text).toBe("echo:tick");
  });
});

describe("the auth pattern", () => {
  const authScript = (path: string, onResponse: unknown[]) => ({
    on_request_headers: { ops: [{ op: "http_call", cluster: "auth", headers: call(path) }], return: "pause" },
    on_http_call_response: onResponse,
  });

  it("resumes a request paused in headers with continue_stream from the callout response", async () => {
    const h = await host(
      authScript("/allow", [
        { op: "get_header", map: "http_call_response_headers", key: "x-verdict" },
        // The request is still paused in headers, so its map is writable from the callback.
        { op: "add_header", map: "request_headers", key: "x-auth", value: "allowed" },
        { op: "continue_stream", stream: "request" },
      ]),
    );
    const r = await h.exchange(exchangeOf({ request: { body: utf8("payload") } }));
    expect(probeValues(h.logs, "on_http_call_response", "add_header")[0].result).toBe("Ok");
    expect(header(r.upstreamRequest?.headers, "x-auth")).toBe("allowed");
    expect(text(r.upstreamRequest?.body)).toBe("payload");
    expect(r.downstreamResponse?.status).toBe(200);
    expect(r.localReply).toBeUndefined();
  });

  it("denies with a local reply sent from the callout response, and the upstream never sees the request", async () => {
    const h = await host(
      authScript("/deny", [
        { op: "send_local_response", status: 403, details: "auth denied", text: "denied", headers: [["x-reason", "policy"]] },
      ]),
    );
    const r = await h.exchange(exchangeOf());
    expect(r.upstreamRequest).toBeUndefined();
    expect(r.localReply?.status).toBe(403);
    expect(text(r.localReply?.body)).toBe("denied");
    expect(header(r.localReply?.headers, "x-reason")).toBe("policy");
    expect(r.localReply?.details).toBe("auth_denied");
  });
});
