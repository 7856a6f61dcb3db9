// Prompt tokens of an OpenAI chat request, from its message fields as UTF-8 byte ranges (the
// caller's JSON scanner supplies unescaped values; nothing here parses JSON or makes strings).
//
// The model is OpenAI cookbook's `num_tokens_from_messages` / `num_tokens_for_tools`, which
// matches `usage.prompt_tokens` for the gpt-4o, gpt-4 and gpt-3.5-turbo families:
//   every message          perMessage (3) + tokens of each string field (role, content, name...)
//   a `name` field         perName (1) more
//   the reply priming      3, once
//   tools (function only)  funcInit per function (7 for gpt-4o / o200k, 10 for gpt-4 and
//                          gpt-3.5 / cl100k) + tokens of "name:description" (one trailing "."
//                          dropped); if it has properties: 3, then per property 3 + tokens of
//                          "key:type:description" (trailing "." dropped), and for an enum -3 +
//                          per item (3 + tokens of the item); after all functions 12, once.
// gpt-3.5-turbo-0301 used perMessage 4 and perName -1 (ChatFormat fields). Reasoning models
// (o1, o3, gpt-5...) add hidden tokens this model does not know; their counts are low.
import { countTokens } from "./encode";
import { ENCODING_O200K } from "./tables";

export class ChatFormat {
  perMessage: i32 = 3;
  perName: i32 = 1;
  priming: i32 = 3;
  funcInit: i32 = 7;
  propInit: i32 = 3;
  propKey: i32 = 3;
  enumInit: i32 = -3;
  enumItem: i32 = 3;
  funcEnd: i32 = 12;

  /** gpt-4o family for o200k_base, gpt-4 / gpt-3.5-turbo for cl100k_base. */
  static forEncoding(encoding: i32): ChatFormat {
    const f = new ChatFormat();
    if (encoding != ENCODING_O200K) f.funcInit = 10;
    return f;
  }
}

// Scratch for "a:b:c" lines built from separate byte ranges.
let lineAt: usize = 0;
let lineCap: usize = 0;
let lineLen: usize = 0;

function lineReset(): void {
  lineLen = 0;
}

function lineAppend(ptr: usize, len: usize): void {
  if (lineLen + len > lineCap) {
    let cap = max<usize>(lineCap * 2, 256);
    while (cap < lineLen + len) cap <<= 1;
    const next = heap.alloc(cap);
    if (lineLen > 0) memory.copy(next, lineAt, lineLen);
    if (lineAt != 0) heap.free(lineAt);
    lineAt = next;
    lineCap = cap;
  }
  if (len > 0) memory.copy(lineAt + lineLen, ptr, len);
  lineLen += len;
}

const COLON: usize = memory.data<u8>([0x3a]);

// @ts-ignore: decorator
@inline
function withoutFinalPeriod(ptr: usize, len: usize): usize {
  return len > 0 && load<u8>(ptr + len - 1) == 0x2e ? len - 1 : len;
}

/**
 * Accumulates a request's prompt tokens. Call message() once per message, then field() for its
 * string fields (role, content text, ...) and name() for its name; tool functions likewise.
 * A tokenizer error makes total() return that (negative) error.
 */
export class ChatTokenCounter {
  private sum: i32 = 0;
  private error: i32 = 0;
  private functions: i32 = 0;

  constructor(public encoding: i32, public format: ChatFormat = ChatFormat.forEncoding(encoding)) {}

  private add(n: i32): void {
    if (n < 0) { if (this.error == 0) this.error = n; }
    else this.sum += n;
  }

  message(): void {
    this.sum += this.format.perMessage;
  }

  /** A string field of the current message (role, content or one text part of it, ...). */
  field(ptr: usize, len: usize): void {
    this.add(countTokens(ptr, len, this.encoding));
  }

  name(ptr: usize, len: usize): void {
    this.add(countTokens(ptr, len, this.encoding));
    this.sum += this.format.perName;
  }

  /** A function tool: its name and description (description may be empty). */
  toolFunction(namePtr: usize, nameLen: usize, descPtr: usize, descLen: usize): void {
    this.functions++;
    this.sum += this.format.funcInit;
    lineReset();
    lineAppend(namePtr, nameLen);
    lineAppend(COLON, 1);
    lineAppend(descPtr, withoutFinalPeriod(descPtr, descLen));
    this.add(countTokens(lineAt, lineLen, this.encoding));
  }

  /** Before the first property of the current function, when it has any. */
  toolProperties(): void {
    this.sum += this.format.propInit;
  }

  /** One top-level property of the current function's parameters. */
  toolProperty(keyPtr: usize, keyLen: usize, typePtr: usize, typeLen: usize, descPtr: usize, descLen: usize): void {
    this.sum += this.format.propKey;
    lineReset();
    lineAppend(keyPtr, keyLen);
    lineAppend(COLON, 1);
    lineAppend(typePtr, typeLen);
    lineAppend(COLON, 1);
    lineAppend(descPtr, withoutFinalPeriod(descPtr, descLen));
    this.add(countTokens(lineAt, lineLen, this.encoding));
  }

  /** The current property has an enum (call before its items). */
  toolEnum(): void {
    this.sum += this.format.enumInit;
  }

  toolEnumItem(ptr: usize, len: usize): void {
    this.sum += this.format.enumItem;
    this.add(countTokens(ptr, len, this.encoding));
  }

  total(): i32 {
    if (this.error != 0) return this.error;
    return this.sum + this.format.priming + (this.functions > 0 ? this.format.funcEnd : 0);
  }
}
