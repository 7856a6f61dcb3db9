// Batched delivery of audit records to a collector cluster through proxy_http_call, as NDJSON or
// as OTLP/HTTP JSON logs (HTTP-SINK.md). One instance per worker VM (the audit root's):
//
// - write() copies the record into a bounded buffer (batch-buffer.ts); on overflow the oldest
//   record not in flight is evicted (on_overflow "log": to the fallback log sink), counted.
// - One batch in flight at a time. A batch leaves when it is full (records or bytes), when its
//   oldest record has waited flush_interval_ms (checked on the root's tick), or right after the
//   previous batch succeeded if enough is waiting.
// - 2xx: delivered. No response, 408, 429, 5xx (the callout timeout and connect failures arrive
//   as Envoy's 504/503): the batch goes back to the head and is resent after an exponential
//   backoff. Any other status: the collector refuses these bytes and always will, so the batch
//   is dropped and counted as rejected.
// - onDone (VM shutting down): batches go out back to back, no backoff; the first failure ends
//   the attempt and whatever is left is counted as dropped (reason shutdown).
import {
  RootContext, BaseContext, HttpCallHandler, HeaderPair, MapType, WasmResult, BufferType, getBufferBytes,
  getCurrentTimeNanoseconds, getHeaderMapValue, getPropertyBytes, lastResult, log, logEnabled, LogLevel, proxyDone,
} from "../sdk";
import { ByteBuffer } from "../lib/bytes/buffer";
import { JsonScanner, TOK_OBJECT_START, TOK_END } from "../lib/json-scan";
import {
  HttpSinkConfig, FORMAT_NDJSON, OVERFLOW_LOG,
} from "./http-sink-config";
import { BatchBuffer } from "./batch-buffer";
import { OtlpRecordEncoder, otlpRequestPrefix, OTLP_REQUEST_SUFFIX, ENCODE_OK } from "./otlp-encode";
import { rejectedLogRecords } from "./otlp-response";
import {
  HttpSinkMetrics, DROP_OVERFLOW, DROP_REJECTED, DROP_TOO_LARGE, DROP_MALFORMED, DROP_SHUTDOWN,
} from "./http-sink-metrics";
import { RecordSink } from "./sink";

const NS_PER_MS: u64 = 1000000;
/** An OTLP encoding larger than this is not attempted (a record is at most buffer_max_bytes). */
const ENCODE_CAP: usize = 256 << 20;

class BatchResponse extends HttpCallHandler {
  /** Mutable: a sink that adopts another's batch in flight takes its answer too. */
  constructor(public sink: HttpSink) { super(); }
  onHttpCallResponse(context: BaseContext, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    this.sink.onResponse(token, numHeaders, bodySize);
  }
}

export class HttpSink extends RecordSink {
  private buffer: BatchBuffer;
  private metrics: HttpSinkMetrics;
  private headers: HeaderPair[] = [];
  private handler: BatchResponse | null = null;
  private encoder: OtlpRecordEncoder | null = null;
  private prefix: Uint8Array = new Uint8Array(0);
  private body: ByteBuffer = new ByteBuffer(ENCODE_CAP, 4096);
  private scanner: JsonScanner = new JsonScanner();

  private inFlight: bool = false;
  private token: u32 = 0;
  /** Consecutive failed attempts of the head batch. */
  private attempts: u32 = 0;
  /** No send before this wall time (ns); 0 = no backoff. */
  private retryAtNs: u64 = 0;
  private shuttingDown: bool = false;
  private finished: bool = false;
  private warnedCallout: bool = false;

  constructor(readonly config: HttpSinkConfig, readonly root: RootContext, readonly fallback: RecordSink | null) {
    super();
    this.buffer = new BatchBuffer(config.bufferMaxRecords, <usize>config.bufferMaxBytes);
    this.metrics = new HttpSinkMetrics(config.metricsPrefix, config.metricsEnabled);
    this.handler = new BatchResponse(this);
    const h = this.headers;
    h.push(new HeaderPair(":method", "POST"));
    h.push(new HeaderPair(":path", config.path));
    h.push(new HeaderPair(":authority", config.authority));
    h.push(new HeaderPair("content-type", config.format == FORMAT_NDJSON ? "application/x-ndjson" : "application/json"));
    for (let i = 0; i + 1 < config.headers.length; i += 2) h.push(new HeaderPair(unchecked(config.headers[i]), unchecked(config.headers[i + 1])));
    if (config.format != FORMAT_NDJSON) {
      this.encoder = new OtlpRecordEncoder(ENCODE_CAP);
      this.prefix = otlpRequestPrefix(config, nodeId());
    }
  }

  /** Records buffered (live) in this VM. */
  get buffered(): i32 { return this.buffer.count; }

  /**
   * Takes over everything `previous` (the same root's sink before a new onConfigure) still
   * holds: its records in order, its batch in flight (whose answer now comes here) and its
   * backoff. Records beyond this sink's bounds are evicted as on any overflow, oldest first,
   * counted. The root calls it right after constructing the new sink.
   */
  adopt(previous: HttpSink): void {
    if (previous === this || previous.finished) return;
    const from = previous.buffer;
    const to = this.buffer;
    let pinned = 0;
    for (let i = 0; i < from.slotCount; i++) {
      if (from.isDead(i)) continue;
      to.push(from.startOf(i), <usize>from.lenOf(i), from.timeOf(i), from.observedOf(i));
      if (i < from.pinnedSlots) pinned++;
    }
    const n = from.count;
    const bytes = from.bytes;
    previous.metrics.buffered.add(-<i64>n);
    previous.metrics.bufferedBytes.add(-<i64>bytes);
    this.metrics.buffered.add(<i64>n);
    this.metrics.bufferedBytes.add(<i64>bytes);
    from.clear();
    if (previous.inFlight) {
      to.pin(pinned, pinned);
      this.inFlight = true;
      this.token = previous.token;
      const h = previous.handler;
      if (h !== null) h.sink = this;
    }
    this.attempts = previous.attempts;
    this.retryAtNs = previous.retryAtNs;
    previous.inFlight = false;
    previous.finished = true;
    // The new bounds may be smaller.
    while (<u32>to.count > to.maxRecords || to.bytes > to.maxBytes) {
      const i = to.oldestEvictable();
      if (i < 0) break; // only the batch in flight is left: it is answered soon enough
      const l = to.lenOf(i);
      this.giveUp(to.startOf(i), <usize>l, to.timeOf(i), DROP_OVERFLOW);
      to.kill(i);
      this.metrics.buffered.add(-1);
      this.metrics.bufferedBytes.add(-<i64>l);
    }
  }

  write(ptr: usize, len: usize, timeNanos: u64): void {
    if (this.finished) { this.giveUp(ptr, len, timeNanos, DROP_SHUTDOWN); return; }
    if (!isJsonObject(this.scanner, ptr, len)) { this.giveUp(ptr, len, timeNanos, DROP_MALFORMED); return; }
    const buf = this.buffer;
    if (!buf.fitsAlone(len)) { this.giveUp(ptr, len, timeNanos, DROP_TOO_LARGE); return; }
    while (!buf.hasRoomFor(len)) {
      const i = buf.oldestEvictable();
      // Everything buffered is in flight: the new record is the one that cannot be kept.
      if (i < 0) { this.giveUp(ptr, len, timeNanos, DROP_OVERFLOW); return; }
      const l = buf.lenOf(i);
      this.giveUp(buf.startOf(i), <usize>l, buf.timeOf(i), DROP_OVERFLOW);
      buf.kill(i);
      this.metrics.buffered.add(-1);
      this.metrics.bufferedBytes.add(-<i64>l);
    }
    const now = getCurrentTimeNanoseconds();
    buf.push(ptr, len, timeNanos, now);
    this.metrics.buffered.add(1);
    this.metrics.bufferedBytes.add(<i64>len);
    this.maybeSend(now);
  }

  /** The tick period the root context should request (ms); 0 = no timer needed. */
  tickPeriodMs(): u32 {
    return min<u32>(this.config.flushIntervalMs, this.config.retryInitialMs);
  }

  /** Called from the audit root context's onTick. */
  onTick(): void {
    if (this.finished) return;
    this.maybeSend(getCurrentTimeNanoseconds());
  }

  /**
   * Called from the root's onDone (VM shutting down): last attempt to deliver what is buffered.
   * false: batches are still going out; the sink calls proxy_done when it is finished.
   */
  onDone(): bool {
    if (this.finished) return true;
    this.shuttingDown = true;
    if (!this.inFlight && this.buffer.count > 0) this.send();
    if (this.finished) return true; // the send could not even start: given up already
    if (!this.inFlight) { this.finished = true; return true; } // nothing (left) to send
    return false;
  }

  // ---- delivery ----

  private maybeSend(nowNs: u64): void {
    if (this.inFlight || this.buffer.count == 0) return;
    if (this.retryAtNs != 0 && nowNs < this.retryAtNs && !this.shuttingDown) return;
    const c = this.config;
    const buf = this.buffer;
    const full = <u32>buf.count >= c.batchMaxRecords || buf.bytes >= <usize>c.batchMaxBytes;
    const waited = nowNs - min<u64>(nowNs, this.oldestQueuedNs()) >= <u64>c.flushIntervalMs * NS_PER_MS;
    if (full || waited || this.retryAtNs != 0 || this.shuttingDown) this.send();
  }

  private oldestQueuedNs(): u64 {
    const buf = this.buffer;
    for (let i = 0; i < buf.slotCount; i++) if (!buf.isDead(i)) return buf.observedOf(i);
    return 0;
  }

  private send(): void {
    // Builds the batch from the head; a head record that cannot be encoded is dropped and the
    // batch built again, so one bad record never blocks the queue.
    while (!this.trySend()) {}
  }

  /** false: the head record was dropped, build again. */
  private trySend(): bool {
    const c = this.config;
    const buf = this.buffer;
    const body = this.body;
    body.clear();
    const otlp = this.encoder;
    if (otlp !== null) body.append(this.prefix.dataStart, <usize>this.prefix.length);
    const limit = <usize>c.batchMaxBytes;
    const tail: usize = otlp !== null ? <usize>OTLP_REQUEST_SUFFIX.length : 0;
    let slots = 0;
    let count = 0;
    let unencodable = -1;
    for (let i = 0; i < buf.slotCount && <u32>count < c.batchMaxRecords; i++) {
      if (buf.isDead(i)) { slots = i + 1; continue; }
      const ptr = buf.startOf(i);
      const len = <usize>buf.lenOf(i);
      if (otlp !== null) {
        // Records were checked to be JSON objects when written, so only size can fail here.
        if (otlp.encode(ptr, len, buf.timeOf(i), buf.observedOf(i)) != ENCODE_OK) {
          if (count == 0) unencodable = i;
          break;
        }
        const n = otlp.out.length + (count > 0 ? 1 : 0);
        if (count > 0 && body.length + n + tail > limit) break;
        if (count > 0) body.appendByte(0x2C);
        body.append(otlp.out.ptr, otlp.out.length);
      } else {
        if (count > 0 && body.length + len + 1 > limit) break;
        body.append(ptr, len);
        body.appendByte(0x0A);
      }
      count++;
      slots = i + 1;
    }
    if (count == 0) {
      if (unencodable < 0) return true; // nothing buffered
      const l = buf.lenOf(unencodable);
      this.giveUp(buf.startOf(unencodable), <usize>l, buf.timeOf(unencodable), DROP_TOO_LARGE);
      buf.kill(unencodable);
      this.metrics.buffered.add(-1);
      this.metrics.bufferedBytes.add(-<i64>l);
      return false;
    }
    if (otlp !== null) body.appendAscii(OTLP_REQUEST_SUFFIX);
    buf.pin(slots, count);
    const payload = new Uint8Array(<i32>body.length);
    memory.copy(payload.dataStart, body.ptr, body.length);
    if (this.attempts > 0) this.metrics.retries.increment();
    const token = this.root.httpCall(c.cluster, this.headers, payload, null, c.timeoutMs, this.handler);
    if (lastResult() != WasmResult.Ok) {
      // Unknown cluster (it may appear with the next CDS update) or a refused call: a failed
      // attempt like any other, never a reason to lose the records.
      if (!this.warnedCallout) {
        this.warnedCallout = true;
        log(LogLevel.Warn, "audit http sink: proxy_http_call to cluster '" + c.cluster + "' failed (" + lastResult().toString() + "); retrying with backoff");
      }
      this.failed(0);
      return true;
    }
    this.inFlight = true;
    this.token = token;
    return true;
  }

  /** The response (or failure: numHeaders 0) of the batch in flight. */
  onResponse(token: u32, numHeaders: u32, bodySize: u32): void {
    if (!this.inFlight || token != this.token) return;
    this.inFlight = false;
    let status: u32 = 0;
    if (numHeaders > 0) {
      const s = getHeaderMapValue(MapType.HttpCallResponseHeaders, ":status");
      if (s !== null) status = <u32>parseStatus(s);
    }
    if (status >= 200 && status < 300) this.delivered(this.encoder !== null && bodySize > 0 ? this.partiallyRejected(bodySize) : 0);
    else if (status == 0 || status == 408 || status == 429 || status >= 500) this.failed(status);
    else this.rejected(status);
  }

  /** `refused`: records a 2xx OTLP answer says it did not keep (partialSuccess). */
  private delivered(refused: u64): void {
    const buf = this.buffer;
    const n = buf.pinnedCount;
    const bytes = this.pinnedBytes();
    buf.popPinned();
    const lost = min<u64>(refused, <u64>n);
    this.metrics.delivered.increment(<u64>n - lost);
    this.metrics.droppedPartial.increment(lost);
    this.metrics.batchesOk.increment();
    this.metrics.buffered.add(-<i64>n);
    this.metrics.bufferedBytes.add(-<i64>bytes);
    this.attempts = 0;
    this.retryAtNs = 0;
    if (this.shuttingDown) { this.continueShutdown(); return; }
    this.maybeSend(getCurrentTimeNanoseconds());
  }

  private failed(status: u32): void {
    this.buffer.unpin();
    this.inFlight = false;
    this.metrics.batchesRetry.increment();
    if (this.shuttingDown) { this.abandonAll(); return; }
    this.attempts++;
    const c = this.config;
    let delay: u64 = <u64>c.retryInitialMs;
    for (let i: u32 = 1; i < this.attempts && delay < <u64>c.retryMaxMs; i++) delay <<= 1;
    // A collector that says when to come back (429/503 Retry-After, in seconds) is believed,
    // within the configured maximum.
    if (status == 429 || status == 503) {
      const ra = getHeaderMapValue(MapType.HttpCallResponseHeaders, "retry-after");
      if (ra !== null) {
        const secs = parseStatus(ra);
        if (secs > 0 && <u64>secs * 1000 > delay) delay = <u64>secs * 1000;
      }
    }
    if (delay > <u64>c.retryMaxMs) delay = <u64>c.retryMaxMs;
    this.retryAtNs = getCurrentTimeNanoseconds() + delay * NS_PER_MS;
    if (logEnabled(LogLevel.Debug)) {
      log(LogLevel.Debug, "audit http sink: batch failed (status " + status.toString() + "), retry in " + delay.toString() + " ms");
    }
  }

  private rejected(status: u32): void {
    const buf = this.buffer;
    const n = buf.pinnedCount;
    for (let i = 0; i < buf.pinnedSlots; i++) {
      if (!buf.isDead(i)) this.giveUp(buf.startOf(i), <usize>buf.lenOf(i), buf.timeOf(i), DROP_REJECTED);
    }
    const bytes = this.pinnedBytes();
    buf.popPinned();
    this.metrics.batchesRejected.increment();
    this.metrics.buffered.add(-<i64>n);
    this.metrics.bufferedBytes.add(-<i64>bytes);
    this.attempts = 0;
    this.retryAtNs = 0;
    log(LogLevel.Warn, "audit http sink: collector rejected a batch of " + n.toString() + " records with status " + status.toString());
    if (this.shuttingDown) { this.continueShutdown(); return; }
    this.maybeSend(getCurrentTimeNanoseconds());
  }

  private partiallyRejected(bodySize: u32): u64 {
    // The answer is small; a huge one is not an ExportLogsServiceResponse worth reading.
    const b = getBufferBytes(BufferType.HttpCallResponseBody, 0, min<u32>(bodySize, 64 << 10));
    if (b === null) return 0;
    const n = rejectedLogRecords(this.scanner, b.ptr, b.len);
    b.free();
    if (n > 0) log(LogLevel.Warn, "audit http sink: the collector refused " + n.toString() + " records of a batch (OTLP partial success)");
    return n;
  }

  private pinnedBytes(): usize {
    const buf = this.buffer;
    let b: usize = 0;
    for (let i = 0; i < buf.pinnedSlots; i++) if (!buf.isDead(i)) b += <usize>buf.lenOf(i);
    return b;
  }

  private continueShutdown(): void {
    if (this.buffer.count > 0) {
      this.send();
      if (this.inFlight || this.finished) return;
    }
    this.finish();
  }

  /** Shutdown: the collector failed; what is left will not be delivered. */
  private abandonAll(): void {
    const buf = this.buffer;
    for (let i = 0; i < buf.slotCount; i++) {
      if (!buf.isDead(i)) this.giveUp(buf.startOf(i), <usize>buf.lenOf(i), buf.timeOf(i), DROP_SHUTDOWN);
    }
    this.metrics.buffered.add(-<i64>buf.count);
    this.metrics.bufferedBytes.add(-<i64>buf.bytes);
    buf.clear();
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    // Only after onDone returned false; when abandonAll runs inside onDone, onDone returns true.
    proxyDone();
  }

  /** A record the sink will not deliver: counted, and logged instead when so configured. */
  private giveUp(ptr: usize, len: usize, timeNanos: u64, reason: string): void {
    this.metrics.dropped(reason).increment();
    const fb = this.fallback;
    if (fb !== null && this.config.onOverflow == OVERFLOW_LOG) {
      fb.write(ptr, len, timeNanos);
      this.metrics.fallbackLogged.increment();
    }
  }
}

function isJsonObject(s: JsonScanner, ptr: usize, len: usize): bool {
  s.reset(ptr, len);
  if (s.next() != TOK_OBJECT_START) return false;
  if (s.skip() < 0) return false;
  return s.next() == TOK_END;
}

/** Leading decimal digits of a header value (":status", "retry-after"); 0 when none. */
function parseStatus(s: string): i32 {
  let v = 0;
  for (let i = 0; i < s.length && i < 9; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) break;
    v = v * 10 + c;
  }
  return v;
}

/** Envoy's node id (attribute xds.node.id) for service.instance.id, or "" when the host has none. */
function nodeId(): string {
  const b = getPropertyBytes(["xds", "node", "id"]);
  if (b === null) return "";
  return b.takeString();
}
