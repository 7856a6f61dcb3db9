// The module's exports: every proxy_on_* callback, malloc and the ABI marker. A filter's
// entry file re-exports this file (`export * from "../sdk/dispatcher"`), so it must export
// nothing else: every export here becomes a wasm export Envoy sees.
//
// Never trap here on unexpected input (unknown context ids, tokens, root ids): a trap kills
// the VM for every stream on the worker. Unknown ids are ignored and streams continue.
import "./abort";
import { LogLevel } from "./types";
import { BaseContext, RootContext, HttpContext, StreamContext } from "./context";
import { findRootFactory, registeredRootIds } from "./registry";
import { takeHttpCall, findGrpc, forgetGrpc, GrpcKind } from "./callouts";
import { getPropertyString, setEffectiveContext } from "./hostcalls";
import { log, logEnabled, refreshLogLevel } from "./log";
import { announceVersion } from "./version";

const roots = new Map<u32, RootContext>();
const https = new Map<u32, HttpContext>();
const streams = new Map<u32, StreamContext>();
// Roots whose root_id has no registered class: remembered so vm_start/configure fail loudly.
const unknownRoots = new Map<u32, string>();

// Callbacks for one stream come in runs; a one-entry cache saves the hash lookup.
let lastHttpId: u32 = 0;
let lastHttp: HttpContext | null = null;

function httpContext(id: u32): HttpContext | null {
  if (id == lastHttpId && lastHttp !== null) return lastHttp;
  if (!https.has(id)) return null;
  const c = https.get(id);
  lastHttpId = id;
  lastHttp = c;
  return c;
}

function rootContext(id: u32): RootContext | null {
  return roots.has(id) ? roots.get(id) : null;
}

function streamContext(id: u32): StreamContext | null {
  return streams.has(id) ? streams.get(id) : null;
}

function anyContext(id: u32): BaseContext | null {
  const h = httpContext(id);
  if (h !== null) return h;
  const r = rootContext(id);
  if (r !== null) return r;
  return streamContext(id);
}

function rootIdName(id: u32): string {
  const root = rootContext(id);
  if (root !== null) return root.rootId;
  return unknownRoots.has(id) ? unknownRoots.get(id) : "";
}

function rejectUnknownRoot(root: u32, what: string): bool {
  if (unknownRoots.has(root)) {
    log(LogLevel.Error, "tollgate: " + what + ": no root context registered for root_id \"" +
      unknownRoots.get(root) + "\" (registered: " + registeredRootIds() + ")");
  } else {
    log(LogLevel.Error, "tollgate: " + what + ": unknown root context " + root.toString());
  }
  return false;
}

// ---- Allocation and ABI marker --------------------------------------------------------

/**
 * The host allocates every host→guest buffer through this, re-entering the module while it
 * is suspended inside a hostcall. heap.alloc is the raw TLSF allocator under the GC: it
 * never starts a collection, so re-entry cannot move or free anything the suspended code
 * holds. The guest frees these buffers with heap.free (HostBytes.free).
 */
export function malloc(size: usize): usize {
  return heap.alloc(size);
}

export function proxy_abi_version_0_2_1(): void {}

// ---- Lifecycle ------------------------------------------------------------------------

export function proxy_on_context_create(contextId: u32, parentId: u32): void {
  if (parentId == 0) {
    // First hostcall-capable moment for this plugin: _initialize runs in restricted mode.
    refreshLogLevel();
    const rootIdOrNull = getPropertyString(["plugin_root_id"]);
    const rootId = rootIdOrNull === null ? "" : rootIdOrNull;
    const factory = findRootFactory(rootId);
    if (factory === null) {
      unknownRoots.set(contextId, rootId);
      return;
    }
    const root = factory(contextId);
    root.rootId = rootId;
    roots.set(contextId, root);
    return;
  }
  const root = rootContext(parentId);
  if (root === null) return;
  const http = root.createHttpContext(contextId);
  if (http !== null) {
    https.set(contextId, http);
    return;
  }
  const stream = root.createStreamContext(contextId);
  if (stream !== null) streams.set(contextId, stream);
}

export function proxy_on_vm_start(rootId: u32, vmConfigurationSize: u32): bool {
  const root = rootContext(rootId);
  // The module's first log line: which release and build serves this root id.
  announceVersion(rootId, rootIdName(rootId));
  if (root === null) return rejectUnknownRoot(rootId, "on_vm_start");
  return root.onVmStart(vmConfigurationSize);
}

export function proxy_on_configure(rootId: u32, pluginConfigurationSize: u32): bool {
  refreshLogLevel();
  announceVersion(rootId, rootIdName(rootId)); // no-op after vm start; APISIX has none
  const root = rootContext(rootId);
  if (root === null) return rejectUnknownRoot(rootId, "on_configure");
  return root.onConfigure(pluginConfigurationSize);
}

export function proxy_on_tick(rootId: u32): void {
  refreshLogLevel();
  const root = rootContext(rootId);
  if (root !== null) root.onTick();
}

export function proxy_on_queue_ready(rootId: u32, queueId: u32): void {
  const root = rootContext(rootId);
  if (root !== null) root.onQueueReady(queueId);
}

export function proxy_on_foreign_function(rootId: u32, functionId: u32, dataSize: u32): void {
  const root = rootContext(rootId);
  if (root !== null) root.onForeignFunction(functionId, dataSize);
}

export function proxy_on_log(contextId: u32): void {
  const c = anyContext(contextId);
  if (c !== null) c.onLog();
}

export function proxy_on_done(contextId: u32): bool {
  const c = anyContext(contextId);
  if (c === null) return true;
  return c.onDone();
}

export function proxy_on_delete(contextId: u32): void {
  const c = anyContext(contextId);
  if (c !== null) c.onDelete();
  if (lastHttpId == contextId) {
    lastHttpId = 0;
    lastHttp = null;
  }
  https.delete(contextId);
  roots.delete(contextId);
  streams.delete(contextId);
  unknownRoots.delete(contextId);
}

// ---- HTTP stream ----------------------------------------------------------------------

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  const c = httpContext(contextId);
  return c === null ? 0 : <u32>c.onRequestHeaders(numHeaders, endOfStream != 0);
}

export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  const c = httpContext(contextId);
  return c === null ? 0 : <u32>c.onRequestBody(bodySize, endOfStream != 0);
}

export function proxy_on_request_trailers(contextId: u32, numTrailers: u32): u32 {
  const c = httpContext(contextId);
  return c === null ? 0 : <u32>c.onRequestTrailers(numTrailers);
}

export function proxy_on_response_headers(contextId: u32, numHeaders: u32, endOfStream: u32): u32 {
  const c = httpContext(contextId);
  return c === null ? 0 : <u32>c.onResponseHeaders(numHeaders, endOfStream != 0);
}

export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: u32): u32 {
  const c = httpContext(contextId);
  return c === null ? 0 : <u32>c.onResponseBody(bodySize, endOfStream != 0);
}

export function proxy_on_response_trailers(contextId: u32, numTrailers: u32): u32 {
  const c = httpContext(contextId);
  return c === null ? 0 : <u32>c.onResponseTrailers(numTrailers);
}

// ---- TCP stream -----------------------------------------------------------------------

export function proxy_on_new_connection(contextId: u32): u32 {
  const c = streamContext(contextId);
  return c === null ? 0 : <u32>c.onNewConnection();
}

export function proxy_on_downstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  const c = streamContext(contextId);
  return c === null ? 0 : <u32>c.onDownstreamData(dataSize, endOfStream != 0);
}

export function proxy_on_upstream_data(contextId: u32, dataSize: u32, endOfStream: u32): u32 {
  const c = streamContext(contextId);
  return c === null ? 0 : <u32>c.onUpstreamData(dataSize, endOfStream != 0);
}

export function proxy_on_downstream_connection_close(contextId: u32, peerType: u32): void {
  const c = streamContext(contextId);
  if (c !== null) c.onDownstreamClose(peerType);
}

export function proxy_on_upstream_connection_close(contextId: u32, peerType: u32): void {
  const c = streamContext(contextId);
  if (c !== null) c.onUpstreamClose(peerType);
}

// ---- Callouts -------------------------------------------------------------------------

/**
 * Routes a callout event to the context that issued it. Returns null when the context is
 * gone (the stream ended first), in which case the event is dropped.
 */
function calloutTarget(rootId: u32, contextId: u32, token: u32): BaseContext | null {
  const c = anyContext(contextId);
  if (c === null) {
    if (logEnabled(LogLevel.Debug)) {
      log(LogLevel.Debug, "tollgate: callout " + token.toString() + " answered after context " +
        contextId.toString() + " ended; dropped");
    }
    return null;
  }
  // Hostcalls made by the handler (reading its stream's headers, continuing it) must act on
  // the stream, not on the root the response arrived on.
  if (contextId != rootId) setEffectiveContext(contextId);
  return c;
}

export function proxy_on_http_call_response(rootId: u32, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  const pending = takeHttpCall(token);
  if (pending === null) {
    // A call made through the raw hostcall: the root answers it.
    const root = rootContext(rootId);
    if (root !== null) root.onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
    return;
  }
  const target = calloutTarget(rootId, pending.contextId, token);
  if (target === null) return;
  const handler = pending.handler;
  if (handler !== null) handler.onHttpCallResponse(target, token, numHeaders, bodySize, numTrailers);
  else target.onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
}

export function proxy_on_grpc_receive_initial_metadata(rootId: u32, token: u32, numHeaders: u32): void {
  const pending = findGrpc(token);
  if (pending === null) {
    const root = rootContext(rootId);
    if (root !== null) root.onGrpcReceiveInitialMetadata(token, numHeaders);
    return;
  }
  const target = calloutTarget(rootId, pending.contextId, token);
  if (target === null) return;
  const handler = pending.handler;
  if (handler !== null) handler.onGrpcReceiveInitialMetadata(target, token, numHeaders);
  else target.onGrpcReceiveInitialMetadata(token, numHeaders);
}

export function proxy_on_grpc_receive(rootId: u32, token: u32, messageSize: u32): void {
  const pending = findGrpc(token);
  if (pending === null) {
    const root = rootContext(rootId);
    if (root !== null) root.onGrpcReceive(token, messageSize);
    return;
  }
  // A successful unary call ends with its one message: Envoy sends no close for it.
  if (pending.kind == GrpcKind.Call) forgetGrpc(token);
  const target = calloutTarget(rootId, pending.contextId, token);
  if (target === null) return;
  const handler = pending.handler;
  if (handler !== null) handler.onGrpcReceive(target, token, messageSize);
  else target.onGrpcReceive(token, messageSize);
}

export function proxy_on_grpc_receive_trailing_metadata(rootId: u32, token: u32, numTrailers: u32): void {
  const pending = findGrpc(token);
  if (pending === null) {
    const root = rootContext(rootId);
    if (root !== null) root.onGrpcReceiveTrailingMetadata(token, numTrailers);
    return;
  }
  const target = calloutTarget(rootId, pending.contextId, token);
  if (target === null) return;
  const handler = pending.handler;
  if (handler !== null) handler.onGrpcReceiveTrailingMetadata(target, token, numTrailers);
  else target.onGrpcReceiveTrailingMetadata(token, numTrailers);
}

export function proxy_on_grpc_close(rootId: u32, token: u32, statusCode: u32): void {
  const pending = findGrpc(token);
  if (pending === null) {
    const root = rootContext(rootId);
    if (root !== null) root.onGrpcClose(token, statusCode);
    return;
  }
  forgetGrpc(token);
  const target = calloutTarget(rootId, pending.contextId, token);
  if (target === null) return;
  const handler = pending.handler;
  if (handler !== null) handler.onGrpcClose(target, token, statusCode);
  else target.onGrpcClose(token, statusCode);
}

