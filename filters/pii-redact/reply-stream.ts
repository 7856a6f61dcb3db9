// A streamed reply (SSE, NDJSON, Gemini's JSON array, Bedrock's AWS event-stream) rewritten
// event by event. Bedrock InvokeModelWithResponseStream frames wrap the vendor's own event in
// base64 (`{"bytes": …}`, bedrock-invoke-envelope.ts): for Anthropic models each is opened, read
// as an Anthropic Messages stream event and sealed again into its frame. Each event's text
// parts (lib/pii/text-parts) that continue a channel — a choice's content deltas, a content
// block's text — go through that channel's StreamRedactor (entities replaced, at most `bound`
// bytes held back) and then its Restorer (placeholders put back); whole values (snapshots,
// `.done` repeats) are handled at once. What a channel still holds when it ends is sent in a copy of its last text
// event carrying just that text, right before the event that ends it (a finish_reason,
// content_block_stop, message_delta/stop, finishReason, response.*.done/completed, done:true,
// [DONE]) — so every event stays well-formed in the provider's own format. An event-stream frame
// whose event comes out unchanged is passed on as it came.
import { ByteBuffer, indexOfAscii } from "../lib/bytes";
import { FRAME_END, FRAME_NEED_MORE, FRAME_UNIT } from "../lib/framing";
import { eqAscii, eqBytes } from "../lib/bytes";
import { writeFrameBytes } from "../lib/providers/cutoff-bedrock";
import { Findings } from "../lib/pii/findings";
import { decodePart, JsonRewriter } from "../lib/pii/json-rewrite";
import { Restorer } from "../lib/pii/restore";
import { ScanConfig, scanText } from "../lib/pii/scan";
import { StreamRedactor } from "../lib/pii/stream-redact";
import { findTextParts, PART_CONTINUES, TextParts } from "../lib/pii/text-parts";
import { StreamUnits } from "../lib/providers/stream-units";
import { BodyFraming, Operation, Provider } from "../lib/providers/types";
import { InvokeEnvelope } from "./bedrock-invoke-envelope";
import { opensAnthropicStream } from "./bedrock-invoke-model";
import { PiiPolicy } from "./policy";

class Channel {
  redactor: StreamRedactor;
  restorer: Restorer;
  /** The channel's last text event (its data) and the name of its SSE event, for the flush copy. */
  lastData: ByteBuffer = new ByteBuffer(1 << 20, 512);
  lastEvent: ByteBuffer = new ByteBuffer(256, 32);
  lastPartOrdinal: i32 = 0;
  /** InvokeStream: the envelope of that last text event, which its flush copy is sealed into. */
  lastEnvelope: InvokeEnvelope | null = null;
  constructor(public id: i32, bound: usize, scan: ScanConfig, policy: PiiPolicy) {
    this.redactor = new StreamRedactor(bound, scan, policy);
    this.restorer = new Restorer(policy.vault);
  }
}

const TERMINAL_MARKERS: string[] = [
  "\"finish_reason\":\"", "\"type\":\"content_block_stop\"", "\"type\":\"message_delta\"", "\"type\":\"message_stop\"",
  "\"finishReason\":", ".done\"", "\"type\":\"response.completed\"", "\"type\":\"response.incomplete\"",
  "\"done\":true", "\"contentBlockStop\"", "\"messageStop\"",
];

export class ReplyStream {
  // Gemini's JSON array (without alt=sse) is re-emitted element by element; Bedrock's AWS
  // event-stream frames (CRCs) are re-encoded when their JSON changes, else passed on as they came.
  private units: StreamUnits;
  /** The operation whose rules find the text (InvokeStream's inner events: Invoke's, Anthropic). */
  private textOp: Operation;
  /** InvokeStream: the envelope of the frame being read, and the one emit() seals into. */
  private envelope: InvokeEnvelope | null = null;
  private sealing: InvokeEnvelope | null = null;
  private sealed: ByteBuffer = new ByteBuffer(1 << 21, 1024);
  private invokeDecided: bool = false;
  /** InvokeStream: the model id names Anthropic; otherwise the first event decides. */
  anthropicModel: bool = false;
  /** InvokeStream of another vendor's events: every frame passed on as it came. */
  unscanned: bool = false;
  private sse: bool;
  private ja: bool;
  private es: bool;
  private elements: i32 = 0;
  private channels: Channel[] = [];
  private parts: TextParts = new TextParts();
  private flushParts: TextParts = new TextParts();
  private rewriter: JsonRewriter = new JsonRewriter(64 << 20);
  private text: ByteBuffer = new ByteBuffer(64 << 20, 1024);
  private redacted: ByteBuffer = new ByteBuffer(64 << 20, 1024);
  private final: ByteBuffer = new ByteBuffer(64 << 20, 1024);
  private found: Findings = new Findings();
  private crlf: i32 = -1;
  /** Units the framer or the JSON reader could not handle (passed on as they were, or dropped by the framer). */
  badUnits: i32 = 0;
  /** Most text bytes any channel held back after a push (never above the bound). */
  maxHeld: usize = 0;

  constructor(
    private provider: Provider, private operation: Operation, framing: BodyFraming,
    private scan: ScanConfig, private policy: PiiPolicy, private bound: usize, maxEventBytes: usize,
  ) {
    this.units = new StreamUnits(framing, maxEventBytes);
    this.sse = framing == BodyFraming.Sse;
    this.ja = framing == BodyFraming.JsonArray;
    this.es = framing == BodyFraming.EventStream;
    this.textOp = operation;
    if (this.es && operation == Operation.InvokeStream) {
      this.textOp = Operation.Invoke;
      this.envelope = new InvokeEnvelope();
    }
  }

  /** Rewrites one chunk of the reply into `out` (which may get more or fewer bytes). */
  push(ptr: usize, len: usize, out: ByteBuffer): void {
    if (this.crlf < 0 && len > 0) {
      const lf = indexOfAscii(ptr, len, "\n");
      if (lf >= 0) this.crlf = lf > 0 && load<u8>(ptr + <usize>lf - 1) == 0x0d ? 1 : 0;
    }
    this.drain(ptr, len, false, out);
  }

  /** End of the reply: the last unit, then whatever any channel still holds. */
  finish(out: ByteBuffer): void {
    this.drain(0, 0, true, out);
    this.flushAll(out);
    if (this.ja) {
      // The array is closed by us: its elements were re-emitted one by one.
      if (this.elements == 0) out.appendByte(0x5b);
      out.appendByte(0x5d);
    }
  }

  private drain(ptr: usize, len: usize, end: bool, out: ByteBuffer): void {
    const units = this.units;
    units.push(ptr, len);
    if (end) units.finish();
    for (;;) {
      const r = units.next();
      if (r == FRAME_NEED_MORE || r == FRAME_END) break;
      if (r != FRAME_UNIT) { this.badUnits++; continue; }
      // Exceptions and other non-event frames carry no model text: on as they came.
      if (!units.isEvent) {
        out.append(units.framePtr, units.frameLen);
        continue;
      }
      const env = this.envelope;
      if (env !== null) {
        if (this.unscanned) { out.append(units.framePtr, units.frameLen); continue; }
        // Only `chunk` frames carry an event; one we cannot open is passed on and counted.
        if (!env.open(units.dataPtr, units.dataLen)) {
          if (eqAscii(units.namePtr, units.nameLen, "chunk")) this.badUnits++;
          out.append(units.framePtr, units.frameLen);
          continue;
        }
        if (!this.invokeDecided) {
          // Ids that name no vendor (application inference profiles) are read when the stream
          // opens the way Anthropic's does; other vendors' shapes have no rules here.
          this.invokeDecided = true;
          this.unscanned = !this.anthropicModel && !opensAnthropicStream(env.inner.ptr, env.inner.length);
          if (this.unscanned) { out.append(units.framePtr, units.frameLen); continue; }
        }
        this.sealing = env;
        this.unit(env.inner.ptr, env.inner.length, units.namePtr, units.nameLen, out);
        continue;
      }
      this.unit(units.dataPtr, units.dataLen, units.namePtr, units.nameLen, out);
    }
  }

  private unit(dptr: usize, dlen: usize, eptr: usize, elen: usize, out: ByteBuffer): void {
    // An event that ends channels gets what they still hold first; text it carries itself is final.
    const terminal = isTerminal(dptr, dlen) || (this.es && (eqAscii(eptr, elen, "contentBlockStop") || eqAscii(eptr, elen, "messageStop")));
    if (terminal) this.flushAll(out);
    const parts = this.parts;
    if (findTextParts(this.provider, this.textOp, true, dptr, dlen, parts) < 0 || parts.count == 0) {
      if (this.es) out.append(this.units.framePtr, this.units.frameLen);
      else this.emit(dptr, dlen, eptr, elen, out);
      return;
    }
    const policy = this.policy;
    policy.direction = 1;
    const w = this.rewriter;
    w.begin(dptr, dlen, parts);
    for (let i = 0; i < parts.count; i++) {
      const t = this.text;
      t.clear();
      if (!t.reserve(parts.partEnd(i) - parts.partStart(i))) { this.badUnits++; this.emit(dptr, dlen, eptr, elen, out); return; }
      const n = decodePart(dptr, parts, i, t.ptr, t.max);
      if (n < 0) { this.badUnits++; this.emit(dptr, dlen, eptr, elen, out); return; }
      t.length = <usize>n;
      const f = this.final;
      f.clear();
      if ((parts.partFlags(i) & PART_CONTINUES) != 0) {
        const ch = this.channel(parts.partChannel(i));
        const r = this.redacted;
        r.clear();
        ch.redactor.push(t.ptr, t.length, r);
        if (terminal) ch.redactor.flush(r);
        ch.restorer.push(r.ptr, r.length, f);
        if (terminal) ch.restorer.flush(f);
        if (ch.redactor.held > this.maxHeld) this.maxHeld = ch.redactor.held;
        ch.lastData.clear();
        ch.lastData.append(dptr, dlen);
        ch.lastEvent.clear();
        ch.lastEvent.append(eptr, elen);
        ch.lastPartOrdinal = ordinalInChannel(parts, i);
        const env = this.envelope;
        if (env !== null) {
          let saved = ch.lastEnvelope;
          if (saved === null) ch.lastEnvelope = saved = new InvokeEnvelope();
          saved.copyFrom(env);
        }
      } else {
        this.whole(t, f);
      }
      w.replace(i, f.ptr, f.length);
    }
    if (!w.finish()) { this.badUnits++; this.emit(dptr, dlen, eptr, elen, out); return; }
    if (this.es && eqBytes(w.out.ptr, w.out.length, dptr, dlen)) out.append(this.units.framePtr, this.units.frameLen);
    else this.emit(w.out.ptr, w.out.length, eptr, elen, out);
  }

  /** A complete value (not a delta): entities replaced, then placeholders restored. */
  private whole(t: ByteBuffer, out: ByteBuffer): void {
    const found = this.found;
    scanText(t.ptr, t.length, this.scan, found);
    const r = this.redacted;
    r.clear();
    let pos = 0;
    for (let k = 0; k < found.count; k++) {
      const s = unchecked(found.start[k]);
      const e = unchecked(found.end[k]);
      r.append(t.ptr + <usize>pos, <usize>(s - pos));
      this.policy.write(unchecked(found.type[k]), unchecked(found.subtype[k]), t.ptr + <usize>s, <usize>(e - s), r);
      pos = e;
    }
    r.append(t.ptr + <usize>pos, t.length - <usize>pos);
    const restorer = new Restorer(this.policy.vault);
    restorer.push(r.ptr, r.length, out);
    restorer.flush(out);
    this.policy.countRestored(restorer.restored);
  }

  /** Sends what every channel still holds, each in a copy of its last text event. */
  private flushAll(out: ByteBuffer): void {
    for (let c = 0; c < this.channels.length; c++) {
      const ch = unchecked(this.channels[c]);
      const r = this.redacted;
      r.clear();
      ch.redactor.flush(r);
      const f = this.final;
      f.clear();
      ch.restorer.push(r.ptr, r.length, f);
      ch.restorer.flush(f);
      this.policy.countRestored(ch.restorer.restored);
      ch.restorer.restored = 0;
      if (f.length == 0 || ch.lastData.length == 0) continue;
      const parts = this.flushParts;
      if (findTextParts(this.provider, this.textOp, true, ch.lastData.ptr, ch.lastData.length, parts) < 0) continue;
      const target = partOfChannel(parts, ch.id, ch.lastPartOrdinal);
      if (target < 0) continue;
      const w = this.rewriter;
      w.begin(ch.lastData.ptr, ch.lastData.length, parts);
      // The copy carries only the flushed text: every other part of it is emptied.
      const empty = this.text;
      empty.clear();
      for (let i = 0; i < parts.count; i++) {
        if (i == target) w.replace(i, f.ptr, f.length);
        else w.replace(i, empty.ptr, 0);
      }
      if (!w.finish()) continue;
      const current = this.sealing;
      if (ch.lastEnvelope !== null) this.sealing = ch.lastEnvelope;
      this.emit(w.out.ptr, w.out.length, ch.lastEvent.ptr, ch.lastEvent.length, out);
      this.sealing = current;
    }
  }

  private channel(id: i32): Channel {
    for (let i = 0; i < this.channels.length; i++) if (unchecked(this.channels[i]).id == id) return unchecked(this.channels[i]);
    const ch = new Channel(id, this.bound, this.scan, this.policy);
    this.channels.push(ch);
    return ch;
  }

  private emit(dptr: usize, dlen: usize, eptr: usize, elen: usize, out: ByteBuffer): void {
    const crlf = this.crlf == 1;
    if (this.es) {
      const env = this.sealing;
      if (env === null) {
        writeFrameBytes(out, eptr, elen, dptr, dlen);
        return;
      }
      const sealed = this.sealed;
      sealed.clear();
      if (env.seal(dptr, dlen, sealed)) writeFrameBytes(out, eptr, elen, sealed.ptr, sealed.length);
      else this.badUnits++;
      return;
    }
    if (this.ja) {
      out.appendByte(this.elements == 0 ? 0x5b : 0x2c);
      eol(out, crlf);
      out.append(dptr, dlen);
      this.elements++;
      return;
    }
    if (!this.sse) {
      out.append(dptr, dlen);
      eol(out, crlf);
      return;
    }
    if (elen > 0) {
      appendAscii(out, "event: ");
      out.append(eptr, elen);
      eol(out, crlf);
    }
    // One data line per line of the data (SSE joins data lines with LF).
    let start: usize = 0;
    for (let i: usize = 0; i <= dlen; i++) {
      if (i < dlen && load<u8>(dptr + i) != 0x0a) continue;
      appendAscii(out, "data: ");
      out.append(dptr + start, i - start);
      eol(out, crlf);
      start = i + 1;
    }
    eol(out, crlf);
  }
}

function isTerminal(ptr: usize, len: usize): bool {
  if (len == 6 && indexOfAscii(ptr, len, "[DONE]") == 0) return true;
  for (let i = 0; i < TERMINAL_MARKERS.length; i++) if (indexOfAscii(ptr, len, unchecked(TERMINAL_MARKERS[i])) >= 0) return true;
  return false;
}

/** Which of its channel's parts in this document part i is (0 = the first). */
function ordinalInChannel(parts: TextParts, i: i32): i32 {
  const ch = parts.partChannel(i);
  let n = 0;
  for (let k = 0; k < i; k++) if (parts.partChannel(k) == ch) n++;
  return n;
}

function partOfChannel(parts: TextParts, ch: i32, ordinal: i32): i32 {
  let n = 0;
  for (let k = 0; k < parts.count; k++) {
    if (parts.partChannel(k) != ch) continue;
    if (n == ordinal) return k;
    n++;
  }
  return -1;
}

function eol(out: ByteBuffer, crlf: bool): void {
  if (crlf) out.appendByte(0x0d);
  out.appendByte(0x0a);
}

function appendAscii(out: ByteBuffer, s: string): void {
  for (let i = 0; i < s.length; i++) out.appendByte(<u8>s.charCodeAt(i));
}
