// The probe's script: per callback (optionally per nth invocation, "on_request_body#2"), a
// list of ops and a return value. Validated entirely at configure time so a bad script is
// rejected with a clear message instead of failing mid-stream.
import { JsonValue, JsonKind } from "../../lib/json";
import { findOp } from "./ops";

export const CALLBACKS: string[] = [
  "on_vm_start", "on_configure", "on_tick", "on_queue_ready",
  "on_request_headers", "on_request_body", "on_request_trailers",
  "on_response_headers", "on_response_body", "on_response_trailers",
  "on_log", "on_done", "on_delete",
  "on_http_call_response",
  "on_grpc_receive_initial_metadata", "on_grpc_receive", "on_grpc_receive_trailing_metadata", "on_grpc_close",
];

export class Step {
  ops: JsonValue[] = [];
  ret: JsonValue | null = null;
}

export class Script {
  steps: Map<string, Step> = new Map();
  logCallbacks: bool = true;
  /** Consulted when this script has no step for a callback (the VM-configuration script). */
  fallback: Script | null = null;
  error: string = "";

  /** The step for the nth (1-based) invocation of `callback`: "cb#n" first, then "cb". */
  find(callback: string, n: i32): Step | null {
    const keyed = callback + "#" + n.toString();
    if (this.steps.has(keyed)) return this.steps.get(keyed);
    if (this.steps.has(callback)) return this.steps.get(callback);
    const fb = this.fallback;
    return fb === null ? null : fb.find(callback, n);
  }

  /** Parses and validates; on failure `error` says where and why and steps are empty. */
  static parse(doc: JsonValue): Script {
    const s = new Script();
    if (!doc.isObject) {
      s.error = "the script must be a JSON object keyed by callback name";
      return s;
    }
    for (let i = 0; i < doc.length; i++) {
      const key = doc.keyAt(i);
      const v = changetype<JsonValue>(doc.valueAt(i));
      if (key == "log_callbacks") {
        if (!v.isBool) { s.error = "log_callbacks must be true or false"; return s; }
        s.logCallbacks = v.bool;
        continue;
      }
      const err = checkKey(key);
      if (err.length > 0) { s.error = err; return s; }
      const step = new Step();
      let ops: JsonValue | null = null;
      if (v.isArray) {
        ops = v;
      } else if (v.isObject) {
        for (let k = 0; k < v.length; k++) {
          const f = v.keyAt(k);
          if (f != "ops" && f != "return") {
            s.error = key + ": unknown field \"" + f + "\" (expected \"ops\" and/or \"return\")";
            return s;
          }
        }
        ops = v.get("ops");
        const ret = v.get("return");
        if (ret !== null) {
          const retErr = checkReturn(ret);
          if (retErr.length > 0) { s.error = key + ": return: " + retErr; return s; }
          step.ret = ret;
        }
      } else {
        s.error = key + ": expected a list of ops or {\"ops\": [...], \"return\": ...}";
        return s;
      }
      if (ops !== null) {
        if (!ops.isArray) { s.error = key + ": ops must be a list"; return s; }
        for (let k = 0; k < ops.length; k++) {
          const op = changetype<JsonValue>(ops.at(k));
          const where = key + ": ops[" + k.toString() + "]";
          if (!op.isObject) { s.error = where + ": an op is an object like {\"op\": \"get_header\", ...}"; return s; }
          const name = op.get("op");
          if (name === null || !name.isString) { s.error = where + ": missing \"op\" (a string)"; return s; }
          if (findOp(name.str) === null) { s.error = where + ": unknown op \"" + name.str + "\""; return s; }
          step.ops.push(op);
        }
      }
      s.steps.set(key, step);
    }
    return s;
  }
}

function checkKey(key: string): string {
  let name = key;
  const hash = key.indexOf("#");
  if (hash >= 0) {
    name = key.substring(0, hash);
    const num = key.substring(hash + 1);
    let ok = num.length > 0 && num.length < 10 && num.charCodeAt(0) != 0x30;
    for (let i = 0; ok && i < num.length; i++) {
      const c = num.charCodeAt(i);
      if (c < 0x30 || c > 0x39) ok = false;
    }
    if (!ok) return "\"" + key + "\": the part after '#' must be an invocation number ≥ 1";
  }
  if (!CALLBACKS.includes(name)) {
    return "unknown key \"" + key + "\" (expected log_callbacks or a callback: " + CALLBACKS.join(", ") +
      ", optionally with #n for the nth invocation)";
  }
  return "";
}

function checkReturn(v: JsonValue): string {
  if (v.kind == JsonKind.Bool || v.kind == JsonKind.Number) return "";
  if (v.kind == JsonKind.String && (v.str == "continue" || v.str == "pause")) return "";
  return "\"continue\", \"pause\", a number or a boolean";
}

/** Filter status for stream callbacks: continue 0, pause 1, numbers as given. */
export function statusOf(step: Step | null): u32 {
  if (step === null) return 0;
  const r = step.ret;
  if (r === null) return 0;
  if (r.kind == JsonKind.Number) return <u32>r.asI64();
  if (r.kind == JsonKind.Bool) return r.bool ? 0 : 1;
  return r.str == "pause" ? 1 : 0;
}

/** Result for bool callbacks (vm_start, configure, root on_done). */
export function boolOf(step: Step | null, dflt: bool): bool {
  if (step === null) return dflt;
  const r = step.ret;
  if (r === null) return dflt;
  if (r.kind == JsonKind.Bool) return r.bool;
  if (r.kind == JsonKind.Number) return r.asI64() != 0;
  return r.str != "pause";
}
