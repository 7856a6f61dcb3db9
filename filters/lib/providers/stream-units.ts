// One streamed reply cut into its units whatever its framing — SSE events, NDJSON lines, the
// elements of Gemini's JSON array, AWS event-stream frames — behind one push/finish/next loop, so
// the filters that read or rewrite a reply unit by unit (pii-redact, audit capture) do not each
// carry four copies of the drain loop. Spans follow lib/framing's rules: valid until the next
// call to next() or push().
import { eqAscii } from "../bytes";
import { EventStreamFramer, JsonArrayFramer, NdjsonFramer, SseFramer, FRAME_UNIT } from "../framing";
import { BodyFraming } from "./types";

export class StreamUnits {
  /** The unit's JSON: SSE data, an NDJSON line, an array element, an event-stream payload. */
  dataPtr: usize = 0;
  dataLen: usize = 0;
  /** SSE `event:` name or event-stream `:event-type`; empty for the other framings. */
  namePtr: usize = 0;
  nameLen: usize = 0;
  /** Event-stream only: the whole frame as it came (headers, CRCs), for units passed on untouched. */
  framePtr: usize = 0;
  frameLen: usize = 0;
  /**
   * False for an event-stream frame whose `:message-type` is not `event` (an exception): it
   * carries no model text, and dataPtr/dataLen are not set.
   */
  isEvent: bool = true;
  private sse: SseFramer | null = null;
  private nd: NdjsonFramer | null = null;
  private ja: JsonArrayFramer | null = null;
  private es: EventStreamFramer | null = null;

  constructor(framing: BodyFraming, maxUnitBytes: usize) {
    if (framing == BodyFraming.Sse) this.sse = new SseFramer(maxUnitBytes);
    else if (framing == BodyFraming.JsonArray) this.ja = new JsonArrayFramer(maxUnitBytes);
    else if (framing == BodyFraming.EventStream) this.es = new EventStreamFramer(maxUnitBytes);
    else this.nd = new NdjsonFramer(maxUnitBytes);
  }

  get isEventStream(): bool { return this.es !== null; }
  get isJsonArray(): bool { return this.ja !== null; }

  push(ptr: usize, len: usize): void {
    if (len == 0) return;
    const sse = this.sse;
    if (sse !== null) { sse.push(ptr, len); return; }
    const es = this.es;
    if (es !== null) { es.push(ptr, len); return; }
    const ja = this.ja;
    if (ja !== null) { ja.push(ptr, len); return; }
    this.nd!.push(ptr, len);
  }

  finish(): void {
    const sse = this.sse;
    if (sse !== null) { sse.finish(); return; }
    const es = this.es;
    if (es !== null) { es.finish(); return; }
    const ja = this.ja;
    if (ja !== null) { ja.finish(); return; }
    this.nd!.finish();
  }

  /** lib/framing's FRAME_* result; on FRAME_UNIT the fields above describe the unit. */
  next(): i32 {
    const sse = this.sse;
    if (sse !== null) {
      const r = sse.next();
      if (r == FRAME_UNIT) this.set(sse.dataPtr, sse.dataLenOut, sse.eventPtr, sse.eventLen);
      return r;
    }
    const es = this.es;
    if (es !== null) {
      const r = es.next();
      if (r == FRAME_UNIT) {
        this.framePtr = es.framePtr;
        this.frameLen = es.frameLen;
        this.isEvent = eqAscii(es.messageTypePtr, es.messageTypeLen, "event");
        if (this.isEvent) this.set(es.payloadPtr, es.payloadLen, es.eventTypePtr, es.eventTypeLen);
      }
      return r;
    }
    const ja = this.ja;
    if (ja !== null) {
      const r = ja.next();
      if (r == FRAME_UNIT) this.set(ja.elementPtr, ja.elementLen, 0, 0);
      return r;
    }
    const nd = this.nd!;
    const r = nd.next();
    if (r == FRAME_UNIT) this.set(nd.linePtr, nd.lineLen, 0, 0);
    return r;
  }

  private set(dataPtr: usize, dataLen: usize, namePtr: usize, nameLen: usize): void {
    this.dataPtr = dataPtr;
    this.dataLen = dataLen;
    this.namePtr = namePtr;
    this.nameLen = nameLen;
  }
}
