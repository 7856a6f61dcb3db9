// Stream-cutter dialect of Anthropic Messages SSE (also Vertex rawPredict with Anthropic
// bodies). The SDK's MessageStream expects every started block to be stopped, one
// message_delta carrying the stop reason, and message_stop last.
import { JsonPathMatcher, TOK_STRING } from "../json-scan";
import { ByteBuffer, eqAscii } from "../bytes";
import { CutDialect, appendInt, bit } from "./cutoff-dialect";
import { OutputCounter } from "./cutoff-count";

const A_TYPE = 0, A_INDEX = 1;
const T_OTHER = 0, T_BLOCK_START = 1, T_BLOCK_STOP = 2, T_MESSAGE_DELTA = 3, T_MESSAGE_STOP = 4;

export class AnthropicCut extends CutDialect {
  private open: u64 = 0;
  private delta: bool = false;
  private stopped: bool = false;
  // Staged.
  private type: i32 = T_OTHER;
  private index: i64 = -1;

  constructor(counter: OutputCounter) {
    super(counter);
    this.path("type"); this.path("index");
    this.text("delta.text"); this.text("delta.thinking"); this.text("delta.partial_json");
    this.text("content_block.name"); // a tool_use block's name is generated output too
    this.ready();
  }

  protected begin(): void {
    this.type = T_OTHER;
    this.index = -1;
  }

  protected match(p: i32, m: JsonPathMatcher): void {
    if (p == A_INDEX) { this.index = this.intOf(m); return; }
    if (m.kind != TOK_STRING || m.escaped) return;
    const t = this.base + m.start;
    const n = m.end - m.start;
    if (eqAscii(t, n, "content_block_start")) this.type = T_BLOCK_START;
    else if (eqAscii(t, n, "content_block_stop")) this.type = T_BLOCK_STOP;
    else if (eqAscii(t, n, "message_delta")) this.type = T_MESSAGE_DELTA;
    else if (eqAscii(t, n, "message_stop")) this.type = T_MESSAGE_STOP;
    else this.type = T_OTHER;
  }

  protected end(): void {
    const t = this.type;
    if (t == T_BLOCK_START) this.open |= bit(this.index);
    else if (t == T_BLOCK_STOP) this.open &= ~bit(this.index);
    else if (t == T_MESSAGE_DELTA) this.delta = true;
    else if (t == T_MESSAGE_STOP) this.stopped = true;
  }

  terminate(out: ByteBuffer): void {
    if (this.stopped) return;
    let open = this.open;
    while (open != 0) {
      const i = <i64>ctz(open);
      open &= open - 1;
      out.appendAscii("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":");
      appendInt(out, i);
      out.appendAscii("}\n\n");
    }
    if (!this.delta) {
      out.appendAscii("event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"max_tokens\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":");
      appendInt(out, this.counter.tokens);
      out.appendAscii("}}\n\n");
    }
    out.appendAscii("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  }
}
