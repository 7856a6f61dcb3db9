// ABI 0.2.1 enums and the exact import/export signatures Envoy links against
// (proxy-wasm-cpp-host src/wasm.cc registerCallbacks/getFunctions, src/exports.cc).

export enum WasmResult {
  Ok = 0, NotFound = 1, BadArgument = 2, SerializationFailure = 3, ParseFailure = 4,
  BadExpression = 5, InvalidMemoryAccess = 6, Empty = 7, CasMismatch = 8, ResultMismatch = 9,
  InternalFailure = 10, BrokenConnection = 11, Unimplemented = 12,
}

export enum BufferType {
  HttpRequestBody = 0, HttpResponseBody = 1, DownstreamData = 2, UpstreamData = 3,
  HttpCallResponseBody = 4, GrpcReceiveBuffer = 5, VmConfiguration = 6, PluginConfiguration = 7,
  CallData = 8,
}

export enum MapType {
  RequestHeaders = 0, RequestTrailers = 1, ResponseHeaders = 2, ResponseTrailers = 3,
  GrpcReceiveInitialMetadata = 4, GrpcReceiveTrailingMetadata = 5,
  HttpCallResponseHeaders = 6, HttpCallResponseTrailers = 7,
}

export enum MetricType { Counter = 0, Gauge = 1, Histogram = 2 }

export enum StreamType { HttpRequest = 0, HttpResponse = 1, Downstream = 2, Upstream = 3 }

/** Envoy's filter statuses (after the cpp-host conversion of the VM's return value). */
export enum HeadersStatus {
  Continue = 0, StopIteration = 1, ContinueAndDontEndStream = 2,
  StopAllIterationAndBuffer = 3, StopAllIterationAndWatermark = 4,
}
export enum DataStatus {
  Continue = 0, StopIterationAndBuffer = 1, StopIterationAndWatermark = 2, StopIterationNoBuffer = 3,
}
export enum TrailersStatus { Continue = 0, StopIteration = 1 }

export const WasiErrno = { SUCCESS: 0, BADF: 8, FAULT: 21, INVAL: 28, NOENT: 44, NOSYS: 52, NOTSUP: 58, NOTCAPABLE: 76 } as const;

export type AbiVersion = "0.1.0" | "0.2.0" | "0.2.1";

/** First marker found wins, in cpp-host's bytecode_util order. */
export const ABI_MARKERS: Array<[string, AbiVersion]> = [
  ["proxy_abi_version_0_1_0", "0.1.0"],
  ["proxy_abi_version_0_2_0", "0.2.0"],
  ["proxy_abi_version_0_2_1", "0.2.1"],
];

export type ValType = "i32" | "i64" | "f32" | "f64";
export interface Signature { params: ValType[]; results: ValType[] }

const i32 = (n: number): ValType[] => Array<ValType>(n).fill("i32");
const sig = (params: ValType[], results: ValType[] = ["i32"]): Signature => ({ params, results });

/** Host functions under `env` for every ABI version. */
const ENV_COMMON: Record<string, Signature> = {
  proxy_log: sig(i32(3)),
  proxy_get_status: sig(i32(3)),
  proxy_set_tick_period_milliseconds: sig(i32(1)),
  proxy_get_current_time_nanoseconds: sig(i32(1)),
  proxy_get_property: sig(i32(4)),
  proxy_set_property: sig(i32(4)),
  proxy_get_buffer_bytes: sig(i32(5)),
  proxy_get_buffer_status: sig(i32(3)),
  proxy_set_buffer_bytes: sig(i32(5)),
  proxy_get_header_map_pairs: sig(i32(3)),
  proxy_set_header_map_pairs: sig(i32(3)),
  proxy_get_header_map_size: sig(i32(2)),
  proxy_get_header_map_value: sig(i32(5)),
  proxy_add_header_map_value: sig(i32(5)),
  proxy_replace_header_map_value: sig(i32(5)),
  proxy_remove_header_map_value: sig(i32(3)),
  proxy_send_local_response: sig(i32(8)),
  proxy_http_call: sig(i32(10)),
  proxy_grpc_call: sig(i32(12)),
  proxy_grpc_stream: sig(i32(9)),
  proxy_grpc_send: sig(i32(4)),
  proxy_grpc_cancel: sig(i32(1)),
  proxy_grpc_close: sig(i32(1)),
  proxy_set_shared_data: sig(i32(5)),
  proxy_get_shared_data: sig(i32(5)),
  proxy_register_shared_queue: sig(i32(3)),
  proxy_resolve_shared_queue: sig(i32(5)),
  proxy_enqueue_shared_queue: sig(i32(3)),
  proxy_dequeue_shared_queue: sig(i32(3)),
  proxy_define_metric: sig(i32(4)),
  proxy_increment_metric: sig(["i32", "i64"]),
  proxy_record_metric: sig(["i32", "i64"]),
  proxy_get_metric: sig(i32(2)),
  proxy_set_effective_context: sig(i32(1)),
  proxy_done: sig([]),
  proxy_call_foreign_function: sig(i32(6)),
  // Envoy's own additions (source/extensions/common/wasm/context.cc, wasm.cc).
  envoy_resolve_dns: sig(i32(3)),
  pthread_equal: sig(i32(2)),
  emscripten_notify_memory_growth: sig(i32(1), []),
};

const ENV_0_1_0: Record<string, Signature> = {
  proxy_get_configuration: sig(i32(2)),
  proxy_continue_request: sig([]),
  proxy_continue_response: sig([]),
  proxy_clear_route_cache: sig([]),
};

const ENV_0_2_X: Record<string, Signature> = {
  proxy_continue_stream: sig(i32(1)),
  proxy_close_stream: sig(i32(1)),
};

export const WASI: Record<string, Signature> = {
  fd_write: sig(i32(4)),
  fd_read: sig(i32(4)),
  fd_seek: sig(["i32", "i64", "i32", "i32"]),
  fd_close: sig(i32(1)),
  fd_fdstat_get: sig(i32(2)),
  fd_fdstat_set_flags: sig(i32(2)),
  fd_prestat_get: sig(i32(2)),
  fd_prestat_dir_name: sig(i32(3)),
  path_open: sig(["i32", "i32", "i32", "i32", "i32", "i64", "i64", "i32", "i32"]),
  fd_filestat_get: sig(i32(2)),
  path_filestat_get: sig(i32(5)),
  environ_get: sig(i32(2)),
  environ_sizes_get: sig(i32(2)),
  args_get: sig(i32(2)),
  args_sizes_get: sig(i32(2)),
  clock_time_get: sig(["i32", "i64", "i32"]),
  clock_res_get: sig(i32(2)),
  random_get: sig(i32(2)),
  sched_yield: sig([]),
  poll_oneoff: sig(i32(4)),
  proc_exit: sig(i32(1), []),
};

export const WASI_MODULES = ["wasi_snapshot_preview1", "wasi_unstable"];

/** module -> name -> signature, as registered for a module of this ABI version. */
export function hostFunctionTable(abi: AbiVersion): Map<string, Signature> {
  const table = new Map<string, Signature>();
  const env = { ...ENV_COMMON, ...(abi === "0.1.0" ? ENV_0_1_0 : ENV_0_2_X) };
  for (const [name, s] of Object.entries(env)) table.set(`env.${name}`, s);
  if (abi === "0.2.1") table.set("env.proxy_get_log_level", sig(i32(1)));
  for (const m of WASI_MODULES) for (const [name, s] of Object.entries(WASI)) table.set(`${m}.${name}`, s);
  return table;
}

/** Callbacks Envoy looks up, with the signature it requires when they are exported. */
export function callbackSignatures(abi: AbiVersion): Record<string, Signature> {
  const v = (n: number): Signature => sig(i32(n), []);
  const r = (n: number): Signature => sig(i32(n));
  const headers = abi === "0.1.0" ? r(2) : r(3);
  const table: Record<string, Signature> = {
    _initialize: v(0), _start: v(0), main: r(2), __main_void: r(0),
    malloc: r(1), proxy_on_memory_allocate: r(1),
    proxy_on_context_create: v(2), proxy_on_vm_start: r(2), proxy_on_configure: r(2),
    proxy_on_tick: v(1), proxy_on_queue_ready: v(2),
    proxy_on_new_connection: r(1), proxy_on_downstream_data: r(3), proxy_on_upstream_data: r(3),
    proxy_on_downstream_connection_close: v(2), proxy_on_upstream_connection_close: v(2),
    proxy_on_request_headers: headers, proxy_on_request_body: r(3), proxy_on_request_trailers: r(2),
    proxy_on_request_metadata: r(2),
    proxy_on_response_headers: headers, proxy_on_response_body: r(3), proxy_on_response_trailers: r(2),
    proxy_on_response_metadata: r(2),
    proxy_on_http_call_response: v(5),
    proxy_on_grpc_receive_initial_metadata: v(3), proxy_on_grpc_receive: v(3),
    proxy_on_grpc_receive_trailing_metadata: v(3), proxy_on_grpc_close: v(3),
    proxy_on_done: r(1), proxy_on_log: v(1), proxy_on_delete: v(1),
  };
  if (abi !== "0.1.0") table.proxy_on_foreign_function = v(3);
  return table;
}

export function formatSignature(s: Signature): string {
  const list = (t: ValType[]) => (t.length ? t.join(" ") : "void");
  return `${list(s.params)} -> ${list(s.results)}`;
}

export function sameSignature(a: Signature, b: Signature): boolean {
  return a.params.join() === b.params.join() && a.results.join() === b.results.join();
}
