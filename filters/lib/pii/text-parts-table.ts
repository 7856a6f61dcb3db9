// Which JSON paths are text, per dialect and direction: the executable form of TEXT-PARTS.md
// (keep the two, and host-tests/support/text-parts-oracle.ts, in step). The dialect follows the
// operation alone: every OpenAI-compatible vendor speaks the chat dialect, Bedrock InvokeModel
// carries Anthropic bodies in the recordings and the docs we follow.
import { Operation } from "../providers/types";
import { RuleSet, KIND_TEXT, KIND_TOOL, KIND_REFUSAL, RULE_CONTINUES } from "./text-parts-rules";

const T = KIND_TEXT;
const F = KIND_TOOL;
const R = KIND_REFUSAL;
const C = RULE_CONTINUES;

function chatRequest(): RuleSet {
  return new RuleSet()
    .text("messages[*].content", T)
    .text("messages[*].content[*].text", T)
    .text("messages[*].tool_calls[*].function.arguments", F)
    .text("messages[*].function_call.arguments", F);
}

function chatResponse(): RuleSet {
  const s = new RuleSet();
  // `message` in a whole body, `delta` in a stream chunk; the choice's `index` field names the
  // choice (a stream chunk carries one choice at array position 0 whatever its number).
  s.text("choices[#1].message.content", T)
    .text("choices[#1].message.content[*].text", T)
    .text("choices[#1].message.refusal", R)
    .text("choices[#1].message.tool_calls[#2].function.arguments", F)
    .text("choices[#1].message.function_call.arguments", F)
    .text("choices[#1].delta.content", T, C)
    .text("choices[#1].delta.content[*].text", T, C)
    .text("choices[#1].delta.refusal", R, C)
    .text("choices[#1].delta.tool_calls[#2].function.arguments", F, C)
    .text("choices[#1].delta.function_call.arguments", F, C)
    .channelField("choices[*]", "index", 1)
    .channelField("choices[*].message.tool_calls[*]", "index", 2)
    .channelField("choices[*].delta.tool_calls[*]", "index", 2);
  return s;
}

function completionsRequest(): RuleSet {
  return new RuleSet().text("prompt", T).text("prompt[*]", T).text("suffix", T);
}

function completionsResponse(): RuleSet {
  return new RuleSet().text("choices[#1].text", T, C).channelField("choices[*]", "index", 1);
}

function embeddingsRequest(): RuleSet {
  // Token-id arrays are numbers and stay untouched.
  return new RuleSet().text("input", T).text("input[*]", T);
}

function responsesRequest(): RuleSet {
  return new RuleSet()
    .text("instructions", T)
    .text("input", T)
    .text("input[*].content", T)
    .text("input[*].content[*].text", T)
    .text("input[*].arguments", F)
    .text("input[*].output", T)
    .text("input[*].output[*].text", T);
}

function responsesResponse(): RuleSet {
  const s = new RuleSet();
  // The response object: a whole body, or `response` inside the lifecycle events.
  s.text("output[#1].content[#2].text", T)
    .text("output[#1].content[#2].refusal", R)
    .text("output[#1].arguments", F)
    .text("response.output[#1].content[#2].text", T)
    .text("response.output[#1].content[#2].refusal", R)
    .text("response.output[#1].arguments", F)
    // output_item.added/done, content_part.added/done: complete snapshots.
    .text("item.content[#2].text", T)
    .text("item.content[#2].refusal", R)
    .text("item.arguments", F)
    .text("part.text", T)
    .text("part.refusal", R)
    // Top-level `delta`/`text` mean text only for these event types (`response.audio.delta`
    // is base64 audio, code-interpreter deltas are code).
    .text("delta", T, C, ["response.output_text.delta"])
    .text("delta", R, C, ["response.refusal.delta"])
    .text("delta", F, C, ["response.function_call_arguments.delta"])
    .text("text", T, 0, ["response.output_text.done"])
    .text("refusal", R, 0, ["response.refusal.done"])
    .text("arguments", F, 0, ["response.function_call_arguments.done"])
    .channelField("", "output_index", 1)
    .channelField("", "content_index", 2);
  return s;
}

function anthropicRequest(): RuleSet {
  // tool_use `input` is a JSON object, not text: its string values are (the model wrote them
  // from the conversation, so they carry the same personal data).
  return new RuleSet()
    .text("system", T)
    .text("system[*].text", T)
    .text("messages[*].content", T)
    .text("messages[*].content[*].text", T)
    .text("messages[*].content[*].input.**", F)
    .text("messages[*].content[*].content", T)
    .text("messages[*].content[*].content[*].text", T);
}

function anthropicResponse(): RuleSet {
  // Thinking blocks are signed: a changed `thinking` fails verification when the client sends
  // it back, so they are left alone (TEXT-PARTS.md, "left out").
  return new RuleSet()
    .text("content[#1].text", T)
    .text("content[#1].input.**", F)
    .text("message.content[#1].text", T)
    .text("message.content[#1].input.**", F)
    .text("content_block.text", T)
    .text("content_block.input.**", F)
    .text("delta.text", T, C)
    .text("delta.partial_json", F, C)
    .channelField("", "index", 1);
}

function geminiRequest(): RuleSet {
  // Proto-JSON accepts snake_case field names too.
  return new RuleSet()
    .text("contents[*].parts[*].text", T)
    .text("contents[*].parts[*].functionCall.args.**", F)
    .text("contents[*].parts[*].function_call.args.**", F)
    .text("contents[*].parts[*].functionResponse.response.**", T)
    .text("contents[*].parts[*].function_response.response.**", T)
    .text("systemInstruction.parts[*].text", T)
    .text("system_instruction.parts[*].text", T);
}

function geminiResponse(): RuleSet {
  // One candidate is one text stream whatever part carries it (so part positions are not in
  // the channel; function calls arrive whole); a whole streamed body (a JSON array) reads like
  // its elements.
  return new RuleSet()
    .text("candidates[#1].content.parts[*].text", T, C)
    .text("candidates[#1].content.parts[*].functionCall.args.**", F)
    .text("[*].candidates[#1].content.parts[*].text", T, C)
    .text("[*].candidates[#1].content.parts[*].functionCall.args.**", F)
    .channelField("candidates[*]", "index", 1)
    .channelField("[*].candidates[*]", "index", 1);
}

function converseRequest(): RuleSet {
  return new RuleSet()
    .text("messages[*].content[*].text", T)
    .text("messages[*].content[*].toolUse.input.**", F)
    .text("messages[*].content[*].toolResult.content[*].text", T)
    .text("messages[*].content[*].toolResult.content[*].json.**", T)
    .text("system[*].text", T);
}

function converseResponse(): RuleSet {
  return new RuleSet()
    .text("output.message.content[#1].text", T)
    .text("output.message.content[#1].toolUse.input.**", F)
    .text("delta.text", T, C)
    .text("delta.toolUse.input", F, C)
    .channelField("", "contentBlockIndex", 1);
}

function ollamaChatRequest(): RuleSet {
  return new RuleSet()
    .text("messages[*].content", T)
    .text("messages[*].tool_calls[*].function.arguments.**", F);
}

function ollamaChatResponse(): RuleSet {
  return new RuleSet()
    .text("message.content", T, C)
    .text("message.tool_calls[#2].function.arguments.**", F);
}

function ollamaGenerateRequest(): RuleSet {
  return new RuleSet().text("prompt", T).text("system", T).text("suffix", T);
}

function ollamaGenerateResponse(): RuleSet {
  return new RuleSet().text("response", T, C);
}

// Built on first use, kept for the VM's life: [operation * 2 + response].
const OP_SLOTS: i32 = 14;
const cache = new StaticArray<RuleSet | null>(OP_SLOTS * 2);
const EMPTY = new RuleSet();

function build(op: Operation, response: bool): RuleSet {
  switch (op) {
    case Operation.ChatCompletions: return response ? chatResponse() : chatRequest();
    case Operation.Completions: return response ? completionsResponse() : completionsRequest();
    case Operation.Embeddings: return response ? EMPTY : embeddingsRequest();
    case Operation.Responses: return response ? responsesResponse() : responsesRequest();
    case Operation.Messages:
    case Operation.Invoke: return response ? anthropicResponse() : anthropicRequest();
    // Streamed InvokeModel events wrap the vendor's event in base64 (`{"bytes": …}`): the frame
    // itself has no text. pii-redact's reply-stream opens each chunk of an Anthropic model's
    // stream and reads the event inside with Invoke's rules (Anthropic Messages).
    case Operation.InvokeStream: return response ? EMPTY : anthropicRequest();
    case Operation.GenerateContent:
    case Operation.StreamGenerateContent: return response ? geminiResponse() : geminiRequest();
    case Operation.Converse:
    case Operation.ConverseStream: return response ? converseResponse() : converseRequest();
    case Operation.OllamaChat: return response ? ollamaChatResponse() : ollamaChatRequest();
    case Operation.OllamaGenerate: return response ? ollamaGenerateResponse() : ollamaGenerateRequest();
    default: return EMPTY;
  }
}

/** The rules for an operation and direction (an empty set for unknown operations). */
export function rulesFor(op: Operation, response: bool): RuleSet {
  const o = <i32>op;
  if (o <= 0 || o >= OP_SLOTS) return EMPTY;
  const slot = o * 2 + (response ? 1 : 0);
  let s = unchecked(cache[slot]);
  if (s === null) {
    s = build(op, response);
    unchecked(cache[slot] = s);
  }
  return s;
}
