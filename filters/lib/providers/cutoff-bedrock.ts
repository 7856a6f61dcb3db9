// Stream-cutter dialect of Bedrock ConverseStream (application/vnd.amazon.eventstream). Each
// event is a frame whose :event-type header names it; the terminal frames are
// contentBlockStop for an open block and messageStop {"stopReason":"max_tokens"}, with both
// CRCs, so the AWS SDK's event-stream decoder accepts them.
import { JsonPathMatcher } from "../json-scan";
import { ByteBuffer, eqAscii, crc32, crc32Update } from "../bytes";
import { CutDialect, appendInt, bit } from "./cutoff-dialect";
import { OutputCounter } from "./cutoff-count";

const B_INDEX = 0;
const T_OTHER = 0, T_START = 1, T_DELTA = 2, T_STOP = 3, T_MESSAGE_STOP = 4;

export class ConverseStreamCut extends CutDialect {
  private open: u64 = 0;
  private stopped: bool = false;
  private type: i32 = T_OTHER;
  private index: i64 = -1;
  private payload: ByteBuffer = new ByteBuffer(256);

  constructor(counter: OutputCounter) {
    super(counter);
    this.path("contentBlockIndex");
    this.text("delta.text"); this.text("delta.reasoningContent.text"); this.text("delta.toolUse.input");
    this.text("start.toolUse.name"); // a tool call's name is generated output too
    this.ready();
  }

  // Only deltas carry output; the type comes from the frame header, not the payload.
  protected accepts(evPtr: usize, evLen: usize): bool {
    if (eqAscii(evPtr, evLen, "contentBlockDelta")) this.type = T_DELTA;
    else if (eqAscii(evPtr, evLen, "contentBlockStart")) this.type = T_START;
    else if (eqAscii(evPtr, evLen, "contentBlockStop")) this.type = T_STOP;
    else if (eqAscii(evPtr, evLen, "messageStop")) this.type = T_MESSAGE_STOP;
    else this.type = T_OTHER;
    return this.type != T_OTHER;
  }

  protected begin(): void { this.index = -1; }

  protected match(p: i32, m: JsonPathMatcher): void {
    if (p == B_INDEX) this.index = this.intOf(m);
  }

  protected end(): void {
    const t = this.type;
    // Text blocks start implicitly with their first delta (no contentBlockStart).
    if (t == T_START || t == T_DELTA) this.open |= bit(this.index);
    else if (t == T_STOP) this.open &= ~bit(this.index);
    else if (t == T_MESSAGE_STOP) this.stopped = true;
  }

  terminate(out: ByteBuffer): void {
    if (this.stopped) return;
    const pl = this.payload;
    let open = this.open;
    while (open != 0) {
      const i = <i64>ctz(open);
      open &= open - 1;
      pl.clear();
      pl.appendAscii("{\"contentBlockIndex\":");
      appendInt(pl, i);
      pl.appendByte(0x7D);
      writeFrame(out, "contentBlockStop", pl.ptr, pl.length);
    }
    pl.clear();
    pl.appendAscii("{\"stopReason\":\"max_tokens\"}");
    writeFrame(out, "messageStop", pl.ptr, pl.length);
  }
}

function putBe32(out: ByteBuffer, v: u32): void {
  out.appendByte(<u8>(v >>> 24));
  out.appendByte(<u8>(v >>> 16));
  out.appendByte(<u8>(v >>> 8));
  out.appendByte(<u8>v);
}

function stringHeader(out: ByteBuffer, name: string, valuePtr: usize, valueLen: usize): void {
  out.appendByte(<u8>name.length);
  out.appendAscii(name);
  out.appendByte(7); // string
  out.appendByte(<u8>(valueLen >>> 8));
  out.appendByte(<u8>valueLen);
  out.append(valuePtr, valueLen);
}

function headerLen(name: string, valueLen: usize): u32 {
  return 1 + <u32>name.length + 1 + 2 + <u32>valueLen;
}

const JSON_TYPE = String.UTF8.encode("application/json");
const EVENT_TYPE = String.UTF8.encode("event");

/** One event frame: prelude, prelude CRC, headers, payload, message CRC. */
export function writeFrame(out: ByteBuffer, eventType: string, payload: usize, payloadLen: usize): void {
  const t = String.UTF8.encode(eventType);
  writeFrameBytes(out, changetype<usize>(t), <usize>t.byteLength, payload, payloadLen);
}

/** writeFrame with the event type as bytes (re-encoding frames on the hot path). */
export function writeFrameBytes(out: ByteBuffer, typePtr: usize, typeLen: usize, payload: usize, payloadLen: usize): void {
  const jsonLen = <usize>JSON_TYPE.byteLength;
  const eventLen = <usize>EVENT_TYPE.byteLength;
  const hlen = headerLen(":event-type", typeLen) + headerLen(":content-type", jsonLen) + headerLen(":message-type", eventLen);
  const total = 12 + hlen + <u32>payloadLen + 4;
  if (!out.reserve(<usize>total)) return; // no partial frame: it would break every later one
  const start = out.length;
  putBe32(out, total);
  putBe32(out, hlen);
  putBe32(out, crc32(out.ptr + start, 8));
  stringHeader(out, ":event-type", typePtr, typeLen);
  stringHeader(out, ":content-type", changetype<usize>(JSON_TYPE), jsonLen);
  stringHeader(out, ":message-type", changetype<usize>(EVENT_TYPE), eventLen);
  out.append(payload, payloadLen);
  putBe32(out, crc32Update(0, out.ptr + start, out.length - start));
}
