// "call_raw": calls an import directly with arguments the SDK would never produce
// (out-of-range enums, bad pointers, wrong lengths) so host tests can check Envoy's answers.
//   {"op":"call_raw", "fn":"proxy_get_buffer_bytes", "args":[9, 0, 10, {"ret":4}, {"ret":4}]}
// Each arg is a number (passed as is; i64 slots take it as i64), {"text": "..."} or
// {"base64": "..."} (expands to ptr, len), {"ret": n} (a zeroed n-byte slot; its u32 words
// are reported after the call) or null (0).
import { JsonValue, JsonKind } from "../../lib/json";
import * as raw from "../../sdk/imports";
import { Out } from "./out";
import { WasmResult } from "../../sdk";
import { base64Decode } from "./base64";

class Arity {
  constructor(public params: i32, public i64At: i32 = -1) {}
}

const ARITY = new Map<string, Arity>();
ARITY.set("proxy_log", new Arity(3));
ARITY.set("proxy_get_log_level", new Arity(1));
ARITY.set("proxy_get_current_time_nanoseconds", new Arity(1));
ARITY.set("proxy_set_tick_period_milliseconds", new Arity(1));
ARITY.set("proxy_get_buffer_bytes", new Arity(5));
ARITY.set("proxy_get_buffer_status", new Arity(3));
ARITY.set("proxy_set_buffer_bytes", new Arity(5));
ARITY.set("proxy_get_header_map_pairs", new Arity(3));
ARITY.set("proxy_set_header_map_pairs", new Arity(3));
ARITY.set("proxy_get_header_map_size", new Arity(2));
ARITY.set("proxy_get_header_map_value", new Arity(5));
ARITY.set("proxy_add_header_map_value", new Arity(5));
ARITY.set("proxy_replace_header_map_value", new Arity(5));
ARITY.set("proxy_remove_header_map_value", new Arity(3));
ARITY.set("proxy_get_property", new Arity(4));
ARITY.set("proxy_set_property", new Arity(4));
ARITY.set("proxy_continue_stream", new Arity(1));
ARITY.set("proxy_close_stream", new Arity(1));
ARITY.set("proxy_send_local_response", new Arity(8));
ARITY.set("proxy_http_call", new Arity(10));
ARITY.set("proxy_grpc_call", new Arity(12));
ARITY.set("proxy_grpc_stream", new Arity(9));
ARITY.set("proxy_grpc_send", new Arity(4));
ARITY.set("proxy_grpc_cancel", new Arity(1));
ARITY.set("proxy_grpc_close", new Arity(1));
ARITY.set("proxy_get_status", new Arity(3));
ARITY.set("proxy_set_shared_data", new Arity(5));
ARITY.set("proxy_get_shared_data", new Arity(5));
ARITY.set("proxy_register_shared_queue", new Arity(3));
ARITY.set("proxy_resolve_shared_queue", new Arity(5));
ARITY.set("proxy_enqueue_shared_queue", new Arity(3));
ARITY.set("proxy_dequeue_shared_queue", new Arity(3));
ARITY.set("proxy_define_metric", new Arity(4));
ARITY.set("proxy_increment_metric", new Arity(2, 1));
ARITY.set("proxy_record_metric", new Arity(2, 1));
ARITY.set("proxy_get_metric", new Arity(2));
ARITY.set("proxy_set_effective_context", new Arity(1));
ARITY.set("proxy_done", new Arity(0));
ARITY.set("proxy_call_foreign_function", new Arity(6));

let retained: ArrayBuffer[] | null = null;

class RetSlot {
  constructor(public ptr: usize, public size: usize) {}
}

// @ts-ignore: decorator
@inline
function u(a: StaticArray<i64>, i: i32): u32 {
  return <u32>unchecked(a[i]);
}

function invoke(fn: string, a: StaticArray<i64>): u32 {
  if (fn == "proxy_log") return raw.proxy_log(u(a, 0), u(a, 1), u(a, 2));
  if (fn == "proxy_get_log_level") return raw.proxy_get_log_level(u(a, 0));
  if (fn == "proxy_get_current_time_nanoseconds") return raw.proxy_get_current_time_nanoseconds(u(a, 0));
  if (fn == "proxy_set_tick_period_milliseconds") return raw.proxy_set_tick_period_milliseconds(u(a, 0));
  if (fn == "proxy_get_buffer_bytes") return raw.proxy_get_buffer_bytes(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4));
  if (fn == "proxy_get_buffer_status") return raw.proxy_get_buffer_status(u(a, 0), u(a, 1), u(a, 2));
  if (fn == "proxy_set_buffer_bytes") return raw.proxy_set_buffer_bytes(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4));
  if (fn == "proxy_get_header_map_pairs") return raw.proxy_get_header_map_pairs(u(a, 0), u(a, 1), u(a, 2));
  if (fn == "proxy_set_header_map_pairs") return raw.proxy_set_header_map_pairs(u(a, 0), u(a, 1), u(a, 2));
  if (fn == "proxy_get_header_map_size") return raw.proxy_get_header_map_size(u(a, 0), u(a, 1));
  if (fn == "proxy_get_header_map_value") return raw.proxy_get_header_map_value(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4));
  if (fn == "proxy_add_header_map_value") return raw.proxy_add_header_map_value(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4));
  if (fn == "proxy_replace_header_map_value") return raw.proxy_replace_header_map_value(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4));
  if (fn == "proxy_remove_header_map_value") return raw.proxy_remove_header_map_value(u(a, 0), u(a, 1), u(a, 2));
  if (fn == "proxy_get_property") return raw.proxy_get_property(u(a, 0), u(a, 1), u(a, 2), u(a, 3));
  if (fn == "proxy_set_property") return raw.proxy_set_property(u(a, 0), u(a, 1), u(a, 2), u(a, 3));
  if (fn == "proxy_continue_stream") return raw.proxy_continue_stream(u(a, 0));
  if (fn == "proxy_close_stream") return raw.proxy_close_stream(u(a, 0));
  if (fn == "proxy_send_local_response") return raw.proxy_send_local_response(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4), u(a, 5), u(a, 6), <i32>u(a, 7));
  if (fn == "proxy_http_call") return raw.proxy_http_call(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4), u(a, 5), u(a, 6), u(a, 7), u(a, 8), u(a, 9));
  if (fn == "proxy_grpc_call") return raw.proxy_grpc_call(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4), u(a, 5), u(a, 6), u(a, 7), u(a, 8), u(a, 9), u(a, 10), u(a, 11));
  if (fn == "proxy_grpc_stream") return raw.proxy_grpc_stream(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4), u(a, 5), u(a, 6), u(a, 7), u(a, 8));
  if (fn == "proxy_grpc_send") return raw.proxy_grpc_send(u(a, 0), u(a, 1), u(a, 2), u(a, 3));
  if (fn == "proxy_grpc_cancel") return raw.proxy_grpc_cancel(u(a, 0));
  if (fn == "proxy_grpc_close") return raw.proxy_grpc_close(u(a, 0));
  if (fn == "proxy_get_status") return raw.proxy_get_status(u(a, 0), u(a, 1), u(a, 2));
  if (fn == "proxy_set_shared_data") return raw.proxy_set_shared_data(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4));
  if (fn == "proxy_get_shared_data") return raw.proxy_get_shared_data(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4));
  if (fn == "proxy_register_shared_queue") return raw.proxy_register_shared_queue(u(a, 0), u(a, 1), u(a, 2));
  if (fn == "proxy_resolve_shared_queue") return raw.proxy_resolve_shared_queue(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4));
  if (fn == "proxy_enqueue_shared_queue") return raw.proxy_enqueue_shared_queue(u(a, 0), u(a, 1), u(a, 2));
  if (fn == "proxy_dequeue_shared_queue") return raw.proxy_dequeue_shared_queue(u(a, 0), u(a, 1), u(a, 2));
  if (fn == "proxy_define_metric") return raw.proxy_define_metric(u(a, 0), u(a, 1), u(a, 2), u(a, 3));
  if (fn == "proxy_increment_metric") return raw.proxy_increment_metric(u(a, 0), unchecked(a[1]));
  if (fn == "proxy_record_metric") return raw.proxy_record_metric(u(a, 0), <u64>unchecked(a[1]));
  if (fn == "proxy_get_metric") return raw.proxy_get_metric(u(a, 0), u(a, 1));
  if (fn == "proxy_set_effective_context") return raw.proxy_set_effective_context(u(a, 0));
  if (fn == "proxy_done") return raw.proxy_done();
  if (fn == "proxy_call_foreign_function") return raw.proxy_call_foreign_function(u(a, 0), u(a, 1), u(a, 2), u(a, 3), u(a, 4), u(a, 5));
  return 0xFFFFFFFF;
}

export function callRaw(op: JsonValue): Out {
  const fnV = op.get("fn");
  if (fnV === null || !fnV.isString) return Out.error("\"fn\" must name an import");
  const fn = fnV.str;
  if (!ARITY.has(fn)) return Out.error("unknown import \"" + fn + "\"");
  const arity = ARITY.get(fn);
  const argsV = op.get("args");
  if (argsV !== null && !argsV.isArray) return Out.error("\"args\" must be an array");

  // Flatten: payloads become (ptr, len); keep the payloads alive until the call returns.
  const flat = new Array<i64>();
  const keep = new Array<ArrayBuffer>();
  const slots = new Array<RetSlot>();
  const n = argsV === null ? 0 : argsV.length;
  for (let i = 0; i < n; i++) {
    const v = changetype<JsonValue>(changetype<JsonValue>(argsV).at(i));
    if (v.kind == JsonKind.Number) {
      flat.push(v.asI64());
    } else if (v.kind == JsonKind.Null) {
      flat.push(0);
    } else if (v.kind == JsonKind.Object && v.has("text")) {
      const buf = String.UTF8.encode(v.getString("text"));
      keep.push(buf);
      flat.push(<i64>changetype<usize>(buf));
      flat.push(<i64>buf.byteLength);
    } else if (v.kind == JsonKind.Object && v.has("base64")) {
      const bytes = base64Decode(v.getString("base64"));
      if (bytes === null) return Out.error("args[" + i.toString() + "]: invalid base64");
      keep.push(bytes.buffer);
      flat.push(<i64>bytes.dataStart);
      flat.push(<i64>bytes.length);
    } else if (v.kind == JsonKind.Object && v.has("ret")) {
      const size = <usize>max<i64>(4, v.getI64("ret", 4));
      if (size > 4096) return Out.error("args[" + i.toString() + "]: ret slot larger than 4096 bytes");
      const p = heap.alloc(size);
      memory.fill(p, 0, size);
      slots.push(new RetSlot(p, size));
      flat.push(<i64>p);
    } else {
      return Out.error("args[" + i.toString() + "]: a number, null, {text}, {base64} or {ret}");
    }
  }
  if (flat.length != arity.params) {
    return Out.error(fn + " takes " + arity.params.toString() + " arguments, got " + flat.length.toString() + " after expansion");
  }
  const a = new StaticArray<i64>(12);
  for (let i = 0; i < flat.length; i++) a[i] = flat[i];
  // Payload buffers are referenced only by raw pointers now; pin them for the call.
  retained = keep;
  const code = invoke(fn, a);
  retained = null;

  const out = Out.result(<WasmResult>code).int("code", code);
  const words = new Array<string>();
  for (let i = 0; i < slots.length; i++) {
    const s = slots[i];
    const w = new Array<string>();
    for (let k: usize = 0; k + 4 <= s.size; k += 4) w.push(load<u32>(s.ptr + k).toString());
    words.push("[" + w.join(",") + "]");
    heap.free(s.ptr);
  }
  if (slots.length > 0) out.raw("ret", "[" + words.join(",") + "]");
  return out;
}
