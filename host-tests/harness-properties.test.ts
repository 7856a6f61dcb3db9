// proxy_get_property / proxy_set_property as Envoy answers them (digest §9; Envoy
// extensions/common/wasm/context.cc getProperty/findValue/serializeValue/setProperty and
// filters/common/expr/context.cc): NUL-separated paths, typed binary encodings, `xds.*` instead of
// the removed top-level names, `wasm.*` filter state, and a root context without a stream.
import { afterEach, describe, expect, it } from "vitest";
import type { Exchange, HeaderList, HostOptions, StreamAttributes, WasmFilterConfig } from "./harness/api";
import { createHost } from "./harness/index";
import type { EnvoyHost } from "./harness/host";
import { PROBE_WASM, probeValues, text } from "./support/probe";

let hosts: EnvoyHost[] = [];
afterEach(async () => {
  await Promise.all(hosts.map((h) => h.close()));
  hosts = [];
});

async function start(filters: WasmFilterConfig[], options: HostOptions = {}): Promise<EnvoyHost> {
  const host = await createHost(filters, options);
  hosts.push(host);
  return host;
}

function probe(name: string, script: unknown, extra: Partial<WasmFilterConfig> = {}): WasmFilterConfig {
  return { name, rootId: "probe", vmId: "vm-props", code: PROBE_WASM, configuration: JSON.stringify(script), ...extra };
}

function exchange(path: string, headers: HeaderList = [], attributes?: StreamAttributes): Exchange {
  return {
    request: { method: "GET", path, authority: "api.example.com", headers, body: new Uint8Array() },
    response: { status: 200, headers: [["content-type", "text/plain"]], body: new TextEncoder().encode("ok") },
    attributes,
  };
}

const prop = (path: string[], as?: string) => ({ op: "get_property", path, ...(as ? { as } : {}) });
const rawPath = (s: string) => ({ op: "call_raw", fn: "proxy_get_property", args: [{ base64: Buffer.from(s).toString("base64") }, { ret: 4 }, { ret: 4 }] });

describe("paths", () => {
  it("joins segments with NUL, accepts a trailing NUL and does not split dotted names", async () => {
    const host = await start([
      probe("p", {
        on_request_headers: [prop(["request", "path"]), prop(["request.path"]), rawPath("request\0path"), rawPath("request\0path\0"), rawPath("request.path")],
      }),
    ]);
    const r = await host.exchange(exchange("/v1/chat?x=1"));
    const props = probeValues(r.logs, "on_request_headers", "get_property");
    expect(props[0]).toMatchObject({ result: "Ok", text: "/v1/chat?x=1" });
    expect(props[1].result).toBe("NotFound");
    const raw = probeValues(r.logs, "on_request_headers", "call_raw");
    expect(raw.map((v) => v.result)).toEqual(["Ok", "Ok", "NotFound"]);
    // ret words are (ptr, len): both spellings return the 12-byte path.
    expect(raw[0].ret[1]).toEqual([12]);
    expect(raw[1].ret[1]).toEqual([12]);
  });
});

describe("encodings", () => {
  it("returns ints as 8 bytes LE, bools as 1 byte, and source.address with its port", async () => {
    const host = await start([
      probe("p", {
        on_request_headers: [
          prop(["source", "address"]),
          prop(["source", "port"], "int"),
          prop(["connection", "mtls"], "bool"),
          prop(["destination", "port"], "int"),
        ],
        on_log: [prop(["response", "code"], "int")],
      }),
    ]);
    const attrs = { connection: { "source.address": "10.1.2.3:45678", "destination.address": "10.9.9.9:8443", "connection.mtls": true } };
    const r = await host.exchange(exchange("/", [], attrs));
    const props = probeValues(r.logs, "on_request_headers", "get_property");
    expect(props[0]).toMatchObject({ result: "Ok", text: "10.1.2.3:45678" });
    expect(props[1]).toMatchObject({ result: "Ok", value: "45678" });
    expect(props[2]).toMatchObject({ result: "Ok", value: true });
    expect(props[3]).toMatchObject({ result: "Ok", value: "8443" });
    expect(probeValues(r.logs, "on_log", "get_property")[0]).toMatchObject({ result: "Ok", value: "200" });

    const plain = await host.exchange(exchange("/"));
    expect(probeValues(plain.logs, "on_request_headers", "get_property")[2]).toMatchObject({ result: "Ok", value: false });
  });

  it("serializes request.headers as a pair map with multi-valued headers comma-joined", async () => {
    const host = await start([probe("p", { on_request_headers: [prop(["request", "headers"], "pairs"), prop(["request", "headers", "x-multi"])] })]);
    const r = await host.exchange(exchange("/", [["x-multi", "a"], ["accept", "json"], ["x-multi", "b"]]));
    const [map, one] = probeValues(r.logs, "on_request_headers", "get_property");
    expect(map.result).toBe("Ok");
    expect(map.valid).toBe(true);
    const pairs = map.pairs as Array<[string, string]>;
    expect(pairs.find(([k]) => k === "x-multi")).toEqual(["x-multi", "a,b"]);
    expect(pairs.find(([k]) => k === "accept")).toEqual(["accept", "json"]);
    expect(pairs.find(([k]) => k === ":path")).toEqual([":path", "/"]);
    expect(one).toMatchObject({ result: "Ok", text: "a,b" });
  });

  it("reads dynamic metadata: strings raw, numbers as 8-byte doubles, bools as one byte", async () => {
    const jwt = ["metadata", "filter_metadata", "envoy.filters.http.jwt_authn", "payload"];
    const host = await start([
      probe("p", { on_request_headers: [prop([...jwt, "sub"]), prop([...jwt, "exp"], "double"), prop([...jwt, "admin"], "bool"), prop([...jwt, "missing"])] }),
    ]);
    const metadata = { "envoy.filters.http.jwt_authn": { payload: { sub: "alice", exp: 1700000000, admin: true } } };
    const r = await host.exchange(exchange("/", [], { metadata }));
    const props = probeValues(r.logs, "on_request_headers", "get_property");
    expect(props[0]).toMatchObject({ result: "Ok", text: "alice", len: 5 });
    expect(props[1]).toMatchObject({ result: "Ok", value: 1700000000 });
    expect(props[2]).toMatchObject({ result: "Ok", value: true });
    expect(props[3].result).toBe("NotFound");
  });

  it("reports one connection id under connection_id and connection.id", async () => {
    const host = await start([probe("p", { on_request_headers: [prop(["connection_id"], "uint"), prop(["connection", "id"], "uint")] })]);
    const r = await host.exchange(exchange("/", [], { connection: { "connection.id": 42 } }));
    // Both come from the downstream connection's id (ctx.cc CONNECTION_ID and CEL connection.id).
    expect(probeValues(r.logs, "on_request_headers", "get_property").map((v) => [v.result, v.value])).toEqual([
      ["Ok", "42"],
      ["Ok", "42"],
    ]);
  });
});

describe("xds and removed names", () => {
  it("serves node and route data under xds.* and NotFound for the pre-1.33 top-level names", async () => {
    const host = await start(
      [
        probe("p", {
          on_configure: [prop(["xds", "node", "id"])],
          on_request_headers: [
            prop(["xds", "node", "id"]),
            prop(["xds", "node", "cluster"]),
            prop(["xds", "route_name"]),
            prop(["xds", "cluster_name"]),
            prop(["node"]),
            prop(["node", "id"]),
            prop(["cluster_name"]),
            prop(["route_name"]),
          ],
        }),
      ],
      { node: { id: "node-7", cluster: "edge" }, xds: { route_name: "chat-route", cluster_name: "openai" } },
    );
    const r = await host.exchange(exchange("/"));
    const props = probeValues(r.logs, "on_request_headers", "get_property");
    expect(props.slice(0, 4).map((v) => v.text)).toEqual(["node-7", "edge", "chat-route", "openai"]);
    // Envoy 1.33 dropped node, cluster_name, route_name ... as top-level properties.
    expect(props.slice(4).map((v) => v.result)).toEqual(["NotFound", "NotFound", "NotFound", "NotFound"]);
    // xds.node needs no stream.
    expect(probeValues(host.logs.filter((l) => l.worker === 0), "on_configure", "get_property")[0]).toMatchObject({ result: "Ok", text: "node-7" });
  });
});

describe("filter state through set_property", () => {
  it("stores wasm.<path> for the stream: readable by the same and a later filter, listed in the result", async () => {
    const host = await start([
      probe("first", {
        on_request_headers: [prop(["tollgate_user"]), { op: "set_property", path: ["tollgate_user"], text: "alice" }, prop(["tollgate_user"])],
      }),
      probe("second", {
        on_request_headers: [prop(["tollgate_user"]), prop(["filter_state", "wasm.tollgate_user"])],
        on_log: [prop(["tollgate_user"])],
      }),
    ]);
    const r = await host.exchange(exchange("/"));
    const by = (filter: string, cb: string) =>
      r.logs.filter((l) => l.filter === filter && l.message.startsWith(`probe ${cb} get_property`)).map((l) => JSON.parse(l.message.slice(l.message.indexOf("{"))));
    expect(probeValues(r.logs, "on_request_headers", "set_property")[0].result).toBe("Ok");
    expect(by("first", "on_request_headers")[0].result).toBe("NotFound");
    expect(by("first", "on_request_headers")[1]).toMatchObject({ result: "Ok", text: "alice" });
    expect(by("second", "on_request_headers").map((v) => v.text)).toEqual(["alice", "alice"]);
    expect(by("second", "on_log")[0]).toMatchObject({ result: "Ok", text: "alice" });
    expect(text(r.filterState["tollgate_user"])).toBe("alice");

    // Filter state belongs to the stream: the next request starts without it.
    const next = await host.exchange(exchange("/"));
    const nextFirst = next.logs.filter((l) => l.filter === "first" && l.message.startsWith("probe on_request_headers get_property"));
    expect(JSON.parse(nextFirst[0].message.slice(nextFirst[0].message.indexOf("{"))).result).toBe("NotFound");
  });

  it("has no stream in the root context: set and stream attributes are NotFound, plugin_* resolve", async () => {
    const host = await start([
      probe("p", {
        on_configure: [
          { op: "set_property", path: ["x"], text: "v" },
          prop(["plugin_root_id"]),
          prop(["request", "path"]),
          prop(["connection_id"]),
          prop(["source", "address"]),
        ],
      }),
    ]);
    const worker0 = host.logs.filter((l) => l.worker === 0);
    expect(probeValues(worker0, "on_configure", "set_property")[0].result).toBe("NotFound");
    const props = probeValues(worker0, "on_configure", "get_property");
    expect(props[0]).toMatchObject({ result: "Ok", text: "probe" });
    expect(props.slice(1).map((v) => v.result)).toEqual(["NotFound", "NotFound", "NotFound"]);
  });
});
