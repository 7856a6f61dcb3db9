// Where finished audit records go. A record is handed over as canonical JSON bytes (CHAIN.md),
// without a trailing newline, valid only for the duration of the call: a sink that keeps it
// copies it. Every sink receives every record; a sink never traps and never blocks the stream.
export class RecordSink {
  /** `timeNanos`: the record's request start time (Unix ns), for sinks that carry a timestamp. */
  write(ptr: usize, len: usize, timeNanos: u64): void {}
}
