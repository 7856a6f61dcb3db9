// What every stream-cutter dialect shares: one pass of a JSON path set over a unit (SSE event
// data, NDJSON line, event-stream payload, JSON-array element), counting text paths as they are
// met, and small fixed buffers for the few fields a terminal event must repeat.
import {
  JsonPathSet, JsonPathMatcher, PATH_MATCH, PATH_DONE, unescapeJsonString, readJsonInteger, parsedI64,
  NUM_OK, TOK_STRING, TOK_NUMBER, TOK_OBJECT_START,
} from "../json-scan";
import { ByteBuffer, eqAscii, formatI64 } from "../bytes";
import { OutputCounter } from "./cutoff-count";

/** Longest id / model / timestamp repeated in a terminal event; longer ones are left out. */
export const CUT_MAX_FIELD: usize = 256;

// Decoding scratch, shared: units are read synchronously and never re-entered.
let scratchPtr: usize = 0;
let scratchCap: usize = 0;

function scratch(n: usize): usize {
  if (n > scratchCap) {
    const cap = max<usize>(n, 256);
    scratchPtr = scratchPtr == 0 ? heap.alloc(cap) : heap.realloc(scratchPtr, cap);
    scratchCap = cap;
  }
  return scratchPtr;
}

/** A JSON value copied verbatim (strings keep their quotes and escapes, so they stay valid JSON). */
export class RawField {
  private buf: StaticArray<u8> = new StaticArray<u8>(<i32>CUT_MAX_FIELD);
  len: usize = 0;
  present: bool = false;

  take(ptr: usize, len: usize): void {
    if (len > CUT_MAX_FIELD) return;
    memory.copy(changetype<usize>(this.buf), ptr, len);
    this.len = len;
    this.present = true;
  }

  /** The value, or `fallback` (an ASCII JSON literal) when none was seen. */
  write(out: ByteBuffer, fallback: string): void {
    if (this.present) out.append(changetype<usize>(this.buf), this.len);
    else out.appendAscii(fallback);
  }
}

export function appendInt(out: ByteBuffer, v: i64): void {
  const tmp = scratch(24);
  out.append(tmp, formatI64(v, tmp));
}

/** Bit i of a u64 set, for indices that fit (choices, blocks and candidates past 63 are not tracked). */
// @ts-ignore: decorator
@inline export function bit(i: i64): u64 {
  return i >= 0 && i < 64 ? <u64>1 << <u64>i : 0;
}

export abstract class CutDialect {
  protected set: JsonPathSet = new JsonPathSet();
  protected matcher: JsonPathMatcher | null = null;
  protected textMask: u64 = 0;
  protected base: usize = 0;
  counter: OutputCounter;

  constructor(counter: OutputCounter) {
    this.counter = counter;
  }

  protected path(p: string): void { this.set.add(p); }
  protected text(p: string): void {
    const i = this.set.add(p);
    if (i >= 0) this.textMask |= <u64>1 << <u64>i;
  }
  protected ready(): void { this.matcher = new JsonPathMatcher(this.set); }

  /**
   * One complete unit. `ev` is the SSE event name or the event-stream :event-type (empty when
   * the format has none). Text is counted only once the whole unit proved to be valid JSON:
   * a malformed unit is no output and changes no state (match() only stages, end() commits).
   */
  unit(ptr: usize, len: usize, evPtr: usize, evLen: usize): void {
    if (!this.accepts(evPtr, evLen)) return;
    const m = this.matcher!;
    this.base = ptr;
    this.spans.length = 0;
    this.begin();
    m.reset(ptr, len);
    let r = PATH_DONE;
    while (true) {
      r = m.next();
      if (r != PATH_MATCH) break;
      const p = m.path;
      if ((this.textMask & (<u64>1 << <u64>p)) != 0) {
        // Structured output generated whole (Gemini's functionCall) counts as its JSON text.
        if (m.kind == TOK_STRING) this.stageText(m.start, m.end, m.escaped);
        else if (m.kind == TOK_OBJECT_START) this.stageText(m.start, m.end, false);
        continue;
      }
      this.match(p, m);
    }
    if (r != PATH_DONE) return;
    const spans = this.spans;
    for (let i = 0; i + 2 < spans.length; i += 3) this.countSpan(spans[i], spans[i + 1], spans[i + 2] != 0);
    this.end();
  }

  // (start, end, escaped) triples of the unit's text values, in document order.
  private spans: Array<usize> = new Array<usize>();

  private stageText(start: usize, end: usize, escaped: bool): void {
    this.spans.push(start);
    this.spans.push(end);
    this.spans.push(escaped ? 1 : 0);
  }

  /** Writes the bytes that end the stream for the client. */
  abstract terminate(out: ByteBuffer): void;

  protected accepts(evPtr: usize, evLen: usize): bool { return true; }
  protected begin(): void {}
  protected abstract match(p: i32, m: JsonPathMatcher): void;
  protected end(): void {}

  protected countSpan(start: usize, end: usize, escaped: bool): void {
    const p = this.base + start;
    const n = end - start;
    if (!escaped) { this.counter.add(p, n); return; }
    const out = scratch(n);
    const r = unescapeJsonString(p, n, out, n);
    if (r > 0) this.counter.add(out, <usize>r);
  }

  /** The matched value's bytes as they appear (strings with their quotes). */
  protected takeRaw(f: RawField, m: JsonPathMatcher): void {
    if (m.kind == TOK_STRING) f.take(this.base + m.start - 1, m.end - m.start + 2);
    else if (m.kind == TOK_NUMBER) f.take(this.base + m.start, m.end - m.start);
  }

  protected intOf(m: JsonPathMatcher): i64 {
    if (m.kind != TOK_NUMBER) return -1;
    if (readJsonInteger(this.base + m.start, m.end - m.start) != NUM_OK) return -1;
    return parsedI64();
  }

  /** Whether the matched value is the string `lit` (compared without unescaping: names are ASCII). */
  protected isString(m: JsonPathMatcher, lit: string): bool {
    return m.kind == TOK_STRING && !m.escaped && eqAscii(this.base + m.start, m.end - m.start, lit);
  }
}
