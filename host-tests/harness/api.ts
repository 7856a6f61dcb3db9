// The harness's public surface: what replay, the CLI, benchmarks and tests use.
// Everything below models what Envoy does for one listener with an HTTP connection manager
// whose http_filters are proxy-wasm filters followed by the router.

export type HeaderList = Array<[string, string]>;

export type FailurePolicy = "FAIL_CLOSED" | "FAIL_OPEN" | "FAIL_RELOAD";

/** One `envoy.filters.http.wasm` entry of a chain (PluginConfig). */
export interface WasmFilterConfig {
  /** PluginConfig.name; shows in logs and stats. */
  name: string;
  /** PluginConfig.root_id; the SDK dispatches on it through the `plugin_root_id` property. */
  rootId: string;
  /** vm_config.vm_id; modules with equal (vm_id, vm configuration, code) share a VM per worker. */
  vmId: string;
  /** The module: raw bytes, or a file path. */
  code: Uint8Array | string;
  /** Plugin configuration bytes (PluginConfig.configuration as a StringValue). */
  configuration?: string | Uint8Array;
  /** VM configuration bytes (vm_config.configuration). */
  vmConfiguration?: string | Uint8Array;
  failurePolicy?: FailurePolicy;
  /** Envoy >= 1.35: headers Pause maps to StopIteration instead of StopAllIterationAndWatermark. */
  allowOnHeadersStopIteration?: boolean;
  /** vm_config.environment_variables.key_values (host_env_keys resolved by the caller). */
  environmentVariables?: Record<string, string>;
}

export interface HostOptions {
  /** Worker threads; each gets its own VM clone per VM key. Default 1. */
  workers?: number;
  /** Envoy cluster name -> "http://127.0.0.1:PORT" (http callouts) or "h2c://127.0.0.1:PORT" (gRPC). */
  clusters?: Record<string, string>;
  /** per_connection_buffer_limit_bytes. Default 1 MiB. */
  bufferLimitBytes?: number;
  /** Envoy's `wasm` logger level (0 trace .. 5 critical, 6 off). Default 2 (info). */
  logLevel?: number;
  /** A controllable clock; default is a real clock. */
  clock?: Clock;
  /** Node metadata for xds.node (id, cluster, metadata). */
  node?: { id?: string; cluster?: string; metadata?: Record<string, unknown> };
  /** stats_config.stats_tags: regexes whose first group is cut from a stat name and whose second is the tag value. */
  statsTags?: Array<{ tagName: string; regex: string }>;
  /** xds.* attributes for every stream (route_name, cluster_name, virtual_host_name ...). */
  xds?: Record<string, unknown>;
  /** Which proxy-wasm host to reproduce (profile.ts); default "envoy". */
  host?: "envoy" | "kong" | "apisix";
  /** Kong: bytes buffered after a response-body Pause before the filter is called anyway. */
  responseBodyBufferBytes?: number;
}

export interface Clock {
  /** Wall-clock ns since epoch. */
  nowNs(): bigint;
  /** Monotonic ns. */
  monotonicNs(): bigint;
  /** Schedule fn after ms; returns a cancel function. */
  setTimer(ms: number, fn: () => void): () => void;
}

export interface LogRecord {
  level: number; // 0..5
  /** Envoy's form: `wasm log <name> <root_id> <vm_id>: <message>` is in `line`; message alone here. */
  message: string;
  line: string;
  filter?: string;
  worker?: number;
  /** The stream the logging context belongs to; absent for root contexts and the VM. */
  stream?: number;
}

/** What a cassette (or a live client) says about the connection and Envoy-held stream state. */
export interface StreamAttributes {
  /** Pin the stream to a worker; default round-robin. */
  worker?: number;
  /** Dynamic metadata by namespace, as jwt_authn / ext_authz / set_metadata would leave it. */
  metadata?: Record<string, Record<string, unknown>>;
  /** source.address "ip:port", destination.address, connection.mtls, connection.requested_server_name ... */
  connection?: Record<string, unknown>;
  /** request.protocol; default "HTTP/1.1". */
  protocol?: string;
  /** Per-route buffer limit override (per_request_buffer_limit_bytes). */
  bufferLimitBytes?: number;
}

/** Events the stream emits toward the client (downstream) and the backend (upstream). */
export interface StreamEvents {
  /** The router forwards request headers upstream (after all decoder filters continued). */
  onUpstreamHeaders?(headers: HeaderList, endStream: boolean): void;
  onUpstreamData?(data: Uint8Array, endStream: boolean): void;
  onUpstreamTrailers?(trailers: HeaderList): void;
  /** Encoded response toward the client. */
  onDownstreamHeaders?(headers: HeaderList, endStream: boolean): void;
  onDownstreamData?(data: Uint8Array, endStream: boolean): void;
  onDownstreamTrailers?(trailers: HeaderList): void;
  /** Stream reset (overflow after headers sent, close_stream, trap with response started...). */
  onReset?(reason: string): void;
  /** on_log/on_done/on_delete have run. */
  onComplete?(): void;
}

/** A single HTTP stream through the chain, driven like a codec drives Envoy's filter manager. */
export interface HttpStream {
  readonly id: number;
  readonly worker: number;
  // Downstream (client) side.
  sendRequestHeaders(headers: HeaderList, endStream: boolean): void;
  sendRequestData(data: Uint8Array, endStream: boolean): void;
  sendRequestTrailers(trailers: HeaderList): void;
  // Upstream (backend) side: the response the router received.
  sendResponseHeaders(headers: HeaderList, endStream: boolean): void;
  sendResponseData(data: Uint8Array, endStream: boolean): void;
  sendResponseTrailers(trailers: HeaderList): void;
  /** Client went away (downstream reset): filters see no more data; on_log runs. */
  resetFromDownstream(reason?: string): void;
  /** Upstream reset before/while responding (Envoy answers 503 if headers were not sent yet). */
  resetFromUpstream(reason?: string): void;
  /** Resolves once the stream is finished (complete or reset) and on_delete ran. */
  readonly done: Promise<void>;
  /** True when no callout, timer-driven continue or queue is pending for this stream. */
  readonly idle: boolean;
  /** Properties set through proxy_set_property (path -> bytes), i.e. filter state `wasm.*`. */
  filterState(): Map<string, Uint8Array>;
  /** %RESPONSE_CODE_DETAILS% if a local reply or reset set it. */
  responseCodeDetails(): string | undefined;
}

export interface Exchange {
  name?: string;
  request: { method: string; path: string; authority?: string; scheme?: string; headers: HeaderList; body: Uint8Array; chunks?: number[]; trailers?: HeaderList };
  response: { status: number; headers: HeaderList; body: Uint8Array; chunks?: number[]; trailers?: HeaderList; gapsMs?: number[] };
  attributes?: StreamAttributes;
}

export interface ExchangeResult {
  name?: string;
  worker: number;
  localReply?: { status: number; headers: HeaderList; body: Uint8Array; details?: string };
  upstreamRequest?: { headers: HeaderList; body: Uint8Array; trailers?: HeaderList };
  downstreamResponse?: { status: number; headers: HeaderList; body: Uint8Array; trailers?: HeaderList; chunks: number[] };
  reset?: string;
  filterState: Record<string, Uint8Array>;
  logs: LogRecord[];
  metrics: Record<string, number>;
  trap?: { filter: string; function: string; message: string };
}

/**
 * One Envoy process: workers x VMs, the chain, stats, logs, shared data.
 * Created by `createHost(filters, options)` from `host-tests/harness/index.ts`, which throws
 * `WasmLoadError` (link/load failures, with Envoy's wording) or `ConfigRejectedError`
 * (vm_start/configure returned false or trapped in the canary).
 */
export interface Host {
  readonly workers: number;
  newStream(events: StreamEvents, attributes?: StreamAttributes): HttpStream;
  /** Replays one exchange (request, then the recorded upstream response) and collects the result. */
  exchange(exchange: Exchange): Promise<ExchangeResult>;
  /** All log lines so far, in order. */
  readonly logs: LogRecord[];
  /** Custom stats (`wasmcustom.<name>` without the prefix) -> value; histograms -> sample count. */
  metrics(): Record<string, number>;
  /** `/stats/prometheus` text for the custom stats, with Envoy's name mangling. */
  prometheus(): string;
  /** Fires timers due on a manual clock; no-op for the real clock. */
  advance?(ms: number): Promise<void>;
  /** A configuration update replacing the chain (see EnvoyHost.reconfigure). */
  reconfigure?(configs: WasmFilterConfig[]): Promise<void>;
  close(): Promise<void>;
}
