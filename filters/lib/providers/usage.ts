// Reads the provider's own usage report out of a response body as it streams, per
// filters/token-meter/USAGE.md (executable form: host-tests/support/usage-oracle.ts). The body
// is never held: streamed formats go through the framers (which keep only an unfinished unit),
// and each unit is matched in one pass against the dialect's JSON paths. Reports are cumulative
// wherever they appear, so every dialect keeps the last one and never adds.
//
// A plain JSON body is one unit: it is held (up to maxUnitSize, the same bound a framer puts on
// one event) until finish(), because the oracle's rule "not one JSON document → read it as
// NDJSON" (Ollama streams NDJSON under application/json) can only be decided at the end.
import { Provider, Operation, BodyFraming, FigureSource, Usage } from "./types";
import {
  SseFramer, NdjsonFramer, EventStreamFramer, JsonArrayFramer, FRAME_UNIT, FRAME_NEED_MORE, FRAME_END,
} from "../framing";
import {
  JsonPathSet, JsonPathMatcher, PATH_MATCH, PATH_DONE, PATH_MAX, unescapeJsonString, readJsonInteger,
  readJsonNumber, parsedI64, parsedF64, NUM_OK, TOK_OBJECT_START, TOK_ARRAY_START, TOK_STRING, TOK_NUMBER,
  TOK_TRUE,
} from "../json-scan";
import { ByteBuffer, eqAscii, eqAsciiNoCase, startsWithAsciiNoCase, isAsciiSpace } from "../bytes";

export const USAGE_DEFAULT_MAX_UNIT: usize = 1 << 20;
/** Longer model names are cut here: they only select a price row. */
export const USAGE_MAX_MODEL: usize = 256;

/** Receives the decoded UTF-8 of each completion delta (for counting output when usage is absent). */
export abstract class CompletionTextSink {
  abstract text(ptr: usize, len: usize): void;
}

// ---- framing choice ----------------------------------------------------------------------------

/**
 * Framing by content type (USAGE.md §3). JSON and SSE are refined on the first non-blank byte
 * by the meter itself: `[` is a JSON-array stream, `{` one document (Gemini sends error objects
 * under text/event-stream).
 */
export function framingFor(operation: Operation, ctPtr: usize, ctLen: usize): BodyFraming {
  if (startsWithAsciiNoCase(ctPtr, ctLen, "text/event-stream")) return BodyFraming.Sse;
  if (startsWithAsciiNoCase(ctPtr, ctLen, "application/vnd.amazon.eventstream")) return BodyFraming.EventStream;
  if (startsWithAsciiNoCase(ctPtr, ctLen, "application/x-ndjson") || startsWithAsciiNoCase(ctPtr, ctLen, "application/jsonl")) {
    return BodyFraming.Ndjson;
  }
  if (operation == Operation.StreamGenerateContent) return BodyFraming.JsonArray;
  return BodyFraming.Json;
}

// ---- dialects and their paths ------------------------------------------------------------------

const D_NONE: i32 = 0;
const D_OPENAI: i32 = 1;
const D_RESPONSES: i32 = 2;
const D_ANTHROPIC: i32 = 3;
const D_GEMINI: i32 = 4;
const D_CONVERSE: i32 = 5;
const D_INVOKE: i32 = 6;
const D_OLLAMA: i32 = 7;

function dialectOf(op: Operation): i32 {
  switch (op) {
    case Operation.ChatCompletions:
    case Operation.Completions:
    case Operation.Embeddings: return D_OPENAI;
    case Operation.Responses: return D_RESPONSES;
    case Operation.Messages: return D_ANTHROPIC;
    case Operation.GenerateContent:
    case Operation.StreamGenerateContent: return D_GEMINI;
    case Operation.Converse:
    case Operation.ConverseStream: return D_CONVERSE;
    case Operation.Invoke:
    case Operation.InvokeStream: return D_INVOKE;
    case Operation.OllamaChat:
    case Operation.OllamaGenerate: return D_OLLAMA;
    default: return D_NONE;
  }
}

// Path indices are the order of add() below.
// OpenAI chat / completions / embeddings (usage, then the same under Groq's x_groq).
const O_MODEL = 0, O_ERROR = 1, O_USAGE = 2, O_PROMPT = 3, O_COMPLETION = 4, O_TOTAL = 5, O_CACHED = 6,
  O_HIT = 7, O_REASONING = 8, O_GROQ = 9; // O_GROQ .. O_GROQ + 6 mirror O_USAGE .. O_REASONING
const O_TEXT_FIRST = 16;
// Responses: top level, then under "response".
const R_OBJECT = 0, R_MODEL = 1, R_USAGE = 2, R_IN = 3, R_OUT = 4, R_CACHED = 5, R_REASONING = 6,
  R_RESPONSE = 7, R_TYPE = 14, R_DELTA = 15; // R_RESPONSE + 1 .. + 5 mirror R_MODEL .. R_REASONING
// Anthropic (and Bedrock InvokeModel: the chunk wrapper and the invocation metrics).
const A_TYPE = 0, A_ERROR = 1, A_MODEL = 2, A_USAGE = 3, A_IN = 4, A_READ = 5, A_WRITE = 6, A_OUT = 7,
  A_MSG_MODEL = 8, A_MSG_USAGE = 9, A_BYTES = 14, A_METRICS = 15, A_M_IN = 16, A_M_OUT = 17,
  A_M_READ = 18, A_M_WRITE = 19; // A_MSG_USAGE + 1 .. + 4 mirror A_IN .. A_OUT
const A_TEXT_FIRST = 20;
// Gemini.
const G_ERROR = 0, G_MODEL = 1, G_META = 2, G_PROMPT = 3, G_TOOL = 4, G_THOUGHTS = 5, G_CANDIDATES = 6,
  G_CACHED = 7;
const G_TEXT_FIRST = 8;
// Bedrock Converse.
const C_USAGE = 0, C_IN = 1, C_OUT = 2, C_READ = 3, C_READ2 = 4, C_WRITE = 5, C_WRITE2 = 6;
const C_TEXT_FIRST = 7;
// Ollama.
const L_DONE = 0, L_PROMPT = 1, L_EVAL = 2, L_MODEL = 3;
const L_TEXT_FIRST = 4;

class Dialect {
  set: JsonPathSet = new JsonPathSet();
  matcher: JsonPathMatcher | null = null;
  textMask: u64 = 0;

  add(path: string): void { this.set.add(path); }
  text(path: string): void {
    const p = this.set.add(path);
    if (p >= 0) this.textMask |= <u64>1 << <u64>p;
  }
  done(): Dialect { this.matcher = new JsonPathMatcher(this.set); return this; }
}

function usageFamily(d: Dialect, prefix: string, fields: string[]): void {
  d.add(prefix);
  for (let i = 0; i < fields.length; i++) d.add(prefix + "." + fields[i]);
}

// Built once per VM: path sets are configuration, not per-stream state.
let dialects: StaticArray<Dialect | null> = new StaticArray<Dialect | null>(8);

function dialect(k: i32): Dialect {
  const have = dialects[k];
  if (have !== null) return have;
  const d = new Dialect();
  if (k == D_OPENAI) {
    const f = ["prompt_tokens", "completion_tokens", "total_tokens", "prompt_tokens_details.cached_tokens",
      "prompt_cache_hit_tokens", "completion_tokens_details.reasoning_tokens"];
    d.add("model"); d.add("error");
    usageFamily(d, "usage", f);
    usageFamily(d, "x_groq.usage", f);
    d.text("choices[*].delta.content"); d.text("choices[*].delta.reasoning_content");
    d.text("choices[*].delta.tool_calls[*].function.arguments"); d.text("choices[*].text");
    // Whole messages of non-stream bodies: some compatible servers omit usage there too.
    d.text("choices[*].message.content"); d.text("choices[*].message.reasoning_content");
    d.text("choices[*].message.tool_calls[*].function.arguments");
  } else if (k == D_RESPONSES) {
    const f = ["input_tokens", "output_tokens", "input_tokens_details.cached_tokens", "output_tokens_details.reasoning_tokens"];
    d.add("object"); d.add("model");
    usageFamily(d, "usage", f);
    d.add("response"); d.add("response.model");
    usageFamily(d, "response.usage", f);
    d.add("type"); d.add("delta");
  } else if (k == D_ANTHROPIC || k == D_INVOKE) {
    const f = ["input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens"];
    d.add("type"); d.add("error"); d.add("model");
    usageFamily(d, "usage", f);
    d.add("message.model");
    usageFamily(d, "message.usage", f);
    d.add("bytes");
    usageFamily(d, "amazon-bedrock-invocationMetrics",
      ["inputTokenCount", "outputTokenCount", "cacheReadInputTokenCount", "cacheWriteInputTokenCount"]);
    d.text("delta.text"); d.text("delta.thinking"); d.text("delta.partial_json");
    d.text("content[*].text"); d.text("content[*].thinking");
  } else if (k == D_GEMINI) {
    d.add("error"); d.add("modelVersion");
    usageFamily(d, "usageMetadata", ["promptTokenCount", "toolUsePromptTokenCount", "thoughtsTokenCount",
      "candidatesTokenCount", "cachedContentTokenCount"]);
    d.text("candidates[*].content.parts[*].text");
  } else if (k == D_CONVERSE) {
    usageFamily(d, "usage", ["inputTokens", "outputTokens", "cacheReadInputTokens", "cacheReadInputTokenCount",
      "cacheWriteInputTokens", "cacheWriteInputTokenCount"]);
    d.text("delta.text"); d.text("delta.reasoningContent.text"); d.text("delta.toolUse.input");
  } else if (k == D_OLLAMA) {
    d.add("done"); d.add("prompt_eval_count"); d.add("eval_count"); d.add("model");
    d.text("message.content"); d.text("message.thinking"); d.text("response");
  }
  d.done();
  dialects[k] = d;
  return d;
}

// ---- scratch (shared: scanning is synchronous and never re-entered) ----------------------------

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

// The decoded bytes of string slot p (valid until the next decode).
let strPtr: usize = 0;
let strLen: usize = 0;

// Document base of the current unit, for slot offsets.
let docBase: usize = 0;

const ABSENT: i64 = -1;

// ---- the meter ---------------------------------------------------------------------------------

const MODE_UNDECIDED: i32 = 0;
const MODE_JSON: i32 = 1;
const MODE_SSE: i32 = 2;
const MODE_NDJSON: i32 = 3;
const MODE_EVENTSTREAM: i32 = 4;
const MODE_JSON_ARRAY: i32 = 5;
const MODE_NONE: i32 = 6;

export class UsageMeter {
  readonly provider: Provider;
  readonly operation: Operation;
  readonly framing: BodyFraming;
  readonly maxUnitSize: usize;
  private dialectKind: i32;
  private mode: i32 = MODE_UNDECIDED;

  private sse: SseFramer | null = null;
  private nd: NdjsonFramer | null = null;
  private es: EventStreamFramer | null = null;
  private ja: JsonArrayFramer | null = null;
  private doc: ByteBuffer | null = null;
  private docOverflow: bool = false;
  private finished: bool = false;
  private dead: bool = false;
  private blocked: bool = false;

  /** Decoded UTF-8 bytes of completion text seen in deltas. */
  textBytes: u64 = 0;
  /** Units (events, lines, frames, elements) that were not valid JSON or broke the framing. */
  badUnits: u32 = 0;
  sink: CompletionTextSink | null = null;

  // The last reported figures, raw; ABSENT where the provider did not say.
  private seen: bool = false;
  private f: StaticArray<i64> = new StaticArray<i64>(8);
  // Anthropic (and the Anthropic body inside Bedrock InvokeModel).
  private aSeen: bool = false;
  private aIn: i64 = ABSENT;
  private aRead: i64 = ABSENT;
  private aWrite: i64 = ABSENT;
  private aOut: i64 = ABSENT;
  private sawStart: bool = false;
  private sawDelta: bool = false;
  // Bedrock InvokeModel: response headers and the stream's invocation metrics.
  private h: StaticArray<i64> = new StaticArray<i64>(4);
  private m: StaticArray<i64> = new StaticArray<i64>(4);
  private ollamaDone: bool = false;

  private model: StaticArray<u8> = new StaticArray<u8>(<i32>USAGE_MAX_MODEL);
  private modelN: usize = 0;

  constructor(provider: Provider, operation: Operation, framing: BodyFraming, maxUnitSize: usize = USAGE_DEFAULT_MAX_UNIT) {
    this.provider = provider;
    this.operation = operation;
    this.framing = framing;
    this.maxUnitSize = maxUnitSize;
    this.dialectKind = dialectOf(operation);
    for (let i = 0; i < 8; i++) unchecked(this.f[i] = ABSENT);
    for (let i = 0; i < 4; i++) { unchecked(this.h[i] = ABSENT); unchecked(this.m[i] = ABSENT); }
    if (this.dialectKind == D_NONE) this.mode = MODE_NONE;
    else if (framing == BodyFraming.Ndjson) this.startMode(MODE_NDJSON);
    else if (framing == BodyFraming.EventStream) this.startMode(MODE_EVENTSTREAM);
  }

  /** A non-2xx status means no usage whatever the body says: providers do not bill rejections. */
  setStatus(code: i32): void {
    if (code < 200 || code > 299) this.blocked = true;
  }

  /**
   * A response header. Bedrock InvokeModel reports counts for every model in
   * x-amzn-bedrock-{input,output,cache-read-input,cache-write-input}-token-count.
   */
  pushHeader(namePtr: usize, nameLen: usize, valuePtr: usize, valueLen: usize): void {
    if (this.dialectKind != D_INVOKE) return;
    let i = -1;
    if (eqAsciiNoCase(namePtr, nameLen, "x-amzn-bedrock-input-token-count")) i = 0;
    else if (eqAsciiNoCase(namePtr, nameLen, "x-amzn-bedrock-output-token-count")) i = 1;
    else if (eqAsciiNoCase(namePtr, nameLen, "x-amzn-bedrock-cache-read-input-token-count")) i = 2;
    else if (eqAsciiNoCase(namePtr, nameLen, "x-amzn-bedrock-cache-write-input-token-count")) i = 3;
    if (i < 0) return;
    let s = valuePtr;
    let n = valueLen;
    while (n > 0 && isAsciiSpace(load<u8>(s))) { s++; n--; }
    while (n > 0 && isAsciiSpace(load<u8>(s + n - 1))) n--;
    unchecked(this.h[i] = readJsonInteger(s, n) == NUM_OK && parsedI64() >= 0 ? parsedI64() : ABSENT);
  }

  /** One response body chunk, cut anywhere. The chunk is not kept after the call returns. */
  push(ptr: usize, len: usize): void {
    if (this.mode == MODE_UNDECIDED) {
      let i: usize = 0;
      while (i < len && isAsciiSpace(load<u8>(ptr + i))) i++;
      if (i == len) return; // leading blanks carry nothing in any format
      const c = load<u8>(ptr + i);
      if (c == 0x7B) this.startMode(this.framing == BodyFraming.Sse || this.framing == BodyFraming.Json || this.framing == BodyFraming.JsonArray ? MODE_JSON : MODE_NONE);
      else if (c == 0x5B) this.startMode(MODE_JSON_ARRAY);
      else this.startMode(this.framing == BodyFraming.Sse ? MODE_SSE : MODE_NONE);
      ptr += i;
      len -= i;
    }
    this.feed(ptr, len);
  }

  /** End of the body (also for a stream cut short: what was reported so far stays). */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const mode = this.mode;
    if (mode == MODE_JSON) { this.finishJson(); return; }
    if (mode == MODE_SSE) this.sse!.finish();
    else if (mode == MODE_NDJSON) this.nd!.finish();
    else if (mode == MODE_EVENTSTREAM) this.es!.finish();
    else if (mode == MODE_JSON_ARRAY) this.ja!.finish();
    else return;
    this.drain();
  }

  private startMode(mode: i32): void {
    this.mode = mode;
    const max = this.maxUnitSize;
    if (mode == MODE_SSE) this.sse = new SseFramer(max);
    else if (mode == MODE_NDJSON) this.nd = new NdjsonFramer(max);
    else if (mode == MODE_EVENTSTREAM) this.es = new EventStreamFramer(max);
    else if (mode == MODE_JSON_ARRAY) this.ja = new JsonArrayFramer(max);
    else if (mode == MODE_JSON) this.doc = new ByteBuffer(max, min<usize>(max, 1024));
  }

  private feed(ptr: usize, len: usize): void {
    if (this.finished || len == 0) return;
    const mode = this.mode;
    if (mode == MODE_JSON) {
      if (!this.docOverflow && !this.doc!.append(ptr, len)) { this.docOverflow = true; this.doc!.reset(); }
      return;
    }
    if (mode == MODE_SSE) this.sse!.push(ptr, len);
    else if (mode == MODE_NDJSON) this.nd!.push(ptr, len);
    else if (mode == MODE_EVENTSTREAM) this.es!.push(ptr, len);
    else if (mode == MODE_JSON_ARRAY) this.ja!.push(ptr, len);
    else return;
    this.drain();
  }

  // Runs the framer until it wants more; every unit is read before the next is asked for.
  private drain(): void {
    const mode = this.mode;
    while (true) {
      let r: i32;
      if (mode == MODE_SSE) r = this.sse!.next();
      else if (mode == MODE_NDJSON) r = this.nd!.next();
      else if (mode == MODE_EVENTSTREAM) r = this.es!.next();
      else r = this.ja!.next();
      if (r == FRAME_NEED_MORE || r == FRAME_END) return;
      if (r != FRAME_UNIT) {
        this.badUnits++;
        // After a bad event-stream frame no later length can be trusted (USAGE.md §3).
        if (mode == MODE_EVENTSTREAM) this.dead = true;
        continue;
      }
      if (this.dead) continue;
      if (mode == MODE_SSE) this.sseUnit();
      else if (mode == MODE_NDJSON) this.lineUnit(this.nd!.linePtr, this.nd!.lineLen);
      else if (mode == MODE_EVENTSTREAM) this.frameUnit();
      else this.document(this.ja!.elementPtr, this.ja!.elementLen, false, 0, 0);
    }
  }

  private sseUnit(): void {
    const s = this.sse!;
    if (eqAscii(s.dataPtr, s.dataLenOut, "[DONE]")) return;
    this.document(s.dataPtr, s.dataLenOut, s.eventLen != 0, s.eventPtr, s.eventLen);
  }

  private lineUnit(ptr: usize, len: usize): void {
    let i: usize = 0;
    while (i < len && isAsciiSpace(load<u8>(ptr + i))) i++;
    if (i == len) return;
    this.document(ptr, len, false, 0, 0);
  }

  private frameUnit(): void {
    const e = this.es!;
    // The oracle names a non-"event" frame "<message-type>:<name>", which no dialect reads.
    if (!eqAscii(e.messageTypePtr, e.messageTypeLen, "event")) return;
    this.document(e.payloadPtr, e.payloadLen, true, e.eventTypePtr, e.eventTypeLen);
  }

  private finishJson(): void {
    const doc = this.doc!;
    if (this.docOverflow) { this.badUnits++; return; }
    const ptr = doc.ptr;
    const len = doc.length;
    if (this.document(ptr, len, false, 0, 0)) return;
    // Not one document: Ollama streams NDJSON under application/json.
    let start: usize = 0;
    for (let i: usize = 0; i <= len; i++) {
      if (i == len || load<u8>(ptr + i) == 0x0A) {
        if (i > start) this.lineUnit(ptr + start, i - start);
        start = i + 1;
      }
    }
  }

  // ---- one JSON document --------------------------------------------------------------------

  /** Reads one document; false (nothing taken) when it is not valid JSON. */
  private document(ptr: usize, len: usize, hasEvent: bool, evPtr: usize, evLen: usize): bool {
    const k = this.dialectKind;
    if (this.blocked) return true;
    if (k == D_CONVERSE && hasEvent && !eqAscii(evPtr, evLen, "metadata")) {
      // Deltas still count as text; their usage (none) is not read.
      if (eqAscii(evPtr, evLen, "contentBlockDelta")) this.scan(dialect(k), ptr, len, true);
      return true;
    }
    if (k == D_INVOKE && hasEvent) {
      if (!eqAscii(evPtr, evLen, "chunk")) return true;
      return this.invokeChunk(ptr, len);
    }
    if (k == D_OLLAMA && this.ollamaDone) return true;
    const d = dialect(k);
    if (!this.scan(d, ptr, len, true)) return false;
    const m = d.matcher!;
    if (k == D_OPENAI) this.openai(m);
    else if (k == D_RESPONSES) this.responses(m);
    else if (k == D_ANTHROPIC || k == D_INVOKE) this.anthropic(m);
    else if (k == D_GEMINI) this.gemini(m);
    else if (k == D_CONVERSE) this.converse(m);
    else if (k == D_OLLAMA) this.ollama(m);
    return true;
  }

  // Matches every path of d in one pass, keeping the last value per path (like JSON.parse with
  // duplicate keys) and handing text paths to the counter as they go. True if the document was
  // complete, valid JSON; the oracle skips anything else.
  private scan(d: Dialect, ptr: usize, len: usize, countText: bool): bool {
    const m = d.matcher!;
    docBase = ptr;
    m.reset(ptr, len);
    for (let p = 0; p < PATH_MAX; p++) unchecked(m.slotCount[p] = 0);
    while (true) {
      const r = m.next();
      if (r == PATH_DONE) return true;
      if (r != PATH_MATCH) { this.badUnits++; return false; }
      const p = m.path;
      unchecked(m.slotCount[p] = unchecked(m.slotCount[p]) + 1);
      unchecked(m.slotKind[p] = m.kind);
      unchecked(m.slotStart[p] = m.start);
      unchecked(m.slotEnd[p] = m.end);
      unchecked(m.slotEscaped[p] = m.escaped);
      if (countText && (d.textMask & (<u64>1 << <u64>p)) != 0 && m.kind == TOK_STRING) this.countText(m, p);
    }
    return false;
  }

  private countText(m: JsonPathMatcher, p: i32): void {
    if (!decodeString(m, p)) return;
    this.textBytes += <u64>strLen;
    const sink = this.sink;
    if (sink !== null) sink.text(strPtr, strLen);
  }

  private takeModel(m: JsonPathMatcher, p: i32): void {
    if (!has(m, p) || unchecked(m.slotKind[p]) != TOK_STRING) return;
    if (!decodeString(m, p) || strLen == 0) return; // the oracle ignores empty names
    const n = min<usize>(strLen, USAGE_MAX_MODEL);
    memory.copy(changetype<usize>(this.model), strPtr, n);
    this.modelN = n;
  }

  private openai(m: JsonPathMatcher): void {
    if (truthy(m, O_ERROR)) return;
    this.takeModel(m, O_MODEL);
    let base = -1;
    if (isObject(m, O_USAGE)) base = O_USAGE;
    else if (isObject(m, O_GROQ)) base = O_GROQ;
    if (base < 0) return;
    this.seen = true;
    for (let i = 1; i <= 6; i++) unchecked(this.f[i - 1] = intIn(m, base + i, base));
  }

  private responses(m: JsonPathMatcher): void {
    // Tool-call arguments are generated tokens too.
    if ((isString(m, R_TYPE, "response.output_text.delta") || isString(m, R_TYPE, "response.function_call_arguments.delta")) &&
        has(m, R_DELTA) && unchecked(m.slotKind[R_DELTA]) == TOK_STRING) {
      this.countText(m, R_DELTA);
    }
    let base = -1;
    if (isString(m, R_OBJECT, "response")) base = 0;
    else if (isObject(m, R_RESPONSE)) base = R_RESPONSE;
    if (base < 0) return;
    this.takeModel(m, base + R_MODEL);
    const u = base + R_USAGE;
    if (!isObject(m, u)) return;
    this.seen = true;
    for (let i = 1; i <= 4; i++) unchecked(this.f[i - 1] = intIn(m, u + i, u));
  }

  private anthropic(m: JsonPathMatcher): void {
    let u = -1;
    if (isString(m, A_TYPE, "message") && !truthy(m, A_ERROR)) {
      this.takeModel(m, A_MODEL);
      u = A_USAGE;
      this.sawStart = true;
      this.sawDelta = true;
    } else if (isString(m, A_TYPE, "message_start")) {
      this.takeModel(m, A_MSG_MODEL);
      u = A_MSG_USAGE;
      this.sawStart = true;
    } else if (isString(m, A_TYPE, "message_delta")) {
      u = A_USAGE;
      this.sawDelta = true;
    }
    if (u < 0 || !isObject(m, u)) return;
    // Repeated counts (message_delta repeats input and cache) replace, never add.
    this.aSeen = true;
    let v = intIn(m, u + 1, u); if (v != ABSENT) this.aIn = v;
    v = intIn(m, u + 2, u); if (v != ABSENT) this.aRead = v;
    v = intIn(m, u + 3, u); if (v != ABSENT) this.aWrite = v;
    v = intIn(m, u + 4, u); if (v != ABSENT) this.aOut = v;
  }

  // InvokeModelWithResponseStream: {"bytes": base64 of the vendor's own event}.
  private invokeChunk(ptr: usize, len: usize): bool {
    const d = dialect(D_INVOKE);
    const m = d.matcher!;
    if (!this.scan(d, ptr, len, false)) return false;
    if (!has(m, A_BYTES) || unchecked(m.slotKind[A_BYTES]) != TOK_STRING) return true;
    const b64 = docBase + unchecked(m.slotStart[A_BYTES]);
    const b64Len = unchecked(m.slotEnd[A_BYTES]) - unchecked(m.slotStart[A_BYTES]);
    // The decoded event is scanned from its own buffer: the outer unit's spans are done with.
    const inner = heap.alloc(max<usize>(b64Len, 4));
    const n = base64Decode(b64, b64Len, inner);
    if (this.scan(d, inner, n, true)) {
      this.anthropic(m);
      if (isObject(m, A_METRICS)) {
        for (let i = 0; i < 4; i++) {
          const v = intIn(m, A_M_IN + i, A_METRICS);
          unchecked(this.m[i] = v);
        }
      }
    }
    heap.free(inner);
    return true;
  }

  private gemini(m: JsonPathMatcher): void {
    if (truthy(m, G_ERROR)) return;
    this.takeModel(m, G_MODEL);
    if (!isObject(m, G_META)) return;
    this.seen = true;
    for (let i = 1; i <= 5; i++) unchecked(this.f[i - 1] = intIn(m, G_META + i, G_META));
  }

  private converse(m: JsonPathMatcher): void {
    if (!isObject(m, C_USAGE)) return;
    this.seen = true;
    for (let i = 1; i <= 6; i++) unchecked(this.f[i - 1] = intIn(m, C_USAGE + i, C_USAGE));
  }

  private ollama(m: JsonPathMatcher): void {
    if (!has(m, L_DONE) || unchecked(m.slotKind[L_DONE]) != TOK_TRUE) return;
    // Only the first done:true object counts, whatever follows it.
    this.ollamaDone = true;
    const input = intOf(m, L_PROMPT);
    const output = intOf(m, L_EVAL);
    if (input == ABSENT && output == ABSENT) return;
    this.seen = true;
    unchecked(this.f[0] = input);
    unchecked(this.f[1] = output);
    this.takeModel(m, L_MODEL);
  }

  // ---- results ------------------------------------------------------------------------------

  /** Whether the provider reported anything at all (the oracle's reportedParts is not null). */
  get reported(): bool {
    this.compute();
    return this.rValid;
  }

  /** The figures reported so far; sources say which sides the provider reported. */
  get usage(): Usage {
    this.compute();
    const u = new Usage();
    if (!this.rValid) return u;
    if (this.rIn != ABSENT) { u.input = <u64>this.rIn; u.inputSource = FigureSource.Reported; }
    if (this.rOut != ABSENT) { u.output = <u64>this.rOut; u.outputSource = FigureSource.Reported; }
    u.cachedInput = <u64>max<i64>(this.rCached, 0);
    u.cacheWrite = <u64>max<i64>(this.rWrite, 0);
    u.reasoning = <u64>max<i64>(this.rReasoning, 0);
    return u;
  }

  /** The model the response names (empty if none or not reported alongside usage). */
  get modelPtr(): usize { return changetype<usize>(this.model); }
  get modelLen(): usize { this.compute(); return this.rModel ? this.modelN : 0; }

  private rValid: bool = false;
  private rModel: bool = false;
  private rIn: i64 = ABSENT;
  private rOut: i64 = ABSENT;
  private rCached: i64 = 0;
  private rWrite: i64 = 0;
  private rReasoning: i64 = 0;

  // Maps the raw last report onto the normalised schema (USAGE.md §3, per dialect).
  private compute(): void {
    this.rValid = false;
    this.rModel = false;
    this.rIn = ABSENT;
    this.rOut = ABSENT;
    this.rCached = 0;
    this.rWrite = 0;
    this.rReasoning = 0;
    if (this.blocked) return;
    const k = this.dialectKind;
    const f = this.f;
    if (k == D_ANTHROPIC) { this.computeAnthropic(); return; }
    if (k == D_INVOKE) { this.computeInvoke(); return; }
    if (!this.seen) return;
    this.rValid = true;
    this.rModel = true;
    if (k == D_OPENAI) {
      const prompt = f[0];
      this.rIn = prompt;
      // Embeddings report no completion_tokens: they generate nothing.
      this.rOut = f[1] != ABSENT ? f[1] : (prompt != ABSENT && f[2] == prompt ? 0 : ABSENT);
      this.rCached = f[3] != ABSENT ? f[3] : (f[4] != ABSENT ? f[4] : 0); // DeepSeek's hit count
      this.rReasoning = f[5];
    } else if (k == D_RESPONSES) {
      this.rIn = f[0];
      this.rOut = f[1];
      this.rCached = f[2];
      this.rReasoning = f[3];
    } else if (k == D_GEMINI) {
      // Tool-use prompt is outside promptTokenCount; thoughts are outside candidatesTokenCount.
      this.rIn = f[0] == ABSENT ? ABSENT : f[0] + max<i64>(f[1], 0);
      this.rOut = max<i64>(f[3], 0) + max<i64>(f[2], 0);
      this.rReasoning = f[2];
      this.rCached = f[4];
    } else if (k == D_CONVERSE) {
      // Both spellings of the cache counts are one number; inputTokens excludes the cache.
      const read = f[2] != ABSENT ? f[2] : max<i64>(f[3], 0);
      const write = f[4] != ABSENT ? f[4] : max<i64>(f[5], 0);
      this.rIn = f[0] == ABSENT ? ABSENT : f[0] + read + write;
      this.rOut = f[1];
      this.rCached = read;
      this.rWrite = write;
      this.rModel = false;
    } else if (k == D_OLLAMA) {
      this.rIn = f[0];
      this.rOut = f[1];
    }
    this.rCached = max<i64>(this.rCached, 0);
    this.rReasoning = max<i64>(this.rReasoning, 0);
  }

  // Anthropic's input_tokens excludes cache reads and writes; message_start's output_tokens is
  // a placeholder, so output is reported only once a message_delta (or a whole message) came.
  private computeAnthropic(): void {
    if (!this.aSeen) return;
    this.rValid = true;
    this.rModel = true;
    this.rIn = this.sawStart && this.aIn != ABSENT ? this.aIn + max<i64>(this.aRead, 0) + max<i64>(this.aWrite, 0) : ABSENT;
    this.rOut = this.sawDelta ? this.aOut : ABSENT;
    this.rCached = max<i64>(this.aRead, 0);
    this.rWrite = max<i64>(this.aWrite, 0);
  }

  // The Anthropic body when complete (it has the cache split), else headers, else metrics.
  private computeInvoke(): void {
    this.computeAnthropic();
    if (this.rValid && this.rIn != ABSENT && this.rOut != ABSENT) return;
    const h = this.h;
    const mm = this.m;
    const input = h[0] != ABSENT ? h[0] : mm[0];
    const output = h[1] != ABSENT ? h[1] : mm[1];
    if (input == ABSENT && output == ABSENT) return;
    const read = h[2] != ABSENT ? h[2] : max<i64>(mm[2], 0);
    const write = h[3] != ABSENT ? h[3] : max<i64>(mm[3], 0);
    this.rModel = this.aSeen;
    this.rValid = true;
    this.rIn = input == ABSENT ? ABSENT : input + read + write;
    this.rOut = output;
    this.rCached = read;
    this.rWrite = write;
    this.rReasoning = 0;
  }
}

// ---- slot helpers ------------------------------------------------------------------------------

// @ts-ignore: decorator
@inline function has(m: JsonPathMatcher, p: i32): bool { return unchecked(m.slotCount[p]) != 0; }

function isObject(m: JsonPathMatcher, p: i32): bool {
  return has(m, p) && unchecked(m.slotKind[p]) == TOK_OBJECT_START;
}

function isString(m: JsonPathMatcher, p: i32, lit: string): bool {
  if (!has(m, p) || unchecked(m.slotKind[p]) != TOK_STRING) return false;
  if (!decodeString(m, p)) return false;
  return eqAscii(strPtr, strLen, lit);
}

// JavaScript truthiness, as the oracle's `if (d.data.error)`.
function truthy(m: JsonPathMatcher, p: i32): bool {
  if (!has(m, p)) return false;
  const k = unchecked(m.slotKind[p]);
  if (k == TOK_OBJECT_START || k == TOK_ARRAY_START || k == TOK_TRUE) return true;
  if (k == TOK_STRING) return unchecked(m.slotEnd[p]) > unchecked(m.slotStart[p]);
  if (k == TOK_NUMBER) {
    const s = unchecked(m.slotStart[p]);
    return readJsonNumber(docBase + s, unchecked(m.slotEnd[p]) - s) == NUM_OK && parsedF64() != 0;
  }
  return false;
}

// A non-negative integer, or ABSENT (also for fractions and overflow: the oracle's int()).
function intOf(m: JsonPathMatcher, p: i32): i64 {
  if (!has(m, p) || unchecked(m.slotKind[p]) != TOK_NUMBER) return ABSENT;
  const s = unchecked(m.slotStart[p]);
  if (readJsonInteger(docBase + s, unchecked(m.slotEnd[p]) - s) != NUM_OK) return ABSENT;
  const v = parsedI64();
  return v < 0 ? ABSENT : v;
}

// Field p only if it lies inside the last value of its parent: with duplicate keys JSON.parse
// keeps the last parent object whole, not fields of an earlier one.
function intIn(m: JsonPathMatcher, p: i32, parent: i32): i64 {
  if (!has(m, p)) return ABSENT;
  if (unchecked(m.slotStart[p]) < unchecked(m.slotStart[parent]) || unchecked(m.slotEnd[p]) > unchecked(m.slotEnd[parent])) return ABSENT;
  return intOf(m, p);
}

// Sets strPtr/strLen to the UTF-8 of string slot p, unescaped if needed.
function decodeString(m: JsonPathMatcher, p: i32): bool {
  const s = unchecked(m.slotStart[p]);
  const n = unchecked(m.slotEnd[p]) - s;
  if (!unchecked(m.slotEscaped[p])) {
    strPtr = docBase + s;
    strLen = n;
    return true;
  }
  const out = scratch(n);
  const r = unescapeJsonString(docBase + s, n, out, n);
  if (r < 0) return false;
  strPtr = out;
  strLen = <usize>r;
  return true;
}

// Lenient like Node's Buffer.from(s, "base64"): both alphabets, other bytes skipped, stops at '='.
function base64Decode(src: usize, len: usize, out: usize): usize {
  let acc: u32 = 0;
  let bits: u32 = 0;
  let o: usize = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = <u32>load<u8>(src + i);
    let v: i32 = -1;
    if (c >= 0x41 && c <= 0x5A) v = <i32>(c - 0x41);
    else if (c >= 0x61 && c <= 0x7A) v = <i32>(c - 0x61 + 26);
    else if (c >= 0x30 && c <= 0x39) v = <i32>(c - 0x30 + 52);
    else if (c == 0x2B || c == 0x2D) v = 62;
    else if (c == 0x2F || c == 0x5F) v = 63;
    else if (c == 0x3D) break;
    if (v < 0) continue;
    acc = (acc << 6) | <u32>v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      store<u8>(out + o, <u8>(acc >> bits));
      o++;
    }
  }
  return o;
}
