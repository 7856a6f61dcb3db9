// Stream-cutter dialects of OpenAI's SSE APIs: Chat Completions and legacy Completions (and
// every compatible server), and the Responses API.
import { JsonPathMatcher, TOK_STRING } from "../json-scan";
import { ByteBuffer, eqAscii } from "../bytes";
import { CutDialect, RawField, appendInt, bit } from "./cutoff-dialect";
import { OutputCounter } from "./cutoff-count";

const C_ID = 0, C_OBJECT = 1, C_CREATED = 2, C_MODEL = 3, C_CHOICE = 4, C_INDEX = 5, C_FINISH = 6;

/**
 * Chat / legacy completions chunks. The SDKs end a choice on a chunk with a finish_reason and
 * the stream on `data: [DONE]`; the terminal repeats id/object/created/model so accumulators
 * that check them (or key on the id) see one completion.
 */
export class OpenAIChatCut extends CutDialect {
  private legacy: bool;
  private id: RawField = new RawField();
  private object: RawField = new RawField();
  private created: RawField = new RawField();
  private model: RawField = new RawField();
  private seen: u64 = 0;
  private done: u64 = 0;
  // Staged for the unit being read.
  private uSeen: u64 = 0;
  private uDone: u64 = 0;
  private position: i64 = 0;
  private index: i64 = -1;
  private finished: bool = false;

  constructor(counter: OutputCounter, legacy: bool) {
    super(counter);
    this.legacy = legacy;
    this.path("id"); this.path("object"); this.path("created"); this.path("model");
    this.path("choices[*]"); this.path("choices[*].index"); this.path("choices[*].finish_reason");
    this.text("choices[*].delta.content"); this.text("choices[*].delta.reasoning_content");
    this.text("choices[*].delta.reasoning"); this.text("choices[*].delta.refusal");
    this.text("choices[*].delta.tool_calls[*].function.arguments");
    this.text("choices[*].delta.tool_calls[*].function.name"); // generated too, and billed this.text("choices[*].text");
    this.ready();
  }

  protected begin(): void {
    this.uSeen = 0;
    this.uDone = 0;
    this.position = 0;
    this.index = -1;
    this.finished = false;
  }

  protected match(p: i32, m: JsonPathMatcher): void {
    // The first chunk's identity is the stream's; later chunks repeat it.
    if (p == C_ID) { if (!this.id.present && m.kind == TOK_STRING) this.takeRaw(this.id, m); }
    else if (p == C_OBJECT) { if (!this.object.present && m.kind == TOK_STRING) this.takeRaw(this.object, m); }
    else if (p == C_CREATED) { if (!this.created.present) this.takeRaw(this.created, m); }
    else if (p == C_MODEL) { if (!this.model.present && m.kind == TOK_STRING) this.takeRaw(this.model, m); }
    else if (p == C_INDEX) this.index = this.intOf(m);
    else if (p == C_FINISH) this.finished = m.kind == TOK_STRING;
    else if (p == C_CHOICE) {
      // A choice object closes after its fields: commit them (index defaults to the position).
      const i = this.index >= 0 ? this.index : this.position;
      this.uSeen |= bit(i);
      if (this.finished) this.uDone |= bit(i);
      this.position++;
      this.index = -1;
      this.finished = false;
    }
  }

  protected end(): void {
    this.seen |= this.uSeen;
    this.done |= this.uDone;
  }

  terminate(out: ByteBuffer): void {
    let open = this.seen & ~this.done;
    while (open != 0) {
      const i = <i64>ctz(open);
      open &= open - 1;
      out.appendAscii("data: {\"id\":");
      this.id.write(out, "\"\"");
      out.appendAscii(",\"object\":");
      this.object.write(out, this.legacy ? "\"text_completion\"" : "\"chat.completion.chunk\"");
      out.appendAscii(",\"created\":");
      this.created.write(out, "0");
      out.appendAscii(",\"model\":");
      this.model.write(out, "\"\"");
      out.appendAscii(",\"choices\":[{\"index\":");
      appendInt(out, i);
      out.appendAscii(this.legacy ? ",\"text\":\"\"" : ",\"delta\":{}");
      out.appendAscii(",\"logprobs\":null,\"finish_reason\":\"length\"}]}\n\n");
    }
    out.appendAscii("data: [DONE]\n\n");
  }
}

const R_TYPE = 0, R_DELTA = 1, R_SEQ = 2, R_ID = 3, R_CREATED = 4, R_MODEL = 5;

/**
 * Responses API. Its SDK keeps a snapshot from response.created and replaces it with the
 * response object of the terminal event (response.completed / .incomplete / .failed); a
 * stream that ends without one is still accepted, but `finalResponse()` would then report a
 * response still "in_progress". The terminal is response.incomplete with
 * incomplete_details.reason "max_output_tokens", as the API itself sends when
 * max_output_tokens is reached. Its `output` is empty: the items' text went to the client as
 * deltas, and rebuilding them would mean holding the whole completion.
 */
export class ResponsesCut extends CutDialect {
  private id: RawField = new RawField();
  private created: RawField = new RawField();
  private model: RawField = new RawField();
  private sequence: i64 = -1;
  private ended: bool = false;
  // Staged.
  private isDelta: bool = false;
  private isEnd: bool = false;
  private hasDelta: bool = false;
  private deltaStart: usize = 0;
  private deltaEnd: usize = 0;
  private deltaEscaped: bool = false;
  private seq: i64 = -1;

  constructor(counter: OutputCounter) {
    super(counter);
    this.path("type"); this.path("delta"); this.path("sequence_number");
    this.path("response.id"); this.path("response.created_at"); this.path("response.model");
    this.ready();
  }

  protected begin(): void {
    this.isDelta = false;
    this.isEnd = false;
    this.hasDelta = false;
    this.seq = -1;
  }

  protected match(p: i32, m: JsonPathMatcher): void {
    if (p == R_TYPE) {
      if (m.kind != TOK_STRING || m.escaped) return;
      const t = this.base + m.start;
      const n = m.end - m.start;
      // Every visible generated text arrives as one of these deltas.
      this.isDelta = eqAscii(t, n, "response.output_text.delta") || eqAscii(t, n, "response.refusal.delta") ||
        eqAscii(t, n, "response.function_call_arguments.delta") || eqAscii(t, n, "response.custom_tool_call_input.delta") ||
        eqAscii(t, n, "response.reasoning_text.delta") || eqAscii(t, n, "response.reasoning_summary_text.delta");
      this.isEnd = eqAscii(t, n, "response.completed") || eqAscii(t, n, "response.incomplete") || eqAscii(t, n, "response.failed");
    } else if (p == R_DELTA) {
      this.hasDelta = m.kind == TOK_STRING;
      this.deltaStart = m.start;
      this.deltaEnd = m.end;
      this.deltaEscaped = m.escaped;
    } else if (p == R_SEQ) this.seq = this.intOf(m);
    else if (p == R_ID) { if (!this.id.present && m.kind == TOK_STRING) this.takeRaw(this.id, m); }
    else if (p == R_CREATED) { if (!this.created.present) this.takeRaw(this.created, m); }
    else if (p == R_MODEL) { if (!this.model.present && m.kind == TOK_STRING) this.takeRaw(this.model, m); }
  }

  protected end(): void {
    // `type` may follow `delta` in the object, so the delta is counted once both are known.
    if (this.isDelta && this.hasDelta) this.countSpan(this.deltaStart, this.deltaEnd, this.deltaEscaped);
    if (this.isEnd) this.ended = true;
    if (this.seq > this.sequence) this.sequence = this.seq;
  }

  terminate(out: ByteBuffer): void {
    if (this.ended) return;
    out.appendAscii("event: response.incomplete\ndata: {\"type\":\"response.incomplete\",\"response\":{\"id\":");
    this.id.write(out, "\"\"");
    out.appendAscii(",\"object\":\"response\",\"created_at\":");
    this.created.write(out, "0");
    out.appendAscii(",\"status\":\"incomplete\",\"error\":null,\"incomplete_details\":{\"reason\":\"max_output_tokens\"},\"model\":");
    this.model.write(out, "\"\"");
    out.appendAscii(",\"output\":[],\"usage\":null},\"sequence_number\":");
    appendInt(out, this.sequence + 1);
    out.appendAscii("}\n\n");
  }
}
