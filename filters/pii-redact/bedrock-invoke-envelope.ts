// The JSON payload of a Bedrock InvokeModelWithResponseStream `chunk` frame,
// `{"bytes":"<base64 of the vendor's own event>"}` (sometimes with a `"p"` padding member):
// opened to the vendor event, and sealed again around a rewritten one with every other member
// (padding, spacing, order) kept byte for byte.
import { ByteBuffer, eqAscii } from "../lib/bytes";
import { JsonScanner, TOK_END, TOK_KEY, TOK_STRING, unescapeJsonString } from "../lib/json-scan";
import { base64Decode, base64DecodedMax, base64Encode, base64EncodedLength } from "./bedrock-invoke-base64";

export class InvokeEnvelope {
  /** The payload as it came (a copy: the frame's bytes do not outlive the framer's next step). */
  readonly outer: ByteBuffer = new ByteBuffer(1 << 20, 256);
  /** Where the `bytes` string's content (inside the quotes) is in `outer`. */
  bytesStart: usize = 0;
  bytesEnd: usize = 0;
  private bytesEscaped: bool = false;
  /** The decoded vendor event after open(). */
  readonly inner: ByteBuffer = new ByteBuffer(1 << 20, 256);
  private scanner: JsonScanner = new JsonScanner(8);
  private unescaped: ByteBuffer = new ByteBuffer(1 << 20, 64);

  /**
   * Reads a payload: false when it is not one object with a `bytes` string holding base64
   * (then nothing here is valid and the frame should pass on as it came).
   */
  open(ptr: usize, len: usize): bool {
    const o = this.outer;
    o.clear();
    if (!o.append(ptr, len)) return false;
    if (!this.findBytes()) return false;
    let src = o.ptr + this.bytesStart;
    let n = this.bytesEnd - this.bytesStart;
    if (this.bytesEscaped) {
      // JSON may write '/' as "\/"; base64 needs it plain.
      const u = this.unescaped;
      u.clear();
      if (!u.reserve(n)) return false;
      const r = unescapeJsonString(src, n, u.ptr, n);
      if (r < 0) return false;
      src = u.ptr;
      n = <usize>r;
    }
    const inner = this.inner;
    inner.clear();
    if (!inner.reserve(base64DecodedMax(n))) return false;
    const r = base64Decode(src, n, inner.ptr);
    if (r < 0) return false;
    inner.length = <usize>r;
    return true;
  }

  /** Takes another envelope's payload (not its decoded event), to seal into later. */
  copyFrom(e: InvokeEnvelope): void {
    this.outer.clear();
    this.outer.append(e.outer.ptr, e.outer.length);
    this.bytesStart = e.bytesStart;
    this.bytesEnd = e.bytesEnd;
  }

  /** Appends the payload with `bytes` holding [ptr, +len) instead; false when out is full. */
  seal(ptr: usize, len: usize, out: ByteBuffer): bool {
    const o = this.outer;
    const b64 = base64EncodedLength(len);
    if (!out.reserve(o.length - (this.bytesEnd - this.bytesStart) + b64)) return false;
    out.append(o.ptr, this.bytesStart);
    base64Encode(ptr, len, out.ptr + out.length);
    out.length += b64;
    out.append(o.ptr + this.bytesEnd, o.length - this.bytesEnd);
    return true;
  }

  // The top-level `bytes` member; its value must be a string.
  private findBytes(): bool {
    const sc = this.scanner;
    const o = this.outer;
    sc.reset(o.ptr, o.length);
    let atBytes = false;
    let found = false;
    let t = sc.next();
    for (; t > TOK_END; t = sc.next()) {
      if (sc.depth != 1) { atBytes = false; continue; }
      if (t == TOK_KEY) {
        atBytes = !sc.escaped && eqAscii(sc.tokenPtr, sc.tokenLen, "bytes");
        continue;
      }
      if (atBytes) {
        if (t != TOK_STRING || found) return false;
        found = true;
        this.bytesStart = sc.start;
        this.bytesEnd = sc.end;
        this.bytesEscaped = sc.escaped;
      }
      atBytes = false;
    }
    return t == TOK_END && found;
  }
}
