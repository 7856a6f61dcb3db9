// AWS event-stream (application/vnd.amazon.eventstream, Bedrock ConverseStream /
// InvokeModelWithResponseStream). A frame is:
//   total length u32 BE | headers length u32 BE | prelude CRC32 (of the 8 bytes before)
//   headers | payload | message CRC32 (of everything before it)
// Header: name length u8, name, value type u8, value. Types: 0 true, 1 false (no bytes),
// 2 byte, 3 short, 4 int, 5 long, 6 bytes (u16 BE length), 7 string (u16 BE length),
// 8 timestamp (8 bytes), 9 uuid (16 bytes).
//
// Both CRCs are checked. A bad prelude CRC means the lengths cannot be trusted, so no later
// frame boundary can be found: FRAME_ERR_CRC once, then the rest of the stream is discarded.
// A bad message CRC, malformed headers, or a frame over maxFrameSize lose only that frame
// (its length is known): the framer skips it and carries on with the next one.
import { ChunkCursor } from "./cursor";
import { ByteBuffer } from "../bytes/buffer";
import { crc32 } from "../bytes/crc32";
import { eqAscii } from "../bytes/range";
import {
  FRAME_NEED_MORE, FRAME_UNIT, FRAME_END, FRAME_ERR_TOO_LARGE, FRAME_ERR_MALFORMED, FRAME_ERR_CRC,
  FRAME_ERR_TRUNCATED,
} from "./status";

export const EVENTSTREAM_DEFAULT_MAX_FRAME: usize = 1 << 20;
const PRELUDE: usize = 12;
const MIN_FRAME: usize = 16;

// @ts-ignore: decorator
@inline function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

// @ts-ignore: decorator
@inline function be16(p: usize): u32 {
  return (<u32>load<u8>(p) << 8) | <u32>load<u8>(p + 1);
}

export class EventStreamFramer extends ChunkCursor {
  readonly maxFrameSize: usize;
  private held: ByteBuffer;
  private heldTotal: usize = 0;  // total length of the held frame once its prelude was read
  private skipLeft: usize = 0;   // bytes of a rejected frame still to discard
  private dead: bool = false;    // after a bad prelude: discard everything
  private emittedHeld: bool = false;

  /** String header values of the frame (len 0 when absent). */
  eventTypePtr: usize = 0;
  eventTypeLen: usize = 0;
  messageTypePtr: usize = 0;
  messageTypeLen: usize = 0;
  contentTypePtr: usize = 0;
  contentTypeLen: usize = 0;
  exceptionTypePtr: usize = 0;
  exceptionTypeLen: usize = 0;
  payloadPtr: usize = 0;
  payloadLen: usize = 0;
  /** The whole frame. */
  framePtr: usize = 0;
  frameLen: usize = 0;

  constructor(maxFrameSize: usize = EVENTSTREAM_DEFAULT_MAX_FRAME) {
    super();
    const m = max<usize>(maxFrameSize, MIN_FRAME);
    this.held = new ByteBuffer(m);
    this.maxFrameSize = m;
  }

  // Checks a prelude; returns 0 when the frame can be read, else an error (after arranging to
  // skip the frame, or to discard the stream when its lengths are not trustworthy).
  // `have` is how many bytes of this frame were already consumed.
  private checkPrelude(p: usize, have: usize): i32 {
    const total = <usize>be32(p);
    const hlen = <usize>be32(p + 4);
    if (crc32(p, 8) != be32(p + 8)) { this.dead = true; return FRAME_ERR_CRC; }
    if (total < MIN_FRAME) { this.dead = true; return FRAME_ERR_MALFORMED; }
    const bad = hlen > total - MIN_FRAME;
    if (bad || total > this.maxFrameSize) {
      this.skipLeft = total - have;
      return bad ? FRAME_ERR_MALFORMED : FRAME_ERR_TOO_LARGE;
    }
    return 0;
  }

  next(): i32 {
    if (this.emittedHeld) {
      this.emittedHeld = false;
      this.held.clear();
      this.heldTotal = 0;
    }
    while (true) {
      const avail = this.chunkLen - this.pos;
      if (this.dead) {
        this.pos = this.chunkLen;
        return this.finished ? FRAME_END : FRAME_NEED_MORE;
      }
      if (this.skipLeft > 0) {
        const n = min(this.skipLeft, avail);
        this.pos += n;
        this.skipLeft -= n;
        if (this.skipLeft > 0) {
          if (!this.finished) return FRAME_NEED_MORE;
          this.skipLeft = 0;
          return FRAME_ERR_TRUNCATED;
        }
        continue;
      }
      const p = this.chunk + this.pos;
      if (this.held.length == 0) {
        if (avail == 0) return this.finished ? FRAME_END : FRAME_NEED_MORE;
        if (avail >= PRELUDE) {
          const err = this.checkPrelude(p, 0);
          if (err != 0) return err;
          const total = <usize>be32(p);
          if (avail >= total) {
            this.pos += total;
            return this.frame(p, total);
          }
          this.heldTotal = total;
        }
        this.held.append(p, avail); // within the cap: a prelude-less tail is < 12 bytes
        this.pos = this.chunkLen;
        continue;
      }
      // Completing a held frame.
      if (this.heldTotal == 0) {
        const want = PRELUDE - this.held.length;
        const n = min(want, avail);
        this.held.append(p, n);
        this.pos += n;
        if (this.held.length < PRELUDE) {
          if (!this.finished) return FRAME_NEED_MORE;
          this.held.clear();
          return FRAME_ERR_TRUNCATED;
        }
        const err = this.checkPrelude(this.held.ptr, PRELUDE);
        if (err != 0) { this.held.clear(); return err; }
        this.heldTotal = <usize>be32(this.held.ptr);
        continue;
      }
      const n = min(this.heldTotal - this.held.length, avail);
      this.held.append(this.chunk + this.pos, n);
      this.pos += n;
      if (this.held.length < this.heldTotal) {
        if (!this.finished) return FRAME_NEED_MORE;
        this.held.clear();
        this.heldTotal = 0;
        return FRAME_ERR_TRUNCATED;
      }
      this.emittedHeld = true;
      return this.frame(this.held.ptr, this.heldTotal);
    }
    return FRAME_END;
  }

  // A complete frame at p whose prelude was checked.
  private frame(p: usize, total: usize): i32 {
    if (crc32(p, total - 4) != be32(p + total - 4)) return FRAME_ERR_CRC;
    const hlen = <usize>be32(p + 4);
    this.eventTypeLen = 0;
    this.messageTypeLen = 0;
    this.contentTypeLen = 0;
    this.exceptionTypeLen = 0;
    let h = p + PRELUDE;
    const end = h + hlen;
    while (h < end) {
      const nameLen = <usize>load<u8>(h);
      h++;
      if (nameLen == 0 || end - h < nameLen + 1) return FRAME_ERR_MALFORMED;
      const name = h;
      h += nameLen;
      const type = load<u8>(h);
      h++;
      let size: usize = 0;
      let value = h;
      if (type <= 1) size = 0;
      else if (type == 2) size = 1;
      else if (type == 3) size = 2;
      else if (type == 4) size = 4;
      else if (type == 5 || type == 8) size = 8;
      else if (type == 9) size = 16;
      else if (type == 6 || type == 7) {
        if (end - h < 2) return FRAME_ERR_MALFORMED;
        size = <usize>be16(h);
        h += 2;
        value = h;
      } else return FRAME_ERR_MALFORMED;
      if (end - h < size) return FRAME_ERR_MALFORMED;
      h += size;
      if (type != 7 || nameLen < 11 || load<u8>(name) != 0x3A) continue;
      if (eqAscii(name, nameLen, ":event-type")) { this.eventTypePtr = value; this.eventTypeLen = size; }
      else if (eqAscii(name, nameLen, ":message-type")) { this.messageTypePtr = value; this.messageTypeLen = size; }
      else if (eqAscii(name, nameLen, ":content-type")) { this.contentTypePtr = value; this.contentTypeLen = size; }
      else if (eqAscii(name, nameLen, ":exception-type")) { this.exceptionTypePtr = value; this.exceptionTypeLen = size; }
    }
    this.payloadPtr = end;
    this.payloadLen = total - PRELUDE - hlen - 4;
    this.framePtr = p;
    this.frameLen = total;
    return FRAME_UNIT;
  }
}
