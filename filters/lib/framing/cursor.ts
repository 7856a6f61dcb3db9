// The chunk a framer is working through. Framers never copy a chunk: they read it in place
// until drained, so a new chunk may only be pushed once next() has consumed the last one.
import { FRAME_ERR_BUSY, FRAME_NEED_MORE } from "./status";

export class ChunkCursor {
  protected chunk: usize = 0;
  protected chunkLen: usize = 0;
  protected pos: usize = 0;
  protected finished: bool = false;

  /** Feeds the next chunk. FRAME_ERR_BUSY if the previous one was not drained (or after finish). */
  push(ptr: usize, len: usize): i32 {
    if (this.pos < this.chunkLen || this.finished) return FRAME_ERR_BUSY;
    this.chunk = ptr;
    this.chunkLen = len;
    this.pos = 0;
    return FRAME_NEED_MORE;
  }

  /** End of stream: next() then flushes what is pending and returns FRAME_END. */
  finish(): void { this.finished = true; }
}
