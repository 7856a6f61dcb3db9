// Stream-cutter dialect of Ollama /api/chat and /api/generate NDJSON: clients stop reading at
// the first line with "done": true, which also names why in done_reason.
import { JsonPathMatcher, TOK_STRING, TOK_TRUE } from "../json-scan";
import { ByteBuffer } from "../bytes";
import { CutDialect, RawField, appendInt } from "./cutoff-dialect";
import { OutputCounter } from "./cutoff-count";

const L_MODEL = 0, L_CREATED = 1, L_DONE = 2;

export class OllamaCut extends CutDialect {
  private generate: bool;
  private model: RawField = new RawField();
  private created: RawField = new RawField();
  private finished: bool = false;
  private uDone: bool = false;

  constructor(counter: OutputCounter, generate: bool) {
    super(counter);
    this.generate = generate;
    this.path("model"); this.path("created_at"); this.path("done");
    this.text("message.content"); this.text("message.thinking"); this.text("response");
    this.ready();
  }

  protected begin(): void { this.uDone = false; }

  protected match(p: i32, m: JsonPathMatcher): void {
    if (p == L_MODEL) { if (!this.model.present && m.kind == TOK_STRING) this.takeRaw(this.model, m); }
    else if (p == L_CREATED) { if (m.kind == TOK_STRING) this.takeRaw(this.created, m); }
    else if (p == L_DONE) this.uDone = m.kind == TOK_TRUE;
  }

  protected end(): void {
    if (this.uDone) this.finished = true;
  }

  terminate(out: ByteBuffer): void {
    if (this.finished) return;
    out.appendAscii("{\"model\":");
    this.model.write(out, "\"\"");
    out.appendAscii(",\"created_at\":");
    this.created.write(out, "\"1970-01-01T00:00:00Z\"");
    out.appendAscii(this.generate ? ",\"response\":\"\"" : ",\"message\":{\"role\":\"assistant\",\"content\":\"\"}");
    out.appendAscii(",\"done\":true,\"done_reason\":\"length\",\"eval_count\":");
    appendInt(out, this.counter.tokens);
    out.appendAscii("}\n");
  }
}
