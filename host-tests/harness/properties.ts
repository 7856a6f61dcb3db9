// proxy_get_property / proxy_set_property as Envoy serves them (context.cc findValue and
// serializeValue; filters/common/expr/context.cc): CEL attributes first, then plugin_* names,
// then filter state `wasm.<segment>`. Values are encoded by type (raw string, 8-byte LE ints and
// doubles, 1-byte bools, ns timestamps, pair-format maps, protobuf messages).
import { WasmResult as R } from "./abi";
import type { HostContext, StreamContext } from "./context";
import { byteStringToBytes, type HeaderMap } from "./header-map";
import { encodePairs } from "./pairs";
import { encodeMetadata, encodeNode, encodeStruct } from "./protobuf";
import type { VmServices } from "./vm-runtime";

const enc = new TextEncoder();
const dec = new TextDecoder();

type Value =
  | { t: "string"; v: string }
  | { t: "bytes"; v: Uint8Array }
  | { t: "int"; v: bigint }
  | { t: "uint"; v: bigint }
  | { t: "double"; v: number }
  | { t: "bool"; v: boolean }
  | { t: "timestamp"; v: bigint }
  | { t: "duration"; v: bigint }
  | { t: "headers"; v: HeaderMap }
  | { t: "json"; v: unknown }
  | { t: "message"; v: Uint8Array };

export interface PropertyResult {
  result: number;
  value?: Uint8Array;
}

export function splitPath(raw: Uint8Array): string[] {
  let end = raw.length;
  if (end > 0 && raw[end - 1] === 0) end--; // a trailing NUL is optional
  return dec.decode(raw.subarray(0, end)).split("\0");
}

export function getProperty(ctx: HostContext, rt: VmServices, rawPath: Uint8Array): PropertyResult {
  const path = splitPath(rawPath);
  const stream = ctx.stream();
  const first = path[0];
  let value: Value | undefined;
  const rest = path.slice(1);
  switch (first) {
    case "request":
    case "response":
    case "connection":
    case "upstream":
    case "source":
    case "destination":
    case "metadata":
    case "filter_state":
    case "upstream_filter_state":
      if (!stream) return { result: R.NotFound };
      value = streamAttribute(stream, first, rest);
      return value === undefined ? { result: R.NotFound } : { result: R.Ok, value: serialize(value) };
    case "xds":
      return xds(ctx, rt, rest);
    case "plugin_name":
      return single(path, { t: "string", v: ctx.plugin.name });
    case "plugin_root_id":
      return single(path, { t: "string", v: ctx.plugin.rootId });
    case "plugin_vm_id":
      return single(path, { t: "string", v: ctx.plugin.vmId });
    case "connection_id":
      if (!stream) return { result: R.NotFound };
      // The same downstream connection id as CEL's connection.id.
      return single(path, { t: "uint", v: BigInt(Number(stream.cb.stream.attributes.connection?.["connection.id"] ?? stream.cb.stream.id)) });
    default: {
      if (!stream) return { result: R.NotFound };
      const state = stream.cb.stream.filterStateMap.get(`wasm.${first}`);
      if (!state) return { result: R.NotFound };
      return single(path, { t: "bytes", v: state });
    }
  }
}

function single(path: string[], v: Value): PropertyResult {
  if (path.length > 1) return { result: R.NotFound };
  return { result: R.Ok, value: serialize(v) };
}

export function setProperty(ctx: HostContext, rawPath: Uint8Array, value: Uint8Array): number {
  const stream = ctx.stream();
  if (!stream) return R.NotFound;
  // Envoy keys the CelState by the raw path bytes: "wasm." + path.
  let end = rawPath.length;
  if (end > 0 && rawPath[end - 1] === 0) end--;
  const key = `wasm.${dec.decode(rawPath.subarray(0, end))}`;
  stream.cb.stream.filterStateMap.set(key, value.slice());
  return R.Ok;
}

function str(v: unknown): Value | undefined {
  return v === undefined || v === null ? undefined : { t: "string", v: String(v) };
}

function streamAttribute(s: StreamContext, group: string, rest: string[]): Value | undefined {
  const info = s.cb.stream;
  const conn = info.attributes.connection ?? {};
  const field = rest[0];
  const deeper = rest.length > 1;
  if (group === "request") {
    const h = s.accessLogPhase ? s.getConstMap(0) : s.requestHeaders;
    const fromHeaders = (): Value | undefined => {
      if (!h) return undefined;
      const path = h.get(":path");
      switch (field) {
        case "path": return str(path);
        case "url_path": return str(path?.split("?")[0]);
        case "query": return path === undefined ? undefined : { t: "string", v: path.includes("?") ? path.slice(path.indexOf("?") + 1) : "" };
        case "host": return str(h.get(":authority"));
        case "scheme": return str(h.get(":scheme"));
        case "method": return str(h.get(":method"));
        case "referer": return str(h.get("referer"));
        case "useragent": return str(h.get("user-agent"));
        case "id": return str(h.get("x-request-id"));
        case "headers": return deeper ? str(joined(h, rest[1])) : { t: "headers", v: h };
        case "headers_bytes": return { t: "uint", v: BigInt(h.byteSize()) };
      }
      return undefined;
    };
    switch (field) {
      case "time": return { t: "timestamp", v: info.startTimeNs };
      case "protocol": return { t: "string", v: info.attributes.protocol ?? "HTTP/1.1" };
      case "duration": return info.endTimeNs !== undefined ? { t: "duration", v: info.endTimeNs - info.startTimeNs } : undefined;
      case "size": {
        const cl = h?.get("content-length");
        return { t: "int", v: BigInt(cl !== undefined ? Number(cl) : info.requestBytes) };
      }
      case "total_size": return { t: "int", v: BigInt(info.requestBytes + (h?.byteSize() ?? 0)) };
    }
    if (deeper && field !== "headers") return undefined;
    return fromHeaders();
  }
  if (group === "response") {
    const h = s.accessLogPhase ? s.getConstMap(2) : s.responseHeaders;
    const t = s.accessLogPhase ? s.getConstMap(3) : s.responseTrailers;
    switch (field) {
      case "code": return info.responseCode !== undefined ? { t: "int", v: BigInt(info.responseCode) } : undefined;
      case "code_details": return str(info.codeDetails);
      case "flags": return { t: "uint", v: 0n };
      case "grpc_status": {
        const g = t?.get("grpc-status") ?? h?.get("grpc-status");
        return g === undefined ? undefined : { t: "int", v: BigInt(Number(g)) };
      }
      case "headers": return h ? (deeper ? str(joined(h, rest[1])) : { t: "headers", v: h }) : undefined;
      case "trailers": return t ? (deeper ? str(joined(t, rest[1])) : { t: "headers", v: t }) : undefined;
      case "headers_bytes": return h ? { t: "uint", v: BigInt(h.byteSize()) } : undefined;
      case "size": return { t: "int", v: BigInt(info.responseBytes) };
      case "total_size": return { t: "int", v: BigInt(info.responseBytes + (h?.byteSize() ?? 0)) };
    }
    return undefined;
  }
  if (group === "source" || group === "destination") {
    const address = conn[`${group}.address`] as string | undefined ?? (group === "source" ? "127.0.0.1:50000" : "127.0.0.1:10000");
    if (field === "address") return { t: "string", v: address };
    if (field === "port") return { t: "int", v: BigInt(Number(address.slice(address.lastIndexOf(":") + 1))) };
    return undefined;
  }
  if (group === "connection") {
    const v = conn[`connection.${field}`];
    switch (field) {
      case "id": return { t: "uint", v: BigInt(Number(v ?? info.id)) };
      case "mtls": return { t: "bool", v: Boolean(v ?? false) };
      default: return v === undefined ? undefined : str(v);
    }
  }
  if (group === "upstream") {
    const v = conn[`upstream.${field}`];
    if (field === "port" && v !== undefined) return { t: "int", v: BigInt(Number(v)) };
    return str(v);
  }
  if (group === "metadata") {
    const md = info.attributes.metadata ?? {};
    if (rest.length === 0) return { t: "message", v: encodeMetadata(md) };
    if (field !== "filter_metadata") return undefined;
    if (rest.length === 1) return { t: "json", v: md };
    return descend(md, rest.slice(1));
  }
  if (group === "filter_state" || group === "upstream_filter_state") {
    if (group === "upstream_filter_state" || rest.length !== 1) return undefined;
    const v = info.filterStateMap.get(field);
    return v ? { t: "bytes", v } : undefined;
  }
  return undefined;
}

function joined(h: HeaderMap, name: string): string | undefined {
  const all = h.getAll(name);
  return all.length ? all.join(",") : undefined;
}

/** Struct-valued metadata: strings raw, numbers as doubles, bools as one byte, objects as maps. */
function descend(root: unknown, path: string[]): Value | undefined {
  let cur: unknown = root;
  for (const part of path) {
    if (Array.isArray(cur)) {
      const i = Number(part);
      if (!Number.isInteger(i) || i < 0 || i >= cur.length) return undefined;
      cur = cur[i];
    } else if (cur && typeof cur === "object") {
      if (!(part in (cur as object))) return undefined;
      cur = (cur as Record<string, unknown>)[part];
    } else {
      return undefined;
    }
  }
  return jsonValue(cur);
}

function jsonValue(v: unknown): Value | undefined {
  if (typeof v === "string") return { t: "string", v };
  if (typeof v === "number") return { t: "double", v };
  if (typeof v === "boolean") return { t: "bool", v };
  if (v === null) return { t: "bytes", v: new Uint8Array(0) };
  return { t: "json", v };
}

function xds(ctx: HostContext, rt: VmServices, rest: string[]): PropertyResult {
  const node = rt.host.node;
  const stream = ctx.stream();
  const field = rest[0];
  if (field === "node") {
    if (rest.length === 1) return { result: R.Ok, value: encodeNode(node) };
    const f = rest[1];
    if (f === "id" || f === "cluster") return rest.length === 2 ? { result: R.Ok, value: enc.encode(String(node[f] ?? "")) } : { result: R.NotFound };
    if (f === "metadata") {
      if (rest.length === 2) return { result: R.Ok, value: encodeStruct(node.metadata ?? {}) };
      const v = descend(node.metadata ?? {}, rest.slice(2));
      return v ? { result: R.Ok, value: serialize(v) } : { result: R.NotFound };
    }
    return { result: R.NotFound };
  }
  // Everything else under xds.* belongs to a stream's route/cluster/listener.
  if (!stream) return { result: R.NotFound };
  const attrs = { ...rt.host.xds, ...(stream.cb.stream.attributes.connection ?? {}) } as Record<string, unknown>;
  const v = attrs[field] ?? attrs[`xds.${field}`];
  if (v === undefined) return { result: R.NotFound };
  if (typeof v === "object") {
    const inner = rest.length > 1 ? descend(v, rest.slice(1)) : jsonValue(v);
    return inner ? { result: R.Ok, value: serialize(inner) } : { result: R.NotFound };
  }
  return rest.length === 1 ? { result: R.Ok, value: serialize(jsonValue(v)!) } : { result: R.NotFound };
}

export function serialize(v: Value): Uint8Array {
  switch (v.t) {
    case "string":
      return enc.encode(v.v);
    case "bytes":
    case "message":
      return v.v;
    case "int":
    case "timestamp":
    case "duration": {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigInt64(0, v.v, true);
      return b;
    }
    case "uint": {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, v.v, true);
      return b;
    }
    case "double": {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, v.v, true);
      return b;
    }
    case "bool":
      return new Uint8Array([v.v ? 1 : 0]);
    case "headers": {
      // Multi-valued headers are comma-joined, as the CEL header map presents them.
      const seen = new Map<string, string[]>();
      for (const [k, val] of v.v.pairs()) seen.set(k, [...(seen.get(k) ?? []), val]);
      const pairs = [...seen].map(([k, vals]) => [byteStringToBytes(k), byteStringToBytes(vals.join(","))] as [Uint8Array, Uint8Array]);
      return pairs.length ? encodePairs(pairs) : new Uint8Array(0);
    }
    case "json": {
      const j = v.v;
      if (Array.isArray(j)) return encodePairs(j.map((e) => [serialize(jsonValue(e)!), new Uint8Array(0)] as [Uint8Array, Uint8Array]));
      if (j && typeof j === "object") {
        return encodePairs(Object.entries(j as Record<string, unknown>).map(([k, e]) => [enc.encode(k), serialize(jsonValue(e)!)] as [Uint8Array, Uint8Array]));
      }
      return new Uint8Array(0);
    }
  }
}
