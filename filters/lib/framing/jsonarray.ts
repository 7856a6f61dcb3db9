// Gemini's streamGenerateContent without alt=sse: one JSON array, `[{...},\r\n{...}\n]`, sent
// element by element. Each top-level element is returned as soon as its last byte arrives. A
// body that is not an array (an error object) is returned as its single element.
//
// Elements are delimited structurally (brackets outside strings); their inner validity is left
// to the JSON scanner that reads them. Between elements only whitespace, one comma and the
// closing bracket are accepted; anything else is FRAME_ERR_MALFORMED and, with no trustworthy
// boundary left, the rest of the body is discarded. An element longer than maxElementSize is
// FRAME_ERR_TOO_LARGE: it is tracked to its end without being held and framing resumes after it.
import { ChunkCursor } from "./cursor";
import { ByteBuffer } from "../bytes/buffer";
import {
  FRAME_NEED_MORE, FRAME_UNIT, FRAME_END, FRAME_ERR_TOO_LARGE, FRAME_ERR_MALFORMED, FRAME_ERR_TRUNCATED,
  FRAME_ERR_BUSY,
} from "./status";

export const JSON_ARRAY_DEFAULT_MAX_ELEMENT: usize = 1 << 20;

const S_START: i32 = 0;      // before the first non-space byte
const S_FIRST: i32 = 1;      // after '[': an element or ']'
const S_ELEMENT: i32 = 2;    // after ',': an element
const S_AFTER: i32 = 3;      // after an element: ',' or ']'
const S_IN: i32 = 4;         // inside an element
const S_TAIL: i32 = 5;       // after the closing ']' (or the single value): whitespace only
const S_DEAD: i32 = 6;

const K_CONTAINER: i32 = 0;
const K_STRING: i32 = 1;
const K_BARE: i32 = 2;       // number or literal: ends before a delimiter

// @ts-ignore: decorator
@inline function isSpace(c: u32): bool {
  return c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09;
}

export class JsonArrayFramer extends ChunkCursor {
  readonly maxElementSize: usize;
  private state: i32 = S_START;
  private single: bool = false;   // the body is one value, not an array
  private held: ByteBuffer;
  private emittedHeld: bool = false;

  private kind: i32 = K_CONTAINER;
  private depth: i32 = 0;
  private inString: bool = false;
  private escape: bool = false;
  private elemLen: usize = 0;     // bytes of the current element so far
  private oversize: bool = false; // the current element passed the cap: not held
  private elemStart: usize = 0;   // in the chunk, when the element began in this chunk

  /** The element's bytes. */
  elementPtr: usize = 0;
  elementLen: usize = 0;

  constructor(maxElementSize: usize = JSON_ARRAY_DEFAULT_MAX_ELEMENT) {
    super();
    const m = max<usize>(maxElementSize, 1);
    this.held = new ByteBuffer(m);
    this.maxElementSize = m;
  }

  push(ptr: usize, len: usize): i32 {
    const r = super.push(ptr, len);
    // An element already open continues at the start of the new chunk.
    if (r == FRAME_NEED_MORE && this.state == S_IN) this.elemStart = ptr;
    return r;
  }

  private fail(): i32 {
    this.state = S_DEAD;
    this.held.clear();
    return FRAME_ERR_MALFORMED;
  }

  private begin(c: u32): void {
    this.state = S_IN;
    this.kind = c == 0x7B || c == 0x5B ? K_CONTAINER : c == 0x22 ? K_STRING : K_BARE;
    this.depth = 0;
    this.inString = false;
    this.escape = false;
    this.elemLen = 0;
    this.oversize = false;
    this.elemStart = this.chunk + this.pos;
  }

  // The element ends at `endPos` (exclusive) in the chunk. FRAME_NEED_MORE (go on) for an
  // oversize element, whose error was returned when it passed the cap.
  private complete(endPos: usize): i32 {
    const piece = this.chunk + endPos - this.elemStart;
    this.state = this.single ? S_TAIL : S_AFTER;
    if (this.oversize) return FRAME_NEED_MORE;
    if (this.held.length > 0) {
      this.held.append(this.elemStart, piece);
      this.emittedHeld = true;
      this.elementPtr = this.held.ptr;
      this.elementLen = this.held.length;
    } else {
      this.elementPtr = this.elemStart;
      this.elementLen = piece;
    }
    return FRAME_UNIT;
  }

  next(): i32 {
    if (this.emittedHeld) {
      this.emittedHeld = false;
      this.held.clear();
    }
    const base = this.chunk;
    const len = this.chunkLen;
    while (true) {
      if (this.state == S_DEAD) {
        this.pos = len;
        return this.finished ? FRAME_END : FRAME_NEED_MORE;
      }
      if (this.pos >= len) {
        if (this.state == S_IN) {
          if (!this.finished) {
            // Hold the part of the element in this chunk; the cap counts the whole element.
            // scan() already checked the cap against the element's length, so this fits.
            if (!this.oversize) this.held.append(this.elemStart, base + len - this.elemStart);
            this.elemStart = base + len;
            return FRAME_NEED_MORE;
          }
          if (this.kind == K_BARE) {
            const r = this.complete(this.pos);
            if (r != FRAME_NEED_MORE) return r;
            continue;
          }
          this.state = S_DEAD;
          this.held.clear();
          return FRAME_ERR_TRUNCATED;
        }
        if (!this.finished) return FRAME_NEED_MORE;
        if (this.state == S_START || this.state == S_TAIL) return FRAME_END;
        this.state = S_DEAD;
        return FRAME_ERR_TRUNCATED;
      }
      const state = this.state;
      if (state == S_IN) {
        const r = this.scan();
        if (r != FRAME_NEED_MORE) return r;
        continue;
      }
      const c = <u32>load<u8>(base + this.pos);
      if (isSpace(c)) { this.pos++; continue; }
      if (state == S_START) {
        if (c == 0x5B) { this.pos++; this.state = S_FIRST; continue; }
        if (c == 0x2C || c == 0x5D || c == 0x7D || c == 0x3A) return this.fail();
        this.single = true;
        this.begin(c);
        continue;
      }
      if (state == S_FIRST || state == S_AFTER) {
        if (c == 0x5D) { this.pos++; this.state = S_TAIL; continue; }
      }
      if (state == S_AFTER) {
        if (c == 0x2C) { this.pos++; this.state = S_ELEMENT; continue; }
        return this.fail();
      }
      if (state == S_FIRST || state == S_ELEMENT) {
        if (c == 0x2C || c == 0x5D || c == 0x7D || c == 0x3A) return this.fail();
        this.begin(c);
        continue;
      }
      return this.fail(); // S_TAIL: bytes after the value
    }
    return FRAME_END;
  }

  // Advances through the element in the current chunk; FRAME_NEED_MORE when the chunk ran out.
  private scan(): i32 {
    const base = this.chunk;
    const len = this.chunkLen;
    const kind = this.kind;
    let i = this.pos;
    let depth = this.depth;
    let inString = this.inString;
    let escape = this.escape;
    let endAt: isize = -1;
    if (kind == K_BARE) {
      while (i < len) {
        const c = <u32>load<u8>(base + i);
        if (isSpace(c) || c == 0x2C || c == 0x5D || c == 0x7D) { endAt = <isize>i; break; }
        i++;
      }
    } else {
      // A string element starts inside its quote; a container at depth 0 before its bracket.
      while (i < len) {
        const c = <u32>load<u8>(base + i);
        i++;
        if (inString) {
          if (escape) escape = false;
          else if (c == 0x5C) escape = true;
          else if (c == 0x22) {
            inString = false;
            if (depth == 0) { endAt = <isize>i; break; }
          }
        } else if (c == 0x22) inString = true;
        else if (c == 0x7B || c == 0x5B) depth++;
        else if (c == 0x7D || c == 0x5D) {
          depth--;
          if (depth <= 0) { endAt = <isize>i; break; }
        }
      }
    }
    this.elemLen += (endAt >= 0 ? <usize>endAt : len) - this.pos;
    this.depth = depth;
    this.inString = inString;
    this.escape = escape;
    if (!this.oversize && this.elemLen > this.maxElementSize) {
      this.oversize = true;
      this.held.clear();
      if (endAt < 0) {
        this.pos = len;
        this.elemStart = base + len;
      } else {
        this.pos = <usize>endAt;
        this.state = this.single ? S_TAIL : S_AFTER;
      }
      return FRAME_ERR_TOO_LARGE;
    }
    if (endAt < 0) {
      this.pos = len;
      return FRAME_NEED_MORE;
    }
    this.pos = <usize>endAt;
    return this.complete(<usize>endAt);
  }
}
