// Test entry for the audit http sink (filters/audit/http-sink.ts) before and beside the audit
// filter: each stream's on_log feeds one synthetic record into an HttpSink configured from
// `{"http": <sinks.http block>, "chain": "name", "fallback": bool, "metrics": bool}`. The record is
//   {"schema":"tollgate.audit/v1","chain":"<name>/<16 hex>","seq":N,"request_id":…,"outcome":…,
//    ["trace_id":…,"span_id":…,]["extra":<x-audit-extra JSON>,]"hash":"0…0"}
// from the request headers x-request-id, x-outcome, x-trace-id, x-span-id, x-audit-extra; or,
// with x-audit-raw, exactly that header's bytes (no seq taken). The chain instance comes from
// WASI random_get per VM, as the audit filter's does. The fallback sink logs
// "audit-fallback <record>" at info. The as_* exports run the OTLP encoder on plain bytes.
export * from "../../sdk/dispatcher";
import {
  RootContext, HttpContext, registerRootContext, loadJsonConfig, log, LogLevel, FilterHeadersStatus,
  getCurrentTimeNanoseconds, MapType, getHeaderMapValue,
} from "../../sdk";
import { ConfigReader } from "../../lib/json";
import { JsonWriter } from "../../lib/json-scan";
import { HttpSink } from "../../audit/http-sink";
import { readHttpSinkConfig } from "../../audit/http-sink-config";
import { RecordSink } from "../../audit/sink";
import { OtlpRecordEncoder } from "../../audit/otlp-encode";

// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function random_get(buf: usize, len: usize): u16;

class LogFallback extends RecordSink {
  write(ptr: usize, len: usize, timeNanos: u64): void {
    log(LogLevel.Info, "audit-fallback " + String.UTF8.decodeUnsafe(ptr, len));
  }
}

const HEX = "0123456789abcdef";

class SinkRoot extends RootContext {
  sink: HttpSink | null = null;
  chain: string = "";
  seq: i64 = 0;

  onConfigure(size: u32): bool {
    const cfg = loadJsonConfig(size, "audit-sink configuration");
    if (cfg === null) return false;
    const r = new ConfigReader();
    r.object(cfg, "$", ["http", "chain", "fallback", "metrics"]);
    const http = readHttpSinkConfig(r, cfg.get("http"), "$.http");
    const name = r.str(cfg.get("chain"), "$.chain", "sinktest");
    const fallback = r.bool(cfg.get("fallback"), "$.fallback", true);
    const metrics = r.bool(cfg.get("metrics"), "$.metrics", true);
    if (!r.ok || http === null) {
      log(LogLevel.Error, "audit-sink configuration: " + (r.ok ? "$.http is required" : r.errorPath + " " + r.error));
      return false;
    }
    const rnd = new StaticArray<u8>(8);
    random_get(changetype<usize>(rnd), 8);
    let inst = "";
    for (let i = 0; i < 8; i++) {
      inst += HEX.charAt(<i32>(rnd[i] >> 4)) + HEX.charAt(<i32>(rnd[i] & 15));
    }
    // A second onConfigure of the same root keeps its chain, as the audit filter's root does.
    if (this.chain.length == 0) {
      this.chain = name + "/" + inst;
      this.seq = 0;
    }
    http.metricsEnabled = metrics;
    const sink = new HttpSink(http, this, fallback ? new LogFallback() : null);
    const previous = this.sink;
    if (previous !== null) sink.adopt(previous);
    this.sink = sink;
    this.setTickPeriod(sink.tickPeriodMs());
    return true;
  }

  onTick(): void {
    const s = this.sink;
    if (s !== null) s.onTick();
  }

  onDone(): bool {
    const s = this.sink;
    return s === null ? true : s.onDone();
  }

  createHttpContext(id: u32): HttpContext | null { return new SinkStream(id, this); }
}

class SinkStream extends HttpContext {
  startNs: u64 = 0;

  onRequestHeaders(n: u32, eos: bool): FilterHeadersStatus {
    this.startNs = getCurrentTimeNanoseconds();
    return FilterHeadersStatus.Continue;
  }

  onLog(): void {
    const root = this.root as SinkRoot;
    const sink = root.sink;
    if (sink === null) return;
    const raw = header("x-audit-raw");
    if (raw !== null) {
      const b = String.UTF8.encode(raw);
      sink.write(changetype<usize>(b), <usize>b.byteLength, this.startNs);
      return;
    }
    const w = new JsonWriter(1 << 20);
    w.beginObject();
    w.key("schema").string("tollgate.audit/v1");
    str(w.key("chain"), root.chain);
    w.key("seq").int(++root.seq);
    str(w.key("request_id"), orEmpty(header("x-request-id")));
    str(w.key("outcome"), orElse(header("x-outcome"), "completed"));
    const trace = header("x-trace-id");
    if (trace !== null) str(w.key("trace_id"), trace);
    const span = header("x-span-id");
    if (span !== null) str(w.key("span_id"), span);
    const extra = header("x-audit-extra");
    if (extra !== null) {
      const b = String.UTF8.encode(extra);
      w.key("extra").raw(changetype<usize>(b), <usize>b.byteLength);
    }
    w.key("hash").string("0000000000000000000000000000000000000000000000000000000000000000");
    w.endObject();
    if (!w.ok) { log(LogLevel.Error, "audit-sink: record did not fit"); return; }
    sink.write(w.ptr, w.length, this.startNs);
  }
}

function header(name: string): string | null {
  return getHeaderMapValue(MapType.HttpRequestHeaders, name);
}

function orEmpty(s: string | null): string { return s === null ? "" : s; }
function orElse(s: string | null, d: string): string { return s === null ? d : s; }

function str(w: JsonWriter, s: string): void {
  const b = String.UTF8.encode(s);
  w.stringBytes(changetype<usize>(b), <usize>b.byteLength);
}

registerRootContext("audit-sink", (id: u32): RootContext => new SinkRoot(id));

// Plain exports for host-tests/audit-otlp-encode.test.ts: the OTLP encoder on bytes, no host.
const encoder = new OtlpRecordEncoder(64 << 20);

export function as_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function as_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
/** ENCODE_OK (0), ENCODE_MALFORMED (1) or ENCODE_TOO_LARGE (2); the LogRecord at as_out_ptr. */
export function as_otlp(ptr: usize, len: usize, timeNs: u64, observedNs: u64): i32 { return encoder.encode(ptr, len, timeNs, observedNs); }
export function as_out_ptr(): usize { return encoder.out.ptr; }
export function as_out_len(): usize { return encoder.out.length; }
