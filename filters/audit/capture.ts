// Content capture for one request (CONFIG.md `capture`): the text parts of the request as
// forwarded (this filter runs after pii-redact) and of the reply as the upstream sent it,
// each redacted with every PII type on (capture-redact.ts) and kept up to `max_bytes` per
// direction. Bodies are read as they pass; nothing is changed. Whatever cannot be read leaves
// that direction `null` and counts a capture failure; the record is written either way.
import { ByteBuffer } from "../lib/bytes";
import { JsonWriter } from "../lib/json-scan";
import { decodePart } from "../lib/pii/json-rewrite";
import { findTextParts, KIND_REFUSAL, KIND_TOOL, TextParts } from "../lib/pii/text-parts";
import { Recognition } from "../lib/providers/recognise";
import { recogniseRequestHeaders } from "../lib/providers/recognise-headers";
import { BodyFraming, Operation, Provider } from "../lib/providers/types";
import { framingFor } from "../lib/providers/usage";
import { eqAsciiNoCase } from "../lib/bytes";
import { Inflater, INFLATE_DATA, INFLATE_END, INFLATE_FORMAT_GZIP, INFLATE_FORMAT_ZLIB, INFLATE_NEED_MORE } from "../lib/inflate";
import { HostBytes, MapType, getHeaderMapValueBytes } from "../sdk";
import { CAPTURE_MAX_MAX_BYTES, CaptureConfig } from "./capture-config";
import { CaptureFailure, captureMetrics } from "./capture-metrics";
import { appendRedacted, CAPTURE_MARGIN } from "./capture-redact";
import { ReplyCapture } from "./capture-reply";
import { appendSanitized } from "./text";

/** A whole body (request, non-streamed reply) is read up to this size; a larger one is not captured. */
export const CAPTURE_MAX_BODY: usize = 8 << 20;
/** A compressed reply is read up to this many decompressed bytes (then, for a stream, no further). */
const MAX_INFLATED: u64 = 64 << 20;

const SIDE_OFF: i32 = 0;
const SIDE_READING: i32 = 1;
const SIDE_STREAM: i32 = 2;
const SIDE_DONE: i32 = 3;
const SIDE_NULL: i32 = 4;

// A part's decoded text, used within one callback: one per VM.
const decoded = new ByteBuffer(CAPTURE_MAX_BODY, 1024);

/** One direction's captured text: redacted entries in one buffer. */
class CaptureSide {
  state: i32 = SIDE_OFF;
  body: ByteBuffer | null = null;
  reply: ReplyCapture | null = null;
  out: ByteBuffer;
  kind: i32[] = [];
  major: i32[] = [];
  minor: i32[] = [];
  start: i32[] = [];
  len: i32[] = [];
  truncated: bool = false;
  constructor(public max: usize) {
    this.out = new ByteBuffer(max, min<usize>(max, 1024));
  }

  add(channel: i32, from: usize): void {
    this.kind.push(channel >>> 24);
    this.major.push((channel >> 12) & 0xFFF);
    this.minor.push(channel & 0xFFF);
    this.start.push(<i32>from);
    this.len.push(<i32>(this.out.length - from));
  }

  /**
   * Redacts text [p, p+n) into a new entry. `cut`: the text was cut at its raw end (a stream
   * over its bound), so the last CAPTURE_MARGIN bytes are scanned but not written.
   */
  text(channel: i32, p: usize, n: usize, cut: bool): void {
    if (n == 0) return;
    const room = this.max - this.out.length;
    if (room == 0) {
      this.truncated = true;
      return;
    }
    let limit = n;
    let scan = n;
    // Output stops within `room` bytes; reading much further would only cost time.
    if (scan > room + CAPTURE_MARGIN) {
      scan = room + CAPTURE_MARGIN;
      limit = room;
    }
    if (cut) {
      const safe = n > CAPTURE_MARGIN ? n - CAPTURE_MARGIN : 0;
      if (safe < limit) limit = safe;
      this.truncated = true;
    }
    const from = this.out.length;
    if (!appendRedacted(this.out, p, scan, limit, room) || limit < n) this.truncated = true;
    if (this.out.length > from) this.add(channel, from);
  }
}

export class Capture {
  private rec: Recognition = new Recognition();
  private request: CaptureSide;
  private response: CaptureSide;
  private parts: TextParts = new TextParts();
  private failed: i32 = 0;
  /** A gzip or deflate reply (the upstream ignored the accept-encoding pii-redact dropped). */
  private inflater: Inflater | null = null;

  constructor(private config: CaptureConfig, private prefix: string, private metricsOn: bool) {
    this.request = new CaptureSide(<usize>config.maxBytes);
    this.response = new CaptureSide(<usize>config.maxBytes);
  }

  /** Request headers: which provider call this is (without one, nothing is captured). */
  requestHeaders(): void {
    recogniseRequestHeaders(this.rec);
    if (this.rec.provider == Provider.Unknown || this.rec.operation == Operation.Unknown) return;
    if (this.config.request) this.begin(this.request);
  }

  requestBody(ptr: usize, len: usize, end: bool): void {
    this.bodyChunk(this.request, false, ptr, len, end);
  }

  requestEnd(): void {
    this.bodyChunk(this.request, false, 0, 0, true);
  }

  /** Response headers: a JSON reply is read whole, a stream event by event; others are not read. */
  responseHeaders(): void {
    if (!this.config.response || this.rec.provider == Provider.Unknown || this.rec.operation == Operation.Unknown) return;
    const side = this.response;
    const enc = getHeaderMapValueBytes(MapType.HttpResponseHeaders, "content-encoding");
    if (enc !== null) {
      const gzip = eqAsciiNoCase(enc.ptr, enc.len, "gzip") || eqAsciiNoCase(enc.ptr, enc.len, "x-gzip");
      const deflate = eqAsciiNoCase(enc.ptr, enc.len, "deflate");
      const identity = eqAsciiNoCase(enc.ptr, enc.len, "identity");
      enc.free();
      if (gzip || deflate) this.inflater = new Inflater(MAX_INFLATED, gzip ? INFLATE_FORMAT_GZIP : INFLATE_FORMAT_ZLIB);
      else if (!identity) {
        this.fail(side, CaptureFailure.Unsupported);
        return;
      }
    }
    const ct = getHeaderMapValueBytes(MapType.HttpResponseHeaders, "content-type");
    const framing = ct === null ? BodyFraming.Json : framingFor(this.rec.operation, ct.ptr, ct.len);
    free(ct);
    if (framing == BodyFraming.Json) {
      this.begin(side);
      return;
    }
    // InvokeModelWithResponseStream wraps vendor events in base64: not read (as pii-redact).
    if (framing == BodyFraming.EventStream && this.rec.operation != Operation.ConverseStream) {
      this.fail(side, CaptureFailure.Unsupported);
      return;
    }
    side.state = SIDE_STREAM;
    side.reply = new ReplyCapture(this.rec.provider, this.rec.operation, framing, side.max + CAPTURE_MARGIN);
  }

  responseBody(ptr: usize, len: usize, end: bool): void {
    const side = this.response;
    if (side.state != SIDE_STREAM && side.state != SIDE_READING) return;
    const inf = this.inflater;
    if (inf === null) {
      this.plainResponse(ptr, len, end);
      return;
    }
    if (len > 0 && inf.push(ptr, len) < 0) {
      this.inflater = null;
      this.fail(side, CaptureFailure.Unreadable);
      return;
    }
    if (end) inf.finish();
    for (;;) {
      const r = inf.next();
      if (r == INFLATE_DATA) {
        this.plainResponse(inf.outPtr, inf.outLen, false);
        continue;
      }
      if (r == INFLATE_NEED_MORE && !end) return;
      if (r != INFLATE_END && r != INFLATE_NEED_MORE) {
        this.inflater = null;
        if (side.state == SIDE_STREAM) this.plainResponse(0, 0, true); // what came before the damage
        else this.fail(side, CaptureFailure.Unreadable);
        this.count(CaptureFailure.Unreadable);
        return;
      }
      if (end) this.plainResponse(0, 0, true);
      return;
    }
  }

  private plainResponse(ptr: usize, len: usize, end: bool): void {
    const side = this.response;
    if (side.state == SIDE_STREAM) {
      side.reply!.push(ptr, len, end);
      if (end) this.finishStream(side);
      return;
    }
    this.bodyChunk(side, true, ptr, len, end);
  }

  responseEnd(): void {
    this.responseBody(0, 0, true);
  }

  /**
   * on_log. A whole body that never ended here (another filter answered first, the client went
   * away) is not captured: `null`, not counted — half a JSON document says nothing reliable. A
   * stream is captured as far as it came.
   */
  finish(): void {
    const rq = this.request;
    if (rq.state == SIDE_READING) {
      rq.state = SIDE_NULL;
      rq.body = null;
    }
    const rs = this.response;
    if (rs.state == SIDE_READING) {
      rs.state = SIDE_NULL;
      rs.body = null;
    } else if (rs.state == SIDE_STREAM) {
      this.responseBody(0, 0, true);
    }
  }

  /** The record would pass max_record_bytes with the text: it is written without. */
  dropForSize(): void {
    this.request.state = SIDE_NULL;
    this.response.state = SIDE_NULL;
    this.count(CaptureFailure.RecordTooLarge);
  }

  /** Some text was captured (a direction is not null). */
  get present(): bool {
    return this.request.state == SIDE_DONE || this.response.state == SIDE_DONE;
  }

  /** The `capture` member's value: {request, response, truncated}. */
  write(w: JsonWriter): void {
    const sanitized = sanitizedBuffer();
    w.beginObject();
    w.key("request");
    writeSide(w, this.request, false, sanitized);
    w.key("response");
    writeSide(w, this.response, true, sanitized);
    w.key("truncated").bool(this.request.truncated || this.response.truncated);
    w.endObject();
  }

  private begin(side: CaptureSide): void {
    side.state = SIDE_READING;
    side.body = new ByteBuffer(CAPTURE_MAX_BODY, 4096);
  }

  private bodyChunk(side: CaptureSide, response: bool, ptr: usize, len: usize, end: bool): void {
    if (side.state != SIDE_READING) return;
    const body = side.body!;
    if (len > 0 && !body.append(ptr, len)) {
      side.body = null;
      this.fail(side, CaptureFailure.TooLarge);
      return;
    }
    if (!end) return;
    side.state = SIDE_DONE;
    side.body = null;
    if (body.length == 0) return; // no body: no text
    const parts = this.parts;
    if (findTextParts(this.rec.provider, this.rec.operation, response, body.ptr, body.length, parts) < 0) {
      this.fail(side, CaptureFailure.Unreadable);
      return;
    }
    const t = decoded;
    for (let i = 0; i < parts.count; i++) {
      t.clear();
      if (!t.reserve(parts.partEnd(i) - parts.partStart(i))) {
        this.fail(side, CaptureFailure.TooLarge);
        return;
      }
      const n = decodePart(body.ptr, parts, i, t.ptr, t.max);
      if (n < 0) {
        this.fail(side, CaptureFailure.Unreadable);
        return;
      }
      side.text(parts.partChannel(i), t.ptr, <usize>n, false);
    }
  }

  private finishStream(side: CaptureSide): void {
    const reply = side.reply!;
    side.reply = null;
    side.state = SIDE_DONE;
    for (let i = 0; i < reply.channels.length; i++) {
      const ch = unchecked(reply.channels[i]);
      side.text(ch.id, ch.text.ptr, ch.text.length, ch.cut);
    }
    if (reply.dropped) side.truncated = true;
    if (reply.badUnits > 0) this.count(CaptureFailure.Unreadable);
  }

  private fail(side: CaptureSide, why: CaptureFailure): void {
    side.state = SIDE_NULL;
    side.reply = null;
    this.count(why);
  }

  private count(why: CaptureFailure): void {
    if ((this.failed & (1 << <i32>why)) != 0) return; // once per request and reason
    this.failed |= 1 << <i32>why;
    captureMetrics(this.prefix, this.metricsOn).count(why);
  }
}

function writeSide(w: JsonWriter, side: CaptureSide, response: bool, sc: ByteBuffer): void {
  if (side.state != SIDE_DONE) {
    w.null();
    return;
  }
  w.beginArray();
  for (let i = 0; i < side.kind.length; i++) {
    w.beginObject();
    const k = unchecked(side.kind[i]);
    w.key("kind").string(k == KIND_TOOL ? "tool" : k == KIND_REFUSAL ? "refusal" : "text");
    if (response) {
      w.key("index").int(unchecked(side.major[i]));
      w.key("part").int(unchecked(side.minor[i]));
    }
    sc.clear();
    appendSanitized(sc, side.out.ptr + <usize>unchecked(side.start[i]), <usize>unchecked(side.len[i]), sc.max);
    w.key("text").stringBytes(sc.ptr, sc.length);
    w.endObject();
  }
  w.endArray();
}

// Invalid UTF-8 in captured text (a lone surrogate escape, bytes a client sent) becomes U+FFFD
// (3 bytes for as little as 1): room for the worst case of the largest max_bytes.
let sanitizedOut: ByteBuffer | null = null;
function sanitizedBuffer(): ByteBuffer {
  let b = sanitizedOut;
  if (b === null) {
    b = new ByteBuffer(3 * <usize>CAPTURE_MAX_MAX_BYTES, 1024);
    sanitizedOut = b;
  }
  return b;
}

function free(b: HostBytes | null): void {
  if (b !== null) b.free();
}
