// The stream cutter: counts a streamed completion's output as its body passes and says where
// to end it once an allowance is exceeded, then writes the provider's own terminal events so
// the official SDKs finish the stream normally with a "length"/"max_tokens" reason.
// Specification and per-dialect choices: CUTOFF.md beside this file.
//
// The body itself is never held: push() only reports an offset and the filter emits bytes at
// once. What is held is the framer's unfinished unit (capped by maxEventBytes) and a few
// identity fields for the terminal events. Units are found by the shared framers, so the cut
// falls on the same byte of the stream however it was split into chunks.
import { Provider, Operation, BodyFraming } from "./types";
import {
  SseFramer, NdjsonFramer, EventStreamFramer, JsonArrayFramer, FRAME_UNIT, FRAME_NEED_MORE, FRAME_END,
} from "../framing";
import { ByteBuffer, eqAscii, isAsciiSpace } from "../bytes";
import { OutputCounter } from "./cutoff-count";
import { CutDialect } from "./cutoff-dialect";
import { OpenAIChatCut, ResponsesCut } from "./cutoff-openai";
import { AnthropicCut } from "./cutoff-anthropic";
import { GeminiCut } from "./cutoff-gemini";
import { ConverseStreamCut } from "./cutoff-bedrock";
import { OllamaCut } from "./cutoff-ollama";

export { ENCODING_NONE } from "./cutoff-count";

/** push() result while the allowance is not exceeded. */
export const CUT_NOT_YET: isize = -1;

// The framers keep their read position to themselves; these expose where a unit ended.
class SseAt extends SseFramer { get at(): usize { return this.pos; } }
class NdjsonAt extends NdjsonFramer { get at(): usize { return this.pos; } }
class EventStreamAt extends EventStreamFramer { get at(): usize { return this.pos; } }
class JsonArrayAt extends JsonArrayFramer { get at(): usize { return this.pos; } }

const F_NONE = 0, F_SSE = 1, F_NDJSON = 2, F_EVENTSTREAM = 3, F_ARRAY = 4;
/** nextUnit(): a unit that carries no output (an event-stream exception frame). */
const UNIT_SKIP: i32 = 100;

export class StreamCutter {
  readonly supported: bool;
  readonly provider: Provider;
  readonly operation: Operation;
  private counter: OutputCounter;
  private dialect: CutDialect | null = null;
  private kind: i32 = F_NONE;
  private sse: SseAt | null = null;
  private nd: NdjsonAt | null = null;
  private es: EventStreamAt | null = null;
  private ja: JsonArrayAt | null = null;
  // JSON-array streams: decided on the first non-blank byte (an error object is no array).
  private arrayChecked: bool = false;
  private cut: bool = false;
  private owesLf: bool = false;
  private terminal: ByteBuffer | null = null;
  // The unit nextUnit() returned: its JSON, its SSE event name or event-stream event type, and
  // the offset in the current chunk where it ends.
  private unitPtr: usize = 0;
  private unitLen: usize = 0;
  private unitEventPtr: usize = 0;
  private unitEventLen: usize = 0;
  private unitEnd: usize = 0;
  /** Units that broke their framing (over maxEventBytes, bad CRC, malformed). */
  badUnits: u32 = 0;

  constructor(provider: Provider, operation: Operation, framing: BodyFraming, encoding: i32, maxEventBytes: usize) {
    this.provider = provider;
    this.operation = operation;
    const counter = new OutputCounter(encoding);
    this.counter = counter;
    let d: CutDialect | null = null;
    let kind = F_NONE;
    if (operation == Operation.ChatCompletions || operation == Operation.Completions) {
      if (framing == BodyFraming.Sse) { d = new OpenAIChatCut(counter, operation == Operation.Completions); kind = F_SSE; }
    } else if (operation == Operation.Responses) {
      if (framing == BodyFraming.Sse) { d = new ResponsesCut(counter); kind = F_SSE; }
    } else if (operation == Operation.Messages) {
      if (framing == BodyFraming.Sse) { d = new AnthropicCut(counter); kind = F_SSE; }
    } else if (operation == Operation.StreamGenerateContent) {
      if (framing == BodyFraming.Sse) { d = new GeminiCut(counter, false); kind = F_SSE; }
      else if (framing == BodyFraming.JsonArray) { d = new GeminiCut(counter, true); kind = F_ARRAY; }
    } else if (operation == Operation.ConverseStream) {
      if (framing == BodyFraming.EventStream) { d = new ConverseStreamCut(counter); kind = F_EVENTSTREAM; }
    } else if (operation == Operation.OllamaChat || operation == Operation.OllamaGenerate) {
      // Ollama streams NDJSON under application/json too.
      if (framing == BodyFraming.Ndjson || framing == BodyFraming.Json) {
        d = new OllamaCut(counter, operation == Operation.OllamaGenerate);
        kind = F_NDJSON;
      }
    }
    this.dialect = d;
    this.kind = kind;
    this.supported = d !== null;
    const m = max<usize>(maxEventBytes, 16);
    if (kind == F_SSE) this.sse = new SseAt(m);
    else if (kind == F_NDJSON) this.nd = new NdjsonAt(m);
    else if (kind == F_EVENTSTREAM) this.es = new EventStreamAt(m);
    else if (kind == F_ARRAY) this.ja = new JsonArrayAt(m);
  }

  /** Output tokens counted so far (or estimated, with ENCODING_NONE). */
  get outputTokens(): i64 { return this.counter.tokens; }
  /** Decoded UTF-8 bytes of output text so far. */
  get outputBytes(): u64 { return this.counter.bytes; }
  /** Whether push() has returned a cut. */
  get isCut(): bool { return this.cut; }

  /**
   * Feeds one chunk (any split). Returns CUT_NOT_YET (-1) while the allowance holds; else how
   * many bytes of this chunk, from its start, to pass on: they end on the boundary of the
   * first complete unit after which outputTokens > max(allowance, 0). Once cut, every later
   * chunk returns 0. A unit still incomplete when the stream ends never causes a cut.
   */
  push(ptr: usize, len: usize, allowance: i64): isize {
    if (!this.supported || len == 0) return this.cut ? 0 : CUT_NOT_YET;
    if (!this.feed(ptr, len)) return CUT_NOT_YET;
    const limit = max<i64>(allowance, 0);
    const d = this.dialect!;
    // Every unit the chunk completes is read, also after a cut: the rest still streams in (and
    // is billed), so it is counted, and nothing more is emitted.
    let cutAt: isize = this.cut ? 0 : CUT_NOT_YET;
    while (true) {
      const r = this.nextUnit();
      if (r == FRAME_NEED_MORE || r == FRAME_END) return cutAt;
      if (r == UNIT_SKIP) continue;
      if (r != FRAME_UNIT) { this.badUnits++; continue; }
      // `data: [DONE]` and other non-JSON data simply match nothing.
      d.unit(this.unitPtr, this.unitLen, this.unitEventPtr, this.unitEventLen);
      if (cutAt >= 0 || !this.crossed(limit)) continue;
      const at = this.unitEnd;
      // SSE: a CRLF blank line dispatches at its CR; its LF may be in the next chunk, so the
      // terminal supplies it (parsers that split on "\r\n\r\n", as Google's does, need it).
      this.owesLf = this.kind == F_SSE && at > 0 && load<u8>(ptr + at - 1) == 0x0D;
      this.saveTerminal();
      cutAt = <isize>at;
    }
    return cutAt;
  }

  /** Appends the bytes that end the stream (nothing when unsupported). */
  terminate(out: ByteBuffer): void {
    const saved = this.terminal;
    if (saved !== null) {
      out.append(saved.ptr, saved.length);
      return;
    }
    this.writeTerminal(out);
  }

  private writeTerminal(out: ByteBuffer): void {
    const d = this.dialect;
    if (d === null) return;
    if (this.owesLf) out.appendByte(0x0A);
    d.terminate(out);
  }

  /**
   * The terminal as the stream stood at the cut: units after it (read only to count them) must
   * not change which choices or blocks it closes.
   */
  private saveTerminal(): void {
    const t = new ByteBuffer(1 << 16, 1024);
    this.writeTerminal(t);
    this.terminal = t;
  }

  /** Hands the chunk to the framer; false when the stream turned out not to be cuttable. */
  private feed(ptr: usize, len: usize): bool {
    const kind = this.kind;
    if (kind == F_SSE) this.sse!.push(ptr, len);
    else if (kind == F_NDJSON) this.nd!.push(ptr, len);
    else if (kind == F_EVENTSTREAM) this.es!.push(ptr, len);
    else {
      if (!this.arrayChecked) {
        let i: usize = 0;
        while (i < len && isAsciiSpace(load<u8>(ptr + i))) i++;
        if (i == len) return false;
        this.arrayChecked = true;
        // A lone object (an error) has no array to continue: never cut it.
        if (load<u8>(ptr + i) != 0x5B) { this.kind = F_NONE; this.ja = null; }
      }
      const f = this.ja;
      if (f === null) return false;
      f.push(ptr, len);
    }
    return true;
  }

  /** The next unit of the framer: its JSON (and SSE event / event-stream type) in unit* fields. */
  private nextUnit(): i32 {
    const kind = this.kind;
    if (kind == F_SSE) {
      const f = this.sse!;
      const r = f.next();
      if (r == FRAME_UNIT) this.setUnit(f.dataPtr, f.dataLenOut, f.eventPtr, f.eventLen, f.at);
      return r;
    }
    if (kind == F_NDJSON) {
      const f = this.nd!;
      const r = f.next();
      if (r == FRAME_UNIT) this.setUnit(f.linePtr, f.lineLen, 0, 0, f.at);
      return r;
    }
    if (kind == F_EVENTSTREAM) {
      const f = this.es!;
      const r = f.next();
      // Exceptions are frames too; only events carry output.
      if (r == FRAME_UNIT && !eqAscii(f.messageTypePtr, f.messageTypeLen, "event")) return UNIT_SKIP;
      if (r == FRAME_UNIT) this.setUnit(f.payloadPtr, f.payloadLen, f.eventTypePtr, f.eventTypeLen, f.at);
      return r;
    }
    const f = this.ja!;
    const r = f.next();
    if (r == FRAME_UNIT) this.setUnit(f.elementPtr, f.elementLen, 0, 0, f.at);
    return r;
  }

  private setUnit(ptr: usize, len: usize, eventPtr: usize, eventLen: usize, end: usize): void {
    this.unitPtr = ptr;
    this.unitLen = len;
    this.unitEventPtr = eventPtr;
    this.unitEventLen = eventLen;
    this.unitEnd = end;
  }

  private crossed(limit: i64): bool {
    if (this.counter.tokens <= limit) return false;
    this.cut = true;
    return true;
  }
}
