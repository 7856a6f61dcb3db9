// STUB (owned by the http-sink work): batched delivery of records to a collector cluster
// through proxy_http_call, as NDJSON or OTLP/HTTP JSON logs.
import { RootContext } from "../sdk";
import { HttpSinkConfig } from "./http-sink-config";
import { RecordSink } from "./sink";

export class HttpSink extends RecordSink {
  constructor(readonly config: HttpSinkConfig, readonly root: RootContext, readonly fallback: RecordSink | null) {
    super();
  }

  write(ptr: usize, len: usize, timeNanos: u64): void {}

  /** The tick period the root context should request (ms); 0 = no timer needed. */
  tickPeriodMs(): u32 { return 0; }

  /** Called from the audit root context's onTick. */
  onTick(): void {}

  /** Called from the root's onDone (VM shutting down): last attempt to deliver what is buffered. */
  onDone(): bool { return true; }
}
