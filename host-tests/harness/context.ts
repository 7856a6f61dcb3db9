// Envoy's side of proxy-wasm contexts (source/extensions/common/wasm/context.cc and
// proxy-wasm-cpp-host src/context.cc): what each callback is given, which maps and buffers
// are reachable when, how results are converted, and what a failed VM does to a stream.
import { BufferType, DataStatus, HeadersStatus, MapType, TrailersStatus, WasmResult } from "./abi";
import { BodyBuffer, bodyBuffer, constBuffer, type BufferView } from "./body-buffer";
import type { HeaderMap } from "./header-map";
import type { Plugin } from "./plugin";
import type { WasmVm } from "./vm";

const GRPC_UNAVAILABLE = 14;

/** What the filter manager offers a filter (Envoy's Stream{De,En}coderFilterCallbacks). */
export interface FilterCallbacks {
  continueDecoding(): void;
  continueEncoding(): void;
  sendLocalReply(code: number, body: Uint8Array, modifyHeaders: ((h: HeaderMap) => void) | undefined, grpcStatus: number | undefined, details: string): void;
  resetStream(details?: string): void;
  /** Moves data into the filter manager's buffered request body; may trigger a 413. */
  addDecodedData(data: BodyBuffer): void;
  addEncodedData(data: BodyBuffer): void;
  decodingBuffer(): BodyBuffer | null;
  encodingBuffer(): BodyBuffer | null;
  addDecodedTrailers(): HeaderMap;
  addEncodedTrailers(): HeaderMap;
  setResponseCodeDetailsIfUnset(details: string): void;
  /** Kong's response-body buffering: filters before this one see no data while it holds. */
  holdResponseChain?(on: boolean): void;
  readonly stream: StreamInfoView;
}

/** Stream info a filter can reach through properties. */
export interface StreamInfoView {
  readonly id: number;
  readonly worker: number;
  filterStateMap: Map<string, Uint8Array>;
  attributes: import("./api").StreamAttributes;
  startTimeNs: bigint;
  requestBytes: number;
  responseBytes: number;
  responseCode?: number;
  codeDetails?: string;
  requestComplete: boolean;
  endTimeNs?: bigint;
  upstreamCluster?: string;
  /** The stream's request/response headers whatever a filter's window (nginx hosts read them any time). */
  requestHeaderMap?(): HeaderMap | null;
  responseHeaderMap?(): HeaderMap | null;
}

/** The parts of a context the hostcalls need, for roots and streams alike. */
export interface HostContext {
  readonly id: number;
  readonly vm: WasmVm;
  readonly root: RootContext;
  readonly plugin: Plugin;
  getMap(type: number): HeaderMap | null;
  getConstMap(type: number): HeaderMap | null;
  readonly accessLogPhase: boolean;
  getBuffer(type: number): BufferView | null;
  stream(): StreamContext | null;
}

/** Envoy's callout bookkeeping lives on the root; see callouts.ts for the transport. */
export interface HttpCallResponse {
  headers: HeaderMap;
  body: Uint8Array;
  trailers: HeaderMap | null;
}

export class RootContext implements HostContext {
  readonly root = this;
  /** Set only while proxy_on_configure runs (Envoy's temp_plugin_). */
  private configuring = false;
  httpCallResponse: HttpCallResponse | null = null;
  grpcReceiveBuffer: Uint8Array | null = null;
  grpcInitialMetadata: HeaderMap | null = null;
  grpcTrailingMetadata: HeaderMap | null = null;
  statusCode = 0;
  statusMessage = "";
  tickPeriodMs = 0;
  cancelTick: (() => void) | null = null;
  /** Cancels for outstanding callouts, by token. */
  callouts = new Map<number, { cancel(): void; kind: "http" | "grpcCall" | "grpcStream"; localClosed?: boolean; remoteClosed?: boolean; send?(msg: Uint8Array, end: boolean): void; close?(): void }>();
  awaitingDone = false;
  readonly accessLogPhase = false;

  constructor(readonly id: number, readonly vm: WasmVm, readonly plugin: Plugin) {}

  stream(): StreamContext | null {
    return null;
  }

  getMap(_type: number): HeaderMap | null {
    return null;
  }

  getConstMap(type: number): HeaderMap | null {
    switch (type) {
      case MapType.GrpcReceiveInitialMetadata:
        return this.grpcInitialMetadata;
      case MapType.GrpcReceiveTrailingMetadata:
        return this.grpcTrailingMetadata;
      case MapType.HttpCallResponseHeaders:
        return this.httpCallResponse?.headers ?? null;
      case MapType.HttpCallResponseTrailers:
        return this.httpCallResponse?.trailers ?? null;
      default:
        return null;
    }
  }

  getBuffer(type: number): BufferView | null {
    return commonBuffer(this, type, this.configuring);
  }

  // Lifecycle, as cpp-host's WasmBase::start / ContextBase::onStart / onConfigure.
  create(): boolean {
    this.vm.call("proxy_on_context_create", this.id, this.id, 0);
    this.vm.drainAfterCallActions();
    return !this.vm.failed;
  }

  start(): boolean {
    if (!this.vm.has("proxy_on_vm_start") || !this.plugin.profile.calls("proxy_on_vm_start")) return !this.vm.failed;
    const r = this.vm.call("proxy_on_vm_start", this.id, this.id, this.plugin.vmConfiguration.length);
    this.vm.drainAfterCallActions();
    return r !== undefined && r !== 0;
  }

  configure(): boolean {
    if (!this.vm.has("proxy_on_configure")) return !this.vm.failed;
    this.configuring = true;
    let r: number | undefined;
    try {
      r = this.vm.call("proxy_on_configure", this.id, this.id, this.plugin.configuration.length);
    } finally {
      this.configuring = false;
    }
    this.vm.drainAfterCallActions();
    return r !== undefined && r !== 0;
  }

  callback(name: string, ...args: number[]): void {
    if (!this.plugin.profile.calls(name)) return;
    this.vm.call(name, this.id, this.id, ...args);
    this.vm.drainAfterCallActions();
  }
}

function commonBuffer(ctx: HostContext, type: number, configuring: boolean): BufferView | null {
  const root = ctx.root;
  switch (type) {
    case BufferType.VmConfiguration:
      return constBuffer(ctx.plugin.vmConfiguration);
    case BufferType.PluginConfiguration:
      return configuring ? constBuffer(ctx.plugin.configuration) : null;
    case BufferType.HttpCallResponseBody:
      return root.httpCallResponse ? constBuffer(root.httpCallResponse.body) : null;
    case BufferType.GrpcReceiveBuffer:
      return constBuffer(root.grpcReceiveBuffer ?? new Uint8Array(0));
    case BufferType.DownstreamData:
    case BufferType.UpstreamData:
      return bodyBuffer(null);
    case BufferType.CallData:
      return constBuffer(new Uint8Array(0));
    default:
      return null;
  }
}

/** One filter's context on one HTTP stream. */
export class StreamContext implements HostContext {
  readonly id: number;
  created = false;
  private destroyed = false;
  failureLocalReplySent = false;
  requestHeaders: HeaderMap | null = null;
  requestTrailers: HeaderMap | null = null;
  requestBody: BodyBuffer | null = null;
  responseHeaders: HeaderMap | null = null;
  responseTrailers: HeaderMap | null = null;
  responseBody: BodyBuffer | null = null;
  private endOfStream = false;
  private bufferingRequestBody = false;
  private bufferingResponseBody = false;
  accessLogPhase = false;
  /** Body a whole-body host holds until end of stream, per direction. */
  private wholeBody: { request: BodyBuffer | null; response: BodyBuffer | null } = { request: null, response: null };
  /** Kong: response-body buffering requested by a Pause (bytes held), and whether it happened already. */
  private kongHeld: BodyBuffer | null = null;
  private kongBuffered = false;
  private accessLog: { request: HeaderMap | null; response: HeaderMap | null; responseTrailers: HeaderMap | null } | null = null;

  constructor(
    readonly root: RootContext,
    readonly plugin: Plugin,
    /** null for the VM-less context Envoy adds when a fail-closed plugin's VM is dead. */
    private readonly wasm: WasmVm | null,
    readonly cb: FilterCallbacks,
  ) {
    this.id = wasm ? wasm.newContextId() : 0;
  }

  get vm(): WasmVm {
    return this.wasm!;
  }

  stream(): StreamContext {
    return this;
  }

  private isFailed(): boolean {
    return this.wasm === null || this.wasm.failed;
  }

  /** CHECK_FAIL_HTTP: fail open continues, fail closed answers 503 and stops. */
  private checkFail<T>(direction: "request" | "response", open: T, closed: T): T | null {
    if (!this.isFailed()) return null;
    if (this.plugin.failOpen) return open;
    this.failStream(direction);
    return closed;
  }

  private failStream(_direction: "request" | "response"): void {
    if (this.failureLocalReplySent) return;
    this.failureLocalReplySent = true;
    this.cb.sendLocalReply(this.plugin.profile.failStatus, new Uint8Array(0), undefined, GRPC_UNAVAILABLE, "wasm_fail_stream");
  }

  private onCreate(): void {
    if (!this.isFailed() && !this.created && this.wasm!.has("proxy_on_context_create")) {
      this.wasm!.call("proxy_on_context_create", this.id, this.id, this.root.id);
      this.wasm!.drainAfterCallActions();
    }
    this.created = true;
  }

  /** Calls a stream callback the way cpp-host's ContextBase::onX does, returning the raw result. */
  private invoke(name: string, ...args: number[]): number | undefined {
    const r = this.wasm!.call(name, this.id, this.id, ...args);
    return r;
  }

  private finish(): void {
    this.wasm?.drainAfterCallActions();
  }

  private headersStatus(raw: number): HeadersStatus {
    if (this.wasm!.stopNextIteration || raw > HeadersStatus.StopAllIterationAndWatermark) return HeadersStatus.StopAllIterationAndWatermark;
    if (raw === HeadersStatus.StopIteration) {
      return this.plugin.allowOnHeadersStopIteration ? HeadersStatus.StopIteration : HeadersStatus.StopAllIterationAndWatermark;
    }
    if (raw === HeadersStatus.ContinueAndDontEndStream) return HeadersStatus.Continue;
    return raw as HeadersStatus;
  }

  private dataStatus(raw: number): DataStatus {
    if (this.wasm!.stopNextIteration || raw > DataStatus.StopIterationNoBuffer) return DataStatus.StopIterationNoBuffer;
    return raw as DataStatus;
  }

  private trailersStatus(raw: number): TrailersStatus {
    if (this.wasm!.stopNextIteration || raw !== 0) return TrailersStatus.StopIteration;
    return TrailersStatus.Continue;
  }

  private headersCallback(name: string, direction: "request" | "response", n: number, eos: boolean): HeadersStatus {
    const early = this.checkFail(direction, HeadersStatus.Continue, HeadersStatus.StopAllIterationAndWatermark);
    if (early !== null) return early;
    if (!this.wasm!.has(name) || !this.plugin.profile.calls(name)) return HeadersStatus.Continue;
    n = this.plugin.profile.numHeaders(n);
    const raw = this.wasm!.abi === "0.1.0" ? this.invoke(name, n) : this.invoke(name, n, eos ? 1 : 0);
    const failed = this.checkFail(direction, HeadersStatus.Continue, HeadersStatus.StopAllIterationAndWatermark);
    const status = failed ?? this.profiledHeaders(direction, raw ?? 0);
    this.finish();
    return status;
  }

  /** A headers result under the host's pause rule (profile.ts). */
  private profiledHeaders(direction: "request" | "response", raw: number): HeadersStatus {
    const rule = this.plugin.profile.pauseRule(direction, "headers");
    if (rule === "envoy" || raw === 0 || this.wasm!.stopNextIteration) return this.headersStatus(raw);
    if (rule === "kong-headers") {
      // ngx_proxy_wasm.c: a Pause in ResponseHeaders means "a local response follows"; without one
      // Kong warns and the response goes on.
      this.hostLog(3, `"ResponseHeaders" returned "PAUSE": local response expected but none produced`);
    }
    return HeadersStatus.Continue;
  }

  private profiledData(direction: "request" | "response", raw: number): DataStatus {
    const rule = this.plugin.profile.pauseRule(direction, "body");
    if (rule === "envoy" || raw === 0 || this.wasm!.stopNextIteration) return this.dataStatus(raw);
    return rule === "kong-body" ? DataStatus.StopIterationAndBuffer : DataStatus.Continue;
  }

  /** A line the host itself logs about this filter (as the stream's log). */
  private hostLog(level: number, message: string): void {
    this.wasm!.hostLog?.(this, level, message);
  }

  private dataCallback(name: string, direction: "request" | "response", len: number, eos: boolean): DataStatus {
    const early = this.checkFail(direction, DataStatus.Continue, DataStatus.StopIterationNoBuffer);
    if (early !== null) return early;
    if (!this.wasm!.has(name) || !this.plugin.profile.calls(name)) return DataStatus.Continue;
    const raw = this.invoke(name, len, eos ? 1 : 0);
    const failed = this.checkFail(direction, DataStatus.Continue, DataStatus.StopIterationNoBuffer);
    const status = failed ?? this.profiledData(direction, raw ?? 0);
    this.finish();
    return status;
  }

  private trailersCallback(name: string, direction: "request" | "response", n: number): TrailersStatus {
    const early = this.checkFail(direction, TrailersStatus.Continue, TrailersStatus.StopIteration);
    if (early !== null) return early;
    if (!this.wasm!.has(name) || !this.plugin.profile.calls(name)) return TrailersStatus.Continue;
    const raw = this.invoke(name, n);
    const failed = this.checkFail(direction, TrailersStatus.Continue, TrailersStatus.StopIteration);
    const status = failed ?? this.trailersStatus(raw ?? 0);
    this.finish();
    return status;
  }

  // ---- Envoy's Http::StreamFilter interface (context.cc decodeHeaders ... encodeTrailers) ----

  decodeHeaders(headers: HeaderMap, eos: boolean): HeadersStatus {
    this.onCreate();
    this.requestHeaders = headers;
    this.endOfStream = eos;
    const result = this.headersCallback("proxy_on_request_headers", "request", headers.size, eos);
    if (result === HeadersStatus.Continue) this.requestHeaders = null;
    return result;
  }

  decodeData(data: BodyBuffer, eos: boolean): DataStatus {
    if (!this.created) return DataStatus.Continue;
    if (this.holdWhole("request", data, eos)) return DataStatus.StopIterationNoBuffer;
    if (this.bufferingRequestBody) {
      this.cb.addDecodedData(data);
      if (this.destroyed) return DataStatus.StopIterationAndBuffer;
    }
    this.requestBody = data;
    this.endOfStream = eos;
    const size = this.getBuffer(BufferType.HttpRequestBody)!.bytes().length;
    const result = this.dataCallback("proxy_on_request_body", "request", size, eos);
    this.bufferingRequestBody = false;
    if (result === DataStatus.Continue) this.requestBody = null;
    else if (result === DataStatus.StopIterationAndBuffer) this.bufferingRequestBody = true;
    return result;
  }

  decodeTrailers(trailers: HeaderMap): TrailersStatus {
    if (!this.created) return TrailersStatus.Continue;
    this.requestTrailers = trailers;
    const result = this.trailersCallback("proxy_on_request_trailers", "request", trailers.size);
    if (result === TrailersStatus.Continue) this.requestTrailers = null;
    return result;
  }

  encodeHeaders(headers: HeaderMap, eos: boolean): HeadersStatus {
    if (!this.created || this.failureLocalReplySent) return HeadersStatus.Continue;
    this.responseHeaders = headers;
    this.endOfStream = eos;
    const result = this.headersCallback("proxy_on_response_headers", "response", headers.size, eos);
    if (result === HeadersStatus.Continue) this.responseHeaders = null;
    return result;
  }

  encodeData(data: BodyBuffer, eos: boolean): DataStatus {
    if (!this.created || this.failureLocalReplySent) return DataStatus.Continue;
    if (this.holdWhole("response", data, eos)) return DataStatus.StopIterationNoBuffer;
    if (this.plugin.profile.pauseRule("response", "body") === "kong-body") return this.kongEncodeData(data, eos);
    if (this.bufferingResponseBody) {
      this.cb.addEncodedData(data);
      if (this.destroyed) return DataStatus.StopIterationAndBuffer;
    }
    this.responseBody = data;
    this.endOfStream = eos;
    const size = this.getBuffer(BufferType.HttpResponseBody)!.bytes().length;
    const result = this.dataCallback("proxy_on_response_body", "response", size, eos);
    this.bufferingResponseBody = false;
    if (result === DataStatus.Continue) this.responseBody = null;
    else if (result === DataStatus.StopIterationAndBuffer) this.bufferingResponseBody = true;
    return result;
  }

  /**
   * Whole-body hosts: chunks before end of stream are kept here (nothing goes on); at end of
   * stream they are put back in front of the last chunk, which the filter then sees whole.
   */
  private holdWhole(direction: "request" | "response", data: BodyBuffer, eos: boolean): boolean {
    if (!this.plugin.profile.wholeBody(direction)) return false;
    if (!eos) {
      (this.wholeBody[direction] ??= new BodyBuffer()).move(data);
      return true;
    }
    const held = this.wholeBody[direction];
    if (held) {
      data.prepend(held.data);
      this.wholeBody[direction] = null;
    }
    return false;
  }

  /**
   * Kong's response body (ngx_http_wasm_filter_module.c, ngx_proxy_wasm.c): a Pause turns on
   * buffering; later chunks are held, and no filter sees them, until end of stream or the buffers
   * (wasm_response_body_buffers) are full; then this filter is called again with all of it. A
   * second Pause is an error that changes nothing.
   */
  private kongEncodeData(data: BodyBuffer, eos: boolean): DataStatus {
    if (this.kongHeld) {
      this.kongHeld.move(data);
      if (!eos && this.kongHeld.size < this.plugin.profile.responseBodyBufferBytes) return DataStatus.StopIterationNoBuffer;
      data.move(this.kongHeld);
      this.kongHeld = null;
      this.kongBuffered = true;
      this.cb.holdResponseChain?.(false);
    }
    this.responseBody = data;
    this.endOfStream = eos;
    const status = this.dataCallback("proxy_on_response_body", "response", data.size, eos);
    // profiledData marks Kong's Pause as StopIterationAndBuffer; anything else (Continue, a local
    // reply, a failed VM) is final.
    if (status !== DataStatus.StopIterationAndBuffer) {
      this.responseBody = null;
      return status;
    }
    if (this.kongBuffered) {
      this.hostLog(4, `invalid "on_response_body" return action (PAUSE): response body buffering already requested`);
      this.responseBody = null;
      return DataStatus.Continue;
    }
    this.kongHeld = new BodyBuffer();
    this.kongHeld.move(data);
    this.responseBody = null;
    this.cb.holdResponseChain?.(true);
    // The paused chunk may be the last: the filter is called again at once with the whole body.
    return eos ? this.kongEncodeData(data, eos) : DataStatus.StopIterationNoBuffer;
  }

  encodeTrailers(trailers: HeaderMap): TrailersStatus {
    if (!this.created || this.failureLocalReplySent) return TrailersStatus.Continue;
    this.responseTrailers = trailers;
    const result = this.trailersCallback("proxy_on_response_trailers", "response", trailers.size);
    if (result === TrailersStatus.Continue) this.responseTrailers = null;
    return result;
  }

  /** Access-log step: creates the context if the request never reached it, then on_log. */
  log(request: HeaderMap | null, response: HeaderMap | null, responseTrailers: HeaderMap | null): void {
    if (!this.created) this.onCreate();
    if (this.isFailed()) return;
    this.accessLogPhase = true;
    this.accessLog = { request, response, responseTrailers };
    try {
      if (this.wasm!.has("proxy_on_log") && this.plugin.profile.calls("proxy_on_log")) {
        this.invoke("proxy_on_log");
        this.finish();
      }
    } finally {
      this.accessLogPhase = false;
      this.accessLog = null;
    }
  }

  /** Filter destruction: on_done (result ignored for streams) then on_delete. */
  onDestroy(): void {
    if (this.destroyed || !this.created) return;
    this.destroyed = true;
    if (this.isFailed()) return;
    if (this.wasm!.has("proxy_on_done") && this.plugin.profile.calls("proxy_on_done")) {
      this.invoke("proxy_on_done");
      this.finish();
    }
    if (!this.isFailed() && this.wasm!.has("proxy_on_delete") && this.plugin.profile.calls("proxy_on_delete")) {
      this.invoke("proxy_on_delete");
      this.finish();
    }
  }

  /** Marks the context gone without callbacks (its stream died with the VM). */
  get isDestroyed(): boolean {
    return this.destroyed;
  }

  // ---- hostcall support ----

  getMap(type: number): HeaderMap | null {
    switch (type) {
      case MapType.RequestHeaders:
        return this.requestHeaders;
      case MapType.RequestTrailers:
        if (this.requestTrailers === null && this.requestBody && this.endOfStream) this.requestTrailers = this.cb.addDecodedTrailers();
        return this.requestTrailers;
      case MapType.ResponseHeaders:
        return this.responseHeaders;
      case MapType.ResponseTrailers:
        if (this.responseTrailers === null && this.responseBody && this.endOfStream) this.responseTrailers = this.cb.addEncodedTrailers();
        return this.responseTrailers;
      default:
        return null;
    }
  }

  getConstMap(type: number): HeaderMap | null {
    switch (type) {
      case MapType.RequestHeaders:
        return this.accessLogPhase ? this.accessLog!.request : this.requestHeaders;
      case MapType.RequestTrailers:
        return this.accessLogPhase ? null : this.requestTrailers;
      case MapType.ResponseHeaders:
        return this.accessLogPhase ? this.accessLog!.response : this.responseHeaders;
      case MapType.ResponseTrailers:
        return this.accessLogPhase ? this.accessLog!.responseTrailers : this.responseTrailers;
      default:
        return this.root.getConstMap(type);
    }
  }

  getBuffer(type: number): BufferView | null {
    switch (type) {
      case BufferType.HttpRequestBody:
        return bodyBuffer(this.bufferingRequestBody ? this.cb.decodingBuffer() : this.requestBody);
      case BufferType.HttpResponseBody:
        return bodyBuffer(this.bufferingResponseBody ? this.cb.encodingBuffer() : this.responseBody);
      default:
        return commonBuffer(this, type, false);
    }
  }

  /** ctx.cc continueStream: deferred, and it drops the request pointers whatever the direction. */
  continueStream(type: number): number {
    if (type === 0) this.wasm!.addAfterCallAction(() => this.cb.continueDecoding());
    else if (type === 1) this.wasm!.addAfterCallAction(() => this.cb.continueEncoding());
    else if (type === 3) return WasmResult.Unimplemented;
    else if (type === 2) return WasmResult.Ok;
    else return WasmResult.BadArgument;
    this.requestHeaders = null;
    this.requestBody = null;
    this.requestTrailers = null;
    return WasmResult.Ok;
  }

  closeStream(type: number): number {
    if (type === 0 || type === 1) {
      this.cb.setResponseCodeDetailsIfUnset("wasm_close_stream");
      this.wasm!.addAfterCallAction(() => this.cb.resetStream("wasm_close_stream"));
      return WasmResult.Ok;
    }
    if (type === 2 || type === 3) return WasmResult.Ok; // no connection-level filters on an HTTP stream
    return WasmResult.BadArgument;
  }

  sendLocalResponse(code: number, body: Uint8Array, headers: Array<[string, string]>, grpcStatus: number, details: string): number {
    const grpc = grpcStatus >= 0 && grpcStatus <= 16 ? grpcStatus : undefined;
    const cleanDetails = details.replace(/\s/g, "_");
    this.wasm!.addAfterCallAction(() =>
      this.cb.sendLocalReply(code, body, (h) => headers.forEach(([k, v]) => h.add(k, v)), grpc, cleanDetails),
    );
    return WasmResult.Ok;
  }
}
