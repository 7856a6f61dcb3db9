// Lines of a (possibly huge) audit export, one at a time: the file is streamed in chunks and
// split on LF, so memory stays bounded by the longest line, never the file.

/** Longer lines are not kept: an export of records never has one, a corrupt file might. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export interface Line {
  /** 1-based. */
  no: number;
  /** The line without its LF; null when it is not valid UTF-8 or too long (see `problem`). */
  text: string | null;
  problem?: string;
}

/**
 * Splits a byte stream into lines. Bytes are decoded per line with a fatal decoder (a record
 * is valid UTF-8 by contract, so bad bytes are reported, not replaced) that keeps a BOM, so a
 * BOM shows up as a non-canonical first line instead of vanishing.
 */
export async function* readLines(source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>): AsyncGenerator<Line> {
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  let parts: Uint8Array[] = [];
  let partBytes = 0;
  let oversize = false;
  let no = 0;

  const finish = (last: Uint8Array): Line => {
    no++;
    if (oversize || partBytes + last.length > MAX_LINE_BYTES) return { no, text: null, problem: `line longer than ${MAX_LINE_BYTES} bytes` };
    const bytes = parts.length ? Buffer.concat([...parts, last]) : last;
    try {
      return { no, text: decoder.decode(bytes) };
    } catch {
      return { no, text: null, problem: "not valid UTF-8" };
    }
  };
  const reset = () => {
    parts = [];
    partBytes = 0;
    oversize = false;
  };

  for await (const chunk of source) {
    const b = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    for (;;) {
      const nl = b.indexOf(10, start);
      if (nl < 0) {
        const rest = b.subarray(start);
        if (rest.length) {
          if (oversize || partBytes + rest.length > MAX_LINE_BYTES) {
            oversize = true;
            parts = [];
          } else {
            // Copied: a stream may reuse its chunk buffer.
            parts.push(Buffer.from(rest));
          }
          partBytes += rest.length;
        }
        break;
      }
      const line = finish(b.subarray(start, nl));
      reset();
      yield line;
      start = nl + 1;
    }
  }
  if (partBytes > 0) yield finish(new Uint8Array(0));
}
