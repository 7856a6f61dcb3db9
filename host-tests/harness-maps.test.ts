// Header maps as a filter relying on Envoy sees them (digest §4, §6.4; §12 groups 3 and 4):
// the serialized pair format in and out, HeaderMapImpl's key/ordering rules, and the windows
// during which each map can be read or written.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "./harness/index";
import { settle } from "./harness/host";
import {
  closeProbeHosts,
  header,
  probeHost,
  probeLines,
  probeValues,
  recordedStream,
  requestHeaders,
  utf8,
} from "./support/probe";

afterEach(closeProbeHosts);

const b64 = (b: Uint8Array) => Buffer.from(b).toString("base64");

/** Serializes pairs in cpp-host's format: u32 N | N x (klen, vlen) | N x (key 0 value 0). */
function serialize(pairs: Array<[string | Uint8Array, string | Uint8Array]>): Uint8Array {
  const items = pairs.map(([k, v]) => [typeof k === "string" ? utf8(k) : k, typeof v === "string" ? utf8(v) : v]);
  const size = 4 + items.reduce((n, [k, v]) => n + 8 + k.length + v.length + 2, 0);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, items.length, true);
  let p = 4;
  for (const [k, v] of items) {
    dv.setUint32(p, k.length, true);
    dv.setUint32(p + 4, v.length, true);
    p += 8;
  }
  for (const [k, v] of items) {
    out.set(k, p);
    p += k.length + 1;
    out.set(v, p);
    p += v.length + 1;
  }
  return out;
}

const PSEUDO: Array<[string, string]> = [
  [":method", "POST"],
  [":path", "/rewritten"],
  [":authority", "example.test"],
  [":scheme", "http"],
];

/** Runs one stream whose request headers go through `ops` in on_request_headers. */
async function inRequestHeaders(ops: unknown[], headers = requestHeaders("/p")) {
  const host = await probeHost({ on_request_headers: { ops, return: "continue" } });
  const { stream, rec } = recordedStream(host);
  stream.sendRequestHeaders(headers, true);
  return { host, rec, stream };
}

describe("serialized pair maps", () => {
  it("set_pairs then get_pairs round-trips every byte, including multi-byte and non-UTF-8 values", async () => {
    // HeaderString holds octets; Envoy neither validates nor re-encodes what a filter writes.
    const raw = serialize([...PSEUDO, ["x-utf8", "héllo ✓ 日本"], ["x-octets", Uint8Array.of(0x61, 0xff, 0xfe, 0x80, 0x62)]]);
    const { host, rec } = await inRequestHeaders([
      { op: "set_pairs", map: "request_headers", base64: b64(raw) },
      { op: "get_pairs", map: "request_headers" },
      { op: "get_header", map: "request_headers", key: "x-octets" },
      { op: "call_raw", fn: "proxy_get_header_map_pairs", args: [0, { ret: 4 }, { ret: 4 }] },
    ]);
    const [set] = probeValues(host.logs, "on_request_headers", "set_pairs");
    expect(set.result).toBe("Ok");
    const [pairs] = probeValues(host.logs, "on_request_headers", "get_pairs");
    // The output is the same serialization, byte for byte.
    expect(pairs.bytes).toBe(raw.length);
    expect(pairs.pairs.slice(0, 5)).toEqual([...PSEUDO, ["x-utf8", "héllo ✓ 日本"]]);
    const [octets] = probeValues(host.logs, "on_request_headers", "get_header");
    expect(octets.base64).toBe(b64(Uint8Array.of(0x61, 0xff, 0xfe, 0x80, 0x62)));
    expect(header(rec.upstream.headers, ":path")).toBe("/rewritten");
    expect(header(rec.upstream.headers, "x-utf8")).toBe("héllo ✓ 日本");
  });

  it("an empty map comes back as (ptr 0, len 0), not as a serialized zero count", async () => {
    // cpp-host exports.cc: an empty result writes (0,0) and never calls malloc; SDKs that
    // parse the 4-byte count would misread a zero-count buffer as a different shape.
    const { host } = await inRequestHeaders([
      { op: "call_raw", fn: "proxy_get_header_map_pairs", args: [0, { ret: 4 }, { ret: 4 }] },
      { op: "set_pairs", map: "request_headers", pairs: [] },
      { op: "call_raw", fn: "proxy_get_header_map_pairs", args: [0, { ret: 4 }, { ret: 4 }] },
      // Request trailers do not exist during the headers callback: also (0,0), Ok.
      { op: "call_raw", fn: "proxy_get_header_map_pairs", args: [1, { ret: 4 }, { ret: 4 }] },
    ]);
    const [before, emptied, trailers] = probeValues(host.logs, "on_request_headers", "call_raw");
    expect(before.result).toBe("Ok");
    expect(before.ret[1][0]).toBeGreaterThan(4);
    expect(emptied).toMatchObject({ result: "Ok", ret: [[0], [0]] });
    expect(trailers).toMatchObject({ result: "Ok", ret: [[0], [0]] });
  });

  const valid = serialize([["x-a", "1"]]);
  const malformed: Record<string, Uint8Array> = {
    "a key without its NUL": (() => {
      const b = valid.slice();
      b[4 + 8 + 3] = 0x41; // the key terminator
      return b;
    })(),
    "a trailing byte": Uint8Array.of(...valid, 0),
    "a count over 1024": serialize(Array.from({ length: 1025 }, (_, i) => [`k${i}`, "v"] as [string, string])),
    "a single 0x00 byte": Uint8Array.of(0),
  };
  for (const [name, bytes] of Object.entries(malformed)) {
    it(`set_pairs with ${name} silently wipes the map`, async () => {
      // pairs_util.cc toPairs: any violation yields an empty list, and setHeaderMapPairs
      // removes every key before adding that (empty) list. The call still reports Ok.
      const { host } = await inRequestHeaders([
        { op: "set_pairs", map: "request_headers", base64: b64(bytes) },
        { op: "get_pairs", map: "request_headers" },
        { op: "get_header", map: "request_headers", key: ":path" },
      ]);
      expect(probeValues(host.logs, "on_request_headers", "set_pairs")).toEqual([{ result: "Ok" }]);
      expect(probeValues(host.logs, "on_request_headers", "get_pairs")[0]).toMatchObject({ result: "Ok", count: 0 });
      expect(probeValues(host.logs, "on_request_headers", "get_header")[0].result).toBe("NotFound");
    });
  }

  it("exactly 1024 pairs are still accepted", async () => {
    // The limit is N > 1024; a boundary off by one would wipe a legitimate large map.
    const pairs = Array.from({ length: 1024 }, (_, i) => [`k${i}`, "v"] as [string, string]);
    const { host } = await inRequestHeaders([
      { op: "set_pairs", map: "request_headers", base64: b64(serialize(pairs)) },
      { op: "get_header", map: "request_headers", key: "k1023" },
    ]);
    expect(probeValues(host.logs, "on_request_headers", "get_header")[0]).toMatchObject({ result: "Ok", text: "v" });
  });
});

describe("HeaderMapImpl rules", () => {
  it("lowercases keys on add, replace, get and remove", async () => {
    const { host, rec } = await inRequestHeaders([
      { op: "add_header", map: "request_headers", key: "X-Mixed-Case", value: "one" },
      { op: "get_header", map: "request_headers", key: "X-MIXED-CASE" },
      { op: "replace_header", map: "request_headers", key: "x-MIXED-case", value: "two" },
      { op: "get_header", map: "request_headers", key: "x-mixed-case" },
      { op: "add_header", map: "request_headers", key: "X-Gone", value: "bye" },
      { op: "remove_header", map: "request_headers", key: "x-GONE" },
      { op: "get_header", map: "request_headers", key: "x-gone" },
      { op: "get_pairs", map: "request_headers" },
    ]);
    const gets = probeValues(host.logs, "on_request_headers", "get_header");
    expect(gets[0]).toMatchObject({ result: "Ok", text: "one" });
    expect(gets[1]).toMatchObject({ result: "Ok", text: "two" });
    expect(gets[2].result).toBe("NotFound");
    const keys = (probeValues(host.logs, "on_request_headers", "get_pairs")[0].pairs as string[][]).map(([k]) => k);
    expect(keys).toContain("x-mixed-case");
    expect(keys.filter((k) => k.toLowerCase() === "x-mixed-case")).toEqual(["x-mixed-case"]);
    expect(rec.upstream.headers?.filter(([k]) => k.toLowerCase() === "x-mixed-case")).toEqual([["x-mixed-case", "two"]]);
  });

  it("get returns only the first value of a repeated header; get_pairs has them all", async () => {
    // HeaderMap::get()[0]: proxy_get_header_map_value never comma-joins.
    const { host } = await inRequestHeaders(
      [
        { op: "get_header", map: "request_headers", key: "x-dup" },
        { op: "get_pairs", map: "request_headers" },
      ],
      requestHeaders("/p", [["x-dup", "first"], ["x-other", "o"], ["x-dup", "second"]]),
    );
    expect(probeValues(host.logs, "on_request_headers", "get_header")[0]).toMatchObject({ result: "Ok", text: "first" });
    const pairs = probeValues(host.logs, "on_request_headers", "get_pairs")[0].pairs as string[][];
    expect(pairs.filter(([k]) => k === "x-dup").map(([, v]) => v)).toEqual(["first", "second"]);
  });

  it("replace moves the entry to the end, after every other header", async () => {
    // setCopy = remove all + append: order-sensitive filters (signing, canonicalization) see it.
    const { host, rec } = await inRequestHeaders(
      [
        { op: "replace_header", map: "request_headers", key: "x-a", value: "A2" },
        { op: "get_pairs", map: "request_headers" },
      ],
      requestHeaders("/p", [["x-a", "A"], ["x-a", "A-dup"], ["x-b", "B"], ["x-c", "C"]]),
    );
    const keys = (probeValues(host.logs, "on_request_headers", "get_pairs")[0].pairs as string[][]).map(([k, v]) => `${k}=${v}`);
    expect(keys.slice(-4)).toEqual(["x-b=B", "x-c=C", "x-request-id=req-1", "x-a=A2"]);
    expect(rec.upstream.headers?.at(-1)).toEqual(["x-a", "A2"]);
  });

  it("get_header_map_size is the sum of key and value bytes, not the serialized size", async () => {
    const headers = requestHeaders("/p", [["x-é", "ü"]]);
    const { host } = await inRequestHeaders(
      [
        { op: "get_map_size", map: "request_headers" },
        { op: "get_pairs", map: "request_headers" },
      ],
      headers,
    );
    const expected = headers.reduce((n, [k, v]) => n + utf8(k).length + utf8(v).length, 0);
    expect(probeValues(host.logs, "on_request_headers", "get_map_size")[0]).toEqual({ result: "Ok", size: expected });
    expect(probeValues(host.logs, "on_request_headers", "get_pairs")[0].bytes).not.toBe(expected);
  });

  it("keeps pseudo-headers ahead of regular headers whatever the insertion order", async () => {
    const raw = serialize([["x-first", "1"], [":method", "GET"], ["x-second", "2"], [":path", "/z"], [":authority", "a"]]);
    const { host } = await inRequestHeaders([
      { op: "set_pairs", map: "request_headers", base64: b64(raw) },
      { op: "add_header", map: "request_headers", key: ":scheme", value: "https" },
      { op: "get_pairs", map: "request_headers" },
    ]);
    const keys = (probeValues(host.logs, "on_request_headers", "get_pairs")[0].pairs as string[][]).map(([k]) => k);
    expect(keys).toEqual([":method", ":path", ":authority", ":scheme", "x-first", "x-second"]);
  });

  it("an unknown map type (8) is BadArgument for every map hostcall", async () => {
    // exports.cc: type > HttpCallResponseTrailers is rejected before any lookup.
    const k = { text: "x-a" };
    const v = { text: "1" };
    const { host } = await inRequestHeaders([
      { op: "call_raw", fn: "proxy_get_header_map_pairs", args: [8, { ret: 4 }, { ret: 4 }] },
      { op: "call_raw", fn: "proxy_set_header_map_pairs", args: [8, { base64: b64(serialize([["x-a", "1"]])) }] },
      { op: "call_raw", fn: "proxy_get_header_map_size", args: [8, { ret: 4 }] },
      { op: "call_raw", fn: "proxy_get_header_map_value", args: [8, k, { ret: 4 }, { ret: 4 }] },
      { op: "call_raw", fn: "proxy_add_header_map_value", args: [8, k, v] },
      { op: "call_raw", fn: "proxy_replace_header_map_value", args: [8, k, v] },
      { op: "call_raw", fn: "proxy_remove_header_map_value", args: [8, k] },
    ]);
    const results = probeValues(host.logs, "on_request_headers", "call_raw").map((r) => r.result);
    expect(results).toEqual(Array(7).fill("BadArgument"));
  });
});

/** The six map operations on one map; results come back in this order. */
function mapOps(map: string) {
  return [
    { op: "get_header", map, key: ":path" },
    { op: "add_header", map, key: "x-late", value: "1" },
    { op: "replace_header", map, key: "x-late", value: "2" },
    { op: "remove_header", map, key: "x-late" },
    { op: "get_map_size", map },
    { op: "get_pairs", map },
    { op: "set_pairs", map, pairs: [["x-set", "1"]] },
  ];
}

function mapResults(host: { logs: import("./harness/api").LogRecord[] }, callback: string) {
  return probeLines(host.logs, callback)
    .filter((l) => ["get_header", "add_header", "replace_header", "remove_header", "get_map_size", "get_pairs", "set_pairs"].includes(l.op))
    .map((l) => (l.op === "get_pairs" ? `get_pairs:${l.value.result}:${l.value.count ?? 0}` : `${l.op}:${l.value.result}`));
}

const GONE = [
  "get_header:BadArgument",
  "add_header:BadArgument",
  "replace_header:BadArgument",
  "remove_header:BadArgument",
  "get_map_size:BadArgument",
  "get_pairs:Ok:0",
  "set_pairs:BadArgument",
];

describe("header windows", () => {
  it("request headers are gone once on_request_headers continued: in the body and every response callback", async () => {
    // ctx.cc decodeHeaders drops request_headers_ on Continue; getMap then fails with
    // BadArgument and getHeaderMapPairs yields an empty map.
    const ops = mapOps("request_headers");
    const host = await probeHost({
      on_request_headers: { ops: [], return: "continue" },
      on_request_body: ops,
      on_request_trailers: ops,
      on_response_headers: ops,
      on_response_body: ops,
      on_response_trailers: ops,
    });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/p"), false);
    stream.sendRequestData(utf8("body"), false);
    stream.sendRequestTrailers([["x-rt", "1"]]);
    stream.sendResponseHeaders([[":status", "200"]], false);
    stream.sendResponseData(utf8("resp"), false);
    stream.sendResponseTrailers([["x-st", "1"]]);
    for (const cb of ["on_request_body", "on_request_trailers", "on_response_headers", "on_response_body", "on_response_trailers"]) {
      expect([cb, ...mapResults(host, cb)]).toEqual([cb, ...GONE]);
    }
    // Nothing a late add tried reached the upstream.
    expect(header(rec.upstream.headers, "x-late")).toBeUndefined();
  });

  it("request headers are gone in an http call response that arrives after they continued", async () => {
    const server = http.createServer((_req, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      const host = await probeHost(
        {
          on_request_headers: {
            ops: [{ op: "http_call", cluster: "svc", headers: [[":method", "GET"], [":path", "/"], [":authority", "svc"]] }],
            return: "continue",
          },
          on_http_call_response: [
            ...mapOps("request_headers"),
            { op: "get_header", map: "http_call_response_headers", key: ":status" },
            // Size reads the mutable map, and callout responses are const: BadArgument.
            { op: "get_map_size", map: "http_call_response_headers" },
            { op: "get_pairs", map: "http_call_response_headers" },
            { op: "add_header", map: "http_call_response_headers", key: "x-a", value: "1" },
            // The response has not started: its headers are not there either.
            { op: "get_header", map: "response_headers", key: ":status" },
          ],
        },
        { host: { clusters: { svc: `http://127.0.0.1:${port}` } } },
      );
      const { stream } = recordedStream(host);
      stream.sendRequestHeaders(requestHeaders("/p"), false);
      for (let i = 0; i < 500 && probeLines(host.logs, "on_http_call_response").length === 0; i++) await new Promise((r) => setTimeout(r, 2));
      // The SDK made the calling stream effective, so this is the stream's own view.
      expect(mapResults(host, "on_http_call_response").slice(0, GONE.length)).toEqual(GONE);
      const gets = probeValues(host.logs, "on_http_call_response", "get_header");
      expect(gets[1]).toMatchObject({ result: "Ok", text: "200" });
      expect(gets[2].result).toBe("BadArgument");
      expect(probeValues(host.logs, "on_http_call_response", "get_map_size")[1]).toEqual({ result: "BadArgument" });
      expect(probeValues(host.logs, "on_http_call_response", "get_pairs")[1]).toMatchObject({ result: "Ok" });
      expect(probeValues(host.logs, "on_http_call_response", "get_pairs")[1].pairs).toContainEqual([":status", "200"]);
      expect(probeValues(host.logs, "on_http_call_response", "add_header")[1]).toEqual({ result: "BadArgument" });
      stream.resetFromDownstream();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  it("on_log reads request and response headers but cannot write them", async () => {
    // Envoy passes the access-log maps as const: getConstMap works, getMap does not.
    const host = await probeHost({
      on_log: [
        ...mapOps("request_headers"),
        { op: "get_header", map: "response_headers", key: ":status" },
        { op: "add_header", map: "response_headers", key: "x-late", value: "1" },
      ],
    });
    const { stream } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/logged"), true);
    stream.sendResponseHeaders([[":status", "201"], ["x-up", "u"]], true);
    const lines = probeLines(host.logs, "on_log");
    const results = lines.filter((l) => l.op !== "enter").map((l) => `${l.op}:${l.value.result}${l.value.text ? `:${l.value.text}` : ""}`);
    expect(results).toEqual([
      "get_header:Ok:/logged",
      "add_header:BadArgument",
      "replace_header:BadArgument",
      "remove_header:BadArgument",
      // Size goes through the mutable map, which the access-log step does not expose.
      "get_map_size:BadArgument",
      "get_pairs:Ok",
      "set_pairs:BadArgument",
      "get_header:Ok:201",
      "add_header:BadArgument",
    ]);
    const pairs = lines.find((l) => l.op === "get_pairs")!.value.pairs as string[][];
    expect(pairs).toContainEqual([":path", "/logged"]);
  });

  it("request.path and request.headers are NotFound in the response phase; request.time and request.protocol are not", async () => {
    // path/headers come from the dropped header pointer; time and protocol from stream info.
    const props = [
      { op: "get_property", path: ["request", "path"] },
      { op: "get_property", path: ["request", "headers"], as: "pairs" },
      { op: "get_property", path: ["request", "time"], as: "int" },
      { op: "get_property", path: ["request", "protocol"] },
    ];
    const host = await probeHost(
      { on_request_headers: { ops: props, return: "continue" }, on_response_headers: props },
      { host: { clock: new ManualClock(Date.UTC(2026, 0, 1)) } },
    );
    const { stream } = recordedStream(host, { protocol: "HTTP/2" });
    stream.sendRequestHeaders(requestHeaders("/prop"), true);
    stream.sendResponseHeaders([[":status", "200"]], true);
    const req = probeValues(host.logs, "on_request_headers", "get_property");
    expect(req.map((r) => r.result)).toEqual(["Ok", "Ok", "Ok", "Ok"]);
    expect(req[0].text).toBe("/prop");
    const res = probeValues(host.logs, "on_response_headers", "get_property");
    expect(res.map((r) => r.result)).toEqual(["NotFound", "NotFound", "Ok", "Ok"]);
    expect(res[2].value).toBe(String(BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n));
    expect(res[3].text).toBe("HTTP/2");
  });

  it("response headers are gone once on_response_headers continued", async () => {
    const ops = mapOps("response_headers");
    const host = await probeHost({ on_response_body: ops, on_response_trailers: ops });
    const { stream } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/p"), true);
    stream.sendResponseHeaders([[":status", "200"]], false);
    stream.sendResponseData(utf8("x"), false);
    stream.sendResponseTrailers([["x-t", "1"]]);
    expect(mapResults(host, "on_response_body")).toEqual(GONE);
    expect(mapResults(host, "on_response_trailers")).toEqual(GONE);
  });

  it("paused request headers stay writable from on_tick, and the upstream sees the edit after continue_stream", async () => {
    // While the filter holds the headers (StopAllIteration), request_headers_ stays set, so a
    // stream made effective from a root callback can still edit them.
    const clock = new ManualClock();
    const host = await probeHost(
      {
        on_request_headers: { ops: [{ op: "set_tick_period", ms: 10 }], return: "pause" },
        on_tick: [
          { op: "set_effective_context", context: "last_stream" },
          { op: "replace_header", map: "request_headers", key: "x-edit", value: "from-tick" },
          { op: "get_header", map: "request_headers", key: "x-edit" },
          { op: "continue_stream", stream: "request" },
          // continue_stream drops the header pointer at once, not when the callback returns.
          { op: "get_header", map: "request_headers", key: "x-edit" },
          { op: "set_tick_period", ms: 0 },
        ],
      },
      { host: { clock } },
    );
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/p"), true);
    expect(rec.upstream.headers).toBeUndefined();
    await host.advance(10);
    expect(probeValues(host.logs, "on_tick", "replace_header")).toEqual([{ result: "Ok" }]);
    const gets = probeValues(host.logs, "on_tick", "get_header");
    expect(gets[0]).toMatchObject({ result: "Ok", text: "from-tick" });
    expect(gets[1].result).toBe("BadArgument");
    expect(header(rec.upstream.headers, "x-edit")).toBe("from-tick");
    expect(rec.upstream.headersEos).toBe(true);
  });

  it("paused request headers stay writable from on_queue_ready", async () => {
    const host = await probeHost({
      on_configure: [{ op: "register_queue", name: "q" }],
      on_request_headers: { ops: [{ op: "enqueue", text: "go" }], return: "pause" },
      on_queue_ready: [
        { op: "dequeue" },
        { op: "set_effective_context", context: "last_stream" },
        { op: "add_header", map: "request_headers", key: "x-queued", value: "yes" },
        { op: "continue_stream", stream: "request" },
      ],
    });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/p"), true);
    // on_queue_ready is posted, never run inside the enqueueing call.
    expect(probeLines(host.logs, "on_queue_ready")).toEqual([]);
    for (let i = 0; i < 50 && !rec.upstream.headers; i++) await settle();
    expect(probeValues(host.logs, "on_queue_ready", "add_header")).toEqual([{ result: "Ok" }]);
    expect(header(rec.upstream.headers, "x-queued")).toBe("yes");
  });

  it("adding request trailers in the final on_request_body creates trailers the upstream receives", async () => {
    // ctx.cc getMap(RequestTrailers) at end_stream calls addDecodedTrailers(): the body then
    // goes on without end_stream and the new trailers follow it.
    const host = await probeHost({
      // Before end_stream there is nothing to create: BadArgument.
      "on_request_body#1": [{ op: "add_header", map: "request_trailers", key: "x-early", value: "no" }],
      on_request_body: [{ op: "add_header", map: "request_trailers", key: "x-checksum", value: "abc" }],
      on_response_body: [{ op: "add_header", map: "response_trailers", key: "x-digest", value: "def" }],
    });
    const { stream, rec } = recordedStream(host);
    stream.sendRequestHeaders(requestHeaders("/p"), false);
    stream.sendRequestData(utf8("pay"), false);
    stream.sendRequestData(utf8("load"), true);
    expect(probeValues(host.logs, "on_request_body", "add_header")).toEqual([{ result: "BadArgument" }, { result: "Ok" }]);
    expect(rec.upstream.data).toEqual([
      { text: "pay", eos: false },
      { text: "load", eos: false },
    ]);
    expect(rec.upstream.trailers).toEqual([["x-checksum", "abc"]]);
    // Iteration over the added trailers starts after the filter that added them.
    expect(probeLines(host.logs, "on_request_trailers")).toEqual([]);
    // Same rule on the response side (encodeData / addEncodedTrailers).
    stream.sendResponseHeaders([[":status", "200"]], false);
    stream.sendResponseData(utf8("answer"), true);
    expect(rec.downstream.data).toEqual([{ text: "answer", eos: false }]);
    expect(rec.downstream.trailers).toEqual([["x-digest", "def"]]);
    expect(rec.complete).toBe(true);
  });
});
