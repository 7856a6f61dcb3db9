// UTF-8 byte offsets (what the wasm scanner reports) to JavaScript string indices (UTF-16 code
// units, what users of the tool and the labelled data count in). The walk encodes exactly as
// TextEncoder does, lone surrogates included (each becomes U+FFFD, 3 bytes), so the byte
// offsets line up with the bytes the scanner was given.

/** utf16At[b] = the string index of the code point that byte b belongs to; utf16At[bytes] = length. */
export function byteToUtf16Table(text: string): Uint32Array {
  const table = new Uint32Array(utf8Length(text) + 1);
  let b = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    let n: number;
    let units = 1;
    if (c < 0x80) n = 1;
    else if (c < 0x800) n = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLow(text.charCodeAt(i + 1))) {
      n = 4;
      units = 2;
    } else n = 3;
    // Plain stores: a fill() call per character costs more than the character.
    for (let k = 0; k < n; k++) table[b + k] = i;
    b += n;
    i += units - 1;
  }
  table[b] = text.length;
  return table;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLow(text.charCodeAt(i + 1))) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * A byte range [start, end) as string indices. A boundary inside a multi-byte character widens
 * the range to the whole character: a redaction must never leave half of one behind.
 */
export function toUtf16Range(table: Uint32Array, start: number, end: number): [number, number] {
  // Clamped: a detector bug must show as a wrong span, not as undefined offsets.
  const bytes = table.length - 1;
  start = Math.min(Math.max(start, 0), bytes);
  end = Math.min(Math.max(end, start), bytes);
  const s = table[start];
  // Move end forward to the next character boundary (table[bytes] = length is one).
  let b = Math.max(end, 1);
  while (b < bytes && table[b] === table[b - 1]) b++;
  const e = table[b];
  return [s, e];
}

/**
 * The same mapping as toUtf16Range, for ranges given in increasing order (what the scanner
 * reports: sorted by start, never overlapping): one walk over the string up to the last range,
 * no table. A range that goes backwards restarts the walk, so any order is still answered right.
 */
export class Utf16Cursor {
  /** String index of the character under the cursor, its first byte, its byte width and units. */
  private i = 0;
  private b = 0;
  private w = 0;
  private u = 1;

  constructor(private text: string, private bytes: number) {
    this.measure();
  }

  /** [start, end) in bytes as string indices, a boundary inside a character widening the range. */
  range(start: number, end: number): [number, number] {
    const bytes = this.bytes;
    start = Math.min(Math.max(start, 0), bytes);
    end = Math.min(Math.max(end, start), bytes);
    const s = this.charAt(start);
    // The character holding the range's last byte ends it (an empty range at 0: the first one).
    this.charAt(Math.max(end, 1) - 1);
    const e = Math.min(this.i + this.u, this.text.length);
    return [s, end >= bytes ? this.text.length : e];
  }

  /** Moves to the character holding byte t (t = bytes: the end); returns its string index. */
  private charAt(t: number): number {
    if (t < this.b) {
      this.i = 0;
      this.b = 0;
      this.measure();
    }
    while (this.i < this.text.length && this.b + this.w <= t) {
      this.b += this.w;
      this.i += this.u;
      this.measure();
    }
    return this.i;
  }

  /** Width in bytes and units of the character at i, as TextEncoder encodes it. */
  private measure(): void {
    const text = this.text;
    const i = this.i;
    if (i >= text.length) {
      this.w = 1;
      this.u = 1;
      return;
    }
    const c = text.charCodeAt(i);
    this.u = 1;
    if (c < 0x80) this.w = 1;
    else if (c < 0x800) this.w = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLow(text.charCodeAt(i + 1))) {
      this.w = 4;
      this.u = 2;
    } else this.w = 3;
  }
}
