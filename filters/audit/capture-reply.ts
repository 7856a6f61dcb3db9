// A streamed reply's text, assembled for capture: the reply is cut into events (SSE, NDJSON,
// Gemini's JSON array, Bedrock's AWS event-stream) by the same framers pii-redact uses, each
// event's text parts are found (lib/pii/text-parts) and the text goes to its channel (a choice,
// a content block, a tool call): deltas are appended; a whole value (a snapshot, a `.done`
// repeat) stands for the channel only while no delta has come for it, so repeats are not
// doubled. All channels together hold at most `rawCap` bytes of raw text; redaction happens
// once, at the end (capture.ts), over what was kept.
import { ByteBuffer, eqAscii } from "../lib/bytes";
import { FRAME_END, FRAME_NEED_MORE, FRAME_UNIT } from "../lib/framing";
import { decodePart } from "../lib/pii/json-rewrite";
import { findTextParts, PART_CONTINUES, TextParts } from "../lib/pii/text-parts";
import { StreamUnits } from "../lib/providers/stream-units";
import { BodyFraming, Operation, Provider } from "../lib/providers/types";
import { utf8Prefix } from "./capture-redact";

// One event (and so one part) is at most this long; longer ones are counted unreadable.
const MAX_EVENT: usize = 1 << 20;
// No real stream has more; text of further channels is dropped (and the capture marked truncated).
const MAX_CHANNELS: i32 = 64;

export class CaptureChannel {
  text: ByteBuffer;
  hasDelta: bool = false;
  /** Raw text was dropped at the bound: the end of `text` may be the start of a cut entity. */
  cut: bool = false;
  constructor(public id: i32, cap: usize) {
    this.text = new ByteBuffer(cap, 256);
  }
}

export class ReplyCapture {
  channels: CaptureChannel[] = [];
  /** Events that were not readable JSON (other than the `[DONE]` sentinel). */
  badUnits: i32 = 0;
  /** Text was dropped: the raw bound, or more channels than kept. */
  dropped: bool = false;
  private units: StreamUnits;
  private parts: TextParts = new TextParts();
  private scratch: ByteBuffer = new ByteBuffer(MAX_EVENT, 1024);
  private used: usize = 0;

  constructor(private provider: Provider, private operation: Operation, framing: BodyFraming, private rawCap: usize) {
    this.units = new StreamUnits(framing, MAX_EVENT);
  }

  push(ptr: usize, len: usize, end: bool): void {
    const units = this.units;
    units.push(ptr, len);
    if (end) units.finish();
    for (;;) {
      const r = units.next();
      if (r == FRAME_NEED_MORE || r == FRAME_END) break;
      if (r != FRAME_UNIT) { this.badUnits++; continue; }
      // Exceptions and other non-event frames carry no model text.
      if (units.isEvent) this.unit(units.dataPtr, units.dataLen);
    }
  }

  private unit(ptr: usize, len: usize): void {
    if (len == 6 && eqAscii(ptr, len, "[DONE]")) return;
    const parts = this.parts;
    if (findTextParts(this.provider, this.operation, true, ptr, len, parts) < 0) {
      this.badUnits++;
      return;
    }
    for (let i = 0; i < parts.count; i++) {
      const ch = this.channel(parts.partChannel(i));
      if (ch === null) {
        this.dropped = true;
        continue;
      }
      const delta = (parts.partFlags(i) & PART_CONTINUES) != 0;
      if (!delta && ch.hasDelta) continue; // a repeat of what the deltas said
      if (delta && !ch.hasDelta) ch.hasDelta = true;
      else if (!delta) {
        // A snapshot replaces what the channel held.
        this.used -= ch.text.length;
        ch.text.clear();
        ch.cut = false;
      }
      const room = this.rawCap - this.used;
      if (room == 0) {
        if (parts.partEnd(i) > parts.partStart(i)) this.cutOff(ch);
        continue;
      }
      const t = this.scratch;
      t.clear();
      const rawLen = parts.partEnd(i) - parts.partStart(i);
      if (!t.reserve(rawLen)) { this.badUnits++; continue; }
      const n = decodePart(ptr, parts, i, t.ptr, t.max);
      if (n < 0) { this.badUnits++; continue; }
      const keep = utf8Prefix(t.ptr, <usize>n, room);
      ch.text.append(t.ptr, keep);
      this.used += keep;
      if (keep < <usize>n) this.cutOff(ch);
    }
  }

  private cutOff(ch: CaptureChannel): void {
    ch.cut = true;
    this.dropped = true;
  }

  private channel(id: i32): CaptureChannel | null {
    const cs = this.channels;
    for (let i = 0; i < cs.length; i++) if (unchecked(cs[i]).id == id) return unchecked(cs[i]);
    if (cs.length >= MAX_CHANNELS) return null;
    const ch = new CaptureChannel(id, this.rawCap);
    cs.push(ch);
    return ch;
  }
}
