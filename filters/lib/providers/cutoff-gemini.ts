// Stream-cutter dialect of Gemini / Vertex streamGenerateContent, in both of its framings:
// SSE (alt=sse) and the incrementally sent JSON array. The final chunk carries
// finishReason MAX_TOKENS for every candidate not already finished.
import { JsonPathMatcher, TOK_STRING } from "../json-scan";
import { ByteBuffer } from "../bytes";
import { CutDialect, RawField, appendInt, bit } from "./cutoff-dialect";
import { OutputCounter } from "./cutoff-count";

const G_CANDIDATE = 0, G_INDEX = 1, G_FINISH = 2, G_MODEL = 3, G_RESPONSE_ID = 4;

export class GeminiCut extends CutDialect {
  private array: bool;
  private model: RawField = new RawField();
  private responseId: RawField = new RawField();
  private seen: u64 = 0;
  private done: u64 = 0;
  // Staged.
  private uSeen: u64 = 0;
  private uDone: u64 = 0;
  private position: i64 = 0;
  private index: i64 = -1;
  private finished: bool = false;

  constructor(counter: OutputCounter, array: bool) {
    super(counter);
    this.array = array;
    this.path("candidates[*]"); this.path("candidates[*].index"); this.path("candidates[*].finishReason");
    this.path("modelVersion"); this.path("responseId");
    this.text("candidates[*].content.parts[*].text");
    this.text("candidates[*].content.parts[*].functionCall"); // arrives whole: counted as its JSON
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
    if (p == G_INDEX) this.index = this.intOf(m);
    else if (p == G_FINISH) this.finished = m.kind == TOK_STRING;
    else if (p == G_MODEL) { if (!this.model.present && m.kind == TOK_STRING) this.takeRaw(this.model, m); }
    else if (p == G_RESPONSE_ID) { if (!this.responseId.present && m.kind == TOK_STRING) this.takeRaw(this.responseId, m); }
    else if (p == G_CANDIDATE) {
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
    if (open != 0) {
      // The cut ends right after an element's closing brace, so the array goes on with a comma.
      out.appendAscii(this.array ? ",\r\n{\"candidates\":[" : "data: {\"candidates\":[");
      let first = true;
      while (open != 0) {
        const i = <i64>ctz(open);
        open &= open - 1;
        if (!first) out.appendByte(0x2C);
        first = false;
        out.appendAscii("{\"content\":{\"parts\":[{\"text\":\"\"}],\"role\":\"model\"},\"finishReason\":\"MAX_TOKENS\",\"index\":");
        appendInt(out, i);
        out.appendAscii("}");
      }
      out.appendAscii("]");
      if (this.model.present) { out.appendAscii(",\"modelVersion\":"); this.model.write(out, "\"\""); }
      if (this.responseId.present) { out.appendAscii(",\"responseId\":"); this.responseId.write(out, "\"\""); }
      out.appendAscii(this.array ? "}" : "}\r\n\r\n");
    }
    if (this.array) out.appendAscii("\n]");
  }
}
