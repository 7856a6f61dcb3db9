// The `log` sink: one proxy_log line per record, the configured prefix then the record, so a
// log shipper can pick records out of Envoy's log by prefix.
import { ByteBuffer } from "../lib/bytes";
import { LogLevel, logBytes } from "../sdk";
import { LogSinkConfig } from "./config";
import { RecordSink } from "./sink";

export class LogSink extends RecordSink {
  private line: ByteBuffer = new ByteBuffer(2 << 20, 1024);
  private prefix: ArrayBuffer;
  private level: LogLevel;

  constructor(config: LogSinkConfig) {
    super();
    this.prefix = String.UTF8.encode(config.prefix);
    this.level = config.level;
  }

  write(ptr: usize, len: usize, timeNanos: u64): void {
    const line = this.line;
    line.clear();
    if (!line.append(changetype<usize>(this.prefix), <usize>this.prefix.byteLength) || !line.append(ptr, len)) return;
    logBytes(this.level, line.ptr, line.length);
  }
}
