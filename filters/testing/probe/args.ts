// Decoding op arguments from the script. Never traps: a bad argument sets `argError` and
// returns a harmless default, and the op then logs {"error": ...} instead of calling the host.
import { JsonValue, JsonKind } from "../../lib/json";
import { MapType, BufferType, StreamType, LogLevel, MetricType, HeaderPair } from "../../sdk";
import { base64Decode } from "./base64";

export let argError: string = "";

export function resetArgError(): void {
  argError = "";
}

function fail(message: string): void {
  if (argError.length == 0) argError = message;
}

/** A named enum argument: a name from `names` (index = value) or a number passed as is. */
function enumArg(op: JsonValue, key: string, names: string[], dflt: i32): i32 {
  const v = op.get(key);
  if (v === null) {
    if (dflt < 0) fail("missing \"" + key + "\"");
    return dflt < 0 ? 0 : dflt;
  }
  if (v.kind == JsonKind.Number) return <i32>v.asI64();
  if (v.kind == JsonKind.String) {
    const s = v.str;
    for (let i = 0; i < names.length; i++) if (unchecked(names[i]) == s) return i;
    fail("\"" + key + "\": unknown value \"" + s + "\" (one of " + names.join(", ") + ", or a number)");
    return 0;
  }
  fail("\"" + key + "\" must be a string or a number");
  return 0;
}

const MAP_NAMES: string[] = [
  "request_headers", "request_trailers", "response_headers", "response_trailers",
  "grpc_initial_metadata", "grpc_trailing_metadata", "http_call_response_headers", "http_call_response_trailers",
];
const BUFFER_NAMES: string[] = [
  "request_body", "response_body", "downstream_data", "upstream_data", "http_call_response_body",
  "grpc_receive", "vm_configuration", "plugin_configuration", "call_data",
];
const STREAM_NAMES: string[] = ["request", "response", "downstream", "upstream"];
const LEVEL_NAMES: string[] = ["trace", "debug", "info", "warn", "error", "critical"];
const METRIC_NAMES: string[] = ["counter", "gauge", "histogram"];

export function mapArg(op: JsonValue): MapType { return <MapType>enumArg(op, "map", MAP_NAMES, -1); }
export function bufferArg(op: JsonValue): BufferType { return <BufferType>enumArg(op, "buffer", BUFFER_NAMES, -1); }
export function streamArg(op: JsonValue): StreamType { return <StreamType>enumArg(op, "stream", STREAM_NAMES, -1); }
export function levelArg(op: JsonValue): LogLevel { return <LogLevel>enumArg(op, "level", LEVEL_NAMES, LogLevel.Info); }
export function metricTypeArg(op: JsonValue): MetricType { return <MetricType>enumArg(op, "type", METRIC_NAMES, -1); }

export function stringArg(op: JsonValue, key: string, dflt: string | null = null): string {
  const v = op.get(key);
  if (v === null) {
    if (dflt === null) {
      fail("missing \"" + key + "\"");
      return "";
    }
    return dflt;
  }
  if (v.kind != JsonKind.String) {
    fail("\"" + key + "\" must be a string");
    return "";
  }
  return v.str;
}

/** u32 argument; negative numbers wrap (e.g. -1 → 0xFFFFFFFF) so tests can pass any bits. */
export function u32Arg(op: JsonValue, key: string, dflt: i64 = -1): u32 {
  const v = op.get(key);
  if (v === null) {
    if (dflt == -1) fail("missing \"" + key + "\"");
    return <u32>dflt;
  }
  if (v.kind != JsonKind.Number) {
    fail("\"" + key + "\" must be a number");
    return 0;
  }
  return <u32>v.asI64();
}

export function i64Arg(op: JsonValue, key: string, dflt: i64, required: bool = false): i64 {
  const v = op.get(key);
  if (v === null) {
    if (required) fail("missing \"" + key + "\"");
    return dflt;
  }
  if (v.kind != JsonKind.Number) {
    fail("\"" + key + "\" must be a number");
    return dflt;
  }
  return v.asI64();
}

export function boolArg(op: JsonValue, key: string, dflt: bool): bool {
  const v = op.get(key);
  if (v === null) return dflt;
  if (v.kind != JsonKind.Bool) {
    fail("\"" + key + "\" must be true or false");
    return dflt;
  }
  return v.bool;
}

/**
 * A byte payload from `<prefix>text` (UTF-8) or `<prefix>base64`. null when neither is
 * given (the op passes (0, 0) to the host).
 */
export function payloadArg(op: JsonValue, prefix: string = ""): Uint8Array | null {
  const t = op.get(prefix + "text");
  if (t !== null) {
    if (t.kind != JsonKind.String) {
      fail("\"" + prefix + "text\" must be a string");
      return null;
    }
    return Uint8Array.wrap(String.UTF8.encode(t.str));
  }
  const b = op.get(prefix + "base64");
  if (b !== null) {
    if (b.kind != JsonKind.String) {
      fail("\"" + prefix + "base64\" must be a string");
      return null;
    }
    const bytes = base64Decode(b.str);
    if (bytes === null) fail("\"" + prefix + "base64\" is not valid base64");
    return bytes;
  }
  return null;
}

/** [["k","v"], ...] → pairs; null when the key is absent. */
export function pairsArg(op: JsonValue, key: string): HeaderPair[] | null {
  const v = op.get(key);
  if (v === null) return null;
  if (v.kind != JsonKind.Array) {
    fail("\"" + key + "\" must be an array of [name, value] pairs");
    return null;
  }
  const out = new Array<HeaderPair>();
  for (let i = 0; i < v.length; i++) {
    const p = changetype<JsonValue>(v.at(i));
    const k = p.at(0);
    const val = p.at(1);
    if (p.kind != JsonKind.Array || p.length != 2 || k === null || val === null || !k.isString || !val.isString) {
      fail("\"" + key + "\"[" + i.toString() + "] must be [name, value] (two strings)");
      return null;
    }
    out.push(new HeaderPair(k.str, val.str));
  }
  return out;
}

/** ["a", "b"] → path segments. */
export function pathArg(op: JsonValue): string[] {
  const v = op.get("path");
  const out = new Array<string>();
  if (v === null || v.kind != JsonKind.Array) {
    fail("\"path\" must be an array of segments, e.g. [\"request\", \"path\"]");
    return out;
  }
  for (let i = 0; i < v.length; i++) {
    const s = changetype<JsonValue>(v.at(i));
    if (!s.isString) {
      fail("\"path\"[" + i.toString() + "] must be a string");
      return out;
    }
    out.push(s.str);
  }
  return out;
}
