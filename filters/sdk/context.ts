// The traits: what a filter extends. Every callback has a default, so a filter overrides only
// what it needs. Defaults continue; nothing here logs or allocates on the hot path.
import {
  FilterHeadersStatus, FilterDataStatus, FilterTrailersStatus, FilterStatus, PeerType,
  MapType, BufferType, StreamType, WasmResult, GrpcStatus,
} from "./types";
import * as host from "./hostcalls";
import { HeaderPair } from "./pairs";
import { HostBytes } from "./memory";
import { trackHttpCall, trackGrpc, GrpcKind } from "./callouts";

/** Receives one HTTP callout's response instead of the issuing context's own method. */
export abstract class HttpCallHandler {
  abstract onHttpCallResponse(context: BaseContext, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void;
}

/** Receives one gRPC call's or stream's events instead of the issuing context's methods. */
export abstract class GrpcHandler {
  onGrpcReceiveInitialMetadata(context: BaseContext, token: u32, numHeaders: u32): void {}
  onGrpcReceive(context: BaseContext, token: u32, messageSize: u32): void {}
  onGrpcReceiveTrailingMetadata(context: BaseContext, token: u32, numTrailers: u32): void {}
  onGrpcClose(context: BaseContext, token: u32, statusCode: u32): void {}
}

export class BaseContext {
  constructor(public readonly contextId: u32, public readonly rootContextId: u32) {}

  /** Access-log step; maps are read-only here. HTTP: on_log → on_done → on_delete. */
  onLog(): void {}

  /**
   * Stream contexts: Envoy ignores the result. Root contexts at shutdown: return false to
   * keep running, then call proxyDone() when finished.
   */
  onDone(): bool { return true; }

  /** The last call for this context; the SDK forgets it afterwards. */
  onDelete(): void {}

  // Callout responses. They arrive on the root id; the dispatcher routes them here (after
  // proxy_set_effective_context to this context) for calls made with this.httpCall / grpc*.
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {}
  onGrpcReceiveInitialMetadata(token: u32, numHeaders: u32): void {}
  onGrpcReceive(token: u32, messageSize: u32): void {}
  onGrpcReceiveTrailingMetadata(token: u32, numTrailers: u32): void {}
  onGrpcClose(token: u32, statusCode: u32): void {}

  /**
   * HTTP callout whose response is delivered to this context (or to `handler`). Returns the
   * token; check host.lastResult() for failure (BadArgument: unknown cluster or missing
   * :method/:path/:authority).
   */
  httpCall(
    upstream: string,
    headers: HeaderPair[],
    body: Uint8Array | null,
    trailers: HeaderPair[] | null,
    timeoutMs: u32,
    handler: HttpCallHandler | null = null,
  ): u32 {
    const token = host.httpCall(upstream, headers, body, trailers, timeoutMs);
    if (host.lastResult() == WasmResult.Ok) trackHttpCall(token, this.contextId, handler);
    return token;
  }

  grpcCall(
    service: string,
    serviceName: string,
    method: string,
    metadata: HeaderPair[] | null,
    message: Uint8Array | null,
    timeoutMs: u32,
    handler: GrpcHandler | null = null,
  ): u32 {
    const token = host.grpcCall(service, serviceName, method, metadata, message, timeoutMs);
    if (host.lastResult() == WasmResult.Ok) trackGrpc(token, GrpcKind.Call, this.contextId, handler);
    return token;
  }

  grpcStream(
    service: string,
    serviceName: string,
    method: string,
    metadata: HeaderPair[] | null,
    handler: GrpcHandler | null = null,
  ): u32 {
    const token = host.grpcStream(service, serviceName, method, metadata);
    if (host.lastResult() == WasmResult.Ok) trackGrpc(token, GrpcKind.Stream, this.contextId, handler);
    return token;
  }
}

export class RootContext extends BaseContext {
  /** The plugin's root_id, as read from `plugin_root_id` when the root was created. */
  rootId: string = "";

  constructor(contextId: u32) {
    super(contextId, contextId);
  }

  /** Once per plugin per VM; the VM configuration (BufferType.VmConfiguration) is readable. */
  onVmStart(vmConfigurationSize: u32): bool { return true; }

  /**
   * After vm_start and on every new plugin config. The plugin configuration is readable only
   * now (see config.ts loadJsonConfig). false rejects the configuration.
   */
  onConfigure(pluginConfigurationSize: u32): bool { return true; }

  onTick(): void {}

  onQueueReady(queueId: u32): void {}

  /** Envoy core never calls it; other hosts may. */
  onForeignFunction(functionId: u32, dataSize: u32): void {}

  /** Return null if this plugin is not an HTTP filter. */
  createHttpContext(contextId: u32): HttpContext | null { return null; }

  /** Return null if this plugin is not a network (TCP) filter. */
  createStreamContext(contextId: u32): StreamContext | null { return null; }

  setTickPeriod(ms: u32): WasmResult { return host.setTickPeriodMilliseconds(ms); }
}

export class HttpContext extends BaseContext {
  constructor(contextId: u32, public readonly root: RootContext) {
    super(contextId, root.contextId);
  }

  /** n counts entries, pseudo-headers included. Pause → StopAllIterationAndWatermark. */
  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus { return FilterHeadersStatus.Continue; }
  /** bodySize is the visible buffer (the chunk, or everything buffered after a Pause). */
  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus { return FilterDataStatus.Continue; }
  onRequestTrailers(numTrailers: u32): FilterTrailersStatus { return FilterTrailersStatus.Continue; }
  /** Also called for this filter's own local replies. */
  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus { return FilterHeadersStatus.Continue; }
  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus { return FilterDataStatus.Continue; }
  onResponseTrailers(numTrailers: u32): FilterTrailersStatus { return FilterTrailersStatus.Continue; }

  // Conveniences over hostcalls, named after the stream side they act on.
  getRequestHeader(name: string): string | null { return host.getHeaderMapValue(MapType.HttpRequestHeaders, name); }
  getRequestHeaders(): HeaderPair[] { return host.getHeaderMapPairs(MapType.HttpRequestHeaders); }
  setRequestHeader(name: string, value: string): WasmResult { return host.replaceHeaderMapValue(MapType.HttpRequestHeaders, name, value); }
  addRequestHeader(name: string, value: string): WasmResult { return host.addHeaderMapValue(MapType.HttpRequestHeaders, name, value); }
  removeRequestHeader(name: string): WasmResult { return host.removeHeaderMapValue(MapType.HttpRequestHeaders, name); }
  getResponseHeader(name: string): string | null { return host.getHeaderMapValue(MapType.HttpResponseHeaders, name); }
  getResponseHeaders(): HeaderPair[] { return host.getHeaderMapPairs(MapType.HttpResponseHeaders); }
  setResponseHeader(name: string, value: string): WasmResult { return host.replaceHeaderMapValue(MapType.HttpResponseHeaders, name, value); }
  addResponseHeader(name: string, value: string): WasmResult { return host.addHeaderMapValue(MapType.HttpResponseHeaders, name, value); }
  removeResponseHeader(name: string): WasmResult { return host.removeHeaderMapValue(MapType.HttpResponseHeaders, name); }

  /** Zero-copy body bytes; free() them. */
  getRequestBodyBytes(start: u32, maxSize: u32): HostBytes | null { return host.getBufferBytes(BufferType.HttpRequestBody, start, maxSize); }
  getResponseBodyBytes(start: u32, maxSize: u32): HostBytes | null { return host.getBufferBytes(BufferType.HttpResponseBody, start, maxSize); }
  replaceRequestBody(data: Uint8Array | null): WasmResult { return host.replaceBuffer(BufferType.HttpRequestBody, data); }
  replaceResponseBody(data: Uint8Array | null): WasmResult { return host.replaceBuffer(BufferType.HttpResponseBody, data); }

  resumeRequest(): WasmResult { return host.continueStream(StreamType.HttpRequest); }
  resumeResponse(): WasmResult { return host.continueStream(StreamType.HttpResponse); }
  resetRequest(): WasmResult { return host.closeStream(StreamType.HttpRequest); }

  sendLocalResponse(
    statusCode: u32,
    details: string,
    body: Uint8Array | null,
    headers: HeaderPair[] | null,
    grpcStatus: GrpcStatus = GrpcStatus.Unset,
  ): WasmResult {
    return host.sendLocalResponse(statusCode, details, body, headers, grpcStatus);
  }
}

/** Network (TCP) filter context. */
export class StreamContext extends BaseContext {
  constructor(contextId: u32, public readonly root: RootContext) {
    super(contextId, root.contextId);
  }

  onNewConnection(): FilterStatus { return FilterStatus.Continue; }
  onDownstreamData(dataSize: u32, endOfStream: bool): FilterStatus { return FilterStatus.Continue; }
  onDownstreamClose(peer: PeerType): void {}
  onUpstreamData(dataSize: u32, endOfStream: bool): FilterStatus { return FilterStatus.Continue; }
  onUpstreamClose(peer: PeerType): void {}
}
