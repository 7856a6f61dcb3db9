// Apache APISIX's wasm-nginx-module (api7) as a filter sees it. Sources and what each rule rests
// on: README.md, "Host profiles".
import { BufferType, MapType, WasmResult as R } from "./abi";
import { byteStringToBytes } from "./header-map";
import { encodePairs } from "./pairs";
import { WasmLoadError } from "./errors";
import { ENVOY_PROFILE, type HostProfile } from "./profile";
import { nginxVariable, requestView } from "./profile-nginx-vars";
import type { Signature } from "./abi";

const enc = new TextEncoder();
const dec = new TextDecoder();

const I32 = "i32";
const I64 = "i64";

// src/http/ngx_http_wasm_api_wasmtime.h host_apis[]: the whole `env` surface (wasmtime's linker
// refuses any other import). Parameter types as defined there; every result is one i32.
const HOST_APIS: Record<string, string[]> = {
  proxy_set_effective_context: [I32], proxy_get_property: [I32, I32, I32, I32], proxy_set_property: [I32, I32, I32, I32],
  proxy_log: [I32, I32, I32], proxy_get_buffer_bytes: [I32, I32, I32, I32, I32], proxy_set_buffer_bytes: [I32, I32, I32, I32, I32],
  proxy_send_local_response: Array(8).fill(I32), proxy_send_http_response: Array(8).fill(I32),
  proxy_get_current_time_nanoseconds: [I32], proxy_set_tick_period_milliseconds: [I32], proxy_get_configuration: [I32, I32],
  proxy_get_header_map_pairs: [I32, I32, I32], proxy_set_header_map_pairs: [I32, I32, I32],
  proxy_get_header_map_value: [I32, I32, I32, I32, I32], proxy_remove_header_map_value: [I32, I32, I32],
  proxy_replace_header_map_value: [I32, I32, I32, I32, I32], proxy_add_header_map_value: [I32, I32, I32, I32, I32],
  proxy_get_shared_data: [I32, I32, I32, I32, I32], proxy_set_shared_data: [I32, I32, I32, I32, I32],
  proxy_register_shared_queue: [I32, I32, I32], proxy_resolve_shared_queue: [I32, I32, I32, I32, I32],
  proxy_dequeue_shared_queue: [I32, I32, I32], proxy_enqueue_shared_queue: [I32, I32, I32],
  proxy_continue_request: [], proxy_continue_response: [], proxy_clear_route_cache: [],
  proxy_continue_stream: [I32], proxy_close_stream: [I32], proxy_http_call: Array(10).fill(I32),
  proxy_grpc_call: Array(12).fill(I32), proxy_grpc_stream: Array(9).fill(I32), proxy_grpc_send: [I32, I32, I32, I32],
  proxy_grpc_cancel: [I32], proxy_grpc_close: [I32], proxy_get_status: [I32, I32, I32], proxy_done: [],
  proxy_call_foreign_function: Array(6).fill(I32), proxy_define_metric: [I32, I32, I32, I32],
  proxy_increment_metric: [I32, I64], proxy_record_metric: [I32, I64], proxy_get_metric: [I32, I64],
};

// ngx_http_wasm_api.c: these return PROXY_RESULT_UNIMPLEMENTED (12) and do nothing.
const UNIMPLEMENTED = new Set([
  "proxy_get_shared_data", "proxy_set_shared_data", "proxy_register_shared_queue", "proxy_resolve_shared_queue",
  "proxy_dequeue_shared_queue", "proxy_enqueue_shared_queue", "proxy_set_tick_period_milliseconds",
  "proxy_get_current_time_nanoseconds", "proxy_grpc_call", "proxy_grpc_stream", "proxy_grpc_send", "proxy_grpc_cancel",
  "proxy_grpc_close", "proxy_get_status", "proxy_done", "proxy_call_foreign_function", "proxy_clear_route_cache",
  "proxy_define_metric", "proxy_increment_metric", "proxy_record_metric", "proxy_get_metric",
  "proxy_set_buffer_bytes", "proxy_set_header_map_pairs",
]);

// ...and these return Ok and do nothing (set_effective_context is "a dummy function to make
// plugin load"; continue/close: "it always waits the HTTP call to finish").
const OK_NOOP = new Set(["proxy_set_effective_context", "proxy_continue_stream", "proxy_close_stream", "proxy_continue_request", "proxy_continue_response"]);

// src/http/ngx_http_wasm_module.c: the only callbacks it looks up.
const CALLED = new Set([
  "proxy_on_context_create", "proxy_on_configure", "proxy_on_done", "proxy_on_delete",
  "proxy_on_request_headers", "proxy_on_request_body", "proxy_on_response_headers", "proxy_on_response_body",
  "proxy_on_http_call_response",
]);

function sameParams(want: string[], got: Signature): boolean {
  return got.params.length === want.length && got.params.every((p, i) => p === want[i]) && got.results.length === 1 && got.results[0] === I32;
}

export function apisixProfile(): HostProfile {
  return {
    ...ENVOY_PROFILE,
    kind: "apisix",
    checkImports(shape) {
      for (const imp of shape.imports) {
        if (imp.kind !== "func" || imp.module !== "env") continue;
        const want = HOST_APIS[imp.name];
        // wasmtime_linker_instantiate's wording, as ngx_wasm_wasmtime_load logs it.
        if (!want) throw new WasmLoadError(`failed to new instance: unknown import: \`env::${imp.name}\` has not been defined`);
        if (!sameParams(want, imp.type!)) throw new WasmLoadError(`failed to new instance: incompatible import type for \`env::${imp.name}\``);
      }
    },
    hostcall(name, envoy, { vm, ctx }) {
      if (UNIMPLEMENTED.has(name)) return () => R.Unimplemented;
      if (OK_NOOP.has(name)) return () => R.Ok;
      switch (name) {
        case "proxy_get_property":
          // plugin_root_id is the plugin's name; anything else is one nginx variable, lowercased,
          // and only while a request is being processed.
          return (pPtr: number, pLen: number, retPtr: number, retLen: number) => {
            const path = dec.decode(vm.copyOut(pPtr, pLen));
            if (path === "plugin_root_id") return vm.writeResult(enc.encode(ctx().plugin.name), retPtr, retLen);
            const v = requestView(ctx());
            if (!v) return R.BadArgument;
            const value = nginxVariable(v, path.toLowerCase());
            return value === undefined ? R.NotFound : vm.writeResult(enc.encode(value), retPtr, retLen);
          };
        case "proxy_set_property":
          // ngx.var assignment: a name nginx does not know "not found for writing" -> NotFound.
          return () => (requestView(ctx()) ? R.NotFound : R.BadArgument);
        // The request map is nginx's headers_in plus :scheme, :path and :method
        // (wasm_pseudo_req_header_static_table): the client's Host header, no :authority.
        case "proxy_get_header_map_value":
          return (type: number, kPtr: number, kLen: number, retPtr: number, retLen: number) => {
            if (type !== MapType.RequestHeaders) return envoy(type, kPtr, kLen, retPtr, retLen);
            const key = dec.decode(vm.copyOut(kPtr, kLen)).toLowerCase();
            const m = ctx().getConstMap(MapType.RequestHeaders) ?? ctx().stream()?.cb.stream.requestHeaderMap?.();
            const v = key === ":authority" ? undefined : key === "host" ? (m?.get("host") ?? m?.get(":authority")) : m?.get(key);
            return v === undefined ? R.NotFound : vm.writeResult(byteStringToBytes(v), retPtr, retLen);
          };
        case "proxy_get_header_map_pairs":
          return (type: number, retPtr: number, retLen: number) => {
            if (type !== MapType.RequestHeaders) return envoy(type, retPtr, retLen);
            const m = ctx().getConstMap(MapType.RequestHeaders) ?? ctx().stream()?.cb.stream.requestHeaderMap?.();
            if (!m) return R.BadArgument;
            const all = m.pairs();
            const plain = all.filter(([k]) => !k.startsWith(":"));
            const authority = m.get(":authority");
            if (authority !== undefined && !plain.some(([k]) => k === "host")) plain.unshift(["host", authority]);
            const pseudo = [":scheme", ":path", ":method"].map((k) => [k, m.get(k) ?? ""] as [string, string]);
            const pairs = [...plain, ...pseudo].map(([k, v]) => [byteStringToBytes(k), byteStringToBytes(v)] as [Uint8Array, Uint8Array]);
            return vm.writeResult(encodePairs(pairs), retPtr, retLen);
          };
        case "proxy_get_buffer_bytes":
          return (type: number, start: number, size: number, retPtr: number, retLen: number) => {
            if (type !== BufferType.HttpRequestBody && type !== BufferType.HttpResponseBody && type !== BufferType.HttpCallResponseBody && type !== BufferType.PluginConfiguration) {
              return R.Unimplemented;
            }
            if (type === BufferType.PluginConfiguration) return envoy(type, 0, 0xffffffff, retPtr, retLen);
            const b = ctx().getBuffer(type);
            const len = b ? b.bytes().length : 0;
            if (len === 0) return R.NotFound;
            if ((start | 0) < 0 || (size | 0) <= 0 || start >= len) return R.BadArgument;
            return envoy(type, start, Math.min(size, len - start), retPtr, retLen);
          };
        case "proxy_send_local_response":
          // Status, body and the extra headers are applied; the gRPC status is not. (Details are
          // kept: APISIX has none, the harness uses them to tell a local reply from the upstream's.)
          // lib/resty/proxy-wasm.lua acts on the stored status only after a request callback:
          // from a response callback it is recorded and nothing happens.
          return (code: number, d: number, dl: number, b: number, bl: number, h: number, hl: number) => {
            if (ctx().stream()?.cb.stream.responseHeaderMap?.()) return R.Ok;
            return envoy(code, d, dl, b, bl, h, hl, -1);
          };
        default:
          return envoy;
      }
    },
    calls: (cb) => CALLED.has(cb),
    // proxy_wasm_abi.md: "TODO: pass a correct `num_headers` but not 0."
    numHeaders: () => 0,
    responseInChainOrder: true,
    // apisix/plugins/wasm.lua: the request body is read whole (core.request.get_body) and handed
    // over once with end of stream; the response body goes chunk by chunk (ngx.arg[1], ngx.arg[2]).
    wholeBody: (direction) => direction === "request",
    pauseRule: () => "ignored",
    metricName: (_filter, name) => `wasmcustom.${name}`,
    // on_configure runs lazily for each route's conf; a failure answers that request 503, as
    // any filter error does ("failed to run wasm plugin" → return 503).
    rejectsConfigAtLoad: false,
    failOpenAllowed: false,
  };
}
