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
// figure is a floor and is marked estimated.
//
// Estimated: everything else, as ceil(text bytes / bytes-per-token of the model family), where
// text bytes are the unescaped string values of the body other than `model`. The per-family
// factors and the error measured on the recordings are in host-tests/providers-request.test.ts.
import {
  JsonScanner, TOK_OBJECT_START, TOK_ARRAY_START, TOK_OBJECT_END, TOK_ARRAY_END, TOK_KEY, TOK_STRING,
  TOK_END, unescapeJsonString,
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

// Bytes of text per token, x100. 4.00 is the usual English rule of thumb; the others are first
// guesses, not yet fitted: the recordings are too small to fit them, and the error is dominated
// by what the body does not show (tool system prompts, chat templates), not by the ratio.
// host-tests/providers-request.test.ts prints the measured error per recording.
const BYTES_PER_TOKEN_X100: StaticArray<i32> = [400, 400, 350, 400, 380, 350, 350, 400];

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
      out.source = isReasoningModel(rec.modelPtr, <usize>rec.modelLen) ? FigureSource.Estimated : FigureSource.Counted;
      return;
    }
  }
  const bytes = textBytes(ptr, len);
  if (bytes < 0) return;
  const per = <i64>BYTES_PER_TOKEN_X100[out.family];
  out.tokens = (bytes * 100 + per - 1) / per;
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

// Sum of unescaped string-value bytes except the top-level model; -1 if not JSON.
function textBytes(ptr: usize, len: usize): i64 {
  const sc = scanner;
  sc.reset(ptr, len);
  let total: i64 = 0;
  let skipNext = false;
  while (true) {
    const t = sc.next();
    if (t < 0) return -1;
    if (t == TOK_END) return total;
    if (t == TOK_KEY) { skipNext = sc.depth == 1 && eqAscii(sc.tokenPtr, sc.tokenLen, "model"); continue; }
    if (t == TOK_STRING) {
      if (!skipNext) {
        // Escapes are mostly \n and \" (one byte each once decoded): the span is close enough
        // except for \uXXXX, which this estimate does not need to be precise about.
        total += <i64>sc.tokenLen;
      }
    }
    skipNext = false;
  }
  return total;
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
