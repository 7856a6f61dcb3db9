// Newline-delimited JSON (Ollama's application/x-ndjson): one value per LF-terminated line; a
// CR before the LF is dropped; blank lines are skipped; the last line needs no newline and is
// returned by finish(). Lines inside one chunk are not copied; a line cut by a chunk boundary
// is held, capped by maxLineSize (longer: FRAME_ERR_TOO_LARGE, and the line is skipped).
import { ChunkCursor } from "./cursor";
import { ByteBuffer } from "../bytes/buffer";
import { indexOfByte, countLeadingSpace } from "../bytes/range";
import { FRAME_NEED_MORE, FRAME_UNIT, FRAME_END, FRAME_ERR_TOO_LARGE } from "./status";

export const NDJSON_DEFAULT_MAX_LINE: usize = 1 << 20;

export class NdjsonFramer extends ChunkCursor {
  readonly maxLineSize: usize;
  private held: ByteBuffer;
  private skipping: bool = false;
  private emittedHeld: bool = false;

  /** The line (without LF / CRLF). */
  linePtr: usize = 0;
  lineLen: usize = 0;

  constructor(maxLineSize: usize = NDJSON_DEFAULT_MAX_LINE) {
    super();
    const m = max<usize>(maxLineSize, 1);
    this.held = new ByteBuffer(m + 1);
    this.maxLineSize = m;
  }

  // Returns FRAME_UNIT when the line is worth returning, FRAME_NEED_MORE for a blank one.
  private emit(p: usize, n: usize): i32 {
    if (n > 0 && load<u8>(p + n - 1) == 0x0D) n--;
    if (n > this.maxLineSize) return FRAME_ERR_TOO_LARGE;
    if (countLeadingSpace(p, n) == n) return FRAME_NEED_MORE;
    this.linePtr = p;
    this.lineLen = n;
    return FRAME_UNIT;
  }

  // The held line is released at the next call when returned, at once otherwise.
  private emitHeld(): i32 {
    const r = this.emit(this.held.ptr, this.held.length);
    if (r == FRAME_UNIT) this.emittedHeld = true;
    else this.held.clear();
    return r;
  }

  next(): i32 {
    if (this.emittedHeld) {
      this.emittedHeld = false;
      this.held.clear();
    }
    while (true) {
      if (this.pos >= this.chunkLen) {
        if (!this.finished) return FRAME_NEED_MORE;
        if (this.skipping) { this.skipping = false; continue; }
        if (this.held.length > 0) {
          const r = this.emitHeld();
          if (r != FRAME_NEED_MORE) return r;
          continue;
        }
        return FRAME_END;
      }
      const p = this.chunk + this.pos;
      const avail = this.chunkLen - this.pos;
      const at = indexOfByte(p, avail, 0x0A);
      if (at < 0) {
        this.pos = this.chunkLen;
        if (this.skipping) continue;
        // One extra byte is allowed for a CR that a following LF would strip.
        if (!this.held.append(p, avail)) {
          this.held.clear();
          this.skipping = true;
          return FRAME_ERR_TOO_LARGE;
        }
        continue;
      }
      const n = <usize>at;
      this.pos += n + 1;
      if (this.skipping) { this.skipping = false; continue; }
      let r: i32;
      if (this.held.length > 0) {
        if (!this.held.append(p, n)) {
          this.held.clear();
          return FRAME_ERR_TOO_LARGE;
        }
        r = this.emitHeld();
      } else {
        r = this.emit(p, n);
      }
      if (r != FRAME_NEED_MORE) return r;
    }
    return FRAME_END;
  }
}
