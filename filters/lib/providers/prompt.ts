// Prompt tokens before the request leaves (DESIGN.md principle 3: counted where the vocabulary
// is public, estimated with a stated error otherwise).
//
// Counted: OpenAI-dialect chat-completions and embeddings whose model is an OpenAI model, with
// the tokenizer's ChatTokenCounter (messages: string fields, text content parts, name; function
// tools with top-level properties and enums) and the model's encoding:
//   o200k_base   gpt-4o*, chatgpt-4o*, gpt-4.1*, gpt-4.5*, gpt-5*, o1*, o3*, o4*
//   cl100k_base  gpt-4*, gpt-3.5*, gpt-35* (Azure spelling), text-embedding-3*, text-embedding-ada-002
// An "openai/" prefix (OpenRouter's naming) is ignored. Reasoning models (o-series, gpt-5) add
// hidden prompt tokens the formula does not know (recorded: 124 counted, 208 billed), so their
// figure is the larger of that floor and the estimate below, and is marked estimated.
//
// Estimated: everything else, with a per-family model of what the provider bills (template
// overhead per request and per message, tool-use system prompts, tool definitions as JSON, text
// bytes over an ASCII and a non-ASCII bytes-per-token ratio; text BPE-counted where the model's
// vocabulary is known, e.g. the Responses API). The model, its parameters with their sources and
// the error measured on the recordings are in filters/token-meter/ESTIMATES.md.
import {
  JsonScanner, TOK_OBJECT_START, TOK_ARRAY_START, TOK_OBJECT_END, TOK_ARRAY_END, TOK_KEY, TOK_STRING,
  TOK_END, JSON_DEFAULT_MAX_DEPTH, unescapeJsonString,
} from "../json-scan";
import { eqAscii, startsWithAscii } from "../bytes";
import { ChatTokenCounter, countTokens, ENCODING_O200K, ENCODING_CL100K } from "../tokenizer";
import { FigureSource, Operation } from "./types";
import { Recognition } from "./recognise";

export const ENCODING_NONE: i32 = -1;

export class PromptCount {
  tokens: i64 = 0;
  source: FigureSource = FigureSource.Missing;
  /** The encoding used when counted, else ENCODING_NONE. */
  encoding: i32 = ENCODING_NONE;
  /** Estimation family (FAMILY_*), for metrics and the error table. */
  family: i32 = 0;
}

/** Encoding of an OpenAI model name, or ENCODING_NONE when its vocabulary is not known here. */
export function encodingForModel(ptr: usize, len: usize): i32 {
  if (startsWithAscii(ptr, len, "openai/")) { ptr += 7; len -= 7; }
  if (startsWithAscii(ptr, len, "gpt-4o") || startsWithAscii(ptr, len, "chatgpt-4o") || startsWithAscii(ptr, len, "gpt-4.1") ||
      startsWithAscii(ptr, len, "gpt-4.5") || startsWithAscii(ptr, len, "gpt-5") || startsWithAscii(ptr, len, "o1") ||
      startsWithAscii(ptr, len, "o3") || startsWithAscii(ptr, len, "o4")) return ENCODING_O200K;
  if (startsWithAscii(ptr, len, "gpt-4") || startsWithAscii(ptr, len, "gpt-3.5") || startsWithAscii(ptr, len, "gpt-35") ||
      startsWithAscii(ptr, len, "text-embedding-3") || eqAscii(ptr, len, "text-embedding-ada-002")) return ENCODING_CL100K;
  return ENCODING_NONE;
}

function isReasoningModel(ptr: usize, len: usize): bool {
  if (startsWithAscii(ptr, len, "openai/")) { ptr += 7; len -= 7; }
  return startsWithAscii(ptr, len, "gpt-5") || startsWithAscii(ptr, len, "o1") || startsWithAscii(ptr, len, "o3") ||
    startsWithAscii(ptr, len, "o4");
}

export const FAMILY_DEFAULT: i32 = 0;
export const FAMILY_OPENAI: i32 = 1;
export const FAMILY_CLAUDE: i32 = 2;
export const FAMILY_GEMINI: i32 = 3;
export const FAMILY_LLAMA: i32 = 4;
export const FAMILY_MISTRAL: i32 = 5;
export const FAMILY_QWEN: i32 = 6;
export const FAMILY_NOVA: i32 = 7;

// The estimate's parameters, per family (index FAMILY_*). Values and sources are in
// filters/token-meter/ESTIMATES.md; host-tests/prompt-estimates.test.ts holds the measured error
// to the bounds stated there, so change them together.
// Tokens every request pays whatever it says (BOS, the assistant primer of a chat template).
const BASE: StaticArray<i32> = [3, 3, 4, 0, 5, 1, 3, 0];
// Tokens each message pays (role markers and separators of the template).
const PER_MESSAGE: StaticArray<i32> = [3, 3, 3, 0, 5, 2, 5, 0];
// ASCII bytes per token, x100 (also applied to tool definitions' raw JSON).
const ASCII_BYTES_PER_TOKEN_X100: StaticArray<i32> = [400, 400, 350, 400, 450, 425, 400, 430];
// Non-ASCII bytes per token, x100: CJK is ~1 token per 3-byte character and other scripts split
// finer than English in the public vocabularies; no recording has such text, so this is an
// assumption, not a fit.
const NON_ASCII_BYTES_PER_TOKEN_X100: i32 = 250;
// Tokens per tool definition beyond its JSON (Claude: fitted; see ESTIMATES.md).
const PER_TOOL: StaticArray<i32> = [0, 0, 55, 0, 0, 0, 0, 0];
// The tool-use system prompt Nova adds when tools are present (undocumented: fitted).
const NOVA_TOOL_PROMPT: i32 = 330;
// The system prompt Claude adds when extended thinking is on (undocumented: fitted).
const CLAUDE_THINKING: i32 = 28;

// Anthropic's documented tool-use system prompt, by model and tool_choice (auto/none vs any/tool).
function claudeToolPrompt(p: usize, n: usize, forced: bool): i32 {
  if (indexOf(p, n, "3-5-haiku") >= 0 || indexOf(p, n, "3-haiku") >= 0) return forced ? 340 : 264;
  if (indexOf(p, n, "3-opus") >= 0) return forced ? 281 : 530;
  if (indexOf(p, n, "3-5-sonnet") >= 0) return forced ? 261 : 294;
  if (indexOf(p, n, "3-sonnet") >= 0) return forced ? 235 : 159;
  return forced ? 313 : 346;
}

export function familyOf(rec: Recognition): i32 {
  const p = rec.modelPtr, n = <usize>rec.modelLen;
  if (indexOf(p, n, "claude") >= 0) return FAMILY_CLAUDE;
  if (indexOf(p, n, "gemini") >= 0 || indexOf(p, n, "gemma") >= 0) return FAMILY_GEMINI;
  if (indexOf(p, n, "llama") >= 0) return FAMILY_LLAMA;
  if (indexOf(p, n, "mistral") >= 0 || indexOf(p, n, "mixtral") >= 0 || indexOf(p, n, "codestral") >= 0) return FAMILY_MISTRAL;
  if (indexOf(p, n, "qwen") >= 0) return FAMILY_QWEN;
  if (indexOf(p, n, "nova") >= 0) return FAMILY_NOVA;
  if (encodingForModel(p, n) != ENCODING_NONE || indexOf(p, n, "gpt") >= 0) return FAMILY_OPENAI;
  return FAMILY_DEFAULT;
}

function indexOf(ptr: usize, len: usize, lit: string): isize {
  const n = <usize>lit.length;
  if (n > len) return -1;
  for (let i: usize = 0; i + n <= len; i++) if (eqAscii(ptr + i, n, lit)) return <isize>i;
  return -1;
}

// Unescape scratch, grown on demand (never more than the body's size).
let scratch: usize = 0;
let scratchCap: usize = 0;

function ensureScratch(n: usize): usize {
  if (n > scratchCap) {
    let cap = max<usize>(scratchCap * 2, 1024);
    while (cap < n) cap <<= 1;
    if (scratch != 0) heap.free(scratch);
    scratch = heap.alloc(cap);
    scratchCap = cap;
  }
  return scratch;
}

const scanner = new JsonScanner();
const inner = new JsonScanner();

/**
 * Prompt tokens of a recognised request. Counted (exact BPE) where possible, estimated
 * otherwise, Missing for unknown operations or unreadable bodies. Never traps.
 */
export function countPrompt(rec: Recognition, ptr: usize, len: usize, out: PromptCount): void {
  out.tokens = 0;
  out.source = FigureSource.Missing;
  out.encoding = ENCODING_NONE;
  out.family = familyOf(rec);
  if (rec.operation == Operation.Unknown || len == 0 || rec.bodyStatus != 0) return;
  const op = rec.operation;
  const enc = encodingForModel(rec.modelPtr, <usize>rec.modelLen);
  if (enc != ENCODING_NONE && (op == Operation.ChatCompletions || op == Operation.Embeddings)) {
    const n = op == Operation.ChatCompletions ? countChat(ptr, len, enc) : countEmbeddingInput(ptr, len, enc);
    if (n >= 0) {
      out.tokens = n;
      out.encoding = enc;
      out.source = FigureSource.Counted;
      if (isReasoningModel(rec.modelPtr, <usize>rec.modelLen)) {
        // The public formula is a floor here: these models render the chat in their own format
        // (tools in full, a system preamble), which the estimate's raw tool JSON follows closer.
        const est = estimate(out.family, enc, true, rec.modelPtr, <usize>rec.modelLen, ptr, len);
        if (est > n) out.tokens = est;
        out.source = FigureSource.Estimated;
      }
      return;
    }
  }
  const est = estimate(out.family, enc, op != Operation.Embeddings, rec.modelPtr, <usize>rec.modelLen, ptr, len);
  if (est < 0) return;
  out.tokens = est;
  out.source = FigureSource.Estimated;
}

// The string at the scanner's current token, unescaped; returns its length (or -1).
function strAt(sc: JsonScanner): isize {
  const p = sc.tokenPtr, n = sc.tokenLen;
  if (!sc.escaped) { lastPtr = p; return <isize>n; }
  const buf = ensureScratch(n);
  const r = unescapeJsonString(p, n, buf, n);
  lastPtr = buf;
  return r;
}
let lastPtr: usize = 0;

// What the estimate reads from a body, filled by scanBody.
let asciiBytes: i64 = 0;
let nonAsciiBytes: i64 = 0;
let bpeTokens: i64 = 0;
let toolJsonBytes: i64 = 0;
let messageCount: i32 = 0;
let toolCount: i32 = 0;
let toolForced = false;
let thinkingOn = false;

// Top-level keys the walk treats specially.
const TOP_OTHER: i32 = 0;
const TOP_MESSAGES: i32 = 1;
const TOP_TOOLS: i32 = 2;
const TOP_TOOL_CONFIG: i32 = 3;
const TOP_TOOL_CHOICE: i32 = 4;
const TOP_THINKING: i32 = 5;

// Per open container (index = depth): whether its string elements are prompt text.
const contentAt = new StaticArray<u8>(JSON_DEFAULT_MAX_DEPTH + 2);

/**
 * Estimated prompt tokens of a body that cannot be counted exactly, or -1 if it is not JSON:
 *   base + per-message × messages + tool prompt + per-tool × tools + thinking prompt
 *   + ASCII text bytes ÷ ASCII ratio + non-ASCII bytes ÷ non-ASCII ratio + tool JSON ÷ ASCII ratio.
 * For OpenAI models (enc known, e.g. the Responses API) the text is BPE-counted instead.
 */
function estimate(family: i32, enc: i32, chat: bool, modelPtr: usize, modelLen: usize, ptr: usize, len: usize): i64 {
  if (!scanBody(ptr, len, enc)) return -1;
  const a = <f64>ASCII_BYTES_PER_TOKEN_X100[family] / 100.0;
  const na = <f64>NON_ASCII_BYTES_PER_TOKEN_X100 / 100.0;
  // Embeddings have no chat template around the text.
  let t = chat ? <f64>BASE[family] + <f64>PER_MESSAGE[family] * <f64>messageCount : 0.0;
  t += <f64>asciiBytes / a + <f64>nonAsciiBytes / na + <f64>bpeTokens;
  if (toolCount > 0 || toolJsonBytes > 0) {
    t += <f64>toolJsonBytes / a + <f64>PER_TOOL[family] * <f64>toolCount;
    if (toolCount > 0) {
      if (family == FAMILY_CLAUDE) t += <f64>claudeToolPrompt(modelPtr, modelLen, toolForced);
      else if (family == FAMILY_NOVA) t += <f64>NOVA_TOOL_PROMPT;
    }
  }
  if (thinkingOn && family == FAMILY_CLAUDE) t += <f64>CLAUDE_THINKING;
  // Rounded, not ceiled: a ceiling doubles one-token prompts. A body with any text is >= 1.
  let n = <i64>Math.floor(t + 0.5);
  if (n < 1 && (asciiBytes + nonAsciiBytes + bpeTokens + toolJsonBytes) > 0) n = 1;
  return n < 0 ? 0 : n;
}

// Bytes of a JSON span without the whitespace between tokens: clients differ there (Python's
// json.dumps spaces every separator) and providers re-render the JSON, so it is not billed.
function compactJsonBytes(p: usize, n: usize): i64 {
  let count: i64 = 0;
  let inString = false;
  for (let i: usize = 0; i < n; i++) {
    const c = load<u8>(p + i);
    if (inString) {
      count++;
      if (c == 0x5C) { if (i + 1 < n) { count++; i++; } } else if (c == 0x22) inString = false;
    } else if (c != 0x20 && c != 0x0A && c != 0x0D && c != 0x09) {
      count++;
      if (c == 0x22) inString = true;
    }
  }
  return count;
}

function isContentKey(p: usize, n: usize): bool {
  return eqAscii(p, n, "text") || eqAscii(p, n, "content") || eqAscii(p, n, "system") || eqAscii(p, n, "input") ||
    eqAscii(p, n, "prompt") || eqAscii(p, n, "instructions") || eqAscii(p, n, "description") || eqAscii(p, n, "name") ||
    eqAscii(p, n, "arguments") || eqAscii(p, n, "output") || eqAscii(p, n, "args");
}

function addText(p: usize, n: usize, enc: i32): bool {
  if (enc != ENCODING_NONE) {
    const c = countTokens(p, n, enc);
    if (c < 0) return false;
    bpeTokens += <i64>c;
    return true;
  }
  let non: i64 = 0;
  for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) >= 0x80) non++;
  nonAsciiBytes += non;
  asciiBytes += <i64>n - non;
  return true;
}

// One pass over the body. Prompt text is the string values under content keys (text, content,
// system, ...), so enum-like values (roles, types, safety settings, "include" lists) are not
// taken for text; tool definitions and structured arguments are rendered into the prompt by
// the provider, so their raw JSON is what counts there.
function scanBody(ptr: usize, len: usize, enc: i32): bool {
  asciiBytes = 0; nonAsciiBytes = 0; bpeTokens = 0; toolJsonBytes = 0;
  messageCount = 0; toolCount = 0; toolForced = false; thinkingOn = false;
  const sc = scanner;
  sc.reset(ptr, len);
  let top = TOP_OTHER;      // the current top-level key
  let keyContent = false;   // the pending value's key is a content key
  let keyPtr: usize = 0, keyLen: usize = 0;
  let expectValue = false;  // a key was read and its value not yet
  let toolsDepth = 0;       // depth of the open tools array, 0 if none
  let toolsStart: usize = 0;
  let messagesDepth = 0;    // depth of the open messages array, 0 if none
  let pendingToolElem = false;
  store<u8>(changetype<usize>(contentAt), 0);
  while (true) {
    const t = sc.next();
    if (t < 0) return false;
    if (t == TOK_END) return true;
    const d = sc.depth;
    if (t == TOK_KEY) {
      keyPtr = sc.tokenPtr; keyLen = sc.tokenLen;
      keyContent = isContentKey(keyPtr, keyLen);
      expectValue = true;
      if (d == 1) {
        top = eqAscii(keyPtr, keyLen, "messages") || eqAscii(keyPtr, keyLen, "contents") || eqAscii(keyPtr, keyLen, "input") ||
          eqAscii(keyPtr, keyLen, "prompt") ? TOP_MESSAGES
          : eqAscii(keyPtr, keyLen, "tools") || eqAscii(keyPtr, keyLen, "functions") || eqAscii(keyPtr, keyLen, "response_format") ? TOP_TOOLS
          : eqAscii(keyPtr, keyLen, "toolConfig") ? TOP_TOOL_CONFIG
          : eqAscii(keyPtr, keyLen, "tool_choice") ? TOP_TOOL_CHOICE
          : eqAscii(keyPtr, keyLen, "thinking") ? TOP_THINKING : TOP_OTHER;
      } else if (pendingToolElem && d == toolsDepth + 1) {
        // A tool element's first key: Bedrock's cache checkpoints are not tools.
        if (!eqAscii(keyPtr, keyLen, "cachePoint")) toolCount++;
        pendingToolElem = false;
      } else if (d == 2 && top == TOP_TOOL_CONFIG && eqAscii(keyPtr, keyLen, "toolChoice")) {
        // Bedrock: {"any":{}} or {"tool":{...}} force a tool; peek at the member name.
        const u = sc.next();
        if (u < 0) return false;
        if (u == TOK_OBJECT_START) {
          const k = sc.next();
          if (k < 0) return false;
          if (k == TOK_KEY) toolForced = eqAscii(sc.tokenPtr, sc.tokenLen, "any") || eqAscii(sc.tokenPtr, sc.tokenLen, "tool");
          if (k != TOK_OBJECT_END && sc.skip() < 0) return false;
        } else if (u == TOK_ARRAY_START && sc.skip() < 0) return false;
        expectValue = false;
      }
      continue;
    }
    if (t == TOK_OBJECT_START || t == TOK_ARRAY_START) {
      const parentInArray = !sc.isObjectAt(d - 1) && d > 1;
      // Tools: the array under a top-level tools key, or toolConfig.tools (Bedrock).
      if (toolsDepth == 0 && expectValue && ((d == 2 && top == TOP_TOOLS) ||
          (d == 3 && top == TOP_TOOL_CONFIG && eqAscii(keyPtr, keyLen, "tools")))) {
        toolsStart = sc.start;
        if (t == TOK_OBJECT_START) {
          // response_format / a single object: its JSON, no tool count.
          if (sc.skip() < 0) return false;
          toolJsonBytes += compactJsonBytes(ptr + toolsStart, sc.end - toolsStart);
          expectValue = false;
          continue;
        }
        toolsDepth = d;
      } else if (toolsDepth != 0 && d == toolsDepth + 1 && t == TOK_OBJECT_START) {
        pendingToolElem = true;
      } else if (toolsDepth == 0 && expectValue && t == TOK_OBJECT_START && keyContent &&
          (eqAscii(keyPtr, keyLen, "input") || eqAscii(keyPtr, keyLen, "arguments") || eqAscii(keyPtr, keyLen, "args"))) {
        // Structured tool-call arguments in the history: the provider renders their JSON.
        const s = sc.start;
        if (sc.skip() < 0) return false;
        toolJsonBytes += compactJsonBytes(ptr + s, sc.end - s);
        expectValue = false;
        continue;
      } else if (d == 2 && top == TOP_MESSAGES && t == TOK_ARRAY_START && expectValue) {
        messagesDepth = d;
      } else if (messagesDepth != 0 && d == messagesDepth + 1 && t == TOK_OBJECT_START) {
        messageCount++;
      }
      if (d <= JSON_DEFAULT_MAX_DEPTH + 1) {
        const c: u8 = parentInArray ? load<u8>(changetype<usize>(contentAt) + <usize>(d - 1)) : (expectValue && keyContent ? 1 : 0);
        store<u8>(changetype<usize>(contentAt) + <usize>d, c);
      }
      expectValue = false;
      continue;
    }
    if (t == TOK_OBJECT_END || t == TOK_ARRAY_END) {
      if (toolsDepth != 0 && d == toolsDepth - 1) {
        toolJsonBytes += compactJsonBytes(ptr + toolsStart, sc.end - toolsStart);
        toolsDepth = 0;
        pendingToolElem = false;
      }
      if (messagesDepth != 0 && d == messagesDepth - 1) messagesDepth = 0;
      expectValue = false;
      continue;
    }
    // A scalar.
    if (t == TOK_STRING && toolsDepth == 0) {
      const inArray = d >= 1 && !sc.isObjectAt(d);
      const isText = inArray ? load<u8>(changetype<usize>(contentAt) + <usize>d) != 0 : expectValue && keyContent;
      if (d == 1 && top == TOP_MESSAGES && expectValue) messageCount++; // a bare string prompt
      if (d == 2 && top == TOP_TOOL_CHOICE && expectValue && eqAscii(keyPtr, keyLen, "type")) {
        toolForced = eqAscii(sc.tokenPtr, sc.tokenLen, "any") || eqAscii(sc.tokenPtr, sc.tokenLen, "tool");
      }
      if (d == 2 && top == TOP_THINKING && expectValue && eqAscii(keyPtr, keyLen, "type")) {
        thinkingOn = eqAscii(sc.tokenPtr, sc.tokenLen, "enabled") || eqAscii(sc.tokenPtr, sc.tokenLen, "adaptive");
      }
      if (isText) {
        const n = strAt(sc);
        if (n < 0) return false;
        if (!addText(lastPtr, <usize>n, enc)) return false;
      }
    }
    expectValue = false;
  }
  return true;
}

// Embeddings input: a string or an array of strings (token arrays are already tokens: counted as
// their length).
function countEmbeddingInput(ptr: usize, len: usize, enc: i32): i64 {
  const sc = scanner;
  sc.reset(ptr, len);
  let t = sc.next();
  if (t != TOK_OBJECT_START) return -1;
  let total: i64 = -1;
  while (true) {
    t = sc.next();
    if (t < 0) return -1;
    if (t == TOK_OBJECT_END || t == TOK_END) return total;
    if (t != TOK_KEY) return -1;
    const isInput = eqAscii(sc.tokenPtr, sc.tokenLen, "input");
    t = sc.next();
    if (t < 0) return -1;
    if (!isInput) { if (t == TOK_OBJECT_START || t == TOK_ARRAY_START) { if (sc.skip() < 0) return -1; } continue; }
    total = 0;
    if (t == TOK_STRING) {
      const n = strAt(sc);
      if (n < 0) return -1;
      const c = countTokens(lastPtr, <usize>n, enc);
      if (c < 0) return -1;
      total = c;
    } else if (t == TOK_ARRAY_START) {
      while (true) {
        t = sc.next();
        if (t < 0) return -1;
        if (t == TOK_ARRAY_END) break;
        if (t == TOK_STRING) {
          const n = strAt(sc);
          if (n < 0) return -1;
          const c = countTokens(lastPtr, <usize>n, enc);
          if (c < 0) return -1;
          total += c;
        } else if (t == TOK_OBJECT_START || t == TOK_ARRAY_START) {
          // An array of token ids: its length is its count.
          if (t == TOK_ARRAY_START) {
            while (true) { const u = sc.next(); if (u < 0) return -1; if (u == TOK_ARRAY_END) break; if (u == TOK_OBJECT_START || u == TOK_ARRAY_START) { if (sc.skip() < 0) return -1; } total++; }
          } else if (sc.skip() < 0) return -1;
        } else total++;
      }
    } else return -1;
  }
  return total;
}

function countChat(ptr: usize, len: usize, enc: i32): i64 {
  const counter = new ChatTokenCounter(enc);
  const sc = scanner;
  sc.reset(ptr, len);
  if (sc.next() != TOK_OBJECT_START) return -1;
  while (true) {
    let t = sc.next();
    if (t < 0) return -1;
    if (t == TOK_OBJECT_END) break;
    if (t != TOK_KEY) return -1;
    const key = sc.tokenPtr, keyLen = sc.tokenLen;
    t = sc.next();
    if (t < 0) return -1;
    if (t == TOK_ARRAY_START && eqAscii(key, keyLen, "messages")) {
      if (!messages(sc, counter)) return -1;
    } else if (t == TOK_ARRAY_START && eqAscii(key, keyLen, "tools")) {
      if (!tools(sc, counter, ptr)) return -1;
    } else if (t == TOK_OBJECT_START || t == TOK_ARRAY_START) {
      if (sc.skip() < 0) return -1;
    }
  }
  const n = counter.total();
  return n < 0 ? -1 : <i64>n;
}

// messages[*]: 3 per message, every string field, text parts of an array content.
function messages(sc: JsonScanner, counter: ChatTokenCounter): bool {
  while (true) {
    let t = sc.next();
    if (t < 0) return false;
    if (t == TOK_ARRAY_END) return true;
    if (t != TOK_OBJECT_START) {
      if (t == TOK_ARRAY_START && sc.skip() < 0) return false;
      continue;
    }
    counter.message();
    while (true) {
      t = sc.next();
      if (t < 0) return false;
      if (t == TOK_OBJECT_END) break;
      const isName = eqAscii(sc.tokenPtr, sc.tokenLen, "name");
      const isContent = eqAscii(sc.tokenPtr, sc.tokenLen, "content");
      t = sc.next();
      if (t < 0) return false;
      if (t == TOK_STRING) {
        const n = strAt(sc);
        if (n < 0) return false;
        if (isName) counter.name(lastPtr, <usize>n);
        else counter.field(lastPtr, <usize>n);
      } else if (t == TOK_ARRAY_START && isContent) {
        if (!contentParts(sc, counter)) return false;
      } else if (t == TOK_OBJECT_START || t == TOK_ARRAY_START) {
        if (sc.skip() < 0) return false;
      }
    }
  }
  return true;
}

// content[*] with type "text": its text. Keys may come in any order, so spans are kept until
// the part closes; the part's text is unescaped then.
function contentParts(sc: JsonScanner, counter: ChatTokenCounter): bool {
  while (true) {
    let t = sc.next();
    if (t < 0) return false;
    if (t == TOK_ARRAY_END) return true;
    if (t != TOK_OBJECT_START) {
      if (t == TOK_ARRAY_START && sc.skip() < 0) return false;
      continue;
    }
    let isText = false;
    let textPtr: usize = 0, textLen: usize = 0, textEscaped = false, hasText = false;
    while (true) {
      t = sc.next();
      if (t < 0) return false;
      if (t == TOK_OBJECT_END) break;
      const kType = eqAscii(sc.tokenPtr, sc.tokenLen, "type");
      const kText = eqAscii(sc.tokenPtr, sc.tokenLen, "text");
      t = sc.next();
      if (t < 0) return false;
      if (t == TOK_STRING) {
        if (kType) isText = !sc.escaped && eqAscii(sc.tokenPtr, sc.tokenLen, "text");
        else if (kText) { textPtr = sc.tokenPtr; textLen = sc.tokenLen; textEscaped = sc.escaped; hasText = true; }
      } else {
        if (kType) isText = false;
        if (kText) hasText = false;
        if ((t == TOK_OBJECT_START || t == TOK_ARRAY_START) && sc.skip() < 0) return false;
      }
    }
    if (isText && hasText) {
      if (!textEscaped) counter.field(textPtr, textLen);
      else {
        const buf = ensureScratch(textLen);
        const n = unescapeJsonString(textPtr, textLen, buf, textLen);
        if (n < 0) return false;
        counter.field(buf, <usize>n);
      }
    }
  }
  return true;
}

// tools[*] with type "function": the function object is re-read once the type is known.
function tools(sc: JsonScanner, counter: ChatTokenCounter, base: usize): bool {
  while (true) {
    let t = sc.next();
    if (t < 0) return false;
    if (t == TOK_ARRAY_END) return true;
    if (t != TOK_OBJECT_START) {
      if (t == TOK_ARRAY_START && sc.skip() < 0) return false;
      continue;
    }
    let isFunction = false;
    let fStart: usize = 0, fEnd: usize = 0, hasF = false;
    while (true) {
      t = sc.next();
      if (t < 0) return false;
      if (t == TOK_OBJECT_END) break;
      const kType = eqAscii(sc.tokenPtr, sc.tokenLen, "type");
      const kFunction = eqAscii(sc.tokenPtr, sc.tokenLen, "function");
      t = sc.next();
      if (t < 0) return false;
      if (kType) isFunction = t == TOK_STRING && !sc.escaped && eqAscii(sc.tokenPtr, sc.tokenLen, "function");
      if (t == TOK_OBJECT_START || t == TOK_ARRAY_START) {
        const s = sc.start;
        if (sc.skip() < 0) return false;
        if (kFunction) { hasF = t == TOK_OBJECT_START; fStart = s; fEnd = sc.end; }
      } else if (kFunction) hasF = false;
    }
    if (isFunction && hasF && !toolFunction(base + fStart, fEnd - fStart, counter)) return false;
  }
  return true;
}

function toolFunction(ptr: usize, len: usize, counter: ChatTokenCounter): bool {
  const sc = inner;
  sc.reset(ptr, len);
  if (sc.next() != TOK_OBJECT_START) return false;
  let nameS: usize = 0, nameL: usize = 0, nameE = false;
  let descS: usize = 0, descL: usize = 0, descE = false;
  let propsS: usize = 0, propsL: usize = 0, hasProps = false;
  while (true) {
    let t = sc.next();
    if (t < 0) return false;
    if (t == TOK_OBJECT_END) break;
    const kName = eqAscii(sc.tokenPtr, sc.tokenLen, "name");
    const kDesc = eqAscii(sc.tokenPtr, sc.tokenLen, "description");
    const kParams = eqAscii(sc.tokenPtr, sc.tokenLen, "parameters");
    t = sc.next();
    if (t < 0) return false;
    if (t == TOK_STRING) {
      if (kName) { nameS = sc.tokenPtr; nameL = sc.tokenLen; nameE = sc.escaped; }
      else if (kDesc) { descS = sc.tokenPtr; descL = sc.tokenLen; descE = sc.escaped; }
    } else if (t == TOK_OBJECT_START && kParams) {
      // parameters.properties: found by walking the parameters object's own keys.
      while (true) {
        let u = sc.next();
        if (u < 0) return false;
        if (u == TOK_OBJECT_END) break;
        const kProps = eqAscii(sc.tokenPtr, sc.tokenLen, "properties");
        u = sc.next();
        if (u < 0) return false;
        if (u == TOK_OBJECT_START || u == TOK_ARRAY_START) {
          const s = sc.start;
          if (sc.skip() < 0) return false;
          if (kProps && u == TOK_OBJECT_START) { propsS = ptr + s; propsL = sc.end - s; hasProps = true; }
        }
      }
    } else if (t == TOK_OBJECT_START || t == TOK_ARRAY_START) {
      if (sc.skip() < 0) return false;
    }
  }
  // Name and description both need unescaping at once: the description goes after the name in
  // the scratch buffer.
  const total = nameL + descL;
  const buf = ensureScratch(total);
  let nl = nameL, dl = descL;
  if (nameE) { const r = unescapeJsonString(nameS, nameL, buf, nameL); if (r < 0) return false; nl = <usize>r; } else memory.copy(buf, nameS, nameL);
  if (descE) { const r = unescapeJsonString(descS, descL, buf + nl, descL); if (r < 0) return false; dl = <usize>r; } else memory.copy(buf + nl, descS, descL);
  counter.toolFunction(buf, nl, buf + nl, dl);
  if (hasProps) return properties(propsS, propsL, counter);
  return true;
}

// Each top-level property: key, type, description, enum items (strings; other scalars as their
// JSON text, which is String(value) for numbers and booleans).
function properties(ptr: usize, len: usize, counter: ChatTokenCounter): bool {
  const sc = inner;
  sc.reset(ptr, len);
  if (sc.next() != TOK_OBJECT_START) return false;
  let first = true;
  while (true) {
    let t = sc.next();
    if (t < 0) return false;
    if (t == TOK_OBJECT_END) break;
    const keyS = sc.tokenPtr, keyL = sc.tokenLen, keyE = sc.escaped;
    if (first) { counter.toolProperties(); first = false; }
    t = sc.next();
    if (t < 0) return false;
    let typeS: usize = 0, typeL: usize = 0, typeE = false;
    let descS: usize = 0, descL: usize = 0, descE = false;
    if (t == TOK_OBJECT_START) {
      while (true) {
        let u = sc.next();
        if (u < 0) return false;
        if (u == TOK_OBJECT_END) break;
        const kType = eqAscii(sc.tokenPtr, sc.tokenLen, "type");
        const kDesc = eqAscii(sc.tokenPtr, sc.tokenLen, "description");
        const kEnum = eqAscii(sc.tokenPtr, sc.tokenLen, "enum");
        u = sc.next();
        if (u < 0) return false;
        if (u == TOK_STRING) {
          if (kType) { typeS = sc.tokenPtr; typeL = sc.tokenLen; typeE = sc.escaped; }
          else if (kDesc) { descS = sc.tokenPtr; descL = sc.tokenLen; descE = sc.escaped; }
        } else if (u == TOK_ARRAY_START && kEnum) {
          counter.toolEnum();
          while (true) {
            const v = sc.next();
            if (v < 0) return false;
            if (v == TOK_ARRAY_END) break;
            if (v == TOK_OBJECT_START || v == TOK_ARRAY_START) { if (sc.skip() < 0) return false; continue; }
            if (v == TOK_STRING) {
              const n = strAt(sc);
              if (n < 0) return false;
              counter.toolEnumItem(lastPtr, <usize>n);
            } else counter.toolEnumItem(sc.tokenPtr, sc.tokenLen);
          }
        } else if (u == TOK_OBJECT_START || u == TOK_ARRAY_START) {
          if (sc.skip() < 0) return false;
        }
      }
    } else if (t == TOK_ARRAY_START) {
      if (sc.skip() < 0) return false;
    }
    const total = keyL + typeL + descL;
    const buf = ensureScratch(total);
    const kl = put(buf, keyS, keyL, keyE);
    if (kl < 0) return false;
    const tl = put(buf + <usize>kl, typeS, typeL, typeE);
    if (tl < 0) return false;
    const dl = put(buf + <usize>kl + <usize>tl, descS, descL, descE);
    if (dl < 0) return false;
    counter.toolProperty(buf, <usize>kl, buf + <usize>kl, <usize>tl, buf + <usize>kl + <usize>tl, <usize>dl);
  }
  return true;
}

function put(dst: usize, src: usize, len: usize, escaped: bool): isize {
  if (!escaped) { memory.copy(dst, src, len); return <isize>len; }
  return unescapeJsonString(src, len, dst, len);
}
