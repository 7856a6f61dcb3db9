// text/event-stream framing per the WHATWG HTML "server-sent events" parsing rules: lines end
// in LF, CRLF or CR; `data:` lines of one event are joined with LF; `event:` names the event;
// `id:` sets the last event id (kept across events); `:` lines are comments; a blank line
// dispatches; an event without any data line is not dispatched; a leading BOM is skipped.
//
// One deliberate difference: finish() dispatches a last event that has data but no closing
// blank line (the spec discards it). A provider that closes the connection right after its
// final `data:` line has still sent the usage in it, and a meter must not lose it.
//
// Memory: nothing is copied while an event lies inside one chunk and has a single data line.
// A line cut by a chunk boundary, a multi-line data field, or an event spanning chunks is
// copied into buffers capped by maxEventSize: a line or joined data longer than that is
// FRAME_ERR_TOO_LARGE, and the event is discarded up to its blank line. The limit applies to
// the bytes themselves, not to how they were chunked, so the result never depends on splits.
import { ChunkCursor } from "./cursor";
import { ByteBuffer } from "../bytes/buffer";
import { indexOfByte, indexOfLineEnd, eqAscii } from "../bytes/range";
import { parseU64, parsedU64, NUM_OK } from "../bytes/number";
import {
  FRAME_NEED_MORE, FRAME_UNIT, FRAME_END, FRAME_ERR_TOO_LARGE,
} from "./status";

export const SSE_DEFAULT_MAX_EVENT: usize = 1 << 20;

export class SseFramer extends ChunkCursor {
  readonly maxEventSize: usize;


  private line: ByteBuffer;      // a line cut by a chunk boundary
  private lineCut: bool = false; // the partial line in skip mode (bytes dropped, not buffered)
  private afterCR: bool = false; // the last line ended in CR: a following LF belongs to it
  private bomSeen: i32 = 0;      // BOM bytes matched at stream start
  private bomDone: bool = false;
  private skipping: bool = false;
  private dispatched: bool = false;

  private hasData: bool = false;
  private dataOwned: bool = false;
  private dataBorrow: usize = 0;
  private dataLen: usize = 0;
  private dataBuf: ByteBuffer;

  private typeOwned: bool = false;
  private typeBorrow: usize = 0;
  private typeLen: usize = 0;
  private typeBuf: ByteBuffer;

  private idBuf: ByteBuffer;
  private idSet: bool = false;

  /** The dispatched event's `event:` field (empty when absent: the spec's type is "message"). */
  eventPtr: usize = 0;
  eventLen: usize = 0;
  /** Its data, data lines joined with LF. */
  dataPtr: usize = 0;
  dataLenOut: usize = 0;
  /** The last event id seen so far (spec: it persists across events); hasId false if none. */
  idPtr: usize = 0;
  idLen: usize = 0;
  hasId: bool = false;
  /** Latest valid `retry:` value in ms, or -1. */
  retry: i64 = -1;

  constructor(maxEventSize: usize = SSE_DEFAULT_MAX_EVENT) {
    super();
    const m = max<usize>(maxEventSize, 1);
    this.line = new ByteBuffer(m);
    this.dataBuf = new ByteBuffer(m);
    this.typeBuf = new ByteBuffer(m);
    this.idBuf = new ByteBuffer(m);
    this.maxEventSize = m;
  }

  private resetEvent(): void {
    this.hasData = false;
    this.dataOwned = false;
    this.dataLen = 0;
    this.dataBuf.clear();
    this.typeOwned = false;
    this.typeLen = 0;
    this.typeBuf.clear();
  }

  private tooLarge(): i32 {
    this.resetEvent();
    this.skipping = true;
    return FRAME_ERR_TOO_LARGE;
  }

  // Before the chunk goes away, borrowed spans are copied into the framer's buffers.
  private ownSpans(): void {
    if (this.hasData && !this.dataOwned) {
      this.dataBuf.clear();
      this.dataBuf.append(this.dataBorrow, this.dataLen);
      this.dataOwned = true;
    }
    if (this.typeLen > 0 && !this.typeOwned) {
      this.typeBuf.clear();
      this.typeBuf.append(this.typeBorrow, this.typeLen);
      this.typeOwned = true;
    }
  }

  private dispatch(): i32 {
    this.eventPtr = this.typeOwned ? this.typeBuf.ptr : this.typeBorrow;
    this.eventLen = this.typeLen;
    this.dataPtr = this.dataOwned ? this.dataBuf.ptr : this.dataBorrow;
    this.dataLenOut = this.dataLen;
    this.idPtr = this.idBuf.ptr;
    this.idLen = this.idBuf.length;
    this.hasId = this.idSet;
    this.dispatched = true;
    return FRAME_UNIT;
  }

  /** FRAME_UNIT (read eventPtr/dataPtr...), FRAME_NEED_MORE, FRAME_END, or an error. */
  next(): i32 {
    if (this.dispatched) {
      this.dispatched = false;
      this.resetEvent();
    }
    while (true) {
      if (!this.bomDone && this.pos < this.chunkLen) this.matchBom();
      if (this.pos >= this.chunkLen) {
        if (!this.finished) {
          this.ownSpans();
          return FRAME_NEED_MORE;
        }
        if (!this.bomDone) this.abandonBom();
        if (this.line.length > 0 || this.lineCut) {
          // The unterminated last line counts as a line.
          const cut = this.lineCut;
          this.lineCut = false;
          if (cut) continue;
          const r = this.processLine(this.line.ptr, this.line.length, true);
          this.line.clear();
          if (r != FRAME_NEED_MORE) return r;
          continue;
        }
        if (this.hasData && !this.skipping) return this.dispatch();
        this.skipping = false;
        return FRAME_END;
      }
      const base = this.chunk;
      if (this.afterCR) {
        this.afterCR = false;
        if (load<u8>(base + this.pos) == 0x0A) { this.pos++; continue; }
      }
      const avail = this.chunkLen - this.pos;
      const at = indexOfLineEnd(base + this.pos, avail);
      if (at < 0) {
        // A partial line: keep it (or, while skipping, remember only that it is not blank).
        if (this.skipping || this.lineCut) {
          this.lineCut = true;
          this.line.clear();
        } else if (this.line.length + avail > this.maxEventSize) {
          this.line.clear();
          this.lineCut = true;
          this.pos = this.chunkLen;
          return this.tooLarge();
        } else {
          this.line.append(base + this.pos, avail);
        }
        this.pos = this.chunkLen;
        continue;
      }
      const n = <usize>at;
      const lineStart = base + this.pos;
      this.afterCR = load<u8>(lineStart + n) == 0x0D;
      this.pos += n + 1;
      let r: i32;
      if (this.lineCut) {
        // The end of a line whose start was dropped: not blank, no content.
        this.lineCut = false;
        continue;
      } else if (this.line.length > 0) {
        if (this.line.length + n > this.maxEventSize) {
          this.line.clear();
          return this.tooLarge();
        }
        this.line.append(lineStart, n);
        r = this.processLine(this.line.ptr, this.line.length, true);
        this.line.clear();
      } else {
        r = this.processLine(lineStart, n, false);
      }
      if (r != FRAME_NEED_MORE) return r;
    }
    return FRAME_END;
  }

  private matchBom(): void {
    while (this.pos < this.chunkLen && !this.bomDone) {
      const want: u8 = this.bomSeen == 0 ? 0xEF : this.bomSeen == 1 ? 0xBB : 0xBF;
      if (load<u8>(this.chunk + this.pos) != want) { this.abandonBom(); return; }
      this.pos++;
      this.bomSeen++;
      if (this.bomSeen == 3) this.bomDone = true;
    }
  }

  // What looked like a BOM start was content: it begins the first line.
  private abandonBom(): void {
    this.bomDone = true;
    if (this.bomSeen >= 1) this.line.appendByte(0xEF);
    if (this.bomSeen >= 2) this.line.appendByte(0xBB);
  }

  // fromBuf: the line lives in this.line, which is reused, so spans must be copied.
  private processLine(p: usize, n: usize, fromBuf: bool): i32 {
    if (this.skipping) {
      if (n == 0) { this.skipping = false; this.resetEvent(); }
      return FRAME_NEED_MORE;
    }
    if (n > this.maxEventSize) return this.tooLarge();
    if (n == 0) {
      if (this.hasData) return this.dispatch();
      this.resetEvent();
      return FRAME_NEED_MORE;
    }
    if (load<u8>(p) == 0x3A) return FRAME_NEED_MORE; // comment
    const colon = indexOfByte(p, n, 0x3A);
    let nameLen = n;
    let v = p + n;
    let vLen: usize = 0;
    if (colon >= 0) {
      nameLen = <usize>colon;
      v = p + nameLen + 1;
      vLen = n - nameLen - 1;
      if (vLen > 0 && load<u8>(v) == 0x20) { v++; vLen--; }
    }
    if (eqAscii(p, nameLen, "data")) return this.appendData(v, vLen, fromBuf);
    if (eqAscii(p, nameLen, "event")) {
      if (fromBuf) {
        this.typeBuf.clear();
        this.typeBuf.append(v, vLen);
        this.typeOwned = true;
      } else {
        this.typeBorrow = v;
        this.typeOwned = false;
      }
      this.typeLen = vLen;
    } else if (eqAscii(p, nameLen, "id")) {
      if (indexOfByte(v, vLen, 0) < 0) {
        this.idBuf.clear();
        this.idBuf.append(v, vLen);
        this.idSet = true;
      }
    } else if (eqAscii(p, nameLen, "retry")) {
      if (parseU64(v, vLen) == NUM_OK && parsedU64() <= <u64>i64.MAX_VALUE) this.retry = <i64>parsedU64();
    }
    return FRAME_NEED_MORE;
  }

  private appendData(v: usize, vLen: usize, fromBuf: bool): i32 {
    const joined = this.hasData ? this.dataLen + 1 + vLen : vLen;
    if (joined > this.maxEventSize) return this.tooLarge();
    if (!this.hasData) {
      this.hasData = true;
      this.dataLen = vLen;
      if (fromBuf) {
        this.dataBuf.clear();
        this.dataBuf.append(v, vLen);
        this.dataOwned = true;
      } else {
        this.dataBorrow = v;
        this.dataOwned = false;
      }
      return FRAME_NEED_MORE;
    }
    if (!this.dataOwned) {
      this.dataBuf.clear();
      this.dataBuf.append(this.dataBorrow, this.dataLen);
      this.dataOwned = true;
    }
    this.dataBuf.appendByte(0x0A);
    this.dataBuf.append(v, vLen);
    this.dataLen = this.dataBuf.length;
    return FRAME_NEED_MORE;
  }
}
