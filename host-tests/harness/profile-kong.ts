// Kong Gateway's ngx_wasm_module (WasmX) as a filter sees it. Sources and what each rule rests
// on: README.md, "Host profiles".
import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { WasmResult as R } from "./abi";
import type { HostContext } from "./context";
import { HostTrap } from "./errors";
import { ENVOY_PROFILE, type HostProfile } from "./profile";
import { nginxVariable, requestView, type NginxRequestView } from "./profile-nginx-vars";
import { splitPath } from "./properties";

const enc = new TextEncoder();

// ngx_proxy_wasm_host.c links these to ngx_proxy_wasm_hfuncs_nop, which returns NGX_WAVM_NYI:
// the instance traps when the filter calls one.
const TRAPPING = new Set([
  "proxy_get_log_level", "proxy_done", "proxy_close_stream", "proxy_continue_response",
  "proxy_grpc_call", "proxy_grpc_stream", "proxy_grpc_send", "proxy_grpc_cancel", "proxy_grpc_close",
  "proxy_get_status", "proxy_resolve_shared_queue", "proxy_clear_route_cache",
]);

// PROXY_WASM.md "Supported Entrypoints": no trailers, gRPC, queue or L4 callbacks.
const NOT_CALLED = new Set([
  "proxy_on_request_trailers", "proxy_on_response_trailers", "proxy_on_queue_ready",
  "proxy_on_grpc_receive_initial_metadata", "proxy_on_grpc_receive", "proxy_on_grpc_receive_trailing_metadata", "proxy_on_grpc_close",
  "proxy_on_new_connection", "proxy_on_downstream_data", "proxy_on_upstream_data",
  "proxy_on_downstream_connection_close", "proxy_on_upstream_connection_close",
]);

/** Host properties (`wasmx.*`) live on the context that set them (PROXY_WASM.md "Host Properties"). */
const wasmx = new WeakMap<HostContext, Map<string, Uint8Array>>();

function text(v: string | undefined): { result: number; value?: Uint8Array } {
  return v === undefined ? { result: R.NotFound } : { result: R.Ok, value: enc.encode(v) };
}

/** An Envoy attribute path as Kong serves it: always text, mapped onto nginx variables. */
function attribute(v: NginxRequestView, ctx: HostContext, path: string[]): string | undefined {
  const [group, field, ...rest] = path;
  const req = v.request;
  if (group === "request") {
    if (field === "headers") return rest.length === 1 ? req?.get(rest[0].toLowerCase()) : undefined;
    const map: Record<string, string> = {
      path: "request_uri", url_path: "uri", scheme: "scheme", method: "request_method",
      useragent: "http_user_agent", protocol: "server_protocol", query: "args", size: "content_length",
      id: "http_x_request_id", referer: "http_referer",
    };
    if (field === "host") return hostname(); // documented: request.host maps to $hostname
    return map[field] ? nginxVariable(v, map[field]) : undefined;
  }
  if (group === "response") {
    if (field === "headers") return rest.length === 1 ? v.response?.get(rest[0].toLowerCase()) : undefined;
    if (field === "code") return v.response ? nginxVariable(v, "status") : undefined;
    return undefined;
  }
  if (group === "source" && (field === "address" || field === "port")) return nginxVariable(v, field === "address" ? "remote_addr" : "remote_port");
  if (group === "connection") {
    if (field === "id") return String(v.connectionNumber);
    if (field === "mtls") return String(v.connection["connection.mtls"] === true);
    if (field === "requested_server_name") return v.connection["connection.requested_server_name"] as string | undefined;
  }
  void ctx;
  return undefined;
}

function rootIdOf(ctx: HostContext): number {
  return createHash("sha256").update(ctx.plugin.name).update("\0").update(ctx.plugin.configuration).digest().readUInt32LE(0);
}

function getProperty(ctx: HostContext, raw: Uint8Array): { result: number; value?: Uint8Array } {
  const path = splitPath(raw);
  const [first] = path;
  if (first === "plugin_name") return text(ctx.plugin.name);
  // ngx_proxy_wasm_properties.c get_filter_root_id: the root context id in decimal (Kong's
  // filter id is a crc32 of name, configuration and location), never the Envoy root_id.
  if (first === "plugin_root_id") return text(String(rootIdOf(ctx)));
  if (first === "wasmx") {
    const v = wasmx.get(ctx)?.get(path.slice(1).join("."));
    return v ? { result: R.Ok, value: v } : { result: R.NotFound };
  }
  const v = requestView(ctx);
  if (!v) return { result: R.NotFound };
  if (first === "ngx") return path.length === 2 ? text(nginxVariable(v, path[1].toLowerCase())) : { result: R.NotFound };
  // xds.*, node, cluster_*, route_*, listener_*, metadata and filter state: not supported.
  return text(attribute(v, ctx, path));
}

function setProperty(ctx: HostContext, raw: Uint8Array, value: Uint8Array): number {
  const path = splitPath(raw);
  if (path[0] === "wasmx") {
    let m = wasmx.get(ctx);
    if (!m) wasmx.set(ctx, (m = new Map()));
    m.set(path.slice(1).join("."), value.slice());
    return R.Ok;
  }
  // "Calling set_property on an immutable Nginx variable will result in a trap."
  if (path[0] === "ngx") throw new HostTrap(`cannot set read-only ngx.${path[1] ?? ""} variable`);
  return R.NotFound;
}

export function kongProfile(responseBodyBufferBytes = 4 * 8192): HostProfile {
  return {
    ...ENVOY_PROFILE,
    kind: "kong",
    hostcall(name, envoy, { vm, ctx }) {
      if (TRAPPING.has(name)) {
        return () => {
          throw new HostTrap(`[wasm] NYI - host function "${name}"`);
        };
      }
      switch (name) {
        case "proxy_get_property":
          return (pPtr: number, pLen: number, retPtr: number, retLen: number) => {
            const r = getProperty(ctx(), vm.copyOut(pPtr, pLen));
            return r.result === R.Ok ? vm.writeResult(r.value!, retPtr, retLen) : r.result;
          };
        case "proxy_set_property":
          return (pPtr: number, pLen: number, vPtr: number, vLen: number) => setProperty(ctx(), vm.copyOut(pPtr, pLen), vm.copyOut(vPtr, vLen));
        case "proxy_get_buffer_bytes":
          // ngx_proxy_wasm_hfuncs_get_buffer copies min(size, max) bytes from the start of the
          // buffer: the offset only takes part in an overflow check. An empty buffer is Ok, empty.
          return (type: number, start: number, max: number, retPtr: number, retLen: number) => {
            const b = ctx().getBuffer(type >>> 0);
            if (b && b.bytes().length === 0) return vm.writeResult(new Uint8Array(0), retPtr, retLen);
            if ((start >>> 0) + (max >>> 0) > 0xffffffff && b) max = b.bytes().length;
            return envoy(type, 0, max, retPtr, retLen);
          };
        default:
          return envoy;
      }
    },
    calls: (cb) => !NOT_CALLED.has(cb),
    responseInChainOrder: true,
    // ngx_http_proxy_wasm.c reads the whole client body, then calls on_request_body once (eof).
    wholeBody: (direction) => direction === "request",
    pauseRule: (direction, phase) => (direction === "request" ? "envoy" : phase === "headers" ? "kong-headers" : "kong-body"),
    responseBodyBufferBytes,
    metricName: (filter, name) => `pw.${filter}.${name}`,
    // ngx_http_proxy_wasm.c ngx_http_proxy_wasm_ecode: every filter error answers 500; a filter
    // whose on_configure fails is started lazily per request and fails there ("executing a
    // filter with an invalid configuration will trigger a 500 error", Kong's filter
    // configuration docs). Kong has no fail-open setting.
    failStatus: 500,
    rejectsConfigAtLoad: false,
    failOpenAllowed: false,
  };
}

