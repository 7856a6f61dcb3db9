// The op table: name → function(op) → Out. Each op decodes its arguments (args.ts), calls
// one SDK wrapper and reports what came back. Keep one op per host function; combined
// behaviour belongs in the test script, not here.
import { JsonValue, JsonKind } from "../../lib/json";
import * as sdk from "../../sdk";
import { WasmResult, HostBytes, PairsView, BaseContext } from "../../sdk";
import {
  argError, mapArg, bufferArg, streamArg, levelArg, metricTypeArg, stringArg, u32Arg, i64Arg,
  boolArg, payloadArg, pairsArg, pathArg,
} from "./args";
import { Out, bytesAsJsonString } from "./out";
import { memo, currentContext } from "./state";
import { callRaw } from "./raw";
import { base64Decode } from "./base64";
import { proxy_log } from "../../sdk/imports";

export type OpFn = (op: JsonValue) => Out;

const table = new Map<string, OpFn>();

export function findOp(name: string): OpFn | null {
  return table.has(name) ? table.get(name) : null;
}

export function opNames(): string[] {
  return table.keys();
}

function withBytes(code: WasmResult, b: HostBytes | null): Out {
  const out = Out.result(code);
  if (b !== null) {
    out.bytes(b.ptr, b.len);
    b.free();
  }
  return out;
}

function pairsJson(view: PairsView): string {
  const items = new Array<string>();
  for (let i = 0; i < view.count; i++) {
    items.push("[" + bytesAsJsonString(view.keyPtr(i), view.keyLen(i)) + "," +
      bytesAsJsonString(view.valuePtr(i), view.valueLen(i)) + "]");
  }
  return "[" + items.join(",") + "]";
}

function ctx(): BaseContext {
  return changetype<BaseContext>(currentContext);
}

/** A token argument: a number, or "last" (the default) for the last one this VM got. */
function tokenArg(op: JsonValue, key: string, last: u32): u32 {
  const v = op.get(key);
  if (v === null || (v.kind == JsonKind.String && v.str == "last")) return last;
  return u32Arg(op, key);
}

function metricIdArg(op: JsonValue): u32 {
  const v = op.get("metric");
  if (v !== null && v.kind == JsonKind.String) {
    if (memo.metrics.has(v.str)) return memo.metrics.get(v.str);
    return 0xFFFFFFFF; // never defined here: let the host say NotFound
  }
  return u32Arg(op, "metric");
}

// ---- Headers and maps -----------------------------------------------------------------

table.set("get_header", (op: JsonValue): Out => {
  const map = mapArg(op);
  const key = stringArg(op, "key");
  if (argError.length) return Out.error(argError);
  const b = sdk.getHeaderMapValueBytes(map, key);
  return withBytes(sdk.lastResult(), b);
});

table.set("add_header", (op: JsonValue): Out => {
  const map = mapArg(op);
  const key = stringArg(op, "key");
  const value = stringArg(op, "value");
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.addHeaderMapValue(map, key, value));
});

table.set("replace_header", (op: JsonValue): Out => {
  const map = mapArg(op);
  const key = stringArg(op, "key");
  const value = stringArg(op, "value");
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.replaceHeaderMapValue(map, key, value));
});

table.set("remove_header", (op: JsonValue): Out => {
  const map = mapArg(op);
  const key = stringArg(op, "key");
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.removeHeaderMapValue(map, key));
});

table.set("get_pairs", (op: JsonValue): Out => {
  const map = mapArg(op);
  if (argError.length) return Out.error(argError);
  const b = sdk.getHeaderMapPairsBytes(map);
  const out = Out.result(sdk.lastResult());
  if (b !== null) {
    const view = new PairsView(b.ptr, b.len);
    out.int("bytes", <i64>b.len).bool("valid", view.valid).int("count", view.count).raw("pairs", pairsJson(view));
    b.free();
  }
  return out;
});

table.set("set_pairs", (op: JsonValue): Out => {
  const map = mapArg(op);
  // "base64" passes serialized bytes as they are (to test malformed input).
  const rawBytes = payloadArg(op);
  const pairs = pairsArg(op, "pairs");
  if (argError.length) return Out.error(argError);
  if (rawBytes !== null) return Out.result(sdk.setHeaderMapPairsBytes(map, rawBytes.dataStart, <usize>rawBytes.length));
  return Out.result(sdk.setHeaderMapPairs(map, pairs === null ? new Array<sdk.HeaderPair>() : pairs));
});

table.set("get_map_size", (op: JsonValue): Out => {
  const map = mapArg(op);
  if (argError.length) return Out.error(argError);
  const size = sdk.getHeaderMapSize(map);
  const out = Out.result(sdk.lastResult());
  if (sdk.lastResult() == WasmResult.Ok) out.int("size", size);
  return out;
});

// ---- Buffers --------------------------------------------------------------------------

table.set("get_buffer", (op: JsonValue): Out => {
  const type = bufferArg(op);
  const start = u32Arg(op, "start", 0);
  const len = u32Arg(op, "len", 0xFFFFFFFF);
  if (argError.length) return Out.error(argError);
  const b = sdk.getBufferBytes(type, start, len);
  return withBytes(sdk.lastResult(), b);
});

table.set("set_buffer", (op: JsonValue): Out => {
  const type = bufferArg(op);
  const start = u32Arg(op, "start", 0);
  const len = u32Arg(op, "len", 0);
  const data = payloadArg(op);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.setBuffer(type, start, len, data));
});

table.set("get_buffer_status", (op: JsonValue): Out => {
  const type = bufferArg(op);
  if (argError.length) return Out.error(argError);
  const s = sdk.getBufferStatus(type);
  const out = Out.result(sdk.lastResult());
  if (s !== null) out.int("len", s.length).int("flags", s.flags);
  return out;
});

// ---- Properties -----------------------------------------------------------------------

table.set("get_property", (op: JsonValue): Out => {
  const path = pathArg(op);
  const as = stringArg(op, "as", "bytes");
  if (argError.length) return Out.error(argError);
  const b = sdk.getPropertyBytes(path);
  const out = Out.result(sdk.lastResult());
  if (b === null) return out;
  // Typed decodings of Envoy's encodings (digest §9), next to the raw bytes.
  if (as == "int" || as == "uint") {
    if (b.len == 8) out.raw("value", "\"" + (as == "int" ? load<i64>(b.ptr).toString() : load<u64>(b.ptr).toString()) + "\"");
    else out.str("decode_error", "expected 8 bytes");
  } else if (as == "double") {
    if (b.len == 8) out.num("value", load<f64>(b.ptr));
    else out.str("decode_error", "expected 8 bytes");
  } else if (as == "bool") {
    if (b.len == 1) out.bool("value", load<u8>(b.ptr) != 0);
    else out.str("decode_error", "expected 1 byte");
  } else if (as == "pairs") {
    const view = new PairsView(b.ptr, b.len);
    out.bool("valid", view.valid).raw("pairs", pairsJson(view));
  }
  out.bytes(b.ptr, b.len);
  b.free();
  return out;
});

table.set("set_property", (op: JsonValue): Out => {
  const path = pathArg(op);
  const data = payloadArg(op);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.setProperty(path, data));
});

// ---- Stream control -------------------------------------------------------------------

table.set("send_local_response", (op: JsonValue): Out => {
  const status = u32Arg(op, "status");
  const details = stringArg(op, "details", "");
  const body = payloadArg(op);
  const headers = pairsArg(op, "headers");
  const grpc = <i32>i64Arg(op, "grpc_status", -1);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.sendLocalResponse(status, details, body, headers, grpc));
});

table.set("continue_stream", (op: JsonValue): Out => {
  const s = streamArg(op);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.continueStream(s));
});

table.set("close_stream", (op: JsonValue): Out => {
  const s = streamArg(op);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.closeStream(s));
});

// ---- Timers, time, logging ------------------------------------------------------------

table.set("set_tick_period", (op: JsonValue): Out => {
  const ms = u32Arg(op, "ms");
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.setTickPeriodMilliseconds(ms));
});

table.set("get_current_time", (op: JsonValue): Out => {
  const ns = sdk.getCurrentTimeNanoseconds();
  const out = Out.result(sdk.lastResult());
  if (sdk.lastResult() == WasmResult.Ok) out.u64str("ns", ns);
  return out;
});

table.set("log", (op: JsonValue): Out => {
  const level = levelArg(op);
  const message = stringArg(op, "message", "");
  if (argError.length) return Out.error(argError);
  // Straight to the host: the cached-level shortcut would hide what the host does.
  sdk.stage1(message);
  return Out.result(<WasmResult>proxy_log(<u32>level, sdk.s0Ptr, sdk.s0Len));
});

table.set("get_log_level", (op: JsonValue): Out => {
  const level = sdk.getLogLevel();
  const out = Out.result(sdk.lastResult());
  if (sdk.lastResult() == WasmResult.Ok) out.int("level", <i64>level);
  return out;
});

// ---- Shared data and queues -----------------------------------------------------------

table.set("get_shared_data", (op: JsonValue): Out => {
  const key = stringArg(op, "key");
  if (argError.length) return Out.error(argError);
  const d = sdk.getSharedData(key);
  const out = Out.result(sdk.lastResult());
  if (d !== null) {
    memo.lastCas = d.cas;
    out.int("cas", d.cas).bytes(d.data.ptr, d.data.len);
    d.data.free();
  }
  return out;
});

table.set("set_shared_data", (op: JsonValue): Out => {
  const key = stringArg(op, "key");
  const data = payloadArg(op);
  const casV = op.get("cas");
  let cas: u32 = 0;
  if (casV !== null && casV.kind == JsonKind.String && casV.str == "last") cas = memo.lastCas;
  else cas = u32Arg(op, "cas", 0);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.setSharedData(key, data, cas)).int("cas_sent", cas);
});

table.set("register_queue", (op: JsonValue): Out => {
  const name = stringArg(op, "name");
  if (argError.length) return Out.error(argError);
  const id = sdk.registerSharedQueue(name);
  const out = Out.result(sdk.lastResult());
  if (sdk.lastResult() == WasmResult.Ok) {
    memo.lastQueue = id;
    out.int("id", id);
  }
  return out;
});

table.set("resolve_queue", (op: JsonValue): Out => {
  const vmId = stringArg(op, "vm_id", "");
  const name = stringArg(op, "name");
  if (argError.length) return Out.error(argError);
  const id = sdk.resolveSharedQueue(vmId, name);
  const out = Out.result(sdk.lastResult());
  if (sdk.lastResult() == WasmResult.Ok) {
    memo.lastQueue = id;
    out.int("id", id);
  }
  return out;
});

table.set("enqueue", (op: JsonValue): Out => {
  const id = tokenArg(op, "queue", memo.lastQueue);
  const data = payloadArg(op);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.enqueueSharedQueue(id, data));
});

table.set("dequeue", (op: JsonValue): Out => {
  const id = tokenArg(op, "queue", memo.lastQueue);
  if (argError.length) return Out.error(argError);
  const b = sdk.dequeueSharedQueueBytes(id);
  return withBytes(sdk.lastResult(), b);
});

// ---- Metrics --------------------------------------------------------------------------

table.set("define_metric", (op: JsonValue): Out => {
  const type = metricTypeArg(op);
  const name = stringArg(op, "name");
  if (argError.length) return Out.error(argError);
  const id = sdk.defineMetric(type, name);
  const out = Out.result(sdk.lastResult());
  if (sdk.lastResult() == WasmResult.Ok) {
    memo.metrics.set(name, id);
    out.int("id", id);
  }
  return out;
});

table.set("increment_metric", (op: JsonValue): Out => {
  const id = metricIdArg(op);
  const delta = i64Arg(op, "delta", 1);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.incrementMetric(id, delta));
});

table.set("record_metric", (op: JsonValue): Out => {
  const id = metricIdArg(op);
  const value = i64Arg(op, "value", 0, true);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.recordMetric(id, <u64>value));
});

table.set("get_metric", (op: JsonValue): Out => {
  const id = metricIdArg(op);
  if (argError.length) return Out.error(argError);
  const v = sdk.getMetric(id);
  const out = Out.result(sdk.lastResult());
  if (sdk.lastResult() == WasmResult.Ok) out.u64str("value", v);
  return out;
});

// ---- Callouts -------------------------------------------------------------------------

table.set("http_call", (op: JsonValue): Out => {
  const cluster = stringArg(op, "cluster");
  const headers = pairsArg(op, "headers");
  const body = payloadArg(op);
  const trailers = pairsArg(op, "trailers");
  const timeout = u32Arg(op, "timeout", 5000);
  // "raw": the response goes to the root (no SDK token routing).
  const raw = boolArg(op, "raw", false);
  if (argError.length) return Out.error(argError);
  const h = headers === null ? new Array<sdk.HeaderPair>() : headers;
  const token = raw
    ? sdk.httpCall(cluster, h, body, trailers, timeout)
    : ctx().httpCall(cluster, h, body, trailers, timeout);
  const out = Out.result(sdk.lastResult());
  if (sdk.lastResult() == WasmResult.Ok) {
    memo.lastHttpToken = token;
    out.int("token", token);
  }
  return out;
});

function grpcService(op: JsonValue): Uint8Array | null {
  // A serialized GrpcService in "service_base64", else the cluster name in "service".
  const b = op.get("service_base64");
  if (b !== null && b.isString) return base64Decode(b.str);
  return null;
}

table.set("grpc_call", (op: JsonValue): Out => {
  const serviceBytes = grpcService(op);
  const service = serviceBytes === null ? stringArg(op, "service") : "";
  const serviceName = stringArg(op, "service_name");
  const method = stringArg(op, "method");
  const metadata = pairsArg(op, "metadata");
  const message = payloadArg(op);
  const timeout = u32Arg(op, "timeout", 5000);
  const raw = boolArg(op, "raw", false);
  if (argError.length) return Out.error(argError);
  let token: u32;
  if (serviceBytes !== null) token = sdk.grpcCallWithService(serviceBytes, serviceName, method, metadata, message, timeout);
  else if (raw) token = sdk.grpcCall(service, serviceName, method, metadata, message, timeout);
  else token = ctx().grpcCall(service, serviceName, method, metadata, message, timeout);
  const out = Out.result(sdk.lastResult());
  if (sdk.lastResult() == WasmResult.Ok) {
    memo.lastGrpcToken = token;
    out.int("token", token);
  }
  return out;
});

table.set("grpc_stream", (op: JsonValue): Out => {
  const serviceBytes = grpcService(op);
  const service = serviceBytes === null ? stringArg(op, "service") : "";
  const serviceName = stringArg(op, "service_name");
  const method = stringArg(op, "method");
  const metadata = pairsArg(op, "metadata");
  const raw = boolArg(op, "raw", false);
  if (argError.length) return Out.error(argError);
  let token: u32;
  if (serviceBytes !== null) token = sdk.grpcStreamWithService(serviceBytes, serviceName, method, metadata);
  else if (raw) token = sdk.grpcStream(service, serviceName, method, metadata);
  else token = ctx().grpcStream(service, serviceName, method, metadata);
  const out = Out.result(sdk.lastResult());
  if (sdk.lastResult() == WasmResult.Ok) {
    memo.lastGrpcToken = token;
    out.int("token", token);
  }
  return out;
});

table.set("grpc_send", (op: JsonValue): Out => {
  const token = tokenArg(op, "token", memo.lastGrpcToken);
  const message = payloadArg(op);
  const end = boolArg(op, "end_stream", false);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.grpcSend(token, message, end));
});

table.set("grpc_cancel", (op: JsonValue): Out => {
  const token = tokenArg(op, "token", memo.lastGrpcToken);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.grpcCancel(token));
});

table.set("grpc_close", (op: JsonValue): Out => {
  const token = tokenArg(op, "token", memo.lastGrpcToken);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.grpcClose(token));
});

table.set("get_status", (op: JsonValue): Out => {
  const s = sdk.getStatus();
  const out = Out.result(sdk.lastResult());
  if (s !== null) out.int("code", s.code).str("message", s.message);
  return out;
});

// ---- Contexts, foreign functions ------------------------------------------------------

table.set("call_foreign_function", (op: JsonValue): Out => {
  const name = stringArg(op, "name");
  const args = payloadArg(op);
  if (argError.length) return Out.error(argError);
  const b = sdk.callForeignFunctionRaw(name, sdk.bytesPtr(args), sdk.bytesLen(args));
  return withBytes(sdk.lastResult(), b);
});

table.set("clear_route_cache", (op: JsonValue): Out => {
  return Out.result(sdk.clearRouteCache());
});

table.set("set_envoy_filter_state", (op: JsonValue): Out => {
  const path = stringArg(op, "path");
  const value = stringArg(op, "value", "");
  const span = <sdk.LifeSpan>i64Arg(op, "span", 0);
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.setEnvoyFilterState(path, value, span));
});

table.set("set_effective_context", (op: JsonValue): Out => {
  const v = op.get("context");
  let id: u32 = 0;
  if (v !== null && v.kind == JsonKind.String) {
    if (v.str == "root") id = ctx().rootContextId;
    else if (v.str == "self") id = ctx().contextId;
    else if (v.str == "last_stream") id = memo.lastStreamContextId;
    else return Out.error("\"context\": a number, \"root\", \"self\" or \"last_stream\"");
  } else {
    id = u32Arg(op, "context");
  }
  if (argError.length) return Out.error(argError);
  return Out.result(sdk.setEffectiveContext(id)).int("context", id);
});

table.set("proxy_done", (op: JsonValue): Out => {
  return Out.result(sdk.proxyDone());
});

// ---- Deliberate failures --------------------------------------------------------------

table.set("trap", (op: JsonValue): Out => {
  unreachable();
  return Out.error("unreachable");
});

table.set("abort", (op: JsonValue): Out => {
  const message = stringArg(op, "message", "probe abort");
  // Goes through the SDK's abort handler (logs at critical, then traps).
  assert(false, message);
  return Out.error("unreachable");
});

table.set("call_raw", (op: JsonValue): Out => callRaw(op));

table.set("memory_grow", (op: JsonValue): Out => {
  const pages = <i32>u32Arg(op, "pages");
  if (argError.length) return Out.error(argError);
  const before = memory.grow(pages);
  return new Out().int("pages_before", before).int("pages_after", memory.size());
});
