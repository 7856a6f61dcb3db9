// The request fields the meter needs before forwarding (USAGE.md §2 "Request fields"): model,
// stream, output cap per choice, n, stream_options.include_usage. One pass of the path matcher
// over the body; values are read in place. Semantics follow the oracle's JSON.parse reading:
// the last duplicate key wins, `??` falls through only on absent or null, integers are JSON
// numbers with an integral value (12.0 and 1e3 count, "12" and 1.5 do not).
import {
  JsonPathSet, JsonPathMatcher, PATH_DONE, TOK_NULL, TOK_TRUE, TOK_FALSE, TOK_NUMBER, TOK_STRING,
  readJsonInteger, parsedI64, unescapeJsonString, NUM_OK, NUM_OVERFLOW,
} from "../json-scan";
import { Provider, Operation } from "./types";
import { Recognition, ModelSource, MODEL_MAX, recognisePath } from "./recognise";

/** Body read: fields taken. */
export const REQUEST_OK: i32 = 0;
/** No body: the operation stands, model/cap unknown. */
export const REQUEST_EMPTY: i32 = 1;
/** Not JSON (or deeper than the scanner allows): the operation stands, nothing read from it. */
export const REQUEST_MALFORMED: i32 = 2;
/** Operation unknown: the body was not looked at. */
export const REQUEST_SKIPPED: i32 = 3;

const P_MODEL = 0;
const P_STREAM = 1;
const P_MAX_TOKENS = 2;
const P_MAX_COMPLETION = 3;
const P_MAX_OUTPUT = 4;
const P_N = 5;
const P_GC = 6;
const P_GC_SNAKE = 7;
const P_GC_MAX = 8;
const P_GC_MAX_SNAKE = 9;
const P_GC_CAND = 10;
const P_GC_CAND_SNAKE = 11;
const P_GCS_MAX = 12;
const P_GCS_MAX_SNAKE = 13;
const P_GCS_CAND = 14;
const P_GCS_CAND_SNAKE = 15;
const P_INFERENCE = 16;
const P_INFERENCE_MAX = 17;
const P_OPTIONS = 18;
const P_NUM_PREDICT = 19;
const P_STREAM_OPTIONS = 20;
const P_INCLUDE_USAGE = 21;

let matcher: JsonPathMatcher | null = null;

// Built on first use: paths are compiled once per VM, not per request.
function requestMatcher(): JsonPathMatcher {
  let m = matcher;
  if (m != null) return m;
  const set = new JsonPathSet();
  const paths: string[] = [
    "model", "stream", "max_tokens", "max_completion_tokens", "max_output_tokens", "n",
    "generationConfig", "generation_config",
    "generationConfig.maxOutputTokens", "generationConfig.max_output_tokens",
    "generationConfig.candidateCount", "generationConfig.candidate_count",
    "generation_config.maxOutputTokens", "generation_config.max_output_tokens",
    "generation_config.candidateCount", "generation_config.candidate_count",
    "inferenceConfig", "inferenceConfig.maxTokens", "options", "options.num_predict",
    "stream_options", "stream_options.include_usage",
  ];
  for (let i = 0; i < paths.length; i++) set.add(paths[i]);
  m = new JsonPathMatcher(set);
  matcher = m;
  return m;
}

/**
 * Fills rec's body-derived fields for the operation recognisePath decided. Returns REQUEST_*;
 * never traps on any bytes.
 */
export function readRequestBody(rec: Recognition, ptr: usize, len: usize): i32 {
  if (rec.operation == Operation.Unknown) { rec.bodyStatus = REQUEST_SKIPPED; return REQUEST_SKIPPED; }
  // TextDecoder drops a UTF-8 byte-order mark before JSON.parse sees the text.
  if (len >= 3 && load<u8>(ptr) == 0xEF && load<u8>(ptr + 1) == 0xBB && load<u8>(ptr + 2) == 0xBF) { ptr += 3; len -= 3; }
  let status = REQUEST_OK;
  const m = requestMatcher();
  if (len == 0) status = REQUEST_EMPTY;
  else if (m.matchAll(ptr, len) != PATH_DONE) status = REQUEST_MALFORMED;
  rec.bodyStatus = status;
  const ok = status == REQUEST_OK;
  const op = rec.operation;

  // Model: from the body unless the path names it; Azure's deployment only as a fallback.
  if (!rec.modelInPath || rec.pathModelIsFallback) {
    if (ok && kindOf(m, P_MODEL) == TOK_STRING && m.slotEnd[P_MODEL] > m.slotStart[P_MODEL]) {
      takeBodyModel(rec, m, ptr);
    } else if (!rec.pathModelIsFallback) {
      rec.modelLen = 0;
      rec.modelSource = ModelSource.None;
    }
  }

  if (op == Operation.OllamaChat || op == Operation.OllamaGenerate) {
    rec.stream = !(ok && kindOf(m, P_STREAM) == TOK_FALSE);
  } else if (op == Operation.ChatCompletions || op == Operation.Completions || op == Operation.Responses || op == Operation.Messages) {
    // Vertex streamRawPredict streams whatever the body says; the others only when it says so.
    rec.stream = rec.streamByPath || (ok && kindOf(m, P_STREAM) == TOK_TRUE);
  }
  // Embeddings never stream; Gemini and Bedrock stream by path alone (set by recognisePath).

  if (ok) {
    if (m.slotCount[P_INCLUDE_USAGE] > 0 && within(m, P_INCLUDE_USAGE, P_STREAM_OPTIONS)) {
      rec.includeUsagePresent = true;
      rec.includeUsageTrue = m.slotKind[P_INCLUDE_USAGE] == TOK_TRUE;
    }
    switch (op) {
      case Operation.ChatCompletions:
        if (!takeInt(rec, m, ptr, P_MAX_COMPLETION, -1)) takeInt(rec, m, ptr, P_MAX_TOKENS, -1);
        takeN(rec, m, ptr, P_N, -1);
        break;
      case Operation.Completions:
        takeInt(rec, m, ptr, P_MAX_TOKENS, -1);
        takeN(rec, m, ptr, P_N, -1);
        break;
      case Operation.Responses:
        takeInt(rec, m, ptr, P_MAX_OUTPUT, -1);
        break;
      case Operation.Messages:
      case Operation.Invoke:
      case Operation.InvokeStream:
        takeInt(rec, m, ptr, P_MAX_TOKENS, -1);
        break;
      case Operation.Converse:
      case Operation.ConverseStream:
        takeInt(rec, m, ptr, P_INFERENCE_MAX, P_INFERENCE);
        break;
      case Operation.GenerateContent:
      case Operation.StreamGenerateContent: {
        // generationConfig ?? generation_config, then camelCase ?? snake_case inside it.
        const camel = m.slotCount[P_GC] > 0 && m.slotKind[P_GC] != TOK_NULL;
        const gc = camel ? P_GC : P_GC_SNAKE;
        const max = camel ? P_GC_MAX : P_GCS_MAX;
        const maxSnake = camel ? P_GC_MAX_SNAKE : P_GCS_MAX_SNAKE;
        const cand = camel ? P_GC_CAND : P_GCS_CAND;
        const candSnake = camel ? P_GC_CAND_SNAKE : P_GCS_CAND_SNAKE;
        takeInt(rec, m, ptr, present(m, max, gc) ? max : maxSnake, gc);
        takeN(rec, m, ptr, present(m, cand, gc) ? cand : candSnake, gc);
        break;
      }
      case Operation.OllamaChat:
      case Operation.OllamaGenerate:
        // -1 (infinite) and -2 (fill the context) are no cap.
        if (takeInt(rec, m, ptr, P_NUM_PREDICT, P_OPTIONS) && rec.outputCap < 0) { rec.hasOutputCap = false; rec.outputCap = 0; }
        break;
      default:
        break;
    }
  }
  return status;
}

/** recognisePath then readRequestBody: the whole of USAGE.md's `recognise`. */
export function recogniseRequest(
  rec: Recognition,
  methodPtr: usize, methodLen: usize,
  pathPtr: usize, pathLen: usize,
  authorityPtr: usize, authorityLen: usize,
  hasApiKey: bool,
  bodyPtr: usize, bodyLen: usize,
): i32 {
  recognisePath(rec, methodPtr, methodLen, pathPtr, pathLen, authorityPtr, authorityLen, hasApiKey);
  return readRequestBody(rec, bodyPtr, bodyLen);
}

// @ts-ignore: decorator
@inline
function kindOf(m: JsonPathMatcher, p: i32): i32 {
  return m.slotCount[p] > 0 ? m.slotKind[p] : -1;
}

// A nested slot counts only inside the parent that JSON.parse keeps (the last duplicate).
function within(m: JsonPathMatcher, child: i32, parent: i32): bool {
  if (parent < 0) return true;
  if (m.slotCount[parent] == 0) return false;
  return m.slotStart[child] >= m.slotStart[parent] && m.slotEnd[child] <= m.slotEnd[parent];
}

// `a ?? b` tests for absent-or-null, not for type.
function present(m: JsonPathMatcher, p: i32, parent: i32): bool {
  return m.slotCount[p] > 0 && m.slotKind[p] != TOK_NULL && within(m, p, parent);
}

// The integral value of slot p, as the oracle's int(): false when absent or not an integer.
function intSlot(m: JsonPathMatcher, base: usize, p: i32, parent: i32): bool {
  if (m.slotCount[p] == 0 || m.slotKind[p] != TOK_NUMBER || !within(m, p, parent)) return false;
  const r = readJsonInteger(base + m.slotStart[p], m.slotEnd[p] - m.slotStart[p]);
  if (r == NUM_OK) { slotValue = parsedI64(); return true; }
  // Beyond i64 JSON.parse still gives an integral double; saturate rather than drop the cap.
  if (r == NUM_OVERFLOW) {
    slotValue = load<u8>(base + m.slotStart[p]) == 0x2D ? i64.MIN_VALUE : i64.MAX_VALUE;
    return true;
  }
  return false;
}

let slotValue: i64 = 0;

function takeInt(rec: Recognition, m: JsonPathMatcher, base: usize, p: i32, parent: i32): bool {
  if (!intSlot(m, base, p, parent)) return false;
  rec.hasOutputCap = true;
  rec.outputCap = slotValue;
  return true;
}

function takeN(rec: Recognition, m: JsonPathMatcher, base: usize, p: i32, parent: i32): void {
  if (intSlot(m, base, p, parent)) rec.n = slotValue;
}

function takeBodyModel(rec: Recognition, m: JsonPathMatcher, base: usize): void {
  const s = m.slotStart[P_MODEL], e = m.slotEnd[P_MODEL];
  rec.modelStart = s;
  rec.modelEnd = e;
  rec.modelEscaped = m.slotEscaped[P_MODEL];
  const len = e - s;
  if (!rec.modelEscaped) {
    if (len > <usize>MODEL_MAX) { rec.modelLen = 0; rec.modelSource = ModelSource.TooLong; return; }
    memory.copy(rec.modelPtr, base + s, len);
    rec.modelLen = <i32>len;
  } else {
    const n = unescapeJsonString(base + s, len, rec.modelPtr, <usize>MODEL_MAX);
    if (n < 0) { rec.modelLen = 0; rec.modelSource = ModelSource.TooLong; return; }
    rec.modelLen = <i32>n;
  }
  rec.modelSource = ModelSource.Body;
}

export { Recognition, ModelSource, MODEL_MAX };
export { Provider };
