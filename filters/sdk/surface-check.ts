// AssemblyScript compiles only what is reachable, so SDK code no filter uses yet is never
// type-checked. scripts/build.mjs compiles this file (--noEmit) to reach every public API;
// nothing here runs. Add a line when adding an API.
import * as sdk from "./index";
import {
  RootContext, HttpContext, StreamContext, BaseContext, HttpCallHandler, GrpcHandler,
  HeaderPair, BytesPair, PairsView, HostBytes, WasmResult, BufferType, MapType, MetricType,
  StreamType, LogLevel, GrpcStatus, FilterHeadersStatus, FilterDataStatus, FilterTrailersStatus,
  FilterStatus, PeerType, Action,
} from "./index";
import * as json from "../lib/json";

class CheckRoot extends RootContext {
  onVmStart(size: u32): bool { return sdk.loadJsonVmConfig(size) !== null; }
  onConfigure(size: u32): bool { return sdk.loadJsonConfig(size, "check") !== null; }
  onTick(): void { this.setTickPeriod(0); }
  onQueueReady(id: u32): void {}
  createHttpContext(id: u32): HttpContext | null { return new CheckHttp(id, this); }
  createStreamContext(id: u32): StreamContext | null { return new CheckTcp(id, this); }
}

class CheckHttp extends HttpContext {
  onRequestHeaders(n: u32, eos: bool): FilterHeadersStatus { return <FilterHeadersStatus>Action.Pause; }
  onRequestBody(n: u32, eos: bool): FilterDataStatus { return FilterDataStatus.StopIterationAndBuffer; }
  onRequestTrailers(n: u32): FilterTrailersStatus { return FilterTrailersStatus.Continue; }
}

class CheckTcp extends StreamContext {
  onNewConnection(): FilterStatus { return FilterStatus.Continue; }
  onDownstreamClose(peer: PeerType): void {}
}

class CheckHttpHandler extends HttpCallHandler {
  onHttpCallResponse(c: BaseContext, t: u32, h: u32, b: u32, tr: u32): void {}
}

class CheckGrpcHandler extends GrpcHandler {
  onGrpcClose(c: BaseContext, t: u32, s: u32): void {}
}

export function surfaceCheck(): void {
  sdk.registerRootContext("check", (id: u32): RootContext => new CheckRoot(id));
  const root = new CheckRoot(1);
  const http = new CheckHttp(2, root);
  const h: HeaderPair[] = [new HeaderPair(":method", "GET")];
  const u8 = new Uint8Array(1);

  // Contexts
  http.httpCall("c", h, u8, null, 10, new CheckHttpHandler());
  http.grpcCall("c", "s", "m", h, u8, 10, new CheckGrpcHandler());
  http.grpcStream("c", "s", "m", null, null);
  http.getRequestHeader("a"); http.getRequestHeaders(); http.setRequestHeader("a", "b");
  http.addRequestHeader("a", "b"); http.removeRequestHeader("a");
  http.getResponseHeader("a"); http.getResponseHeaders(); http.setResponseHeader("a", "b");
  http.addResponseHeader("a", "b"); http.removeResponseHeader("a");
  const rb = http.getRequestBodyBytes(0, 10); if (rb !== null) rb.free();
  const sb = http.getResponseBodyBytes(0, 10); if (sb !== null) sb.free();
  http.replaceRequestBody(u8); http.replaceResponseBody(null);
  http.resumeRequest(); http.resumeResponse(); http.resetRequest();
  http.sendLocalResponse(403, "d", u8, h, GrpcStatus.PermissionDenied);
  new CheckTcp(3, root).onUpstreamData(1, false);

  // Hostcalls
  sdk.lastResult(); sdk.getLogLevel(); sdk.getCurrentTimeNanoseconds(); sdk.setTickPeriodMilliseconds(1);
  sdk.getBuffer(BufferType.HttpRequestBody, 0, 1); sdk.getBufferString(BufferType.VmConfiguration, 0, 1);
  sdk.getBufferStatus(BufferType.HttpResponseBody); sdk.appendBuffer(BufferType.HttpResponseBody, u8);
  sdk.prependBuffer(BufferType.HttpResponseBody, u8); sdk.setBufferBytes(BufferType.CallData, 0, 0, 0, 0);
  sdk.getHeaderMapPairs(MapType.HttpRequestHeaders); sdk.setHeaderMapPairs(MapType.HttpRequestTrailers, h);
  sdk.getHeaderMapSize(MapType.HttpResponseTrailers); sdk.getHeaderMapValue(MapType.GrpcReceiveInitialMetadata, "a");
  sdk.getHeaderMapValueRaw(MapType.HttpCallResponseHeaders, 0, 0);
  sdk.addHeaderMapValueRaw(MapType.HttpRequestHeaders, 0, 0, 0, 0);
  sdk.replaceHeaderMapValueRaw(MapType.HttpRequestHeaders, 0, 0, 0, 0);
  const path = new sdk.PropertyPath(["request", "path"]);
  const pb = sdk.getPropertyAt(path); if (pb !== null) pb.free();
  sdk.getProperty(["a"]); sdk.getPropertyString(["a"]); sdk.getPropertyU64(["a"]); sdk.getPropertyBool(["a"]);
  sdk.setProperty(["a"], u8); sdk.setPropertyString(["a"], "b");
  sdk.continueStream(StreamType.HttpRequest); sdk.closeStream(StreamType.Downstream);
  sdk.sendLocalResponseString(429, "d", "body", null);
  sdk.grpcCallWithService(u8, "s", "m", null, null, 1); sdk.grpcStreamWithService(u8, "s", "m", null);
  sdk.grpcSend(1, u8, true); sdk.grpcCancel(1); sdk.grpcClose(1);
  const st = sdk.getStatus(); if (st !== null) st.message.length;
  const sd = sdk.getSharedData("k"); if (sd !== null) sd.data.takeString();
  sdk.setSharedDataString("k", "v", 3); sdk.setSharedData("k", u8);
  sdk.registerSharedQueue("q"); sdk.resolveSharedQueue("", "q"); sdk.enqueueSharedQueue(1, u8);
  sdk.enqueueSharedQueueString(1, "x"); sdk.enqueueSharedQueueRaw(1, 0, 0);
  sdk.dequeueSharedQueue(1);
  sdk.defineMetric(MetricType.Gauge, "g"); sdk.incrementMetric(1, -1); sdk.recordMetric(1, 2); sdk.getMetric(1);
  sdk.setEffectiveContext(1); sdk.proxyDone(); sdk.callForeignFunction("f", null);

  // Memory and pairs
  const hb = HostBytes.empty(); hb.toArrayBuffer(); hb.toUint8Array(); hb.toString(); hb.takeUint8Array();
  const ser = sdk.serializeBytesPairs([new BytesPair(u8, u8)]);
  const view = new PairsView(changetype<usize>(ser), <usize>ser.byteLength);
  view.find("a"); view.key(0); view.value(0);
  sdk.deserializeHeaders(changetype<usize>(ser), <usize>ser.byteLength);

  // Logging
  if (sdk.logEnabled(LogLevel.Debug)) sdk.log(LogLevel.Debug, "x");
  sdk.logBytes(LogLevel.Info, 0, 0); sdk.logTrace("x"); sdk.logDebug("x"); sdk.logInfo("x");
  sdk.logWarn("x"); sdk.logError("x"); sdk.logCritical("x"); sdk.cachedLogLevel(); sdk.refreshLogLevel();

  // Metrics
  const c = new sdk.Counter("c"); c.increment(); c.value();
  const g = new sdk.Gauge("g"); g.add(-2); g.set(5);
  const hist = new sdk.Histogram("h"); hist.record(7);
  sdk.taggedMetricName("n", ["k", "v;="]);
  new sdk.MetricFamily(MetricType.Counter, "f").get(["model", "m"]).getId();

  // Foreign functions
  sdk.clearRouteCache(); sdk.setEnvoyFilterState("p", "v", sdk.LifeSpan.DownstreamRequest);
  sdk.pendingCallouts();
  if (sdk.wasmResultName(WasmResult.Ok).length == 0) unreachable();

  // JSON
  const r = json.parseJson("{\"a\":[1,true,null,\"s\"]}");
  const v = r.value;
  if (v !== null) {
    v.getString("a"); v.getNumber("a"); v.getI64("a"); v.getBool("a"); v.has("a"); v.keyAt(0);
    v.valueAt(0); v.at(0); v.isInteger; v.length; json.stringify(v); json.jsonKindName(v.kind);
    json.JsonValue.newObject().set("k", json.JsonValue.fromNumber(1.5)).set("s", json.JsonValue.fromString("x"));
    json.JsonValue.newArray().push(json.JsonValue.fromBool(true)).push(json.JsonValue.null());
  }
  r.describe();
  json.parseJsonBytes(u8); json.jsonQuote("a\"b"); json.jsonQuoteBytes(0, 0); json.isValidUtf8(0, 0);
}
