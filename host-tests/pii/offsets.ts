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
 * The same mapping as toUtf16Range, read off the UTF-8 bytes themselves (the scanner has them in
 * wasm memory): a character's first byte is any byte but a continuation byte (10xxxxxx), and it
 * counts one UTF-16 unit, two when it starts a 4-byte sequence (a surrogate pair). Ranges come in
 * increasing order (the scanner reports them sorted by start, never overlapping), so one walk
 * over the bytes up to the last range answers them all; a range that goes backwards walks back.
 * The bytes must be well-formed UTF-8, as TextEncoder writes it.
 */
export class Utf8ToUtf16 {
  /** Byte position of the walk, and the UTF-16 units of the bytes before it. */
  private k = 0;
  private units = 0;

  constructor(private bytes: Uint8Array) {}

  /** [start, end) in bytes as string indices, a boundary inside a character widening the range. */
  range(start: number, end: number): [number, number] {
    const bytes = this.bytes;
    const n = bytes.length;
    start = Math.min(Math.max(start, 0), n);
    end = Math.min(Math.max(end, start), n);
    // Back to the first byte of the character holding start; end on to the next boundary.
    while (start > 0 && start < n && (bytes[start] & 0xc0) === 0x80) start--;
    let e = Math.max(end, 1);
    while (e < n && (bytes[e] & 0xc0) === 0x80) e++;
    return [this.unitsAt(start), this.unitsAt(Math.min(e, n))];
  }

  /** UTF-16 units of bytes [0, b) (b a character boundary). */
  private unitsAt(b: number): number {
    const bytes = this.bytes;
    let k = this.k;
    let units = this.units;
    while (k < b) {
      const c = bytes[k++];
      if ((c & 0xc0) !== 0x80) units += c >= 0xf0 ? 2 : 1;
    }
    while (k > b) {
      const c = bytes[--k];
      if ((c & 0xc0) !== 0x80) units -= c >= 0xf0 ? 2 : 1;
    }
    this.k = k;
    this.units = units;
    return units;
  }
}
