// Output counting for the stream cutter: each completion delta is counted as it arrives, so the
// running figure is known at every event boundary without holding the text. Per-delta BPE can
// split a word the provider tokenised whole, so the count runs a little high; for a budget
// cut-off erring high is the safe side.
import { countTokens } from "../tokenizer";

/** No tokenizer for the model: estimate one token per four bytes of text. */
export const ENCODING_NONE: i32 = -1;

export class OutputCounter {
  readonly encoding: i32;
  /** Decoded UTF-8 bytes of every delta so far. */
  bytes: u64 = 0;
  private counted: i64 = 0;
  // Bytes of deltas the tokenizer refused (tables missing, an over-long piece): estimated.
  private refused: u64 = 0;

  constructor(encoding: i32) {
    this.encoding = encoding;
  }

  add(ptr: usize, len: usize): void {
    if (len == 0) return;
    this.bytes += <u64>len;
    if (this.encoding == ENCODING_NONE) return;
    const n = countTokens(ptr, len, this.encoding);
    if (n >= 0) this.counted += <i64>n;
    else this.refused += <u64>len;
  }

  get tokens(): i64 {
    // The estimate is taken over the running byte total, not per delta: rounding every short
    // delta up would double the figure for streams that send a word at a time.
    if (this.encoding == ENCODING_NONE) return <i64>((this.bytes + 3) >> 2);
    return this.counted + <i64>((this.refused + 3) >> 2);
  }
}
