// Token-meter reference implementation (test oracle). It is the executable form of
// filters/token-meter/USAGE.md and PRICING.md: the AssemblyScript filter is checked against
// it, so it favours plain JSON.parse and whole-body parsing over speed, and shares no code
// with filters/. When USAGE.md and this file disagree, one of them has a bug.
import { gunzipSync } from "node:zlib";

export type Provider =
  | "openai"
  | "azure-openai"
  | "mistral"
  | "groq"
  | "deepseek"
  | "together"
  | "openrouter"
  | "openai-compatible"
  | "anthropic"
  | "gemini"
  | "vertex-ai"
  | "bedrock"
  | "ollama"
  | "unknown";

export type Operation =
  | "chat-completions"
  | "completions"
  | "responses"
  | "embeddings"
  | "messages"
  | "generate-content"
  | "stream-generate-content"
  | "converse"
  | "converse-stream"
  | "invoke"
  | "invoke-stream"
  | "ollama-chat"
  | "ollama-generate"
  | "unknown";

export interface Recognition {
  provider: Provider;
  operation: Operation;
  model: string | null;
  stream: boolean;
  /** Output-token cap per choice as the request states it; null when the request sets none. */
  outputCap: number | null;
  n: number;
}

export type Source = "reported" | "counted" | "estimated";

export interface Usage {
  input: number;
  output: number;
  cached_input: number;
  cache_write: number;
  reasoning: number;
  total: number;
  source: { input: Source; output: Source };
  /** Not part of the normalised schema: the model the response names, for pricing. */
  model?: string;
}

/** What the provider reported, field by field; a field is absent when the provider did not say. */
export interface ReportedParts {
  input?: number;
  output?: number;
  cached_input?: number;
  cache_write?: number;
  reasoning?: number;
  model?: string;
}

export type Headers = Array<[string, string]> | Record<string, string | string[]>;

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

// ---------------------------------------------------------------------------------------------
// Recognition

const UNKNOWN: Recognition = { provider: "unknown", operation: "unknown", model: null, stream: false, outputCap: null, n: 1 };

export function recognise(method: string, path: string, headers: Headers, requestBody: Uint8Array | string | null): Recognition {
  if (method.toUpperCase() !== "POST") return { ...UNKNOWN };
  const [rawPath, query = ""] = path.split("?", 2);
  const p = rawPath.replace(/\/+$/, "");
  const params = new URLSearchParams(query);
  const host = (header(headers, ":authority") ?? header(headers, "host") ?? "").toLowerCase().replace(/:\d+$/, "");
  const port = (header(headers, ":authority") ?? header(headers, "host") ?? "").match(/:(\d+)$/)?.[1];
  const body = parseJsonBody(requestBody);

  let m: RegExpMatchArray | null;

  // Bedrock runtime: the model id is a path segment, URL-encoded (":" arrives as %3A).
  if ((m = p.match(/^\/model\/([^/]+)\/(converse|converse-stream|invoke|invoke-with-response-stream)$/))) {
    const model = safeDecode(m[1]);
    const ops: Record<string, Operation> = { converse: "converse", "converse-stream": "converse-stream", invoke: "invoke", "invoke-with-response-stream": "invoke-stream" };
    const op = ops[m[2]];
    const base = { provider: "bedrock" as const, operation: op, model, stream: op === "converse-stream" || op === "invoke-stream", n: 1 };
    if (op === "converse" || op === "converse-stream") return { ...base, outputCap: int(body?.inferenceConfig?.maxTokens) };
    // InvokeModel bodies are the model vendor's native format; only the Anthropic one is metered
    // from the body, the others through the x-amzn-bedrock-*-token-count headers.
    return { ...base, outputCap: int(body?.max_tokens) };
  }

  // Gemini API and Vertex AI: model and method are the last path segment, "models/{model}:{method}".
  if ((m = p.match(/^\/(v1|v1beta|v1alpha)\/models\/([^/:]+):(generateContent|streamGenerateContent)$/)) ||
      (m = p.match(/^\/(v1|v1beta1)\/projects\/[^/]+\/locations\/[^/]+\/publishers\/google\/models\/([^/:]+):(generateContent|streamGenerateContent)$/))) {
    const vertex = p.includes("/projects/");
    const stream = m[3] === "streamGenerateContent";
    const gc = body?.generationConfig ?? body?.generation_config;
    return {
      provider: vertex || host.endsWith("aiplatform.googleapis.com") ? "vertex-ai" : "gemini",
      operation: stream ? "stream-generate-content" : "generate-content",
      model: safeDecode(m[2]),
      stream,
      outputCap: int(gc?.maxOutputTokens ?? gc?.max_output_tokens),
      n: int(gc?.candidateCount ?? gc?.candidate_count) ?? 1,
    };
  }

  // Anthropic models on Vertex AI: Messages bodies, model in the path.
  if ((m = p.match(/^\/(v1|v1beta1)\/projects\/[^/]+\/locations\/[^/]+\/publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/))) {
    return { provider: "vertex-ai", operation: "messages", model: safeDecode(m[2]), stream: m[3] === "streamRawPredict" || body?.stream === true, outputCap: int(body?.max_tokens), n: 1 };
  }

  // Anthropic Messages.
  if (/^(\/anthropic)?\/v1\/messages$/.test(p)) {
    return { provider: "anthropic", operation: "messages", model: str(body?.model), stream: body?.stream === true, outputCap: int(body?.max_tokens), n: 1 };
  }

  // Ollama native API. Unlike every OpenAI-style API, "stream" defaults to true here.
  if (p === "/api/chat" || p === "/api/generate") {
    return {
      provider: "ollama",
      operation: p === "/api/chat" ? "ollama-chat" : "ollama-generate",
      model: str(body?.model),
      stream: body?.stream !== false,
      outputCap: nonNegative(int(body?.options?.num_predict)),
      n: 1,
    };
  }

  // Azure OpenAI deployment paths: the deployment name stands in for the model.
  if ((m = p.match(/^\/openai\/deployments\/([^/]+)\/(chat\/completions|completions|embeddings|responses)$/))) {
    const op = openaiOperation(m[2])!;
    return openaiShape("azure-openai", op, body, str(body?.model) ?? safeDecode(m[1]));
  }

  // OpenAI and OpenAI-compatible paths, with the prefixes the compatible vendors put in front.
  if ((m = p.match(/^(?:\/openai|\/api|\/compatibility)?\/v1\/(chat\/completions|completions|responses|embeddings)$/)) ||
      (m = p.match(/^\/openai\/v1\/(chat\/completions|completions|responses|embeddings)$/))) {
    const op = openaiOperation(m[1])!;
    const provider = openaiVendor(host, port, headers, params);
    return openaiShape(provider, op, body, str(body?.model));
  }

  return { ...UNKNOWN };
}

function openaiOperation(tail: string): Operation | null {
  return ({ "chat/completions": "chat-completions", completions: "completions", responses: "responses", embeddings: "embeddings" } as Record<string, Operation>)[tail] ?? null;
}

// The path fixes the dialect; only the host names the vendor, because compatible servers share
// paths (/openai/v1/ is both Groq and Azure's v1 API). Behind a gateway the host is often the
// gateway's own, which is why the filter's config can name the provider per route.
function openaiVendor(host: string, port: string | undefined, headers: Headers, params: URLSearchParams): Provider {
  if (host === "api.openai.com") return "openai";
  if (/\.openai\.azure\.com$|\.cognitiveservices\.azure\.com$|\.services\.ai\.azure\.com$/.test(host) || params.has("api-version") || header(headers, "api-key") !== undefined) return "azure-openai";
  if (host === "api.mistral.ai") return "mistral";
  if (host === "api.groq.com") return "groq";
  if (host === "api.deepseek.com") return "deepseek";
  if (host === "api.together.xyz" || host === "api.together.ai") return "together";
  if (host === "openrouter.ai") return "openrouter";
  if (port === "11434") return "ollama";
  return "openai-compatible";
}

function openaiShape(provider: Provider, op: Operation, body: Json, model: string | null): Recognition {
  const stream = body?.stream === true;
  switch (op) {
    case "chat-completions":
      // max_completion_tokens replaced max_tokens (which o-series and gpt-5 reject); when both are
      // sent the newer one is the one the server applies.
      return { provider, operation: op, model, stream, outputCap: int(body?.max_completion_tokens) ?? int(body?.max_tokens), n: int(body?.n) ?? 1 };
    case "completions":
      return { provider, operation: op, model, stream, outputCap: int(body?.max_tokens), n: int(body?.n) ?? 1 };
    case "responses":
      return { provider, operation: op, model, stream, outputCap: int(body?.max_output_tokens), n: 1 };
    default:
      return { provider, operation: op, model, stream: false, outputCap: null, n: 1 };
  }
}

// ---------------------------------------------------------------------------------------------
// Usage

/**
 * The provider's usage mapped onto the normalised schema, or null when the response carries no
 * complete report (an error status, an error body, a stream without usage, a truncated stream,
 * an encoded body): the meter then counts or estimates instead.
 */
export function usageFrom(provider: Provider, operation: Operation, responseHeaders: Headers, responseBody: Uint8Array, contentType: string | null): Usage | null {
  const parts = reportedParts(provider, operation, responseHeaders, responseBody, contentType);
  if (!parts || parts.input === undefined || parts.output === undefined) return null;
  const u: Usage = {
    input: parts.input,
    output: parts.output,
    cached_input: parts.cached_input ?? 0,
    cache_write: parts.cache_write ?? 0,
    reasoning: parts.reasoning ?? 0,
    total: parts.input + parts.output,
    source: { input: "reported", output: "reported" },
  };
  if (parts.model) u.model = parts.model;
  return u;
}

/** Everything the provider reported, even when incomplete; null for error statuses and unreadable bodies. */
export function reportedParts(provider: Provider, operation: Operation, responseHeaders: Headers, responseBody: Uint8Array, contentType: string | null): ReportedParts | null {
  const status = Number(header(responseHeaders, ":status") ?? "200");
  if (!(status >= 200 && status < 300)) return null;
  const encoding = (header(responseHeaders, "content-encoding") ?? "identity").toLowerCase();
  let bytes = responseBody;
  if (encoding === "gzip") {
    // The filter itself cannot inflate; the oracle does so that tests can state what the
    // numbers would have been (USAGE.md, "Encoded bodies").
    try {
      bytes = new Uint8Array(gunzipSync(responseBody));
    } catch {
      return null;
    }
  } else if (encoding !== "identity") return null;

  const ct = (contentType ?? header(responseHeaders, "content-type") ?? "").toLowerCase();
  const docs = documents(bytes, ct);
  if (docs === null) return null;
  const extract = extractorFor(provider, operation);
  if (!extract) return null;
  const parts = extract(docs, responseHeaders);
  return parts && Object.keys(parts).some((k) => k !== "model") ? parts : null;
}

/** A response body's JSON documents, in order, with the SSE event name when there was one. */
interface Doc {
  event?: string;
  data: Json;
}

function documents(bytes: Uint8Array, ct: string): Doc[] | null {
  if (ct.startsWith("application/vnd.amazon.eventstream")) return eventStreamDocs(bytes);
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  const first = text.trimStart()[0];
  // A body that starts like JSON is JSON whatever the content-type says: Gemini sends its
  // error objects under text/event-stream.
  if (ct.startsWith("text/event-stream") && first !== "{" && first !== "[") return sseDocs(text);
  if (ct.startsWith("application/x-ndjson") || ct.startsWith("application/jsonl")) return ndjsonDocs(text);
  if (first === "[") return jsonArrayDocs(text);
  if (first === "{") {
    try {
      return [{ data: JSON.parse(text) }];
    } catch {
      // Ollama streams NDJSON under application/json when a client asks for it that way.
      return ndjsonDocs(text);
    }
  }
  return null;
}

// SSE per the WHATWG event-stream rules: lines end in CRLF, LF or CR; "data" lines of one event
// are joined with "\n"; comments start with ":"; a missing final blank line still ends the event.
export function sseEvents(text: string): Array<{ event?: string; data: string }> {
  const out: Array<{ event?: string; data: string }> = [];
  let event: string | undefined;
  let data: string[] = [];
  const flush = () => {
    if (data.length) out.push({ event, data: data.join("\n") });
    event = undefined;
    data = [];
  };
  for (const line of text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/)) {
    if (line === "") {
      flush();
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  flush();
  return out;
}

function sseDocs(text: string): Doc[] {
  const out: Doc[] = [];
  for (const e of sseEvents(text)) {
    if (e.data === "[DONE]") continue;
    try {
      out.push({ event: e.event, data: JSON.parse(e.data) });
    } catch {
      // An unparseable event is skipped, never fatal: the meter must not trap on input.
    }
  }
  return out;
}

function ndjsonDocs(text: string): Doc[] {
  const out: Doc[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    try {
      out.push({ data: JSON.parse(line) });
    } catch {
      /* skipped, as above */
    }
  }
  return out;
}

/**
 * Gemini streamGenerateContent without alt=sse: one JSON array whose elements arrive one by one.
 * Elements are cut out by bracket depth rather than parsing the whole array, so a stream cut
 * short still yields the elements that did arrive.
 */
export function jsonArrayElements(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let start = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === "{" || c === "[") {
      if (depth === 1 && c === "{") start = i;
      depth++;
    } else if (c === "}" || c === "]") {
      depth--;
      if (depth === 1 && c === "}" && start >= 0) {
        out.push(text.slice(start, i + 1));
        start = -1;
      }
    }
  }
  return out;
}

function jsonArrayDocs(text: string): Doc[] {
  const out: Doc[] = [];
  for (const el of jsonArrayElements(text)) {
    try {
      out.push({ data: JSON.parse(el) });
    } catch {
      /* skipped */
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// AWS event-stream (application/vnd.amazon.eventstream)

export interface EventStreamFrame {
  headers: Record<string, string | number | boolean | Uint8Array>;
  payload: Uint8Array;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Frames: total length (u32 BE, whole frame), headers length (u32 BE), CRC32 of those 8 bytes,
 * headers, payload, CRC32 of everything before it. Parsing stops at the first frame that is
 * short or fails a CRC: what follows a corrupt length cannot be trusted.
 */
export function eventStreamFrames(bytes: Uint8Array): { frames: EventStreamFrame[]; error?: string } {
  const frames: EventStreamFrame[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  while (off < bytes.length) {
    if (bytes.length - off < 16) return { frames, error: `truncated prelude at ${off}` };
    const total = view.getUint32(off);
    const headersLen = view.getUint32(off + 4);
    if (crc32(bytes.subarray(off, off + 8)) !== view.getUint32(off + 8)) return { frames, error: `prelude CRC mismatch at ${off}` };
    if (total < 16 + headersLen || off + total > bytes.length) return { frames, error: `truncated frame at ${off}` };
    if (crc32(bytes.subarray(off, off + total - 4)) !== view.getUint32(off + total - 4)) return { frames, error: `message CRC mismatch at ${off}` };
    const headers = eventStreamHeaders(bytes.subarray(off + 12, off + 12 + headersLen));
    if (!headers) return { frames, error: `bad headers at ${off}` };
    frames.push({ headers, payload: bytes.subarray(off + 12 + headersLen, off + total - 4) });
    off += total;
  }
  return { frames };
}

function eventStreamHeaders(h: Uint8Array): EventStreamFrame["headers"] | null {
  const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const dec = new TextDecoder();
  const out: EventStreamFrame["headers"] = {};
  let i = 0;
  try {
    while (i < h.length) {
      const nameLen = h[i++];
      const name = dec.decode(h.subarray(i, i + nameLen));
      i += nameLen;
      const type = h[i++];
      switch (type) {
        case 0: out[name] = true; break;
        case 1: out[name] = false; break;
        case 2: out[name] = view.getInt8(i); i += 1; break;
        case 3: out[name] = view.getInt16(i); i += 2; break;
        case 4: out[name] = view.getInt32(i); i += 4; break;
        case 5: out[name] = Number(view.getBigInt64(i)); i += 8; break;
        case 6:
        case 7: {
          const len = view.getUint16(i);
          i += 2;
          const v = h.subarray(i, i + len);
          out[name] = type === 7 ? dec.decode(v) : v;
          i += len;
          break;
        }
        case 8: out[name] = Number(view.getBigInt64(i)); i += 8; break; // timestamp, ms since epoch
        case 9: out[name] = h.subarray(i, i + 16); i += 16; break; // uuid
        default: return null;
      }
      if (i > h.length) return null;
    }
  } catch {
    return null;
  }
  return out;
}

function eventStreamDocs(bytes: Uint8Array): Doc[] | null {
  const { frames } = eventStreamFrames(bytes);
  const out: Doc[] = [];
  for (const f of frames) {
    const type = f.headers[":message-type"];
    const name = String(f.headers[":event-type"] ?? f.headers[":exception-type"] ?? f.headers[":error-code"] ?? "");
    let data: Json;
    try {
      data = JSON.parse(new TextDecoder().decode(f.payload));
    } catch {
      continue;
    }
    out.push({ event: type === "event" ? name : `${type}:${name}`, data });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Extractors: one per wire dialect. Each takes the documents in order and returns what was reported.

type Extractor = (docs: Doc[], headers: Headers) => ReportedParts | null;

function extractorFor(provider: Provider, operation: Operation): Extractor | null {
  switch (operation) {
    case "chat-completions":
    case "completions":
    case "embeddings":
      return openaiChat;
    case "responses":
      return openaiResponses;
    case "messages":
      return anthropic;
    case "generate-content":
    case "stream-generate-content":
      return gemini;
    case "converse":
    case "converse-stream":
      return bedrockConverse;
    case "invoke":
    case "invoke-stream":
      return bedrockInvoke;
    case "ollama-chat":
    case "ollama-generate":
      return ollama;
    default:
      return null;
  }
}

// OpenAI chat/completions/embeddings and every compatible server. Usage is cumulative wherever
// it appears (a final include_usage chunk with choices:[], Mistral's and OpenRouter's last
// content chunk, vLLM's continuous_usage_stats on every chunk), so the last one wins.
function openaiChat(docs: Doc[]): ReportedParts | null {
  let usage: Json = null;
  let model: string | undefined;
  for (const d of docs) {
    if (!isObj(d.data) || d.data.error) continue;
    model = str(d.data.model) ?? model;
    // Groq puts stream usage under x_groq.usage.
    const u = isObj(d.data.usage) ? d.data.usage : isObj(d.data.x_groq?.usage) ? d.data.x_groq.usage : null;
    if (u) usage = u;
  }
  if (!usage) return null;
  const input = int(usage.prompt_tokens);
  // Embeddings report no completion_tokens: they generate nothing.
  const output = int(usage.completion_tokens) ?? (input !== null && usage.total_tokens === usage.prompt_tokens ? 0 : null);
  const cached = int(usage.prompt_tokens_details?.cached_tokens) ?? int(usage.prompt_cache_hit_tokens); // DeepSeek
  return clean({
    input: input ?? undefined,
    output: output ?? undefined,
    cached_input: cached ?? 0,
    cache_write: 0,
    reasoning: int(usage.completion_tokens_details?.reasoning_tokens) ?? 0,
    model,
  });
}

// Responses API: usage only on the terminal response object (response.completed,
// response.incomplete, response.failed) or the non-stream body.
function openaiResponses(docs: Doc[]): ReportedParts | null {
  let usage: Json = null;
  let model: string | undefined;
  for (const d of docs) {
    const r = d.data?.object === "response" ? d.data : isObj(d.data?.response) ? d.data.response : null;
    if (!r) continue;
    model = str(r.model) ?? model;
    if (isObj(r.usage)) usage = r.usage;
  }
  if (!usage) return null;
  return clean({
    input: int(usage.input_tokens) ?? undefined,
    output: int(usage.output_tokens) ?? undefined,
    cached_input: int(usage.input_tokens_details?.cached_tokens) ?? 0,
    cache_write: 0,
    reasoning: int(usage.output_tokens_details?.reasoning_tokens) ?? 0,
    model,
  });
}

// Anthropic Messages (also Bedrock InvokeModel and Vertex rawPredict with Anthropic bodies).
// input_tokens excludes cache reads and writes. In a stream, message_start carries the input and
// cache counts, message_delta the cumulative output_tokens; message_delta may repeat input and
// cache counts, which replace (never add to) the earlier ones.
function anthropic(docs: Doc[]): ReportedParts | null {
  let u: { input_tokens?: number; cache_read?: number; cache_write?: number; output?: number } | null = null;
  let model: string | undefined;
  const take = (usage: Json) => {
    if (!isObj(usage)) return;
    u ??= {};
    const i = int(usage.input_tokens);
    const r = int(usage.cache_read_input_tokens);
    const w = int(usage.cache_creation_input_tokens);
    const o = int(usage.output_tokens);
    if (i !== null) u.input_tokens = i;
    if (r !== null) u.cache_read = r;
    if (w !== null) u.cache_write = w;
    if (o !== null) u.output = o;
  };
  let sawStart = false;
  let sawDelta = false;
  for (const d of docs) {
    const t = d.data?.type;
    if (t === "message" && !d.data.error) {
      model = str(d.data.model) ?? model;
      take(d.data.usage);
      sawStart = sawDelta = true;
    } else if (t === "message_start") {
      model = str(d.data.message?.model) ?? model;
      take(d.data.message?.usage);
      sawStart = true;
    } else if (t === "message_delta") {
      take(d.data.usage);
      sawDelta = true;
    }
  }
  if (!u) return null;
  const x = u as { input_tokens?: number; cache_read?: number; cache_write?: number; output?: number };
  const input = x.input_tokens === undefined ? undefined : x.input_tokens + (x.cache_read ?? 0) + (x.cache_write ?? 0);
  // message_start's output_tokens is a placeholder (1); only message_delta's count is the output.
  const output = sawDelta ? x.output : undefined;
  return clean({ input: sawStart ? input : undefined, output, cached_input: x.cache_read ?? 0, cache_write: x.cache_write ?? 0, reasoning: 0, model });
}

// Gemini / Vertex: usageMetadata is cumulative on every chunk and the last one is final;
// thoughtsTokenCount is outside candidatesTokenCount, and cachedContentTokenCount inside
// promptTokenCount; toolUsePromptTokenCount is prompt the model read from tools.
function gemini(docs: Doc[]): ReportedParts | null {
  let m: Json = null;
  let model: string | undefined;
  for (const d of docs) {
    if (!isObj(d.data) || d.data.error) continue;
    model = str(d.data.modelVersion) ?? model;
    if (isObj(d.data.usageMetadata)) m = d.data.usageMetadata;
  }
  if (!m) return null;
  const prompt = int(m.promptTokenCount);
  const toolUse = int(m.toolUsePromptTokenCount) ?? 0;
  const thoughts = int(m.thoughtsTokenCount) ?? 0;
  const candidates = int(m.candidatesTokenCount) ?? 0;
  return clean({
    input: prompt === null ? undefined : prompt + toolUse,
    output: candidates + thoughts,
    cached_input: int(m.cachedContentTokenCount) ?? 0,
    cache_write: 0,
    reasoning: thoughts,
    model,
  });
}

// Bedrock Converse / ConverseStream: usage on the body, or on the final "metadata" event.
// inputTokens excludes cache reads and writes (totalTokens includes them).
function bedrockConverse(docs: Doc[]): ReportedParts | null {
  let u: Json = null;
  for (const d of docs) {
    if (d.event !== undefined && d.event !== "metadata") continue;
    if (isObj(d.data?.usage)) u = d.data.usage;
  }
  if (!u) return null;
  // Both spellings appear side by side in recorded bodies; they are one number, not two.
  const read = int(u.cacheReadInputTokens) ?? int(u.cacheReadInputTokenCount) ?? 0;
  const write = int(u.cacheWriteInputTokens) ?? int(u.cacheWriteInputTokenCount) ?? 0;
  const input = int(u.inputTokens);
  return clean({
    input: input === null ? undefined : input + read + write,
    output: int(u.outputTokens) ?? undefined,
    cached_input: read,
    cache_write: write,
    reasoning: 0,
  });
}

// Bedrock InvokeModel: the Anthropic body when there is one, else the token-count headers that
// Bedrock adds for every model. InvokeModelWithResponseStream wraps each vendor event as
// {"bytes": base64} in a "chunk" frame; the last one adds "amazon-bedrock-invocationMetrics".
function bedrockInvoke(docs: Doc[], headers: Headers): ReportedParts | null {
  const inner: Doc[] = [];
  let metrics: Json = null;
  for (const d of docs) {
    if (d.event === "chunk" && typeof d.data?.bytes === "string") {
      try {
        const ev = JSON.parse(Buffer.from(d.data.bytes, "base64").toString("utf8"));
        inner.push({ data: ev });
        if (isObj(ev["amazon-bedrock-invocationMetrics"])) metrics = ev["amazon-bedrock-invocationMetrics"];
      } catch {
        /* skipped */
      }
    } else if (d.event === undefined) inner.push(d);
  }
  const fromBody = anthropic(inner);
  if (fromBody && fromBody.input !== undefined && fromBody.output !== undefined) return fromBody;
  const h = (n: string) => int(Number(header(headers, `x-amzn-bedrock-${n}-token-count`) ?? NaN));
  const src = {
    input: h("input") ?? int(metrics?.inputTokenCount),
    output: h("output") ?? int(metrics?.outputTokenCount),
    read: h("cache-read-input") ?? int(metrics?.cacheReadInputTokenCount) ?? 0,
    write: h("cache-write-input") ?? int(metrics?.cacheWriteInputTokenCount) ?? 0,
  };
  if (src.input === null && src.output === null) return fromBody;
  return clean({
    input: src.input === null ? undefined : src.input + src.read + src.write,
    output: src.output ?? undefined,
    cached_input: src.read,
    cache_write: src.write,
    reasoning: 0,
    model: fromBody?.model,
  });
}

// Ollama /api/chat and /api/generate: counts only on the object with "done": true.
// prompt_eval_count is left out when the whole prompt came from Ollama's KV cache.
function ollama(docs: Doc[]): ReportedParts | null {
  for (const d of docs) {
    if (d.data?.done !== true) continue;
    const input = int(d.data.prompt_eval_count);
    const output = int(d.data.eval_count);
    if (input === null && output === null) return null;
    return clean({ input: input ?? undefined, output: output ?? undefined, cached_input: 0, cache_write: 0, reasoning: 0, model: str(d.data.model) ?? undefined });
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Pricing (PRICING.md)

export interface PriceEntry {
  match: string | string[];
  provider?: string;
  input: number;
  cached_input?: number;
  cache_write?: number;
  output: number;
  reasoning?: number;
  long_context?: { above_input_tokens: number; input: number; cached_input?: number; cache_write?: number; output: number; reasoning?: number };
  note?: string;
}

export interface PriceBlock {
  provider: string;
  source: string;
  as_of: string;
  models: PriceEntry[];
}

export interface PriceTable {
  as_of: string;
  currency: "USD";
  unit: "per_1m_tokens";
  blocks: PriceBlock[];
}

/** Glob: "*" any run, "?" one character, whole name, case-insensitive. */
export function globMatch(glob: string, name: string): boolean {
  const re = new RegExp("^" + glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".") + "$", "i");
  return re.test(name);
}

/** First entry, in table order, whose glob matches; entries with a provider match only that provider. */
export function findPrice(model: string, table: PriceTable, provider?: string): PriceEntry | null {
  for (const b of table.blocks)
    for (const e of b.models) {
      if (e.provider !== undefined && e.provider !== provider) continue;
      const globs = Array.isArray(e.match) ? e.match : [e.match];
      if (globs.some((g) => globMatch(g, model))) return e;
    }
  return null;
}

// USD per 1M tokens equals micro-USD per token; times 10^6 it is pico-USD per token, an integer
// for any price with at most six decimals, so the sum is exact before the one rounding step.
const PICO = 1_000_000n;

export function picoPerToken(usdPer1M: number): bigint {
  const s = usdPer1M.toFixed(7);
  if (!/0$/.test(s) || usdPer1M < 0) throw new Error(`price ${usdPer1M} has more than 6 decimals or is negative`);
  const [whole, frac] = s.slice(0, -1).split(".");
  return BigInt(whole) * PICO + BigInt(frac);
}

/**
 * Cost in micro-USD, rounded up once from the exact sum. null when the model has no price.
 * input already contains cached_input and cache_write; output already contains reasoning.
 */
export function costMicroUsd(usage: Usage, model: string, table: PriceTable, provider?: string): number | null {
  const e = findPrice(model, table, provider);
  if (!e) return null;
  const lc = e.long_context && usage.input > e.long_context.above_input_tokens ? e.long_context : null;
  const inP = lc ? lc.input : e.input;
  const outP = lc ? lc.output : e.output;
  const cachedP = lc ? (lc.cached_input ?? inP) : (e.cached_input ?? inP);
  const writeP = lc ? (lc.cache_write ?? inP) : (e.cache_write ?? inP);
  const reasonP = lc ? (lc.reasoning ?? outP) : (e.reasoning ?? outP);
  // A provider reporting more cached than input is a provider bug; never price negative tokens.
  const cached = Math.min(usage.cached_input, usage.input);
  const write = Math.min(usage.cache_write, usage.input - cached);
  const plainIn = usage.input - cached - write;
  const reasoning = Math.min(usage.reasoning, usage.output);
  const plainOut = usage.output - reasoning;
  const pico =
    BigInt(plainIn) * picoPerToken(inP) +
    BigInt(cached) * picoPerToken(cachedP) +
    BigInt(write) * picoPerToken(writeP) +
    BigInt(plainOut) * picoPerToken(outP) +
    BigInt(reasoning) * picoPerToken(reasonP);
  return Number((pico + PICO - 1n) / PICO);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

export function header(headers: Headers, name: string): string | undefined {
  const n = name.toLowerCase();
  if (Array.isArray(headers)) {
    const hit = headers.find(([k]) => k.toLowerCase() === n);
    return hit?.[1];
  }
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === n) return Array.isArray(v) ? v[0] : v;
  return undefined;
}

function parseJsonBody(body: Uint8Array | string | null): Json {
  if (body === null || body.length === 0) return null;
  try {
    return JSON.parse(typeof body === "string" ? body : new TextDecoder().decode(body));
  } catch {
    return null;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function isObj(v: unknown): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function int(v: unknown): number | null {
  return typeof v === "number" && Number.isInteger(v) ? v : null;
}

function nonNegative(v: number | null): number | null {
  return v !== null && v >= 0 ? v : null;
}

function str(v: unknown): string | null {
  return typeof v === "string" && v !== "" ? v : null;
}

function clean(p: { [K in keyof ReportedParts]?: ReportedParts[K] | null }): ReportedParts {
  const out: ReportedParts = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined && v !== null) (out as Record<string, unknown>)[k] = v;
  return out;
}
