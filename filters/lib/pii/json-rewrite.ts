// Rewrites the text parts of a JSON document without re-serialising it: every byte outside a
// replaced part is copied as it was (key order, spacing and padding fields survive, so the
// upstream sees the client's body with only the text changed), and each replacement is
// encoded as a JSON string body. The output is valid JSON whenever the input was, whatever
// bytes the replacement holds.
import { ByteBuffer } from "../bytes/buffer";
import { unescapeJsonString } from "../json-scan/unescape";
import { TextParts } from "./text-parts";

const HEX = "0123456789abcdef";

/**
 * Appends UTF-8 text [ptr, ptr+len) as the inside of a JSON string: `"` and `\` escaped,
 * control bytes as \n \r \t \b \f or \u00XX, valid UTF-8 kept as is, and each maximal invalid
 * subsequence (the WHATWG decoder's unit, so a JavaScript TextDecoder agrees) as \ufffd.
 * Returns false when the buffer's cap is reached (the buffer then holds a partial string).
 */
export function appendJsonStringBody(out: ByteBuffer, ptr: usize, len: usize): bool {
  let i: usize = 0;
  let run: usize = 0; // start of bytes not yet copied
  while (i < len) {
    const c = <u32>load<u8>(ptr + i);
    if (c >= 0x20 && c < 0x80 && c != 0x22 && c != 0x5C) { i++; continue; }
    if (c >= 0x80) {
      const n = validUtf8At(ptr + i, len - i);
      if (n > 0) { i += n; continue; }
      // Invalid: flush the run, write U+FFFD, skip the maximal subpart.
      if (i > run && !out.append(ptr + run, i - run)) return false;
      if (!out.appendAscii("\\ufffd")) return false;
      i += <usize>(-n);
      run = i;
      continue;
    }
    if (i > run && !out.append(ptr + run, i - run)) return false;
    if (!appendEscape(out, c)) return false;
    i++;
    run = i;
  }
  return len > run ? out.append(ptr + run, len - run) : true;
}

function appendEscape(out: ByteBuffer, c: u32): bool {
  if (c == 0x22) return out.appendAscii("\\\"");
  if (c == 0x5C) return out.appendAscii("\\\\");
  if (c == 0x0A) return out.appendAscii("\\n");
  if (c == 0x0D) return out.appendAscii("\\r");
  if (c == 0x09) return out.appendAscii("\\t");
  if (c == 0x08) return out.appendAscii("\\b");
  if (c == 0x0C) return out.appendAscii("\\f");
  if (!out.appendAscii("\\u00")) return false;
  if (!out.appendByte(<u8>HEX.charCodeAt(<i32>(c >> 4)))) return false;
  return out.appendByte(<u8>HEX.charCodeAt(<i32>(c & 15)));
}

/**
 * At a lead byte >= 0x80: the length of the valid UTF-8 sequence there (> 0), or minus the
 * length of the maximal subpart to replace by one U+FFFD (the Unicode "best practice" the
 * WHATWG Encoding standard uses: a lead byte and the continuation bytes it accepted).
 */
export function validUtf8At(p: usize, avail: usize): isize {
  const b0 = <u32>load<u8>(p);
  let need: usize = 0;
  let lo: u32 = 0x80;
  let hi: u32 = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) need = 1;
  else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;
    else if (b0 == 0xED) hi = 0x9F; // no UTF-16 surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    else if (b0 == 0xF4) hi = 0x8F; // nothing past U+10FFFF
  } else return -1;
  let k: usize = 1;
  while (k <= need) {
    if (k >= avail) return -(<isize>k);
    const b = <u32>load<u8>(p + k);
    if (b < lo || b > hi) return -(<isize>k);
    lo = 0x80;
    hi = 0xBF;
    k++;
  }
  return <isize>k;
}

/**
 * Copies a document with some of its parts replaced. Use: begin(), then replace() in increasing
 * part order (parts not named are kept), then finish(); `out` holds the new document. Any
 * false return means the output cap was reached or the order was broken: drop the output.
 */
export class JsonRewriter {
  readonly out: ByteBuffer;
  private src: usize = 0;
  private srcLen: usize = 0;
  private parts: TextParts | null = null;
  private cursor: usize = 0;
  private lastPart: i32 = -1;
  failed: bool = false;

  constructor(maxBytes: usize) {
    this.out = new ByteBuffer(maxBytes, min<usize>(maxBytes, 1024));
  }

  /** Starts a rewrite of [src, src+len) whose parts are `parts` (from findTextParts on it). */
  begin(src: usize, len: usize, parts: TextParts): void {
    this.out.clear();
    this.src = src;
    this.srcLen = len;
    this.parts = parts;
    this.cursor = 0;
    this.lastPart = -1;
    this.failed = false;
  }

  /** Part i's string contents become the UTF-8 text [ptr, ptr+len). */
  replace(i: i32, ptr: usize, len: usize): bool {
    if (this.failed) return false;
    const parts = this.parts;
    if (parts === null || i <= this.lastPart || i >= parts.count) return this.fail();
    const s = parts.partStart(i);
    const e = parts.partEnd(i);
    if (s < this.cursor || e > this.srcLen) return this.fail();
    if (!this.out.append(this.src + this.cursor, s - this.cursor)) return this.fail();
    if (!appendJsonStringBody(this.out, ptr, len)) return this.fail();
    this.cursor = e;
    this.lastPart = i;
    return true;
  }

  /** Copies the rest of the document; true when `out` holds the complete result. */
  finish(): bool {
    if (this.failed) return false;
    if (!this.out.append(this.src + this.cursor, this.srcLen - this.cursor)) return this.fail();
    this.cursor = this.srcLen;
    return true;
  }

  private fail(): bool {
    this.failed = true;
    return false;
  }
}

/**
 * Part i's text, decoded (escapes resolved, surrogate pairs joined, lone surrogates as U+FFFD)
 * into [scratch, scratch+cap): returns the byte count, or < 0 when it does not fit. A part
 * without escapes is copied as is; `partRaw` avoids even that copy.
 */
export function decodePart(doc: usize, parts: TextParts, i: i32, scratch: usize, cap: usize): isize {
  const s = parts.partStart(i);
  const n = parts.partEnd(i) - s;
  if (!parts.escaped(i)) {
    if (n > cap) return -2;
    memory.copy(scratch, doc + s, n);
    return <isize>n;
  }
  return unescapeJsonString(doc + s, n, scratch, cap);
}

/**
 * Maps an offset in a part's decoded text back to the raw (escaped) span [raw, raw+rawLen):
 * the raw offset where the decoded byte at `decodedOff` starts. An offset inside the UTF-8 of an
 * escaped character maps to the escape's start; past the end maps to rawLen. Lets a caller keep
 * raw bytes of a part around a replacement instead of re-encoding the whole text.
 */
export function decodedToRaw(raw: usize, rawLen: usize, decodedOff: usize): usize {
  let i: usize = 0;
  let d: usize = 0;
  while (i < rawLen) {
    if (d >= decodedOff) return i;
    const c = <u32>load<u8>(raw + i);
    if (c != 0x5C) { i++; d++; continue; }
    if (i + 1 >= rawLen) return rawLen;
    const e = <u32>load<u8>(raw + i + 1);
    if (e != 0x75) { i += 2; d++; continue; }
    // \uXXXX: its UTF-8 width, or a surrogate pair of two escapes making one 4-byte character.
    let width: usize = 6;
    let bytes: usize = 3; // U+FFFD for a lone surrogate (or a malformed escape)
    if (rawLen - i >= 6) {
      const cp = hex4(raw + i + 2);
      if (cp < 0x80) bytes = 1;
      else if (cp < 0x800) bytes = 2;
      else if (cp >= 0xD800 && cp < 0xDC00 && rawLen - i >= 12 && load<u8>(raw + i + 6) == 0x5C && load<u8>(raw + i + 7) == 0x75) {
        const lo = hex4(raw + i + 8);
        if (lo >= 0xDC00 && lo < 0xE000) { width = 12; bytes = 4; }
      }
    } else width = rawLen - i;
    if (d + bytes > decodedOff) return i;
    i += width;
    d += bytes;
  }
  return rawLen;
}

// Value of 4 hex digits (the scanner already checked them; anything else reads as garbage, not
// a trap).
function hex4(p: usize): u32 {
  let v: u32 = 0;
  for (let k: usize = 0; k < 4; k++) {
    const c = <u32>load<u8>(p + k);
    v = (v << 4) | (c - 0x30 < 10 ? c - 0x30 : ((c | 0x20) - 0x61 + 10) & 0xF);
  }
  return v;
}
