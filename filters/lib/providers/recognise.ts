// Which provider and operation a request is, from its method, path and authority, as bytes.
// The rules and their order are filters/token-meter/USAGE.md §2; the oracle's `recognise`
// (host-tests/support/usage-oracle.ts) is the reference, regex for regex. Only the parts the
// path decides are here; request.ts reads the body.
import { eqAscii, eqAsciiNoCase } from "../bytes";
import { Provider, Operation } from "./types";

/** Longest model id kept (Bedrock inference-profile ARNs are ~120 bytes; names far less). */
export const MODEL_MAX: i32 = 512;

/** Where Recognition.model came from. */
export const enum ModelSource {
  None = 0,
  Path = 1,
  Body = 2,
  /** Named, but longer than MODEL_MAX: unknown rather than cut (a cut id would misprice). */
  TooLong = 3,
}

// The longest rule (Vertex publishers) has 9 segments; anything longer is no rule.
const MAX_SEGMENTS: i32 = 9;

export class Recognition {
  provider: Provider = Provider.Unknown;
  operation: Operation = Operation.Unknown;
  model: StaticArray<u8> = new StaticArray<u8>(MODEL_MAX);
  modelLen: i32 = 0;
  modelSource: ModelSource = ModelSource.None;
  /** Body model span (offsets into the body; the raw bytes, still escaped if modelEscaped). */
  modelStart: usize = 0;
  modelEnd: usize = 0;
  modelEscaped: bool = false;
  stream: bool = false;
  /** Path forces a stream whatever the body says (converse-stream, streamGenerateContent...). */
  streamByPath: bool = false;
  hasOutputCap: bool = false;
  outputCap: i64 = 0;
  n: i64 = 1;
  includeUsagePresent: bool = false;
  includeUsageTrue: bool = false;
  /** The rule takes the model from the path (Bedrock, Gemini, Vertex, Azure). */
  modelInPath: bool = false;
  /** Azure deployment paths: the path model is used only when the body names none. */
  pathModelIsFallback: bool = false;
  /** request.ts: REQUEST_* status of the body read. */
  bodyStatus: i32 = 0;

  // Segment table of the last path, reused across calls.
  segStart: StaticArray<usize> = new StaticArray<usize>(MAX_SEGMENTS);
  segLen: StaticArray<usize> = new StaticArray<usize>(MAX_SEGMENTS);

  get modelPtr(): usize { return changetype<usize>(this.model); }

  reset(): void {
    this.provider = Provider.Unknown;
    this.operation = Operation.Unknown;
    this.modelLen = 0;
    this.modelSource = ModelSource.None;
    this.modelStart = 0;
    this.modelEnd = 0;
    this.modelEscaped = false;
    this.stream = false;
    this.streamByPath = false;
    this.hasOutputCap = false;
    this.outputCap = 0;
    this.n = 1;
    this.includeUsagePresent = false;
    this.includeUsageTrue = false;
    this.modelInPath = false;
    this.pathModelIsFallback = false;
    this.bodyStatus = 0;
  }

  /** Copies a path segment as decodeURIComponent would (raw when that would throw). */
  setPathModel(ptr: usize, len: usize): void {
    this.modelInPath = true;
    if (len > <usize>MODEL_MAX) { this.modelLen = 0; this.modelSource = ModelSource.TooLong; return; }
    const out = this.modelPtr;
    let n = percentDecode(ptr, len, out);
    if (n < 0 || !validUtf8(out, <usize>n)) {
      memory.copy(out, ptr, len);
      n = <i32>len;
    }
    this.modelLen = n;
    this.modelSource = ModelSource.Path;
  }
}

// %XX decoding without '+' (decodeURIComponent); -1 where it would throw on a bad escape.
function percentDecode(ptr: usize, len: usize, out: usize): i32 {
  let o: usize = 0;
  let i: usize = 0;
  while (i < len) {
    const c = load<u8>(ptr + i);
    if (c != 0x25) { store<u8>(out + o++, c); i++; continue; }
    if (i + 2 >= len) return -1;
    const h = hexVal(load<u8>(ptr + i + 1));
    const l = hexVal(load<u8>(ptr + i + 2));
    if (h < 0 || l < 0) return -1;
    store<u8>(out + o++, <u8>((h << 4) | l));
    i += 3;
  }
  return <i32>o;
}

function hexVal(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return <i32>c - 0x30;
  if (c >= 0x41 && c <= 0x46) return <i32>c - 0x37;
  if (c >= 0x61 && c <= 0x66) return <i32>c - 0x57;
  return -1;
}

// Strict UTF-8 (no overlongs, surrogates or > U+10FFFF): what decodeURIComponent accepts.
export function validUtf8(ptr: usize, len: usize): bool {
  let i: usize = 0;
  while (i < len) {
    const c = <u32>load<u8>(ptr + i);
    if (c < 0x80) { i++; continue; }
    let need: usize;
    let lo: u32 = 0x80, hi: u32 = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0) lo = 0xA0;
      else if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0) lo = 0x90;
      else if (c == 0xF4) hi = 0x8F;
    } else return false;
    if (i + need >= len) return false;
    const c1 = <u32>load<u8>(ptr + i + 1);
    if (c1 < lo || c1 > hi) return false;
    for (let k: usize = 2; k <= need; k++) {
      const ck = <u32>load<u8>(ptr + i + k);
      if (ck < 0x80 || ck > 0xBF) return false;
    }
    i += need + 1;
  }
  return true;
}

/**
 * Decides provider, operation and (Bedrock, Gemini, Vertex, Azure) the path model.
 * `authority` is `:authority`, else `host` (empty when neither); `hasApiKey`: an `api-key`
 * request header is present (Azure's key header).
 */
export function recognisePath(
  rec: Recognition,
  methodPtr: usize, methodLen: usize,
  pathPtr: usize, pathLen: usize,
  authorityPtr: usize, authorityLen: usize,
  hasApiKey: bool,
): void {
  rec.reset();
  if (!eqAsciiNoCase(methodPtr, methodLen, "POST")) return;

  // Query string: only api-version matters (rule 7's Azure test).
  let plen: usize = 0;
  while (plen < pathLen && load<u8>(pathPtr + plen) != 0x3F) plen++;
  const qPtr = pathPtr + plen + 1;
  const qLen: usize = plen < pathLen ? pathLen - plen - 1 : 0;
  while (plen > 0 && load<u8>(pathPtr + plen - 1) == 0x2F) plen--;

  // Every rule starts with '/' and has only non-empty segments.
  if (plen == 0 || load<u8>(pathPtr) != 0x2F) return;
  let n: i32 = 0;
  let s: usize = 1;
  const ss = rec.segStart, sl = rec.segLen;
  while (true) {
    let e = s;
    while (e < plen && load<u8>(pathPtr + e) != 0x2F) e++;
    if (e == s || n >= MAX_SEGMENTS) return;
    unchecked(ss[n] = pathPtr + s);
    unchecked(sl[n] = e - s);
    n++;
    if (e >= plen) break;
    s = e + 1;
  }

  // 1. Bedrock runtime.
  if (n == 3 && seg(rec, 0, "model")) {
    let op = Operation.Unknown;
    if (seg(rec, 2, "converse")) op = Operation.Converse;
    else if (seg(rec, 2, "converse-stream")) op = Operation.ConverseStream;
    else if (seg(rec, 2, "invoke")) op = Operation.Invoke;
    else if (seg(rec, 2, "invoke-with-response-stream")) op = Operation.InvokeStream;
    if (op != Operation.Unknown) {
      rec.provider = Provider.Bedrock;
      rec.operation = op;
      rec.streamByPath = op == Operation.ConverseStream || op == Operation.InvokeStream;
      rec.stream = rec.streamByPath;
      rec.setPathModel(unchecked(ss[1]), unchecked(sl[1]));
      return;
    }
  }

  // 2. Gemini API, and Vertex AI's Google publisher.
  let modelSeg: i32 = -1;
  let vertex = false;
  if (n == 3 && (seg(rec, 0, "v1") || seg(rec, 0, "v1beta") || seg(rec, 0, "v1alpha")) && seg(rec, 1, "models")) modelSeg = 2;
  else if (n == 9 && vertexPrefix(rec) && seg(rec, 6, "google")) { modelSeg = 8; vertex = true; }
  if (modelSeg >= 0) {
    const mp = unchecked(ss[modelSeg]), ml = unchecked(sl[modelSeg]);
    const colon = firstColon(mp, ml);
    if (colon > 0) {
      const tp = mp + <usize>colon + 1, tl = ml - <usize>colon - 1;
      const streaming = eqAscii(tp, tl, "streamGenerateContent");
      if (streaming || eqAscii(tp, tl, "generateContent")) {
        const host = hostRange(authorityPtr, authorityLen);
        rec.provider = vertex || endsWithNoCase(authorityPtr, host, "aiplatform.googleapis.com") ? Provider.VertexAI : Provider.Gemini;
        rec.operation = streaming ? Operation.StreamGenerateContent : Operation.GenerateContent;
        rec.streamByPath = streaming;
        rec.stream = streaming;
        rec.setPathModel(mp, <usize>colon);
        return;
      }
    }
  }

  // 3. Anthropic models on Vertex AI.
  if (n == 9 && vertexPrefix(rec) && seg(rec, 6, "anthropic")) {
    const mp = unchecked(ss[8]), ml = unchecked(sl[8]);
    const colon = firstColon(mp, ml);
    if (colon > 0) {
      const tp = mp + <usize>colon + 1, tl = ml - <usize>colon - 1;
      const streaming = eqAscii(tp, tl, "streamRawPredict");
      if (streaming || eqAscii(tp, tl, "rawPredict")) {
        rec.provider = Provider.VertexAI;
        rec.operation = Operation.Messages;
        rec.streamByPath = streaming;
        rec.stream = streaming;
        rec.setPathModel(mp, <usize>colon);
        return;
      }
    }
  }

  // 4. Anthropic Messages.
  if ((n == 2 && seg(rec, 0, "v1") && seg(rec, 1, "messages")) ||
      (n == 3 && seg(rec, 0, "anthropic") && seg(rec, 1, "v1") && seg(rec, 2, "messages"))) {
    rec.provider = Provider.Anthropic;
    rec.operation = Operation.Messages;
    return;
  }

  // 5. Ollama native. Its stream flag defaults to true: request.ts applies that.
  if (n == 2 && seg(rec, 0, "api")) {
    if (seg(rec, 1, "chat")) { rec.provider = Provider.Ollama; rec.operation = Operation.OllamaChat; rec.stream = true; return; }
    if (seg(rec, 1, "generate")) { rec.provider = Provider.Ollama; rec.operation = Operation.OllamaGenerate; rec.stream = true; return; }
  }

  // 6. Azure deployment paths.
  if (n >= 4 && seg(rec, 0, "openai") && seg(rec, 1, "deployments")) {
    const op = openaiTail(rec, 3, n);
    if (op != Operation.Unknown) {
      rec.provider = Provider.AzureOpenAI;
      rec.operation = op;
      rec.setPathModel(unchecked(ss[2]), unchecked(sl[2]));
      rec.pathModelIsFallback = true;
      return;
    }
  }

  // 7. OpenAI and compatible paths, optionally behind /openai, /api or /compatibility.
  let v1: i32 = -1;
  if (n >= 2 && seg(rec, 0, "v1")) v1 = 0;
  else if (n >= 3 && seg(rec, 1, "v1") && (seg(rec, 0, "openai") || seg(rec, 0, "api") || seg(rec, 0, "compatibility"))) v1 = 1;
  if (v1 >= 0) {
    const op = openaiTail(rec, v1 + 1, n);
    if (op != Operation.Unknown) {
      rec.provider = openaiVendor(authorityPtr, authorityLen, qPtr, qLen, hasApiKey);
      rec.operation = op;
    }
  }
}

// @ts-ignore: decorator
@inline
function seg(rec: Recognition, i: i32, lit: string): bool {
  return eqAscii(unchecked(rec.segStart[i]), unchecked(rec.segLen[i]), lit);
}

// /{v1,v1beta1}/projects/{p}/locations/{l}/publishers/{publisher}/models/{model}:{method}: 9 segments
function vertexPrefix(rec: Recognition): bool {
  return (seg(rec, 0, "v1") || seg(rec, 0, "v1beta1")) && seg(rec, 1, "projects") &&
    seg(rec, 3, "locations") && seg(rec, 5, "publishers") && seg(rec, 7, "models");
}

// The operation named by segments [from, n): chat/completions | completions | responses | embeddings.
function openaiTail(rec: Recognition, from: i32, n: i32): Operation {
  if (n - from == 2 && seg(rec, from, "chat") && seg(rec, from + 1, "completions")) return Operation.ChatCompletions;
  if (n - from != 1) return Operation.Unknown;
  if (seg(rec, from, "completions")) return Operation.Completions;
  if (seg(rec, from, "responses")) return Operation.Responses;
  if (seg(rec, from, "embeddings")) return Operation.Embeddings;
  return Operation.Unknown;
}

function firstColon(ptr: usize, len: usize): i32 {
  for (let i: usize = 0; i < len; i++) if (load<u8>(ptr + i) == 0x3A) return <i32>i;
  return -1;
}

// Length of the host part: the authority without a trailing ":<digits>" port.
function hostRange(ptr: usize, len: usize): usize {
  let i = len;
  while (i > 0 && <u32>load<u8>(ptr + i - 1) - 0x30 <= 9) i--;
  if (i < len && i > 0 && load<u8>(ptr + i - 1) == 0x3A) return i - 1;
  return len;
}

function endsWithNoCase(ptr: usize, len: usize, lit: string): bool {
  const n = <usize>lit.length;
  return len >= n && eqAsciiNoCase(ptr + len - n, n, lit);
}

// Vendor of an OpenAI-dialect path (USAGE.md, "Vendor of rule 7").
function openaiVendor(aPtr: usize, aLen: usize, qPtr: usize, qLen: usize, hasApiKey: bool): Provider {
  const hLen = hostRange(aPtr, aLen);
  if (eqAsciiNoCase(aPtr, hLen, "api.openai.com")) return Provider.OpenAI;
  if (endsWithNoCase(aPtr, hLen, ".openai.azure.com") || endsWithNoCase(aPtr, hLen, ".cognitiveservices.azure.com") ||
      endsWithNoCase(aPtr, hLen, ".services.ai.azure.com") || hasQueryName(qPtr, qLen, "api-version") || hasApiKey) return Provider.AzureOpenAI;
  if (eqAsciiNoCase(aPtr, hLen, "api.mistral.ai")) return Provider.Mistral;
  if (eqAsciiNoCase(aPtr, hLen, "api.groq.com")) return Provider.Groq;
  if (eqAsciiNoCase(aPtr, hLen, "api.deepseek.com")) return Provider.DeepSeek;
  if (eqAsciiNoCase(aPtr, hLen, "api.together.xyz") || eqAsciiNoCase(aPtr, hLen, "api.together.ai")) return Provider.Together;
  if (eqAsciiNoCase(aPtr, hLen, "openrouter.ai")) return Provider.OpenRouter;
  if (hLen < aLen && eqAscii(aPtr + hLen, aLen - hLen, ":11434")) return Provider.Ollama;
  return Provider.OpenAICompatible;
}

// URLSearchParams.has(name): names are split at '&' and '=', '+' is a space, %XX decoded.
const NAME_SCRATCH: usize = 64;
const nameBuf = new StaticArray<u8>(<i32>NAME_SCRATCH);

function hasQueryName(ptr: usize, len: usize, name: string): bool {
  let i: usize = 0;
  while (i <= len) {
    let e = i;
    while (e < len && load<u8>(ptr + e) != 0x26) e++;
    let k = i;
    while (k < e && load<u8>(ptr + k) != 0x3D) k++;
    if (k - i <= NAME_SCRATCH * 3 && queryNameIs(ptr + i, k - i, name)) return true;
    i = e + 1;
  }
  return false;
}

function queryNameIs(ptr: usize, len: usize, name: string): bool {
  const out = changetype<usize>(nameBuf);
  let o: usize = 0;
  let i: usize = 0;
  while (i < len) {
    if (o >= NAME_SCRATCH) return false;
    let c = load<u8>(ptr + i);
    if (c == 0x2B) { c = 0x20; i++; }
    else if (c == 0x25 && i + 2 < len) {
      const h = hexVal(load<u8>(ptr + i + 1)), l = hexVal(load<u8>(ptr + i + 2));
      if (h >= 0 && l >= 0) { c = <u8>((h << 4) | l); i += 3; } else i++;
    } else i++;
    store<u8>(out + o++, c);
  }
  return eqAscii(out, o, name);
}
