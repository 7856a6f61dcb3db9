// The token meter on one HTTP stream.
//   request headers  recognise provider + operation from method, path and authority
//   request body     buffered to end of stream (bounded), read once: model, stream, caps;
//                    prompt tokens counted; include_usage injected for OpenAI-style streams
//   response         status and framing; every body chunk fed to the usage meter, and, when
//                    include_usage was injected, rewritten so the client sees its own stream
//   end              usage (reported, else counted/estimated), cost, filter state, metrics
// Filter state is published when the response ends (before Envoy's own access log runs) or,
// for streams cut short, in on_log.
import {
  BufferType, FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, HostBytes, HttpContext, MapType,
  getCurrentTimeNanoseconds, getHeaderMapValueBytes, getHeaderMapValueRaw, setBufferBytes, setPropertyRaw, HeaderPair,
} from "../sdk";
import { BYTE_BUFFER_MAX_CAP, ByteBuffer } from "../lib/bytes/buffer";
import { eqAsciiNoCase, parseHttpStatus, startsWithAscii } from "../lib/bytes";
import { JsonWriter } from "../lib/json-scan";
import { NO_PRICE, providerFromName } from "../lib/pricing";
import { ErrorKind, providerError } from "../lib/providers/errors";
import { INJECT_DONE, injectIncludeUsage, UsageChunkHider } from "../lib/providers/include-usage";
import { countPrompt, encodingForModel, ENCODING_NONE, PromptCount } from "../lib/providers/prompt";
import { Recognition, recognisePath } from "../lib/providers/recognise";
import { readRequestBody, REQUEST_MALFORMED } from "../lib/providers/request";
import { BodyFraming, FigureSource, Operation, Provider, Usage, operationName, providerName } from "../lib/providers/types";
import { CompletionTextSink, framingFor, UsageMeter } from "../lib/providers/usage";
import { countTokens } from "../lib/tokenizer";
import { Inflater, INFLATE_DATA, INFLATE_FORMAT_GZIP, INFLATE_FORMAT_ZLIB } from "../lib/inflate";
import { TokenMeterMetrics } from "./metrics";
import { TokenMeterRoot } from "./root";

const ALL: u32 = 0xffffffff;
/** Decoded bytes read from one compressed response at most (a decompression-bomb guard). */
const MAX_DECODED: u64 = 64 << 20;

/** Keeps completion text (bounded) so output tokens can be counted when usage never comes. */
class CompletionText extends CompletionTextSink {
  /** Allocated on the first text: most responses report usage and never need it. */
  buffer: ByteBuffer | null = null;
  overflow: bool = false;
  constructor(public cap: usize) {
    super();
  }
  text(ptr: usize, len: usize): void {
    if (this.overflow) return;
    let b = this.buffer;
    if (b === null) {
      b = new ByteBuffer(this.cap, min<usize>(this.cap, max<usize>(len, 1024)));
      this.buffer = b;
    }
    if (!b.append(ptr, len)) this.overflow = true;
  }
}

export class TokenMeterStream extends HttpContext {
  private readonly meter: TokenMeterRoot;
  private readonly rec: Recognition = new Recognition();
  private readonly prompt: PromptCount = new PromptCount();
  private metered: bool = false;
  private requestDone: bool = false;
  private bodyTooLarge: bool = false;
  private hideUsage: bool = false;
  private status: i32 = 0;
  private usageMeter: UsageMeter | null = null;
  private hider: UsageChunkHider | null = null;
  private rewritten: ByteBuffer | null = null;
  private completion: CompletionText | null = null;
  private startNs: u64 = 0;
  private firstByteNs: u64 = 0;
  private finalized: bool = false;
  /** Response headers held (StopIteration) until the body's usage can go into them. */
  private holdingHeaders: bool = false;
  /** Bytes of the buffered response already fed to the meter (a paused body is re-read whole). */
  private responseFed: usize = 0;
  /** Decodes a compressed response for the meter only; the client gets the original bytes. */
  private inflater: Inflater | null = null;

  constructor(contextId: u32, root: TokenMeterRoot) {
    super(contextId, root);
    this.meter = root;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const method = getHeaderMapValueBytes(MapType.HttpRequestHeaders, ":method");
    const path = getHeaderMapValueBytes(MapType.HttpRequestHeaders, ":path");
    let authority = getHeaderMapValueBytes(MapType.HttpRequestHeaders, ":authority");
    if (authority === null) authority = getHeaderMapValueBytes(MapType.HttpRequestHeaders, "host");
    if (method !== null && path !== null) this.recognise(method, path, authority);
    free(method);
    free(path);
    free(authority);

    const metrics = this.metrics();
    if (!this.metered) {
      if (metrics !== null) metrics.unknownRequest();
      return FilterHeadersStatus.Continue;
    }
    this.startNs = getCurrentTimeNanoseconds();
    // A compressed response cannot be metered in the filter: ask the provider for identity
    // encoding (Envoy's compressor filter can still compress toward the client).
    this.removeRequestHeader("accept-encoding");
    publishBytes(P_PROVIDER, providerBytes(this.rec.provider));
    publishBytes(P_OPERATION, operationBytes(this.rec.operation));
    if (endOfStream) {
      this.finishRequest(0, 0);
    } else if (this.mayInjectIncludeUsage()) {
      // The body may grow; HTTP/1 upstreams would otherwise get a stale length (Envoy does not fix it).
      this.removeRequestHeader("content-length");
    }
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    if (!this.metered || this.requestDone) return FilterDataStatus.Continue;
    if (bodySize > this.meter.config.promptMaxBodyBytes) {
      // Too big to hold: forward it uncounted rather than hold the request hostage.
      this.bodyTooLarge = true;
      const metrics = this.metrics();
      if (metrics !== null) metrics.oversizeRequest(this.rec.provider);
      this.finishRequest(0, 0);
      return FilterDataStatus.Continue;
    }
    if (!endOfStream) return FilterDataStatus.StopIterationAndBuffer;
    return this.readBufferedRequest(bodySize);
  }

  onRequestTrailers(numTrailers: u32): FilterTrailersStatus {
    // With trailers no body call has end_of_stream: the buffered body is complete now.
    if (this.metered && !this.requestDone) this.readBufferedRequest(ALL);
    return FilterTrailersStatus.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    if (!this.metered) return FilterHeadersStatus.Continue;
    const statusBytes = getHeaderMapValueBytes(MapType.HttpResponseHeaders, ":status");
    this.status = statusBytes === null ? 0 : parseHttpStatus(statusBytes.ptr, statusBytes.len);
    free(statusBytes);
    const ct = getHeaderMapValueBytes(MapType.HttpResponseHeaders, "content-type");
    const framing = ct === null ? BodyFraming.Json : framingFor(this.rec.operation, ct.ptr, ct.len);
    free(ct);
    const config = this.meter.config;
    const encoding = getHeaderMapValueBytes(MapType.HttpResponseHeaders, "content-encoding");
    if (encoding !== null) {
      // Providers usually honour the dropped accept-encoding; some compress anyway.
      if (eqAsciiNoCase(encoding.ptr, encoding.len, "gzip") || eqAsciiNoCase(encoding.ptr, encoding.len, "x-gzip")) this.inflater = new Inflater(MAX_DECODED, INFLATE_FORMAT_GZIP);
      else if (eqAsciiNoCase(encoding.ptr, encoding.len, "deflate")) this.inflater = new Inflater(MAX_DECODED, INFLATE_FORMAT_ZLIB);
      encoding.free();
    }
    const meter = new UsageMeter(this.rec.provider, this.rec.operation, framing, config.maxEventBytes);
    meter.setStatus(this.status);
    if (this.rec.provider == Provider.Bedrock) this.feedBedrockHeaders(meter);
    const completion = new CompletionText(config.completionMaxTextBytes);
    meter.sink = completion;
    this.usageMeter = meter;
    this.completion = completion;
    if (this.hideUsage && this.inflater === null && framing == BodyFraming.Sse && this.status >= 200 && this.status < 300) {
      this.hider = new UsageChunkHider(config.maxEventBytes, config.maxJsonDepth);
      this.rewritten = rewriteBuffer(<usize>config.maxEventBytes * 4 + 65536);
      this.removeResponseHeader("content-length");
    }
    if (endOfStream) {
      this.finish();
    } else if (config.responseHeaders && this.inflater === null && !this.rec.stream && framing == BodyFraming.Json && this.status >= 200 && this.status < 300) {
      // Needs allow_on_headers_stop_iteration (Envoy >= 1.35), so that body callbacks keep coming
      // while the headers wait (CONFIG.md response_headers).
      this.holdingHeaders = true;
      return FilterHeadersStatus.StopIteration;
    }
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    const meter = this.usageMeter;
    if (meter === null || this.finalized) return FilterDataStatus.Continue;
    if (this.firstByteNs == 0 && bodySize > 0) this.firstByteNs = getCurrentTimeNanoseconds();
    if (this.holdingHeaders) return this.bufferForHeaders(meter, bodySize, endOfStream);
    const chunk = this.getResponseBodyBytes(0, bodySize);
    if (this.inflater !== null) {
      this.feedCompressed(meter, chunk, endOfStream);
      if (chunk !== null) chunk.free();
      if (endOfStream) this.finish();
      return FilterDataStatus.Continue;
    }
    if (chunk !== null) {
      meter.push(chunk.ptr, chunk.len);
      const hider = this.hider;
      const out = this.rewritten;
      if (hider !== null && out !== null) {
        out.clear();
        hider.push(chunk.ptr, chunk.len, out);
        if (endOfStream) hider.finish(out);
        setBufferBytes(BufferType.HttpResponseBody, 0, ALL, out.ptr, out.length);
      }
      chunk.free();
    } else if (endOfStream && this.hider !== null && this.rewritten !== null) {
      const out = this.rewritten!;
      out.clear();
      this.hider!.finish(out);
      if (out.length > 0) setBufferBytes(BufferType.HttpResponseBody, 0, ALL, out.ptr, out.length);
    }
    if (endOfStream) this.finish();
    return FilterDataStatus.Continue;
  }

  /** Inflates a compressed chunk and meters what comes out; a bad stream stops being read. */
  private feedCompressed(meter: UsageMeter, chunk: HostBytes | null, endOfStream: bool): void {
    const inflater = this.inflater!;
    if (chunk !== null && chunk.len > 0 && inflater.push(chunk.ptr, chunk.len) < 0) return;
    if (endOfStream) inflater.finish();
    // Drain fully: the inflater reads the chunk in place, and the chunk is freed after this.
    for (;;) {
      const r = inflater.next();
      if (r != INFLATE_DATA) break;
      meter.push(inflater.outPtr, inflater.outLen);
    }
  }

  /** Non-streamed response with usage headers: hold the body, then write headers and release both. */
  private bufferForHeaders(meter: UsageMeter, bodySize: u32, endOfStream: bool): FilterDataStatus {
    // After a pause the visible body is everything buffered: feed only the new part.
    if (<usize>bodySize > this.responseFed) {
      const fresh = this.getResponseBodyBytes(<u32>this.responseFed, bodySize - <u32>this.responseFed);
      if (fresh !== null) {
        meter.push(fresh.ptr, fresh.len);
        fresh.free();
      }
      this.responseFed = <usize>bodySize;
    }
    if (!endOfStream) return FilterDataStatus.StopIterationAndBuffer;
    this.finish();
    this.holdingHeaders = false;
    return FilterDataStatus.Continue;
  }

  onLog(): void {
    // A stream cut short (client gone, upstream reset, local reply) still gets its figures.
    if (this.metered && !this.finalized) this.finish();
  }

  // ---------------------------------------------------------------------------------------

  private metrics(): TokenMeterMetrics | null {
    const config = this.meter.config;
    return config.metrics ? TokenMeterMetrics.forPrefix(config.metricsPrefix) : null;
  }

  private recognise(method: HostBytes, path: HostBytes, authority: HostBytes | null): void {
    const routes = this.meter.config.routes;
    let pathPtr = path.ptr;
    let pathLen = path.len;
    let forced = "";
    for (let i = 0; i < routes.length; i++) {
      const r = unchecked(routes[i]);
      if (!startsWithAscii(path.ptr, path.len, r.pathPrefix)) continue;
      if (r.host.length > 0 && (authority === null || !startsWithAscii(authority.ptr, authority.len, r.host) || authority.len != <usize>r.host.length)) continue;
      if (r.provider == "none") return;
      forced = r.provider;
      if (r.stripPrefix) {
        // Keep the leading '/' of what follows the prefix.
        let cut = <usize>r.pathPrefix.length;
        if (cut > 0 && load<u8>(path.ptr + cut - 1) == 0x2f) cut--;
        pathPtr = path.ptr + cut;
        pathLen = path.len - cut;
      }
      break;
    }
    const aPtr: usize = authority === null ? 0 : authority.ptr;
    const aLen: usize = authority === null ? 0 : authority.len;
    recognisePath(this.rec, method.ptr, method.len, pathPtr, pathLen, aPtr, aLen, false);
    // `api-key` only matters to rule 7's vendor test (Azure), and only when the answer without it
    // is an OpenAI-dialect vendor other than OpenAI and Azure: fetch it only then (one hostcall
    // fewer for everything else). recognisePath resets the recognition, so the rerun is clean.
    if (mayBeAzureByApiKey(this.rec.provider)) {
      const apiKey = getHeaderMapValueBytes(MapType.HttpRequestHeaders, "api-key");
      if (apiKey !== null) {
        apiKey.free();
        recognisePath(this.rec, method.ptr, method.len, pathPtr, pathLen, aPtr, aLen, true);
      }
    }
    if (forced.length > 0) {
      const p = providerFromName(forced);
      if (p > 0) this.rec.provider = <Provider>p;
    }
    this.metered = this.rec.provider != Provider.Unknown && this.rec.operation != Operation.Unknown;
  }

  private mayInjectIncludeUsage(): bool {
    if (!this.meter.config.injectIncludeUsage) return false;
    const op = this.rec.operation;
    return op == Operation.ChatCompletions || op == Operation.Completions;
  }

  private readBufferedRequest(bodySize: u32): FilterDataStatus {
    const body = this.getRequestBodyBytes(0, bodySize);
    const ptr: usize = body === null ? 0 : body.ptr;
    const len: usize = body === null ? 0 : body.len;
    const rejected = this.finishRequest(ptr, len);
    if (body !== null) body.free();
    return rejected ? FilterDataStatus.StopIterationNoBuffer : FilterDataStatus.Continue;
  }

  /** Reads the whole request body once. Returns true when it answered the client itself. */
  private finishRequest(ptr: usize, len: usize): bool {
    this.requestDone = true;
    const config = this.meter.config;
    if (!this.bodyTooLarge && len > 0) {
      const status = readRequestBody(this.rec, ptr, len);
      if (status == REQUEST_MALFORMED) {
        const metrics = this.metrics();
        if (metrics !== null) metrics.badRequest(this.rec.provider);
        if (config.rejectBadInput) {
          this.reject("the request body is not valid JSON");
          return true;
        }
      }
      if (config.promptCounting) countPrompt(this.rec, ptr, len, this.prompt);
      if (this.mayInjectIncludeUsage() && this.rec.stream && !this.rec.includeUsageTrue) {
        const out = new ByteBuffer(len + 128, len + 64);
        if (injectIncludeUsage(ptr, len, out, config.maxJsonDepth) == INJECT_DONE) {
          setBufferBytes(BufferType.HttpRequestBody, 0, ALL, out.ptr, out.length);
          this.hideUsage = true;
        }
      }
    }
    if (this.bodyTooLarge && config.rejectBadInput) {
      this.reject("the request body is larger than the configured limit");
      return true;
    }
    this.publishRequest();
    return false;
  }

  private reject(message: string): void {
    const e = providerError(this.rec.provider, 400, ErrorKind.InvalidRequest, message);
    const headers: HeaderPair[] = [new HeaderPair("content-type", e.contentType)];
    if (e.errorTypeHeader.length > 0) headers.push(new HeaderPair("x-amzn-errortype", e.errorTypeHeader));
    this.sendLocalResponse(400, "tollgate_token_meter_bad_request", e.body, headers);
    this.metered = false;
  }

  private feedBedrockHeaders(meter: UsageMeter): void {
    feedHeader(meter, H_BEDROCK_INPUT);
    feedHeader(meter, H_BEDROCK_OUTPUT);
    feedHeader(meter, H_BEDROCK_CACHE_READ);
    feedHeader(meter, H_BEDROCK_CACHE_WRITE);
  }

  private publishRequest(): void {
    const rec = this.rec;
    publishBytes(P_STREAM, rec.stream ? V_TRUE : V_FALSE);
    const w = smallWriter();
    w.beginObject();
    w.key("prompt");
    if (this.prompt.source == FigureSource.Missing) w.null();
    else w.int(this.prompt.tokens);
    w.key("source").string(sourceName(this.prompt.source));
    w.key("output_cap");
    if (rec.hasOutputCap) w.int(rec.outputCap);
    else w.null();
    w.key("n").int(rec.n);
    w.key("include_usage_injected").bool(this.hideUsage);
    w.endObject();
    publish(P_REQUEST_TOKENS, w);
  }

  private finish(): void {
    this.finalized = true;
    const meter = this.usageMeter;
    const usage = meter === null ? new Usage() : this.finishMeter(meter);
    // Providers do not bill requests they reject: an error response meters as nothing.
    const rejectedUpstream = this.status >= 300 || (this.status != 0 && this.status < 200);
    if (!rejectedUpstream && usage.inputSource == FigureSource.Missing && this.prompt.source != FigureSource.Missing) {
      usage.input = <u64>max<i64>(this.prompt.tokens, 0);
      usage.inputSource = this.prompt.source;
    }
    const rec = this.rec;
    const servedPtr = meter !== null && meter.modelLen > 0 ? meter.modelPtr : 0;
    const servedLen = meter !== null ? meter.modelLen : 0;

    const model = modelWriter();
    model.beginObject().key("requested");
    if (rec.modelLen > 0) model.stringBytes(rec.modelPtr, rec.modelLen);
    else model.null();
    model.key("served");
    if (servedLen > 0) model.stringBytes(servedPtr, servedLen);
    else model.null();
    model.endObject();
    publish(P_MODEL, model);

    const w = smallWriter();
    w.beginObject();
    w.key("input").uint(usage.input);
    w.key("output").uint(usage.output);
    w.key("cached_input").uint(usage.cachedInput);
    w.key("cache_write").uint(usage.cacheWrite);
    w.key("reasoning").uint(usage.reasoning);
    w.key("total").uint(usage.total);
    w.key("source").beginObject();
    w.key("input").string(sourceName(usage.inputSource));
    w.key("output").string(sourceName(usage.outputSource));
    w.endObject();
    w.endObject();
    publish(P_USAGE, w);

    // Price by the model that served the call when the response names it, else the requested one.
    const priceModelPtr = servedLen > 0 ? servedPtr : rec.modelPtr;
    const priceModelLen = servedLen > 0 ? servedLen : <usize>rec.modelLen;
    const cost = rejectedUpstream ? NO_PRICE : this.meter.prices.priceCall(priceModelPtr, priceModelLen, <i32>rec.provider, usage);
    if (cost != NO_PRICE) {
      const c = smallWriter();
      c.int(cost);
      publish(P_COST, c);
    }
    if (this.holdingHeaders) this.writeUsageHeaders(usage, cost);

    const metrics = this.metrics();
    if (metrics !== null) {
      const now = getCurrentTimeNanoseconds();
      metrics.record(
        rec, usage, cost, this.status,
        this.firstByteNs > 0 ? (this.firstByteNs - this.startNs) / 1_000_000 : 0,
        (now - this.startNs) / 1_000_000,
        meter !== null && meter.badUnits > 0,
      );
    }
  }

  private writeUsageHeaders(usage: Usage, cost: i64): void {
    const prefix = this.meter.config.responseHeaderPrefix;
    this.setResponseHeader(prefix + "input-tokens", usage.input.toString());
    this.setResponseHeader(prefix + "output-tokens", usage.output.toString());
    this.setResponseHeader(prefix + "total-tokens", usage.total.toString());
    this.setResponseHeader(prefix + "usage-source", sourceName(usage.inputSource) + "," + sourceName(usage.outputSource));
    if (cost != NO_PRICE) this.setResponseHeader(prefix + "cost-micro-usd", cost.toString());
  }

  /** Reported figures first; output counted from completion text when the provider said nothing. */
  private finishMeter(meter: UsageMeter): Usage {
    meter.finish();
    const usage = meter.usage;
    const completion = this.completion;
    const text = completion !== null ? completion.buffer : null;
    if (usage.outputSource == FigureSource.Missing && completion !== null && text !== null && text.length > 0 && this.status >= 200 && this.status < 300) {
      const enc = this.rec.modelLen > 0 ? encodingForModel(this.rec.modelPtr, <usize>this.rec.modelLen) : ENCODING_NONE;
      const n = enc == ENCODING_NONE || completion.overflow ? -1 : countTokens(text.ptr, text.length, enc);
      if (n >= 0) {
        usage.output = <u64>n;
        usage.outputSource = FigureSource.Counted;
      } else {
        // No public vocabulary for this model (or text past the cap): ~4 bytes a token.
        usage.output = (<u64>text.length + 3) / 4;
        usage.outputSource = FigureSource.Estimated;
      }
    }
    return usage;
  }
}

function feedHeader(meter: UsageMeter, name: ArrayBuffer): void {
  const v = getHeaderMapValueRaw(MapType.HttpResponseHeaders, changetype<usize>(name), <usize>name.byteLength);
  if (v === null) return;
  meter.pushHeader(changetype<usize>(name), <usize>name.byteLength, v.ptr, v.len);
  v.free();
}

function free(b: HostBytes | null): void {
  if (b !== null) b.free();
}

function sourceName(s: FigureSource): string {
  switch (s) {
    case FigureSource.Reported: return "reported";
    case FigureSource.Counted: return "counted";
    case FigureSource.Estimated: return "estimated";
    default: return "missing";
  }
}

// Property paths, values and header names as UTF-8 once per VM, not per request.
const P_PROVIDER = String.UTF8.encode("tollgate.provider");
const P_OPERATION = String.UTF8.encode("tollgate.operation");
const P_STREAM = String.UTF8.encode("tollgate.stream");
const P_REQUEST_TOKENS = String.UTF8.encode("tollgate.request_tokens");
const P_MODEL = String.UTF8.encode("tollgate.model");
const P_USAGE = String.UTF8.encode("tollgate.usage");
const P_COST = String.UTF8.encode("tollgate.cost_micro_usd");
const V_TRUE = String.UTF8.encode("true");
const V_FALSE = String.UTF8.encode("false");
const H_BEDROCK_INPUT = String.UTF8.encode("x-amzn-bedrock-input-token-count");
const H_BEDROCK_OUTPUT = String.UTF8.encode("x-amzn-bedrock-output-token-count");
const H_BEDROCK_CACHE_READ = String.UTF8.encode("x-amzn-bedrock-cache-read-input-token-count");
const H_BEDROCK_CACHE_WRITE = String.UTF8.encode("x-amzn-bedrock-cache-write-input-token-count");

const NAME_SLOTS = 32;
const providerUtf8 = new StaticArray<ArrayBuffer | null>(NAME_SLOTS);
const operationUtf8 = new StaticArray<ArrayBuffer | null>(NAME_SLOTS);

function providerBytes(p: Provider): ArrayBuffer {
  const i = <i32>p;
  if (i < 0 || i >= NAME_SLOTS) return String.UTF8.encode(providerName(p));
  let b = unchecked(providerUtf8[i]);
  if (b === null) {
    b = String.UTF8.encode(providerName(p));
    unchecked(providerUtf8[i] = b);
  }
  return b;
}

function operationBytes(o: Operation): ArrayBuffer {
  const i = <i32>o;
  if (i < 0 || i >= NAME_SLOTS) return String.UTF8.encode(operationName(o));
  let b = unchecked(operationUtf8[i]);
  if (b === null) {
    b = String.UTF8.encode(operationName(o));
    unchecked(operationUtf8[i] = b);
  }
  return b;
}

/** Vendors rule 7 would have called Azure OpenAI had an `api-key` header been present. */
function mayBeAzureByApiKey(p: Provider): bool {
  return p == Provider.Mistral || p == Provider.Groq || p == Provider.DeepSeek || p == Provider.Together ||
    p == Provider.OpenRouter || p == Provider.OpenAICompatible || p == Provider.Ollama;
}

// JSON writers for the published values, reused: each document is written and handed to the
// host within one callback (set_property copies), so nothing is kept across callbacks.
let small: JsonWriter | null = null;
let large: JsonWriter | null = null;

function smallWriter(): JsonWriter {
  let w = small;
  if (w === null) {
    w = new JsonWriter(512);
    small = w;
  } else {
    w.reset();
  }
  return w;
}

function modelWriter(): JsonWriter {
  let w = large;
  if (w === null) {
    w = new JsonWriter(1200);
    large = w;
  } else {
    w.reset();
  }
  return w;
}

// The rewritten chunk is built and handed to the host (set_buffer copies) within one
// on_response_body, so one buffer per VM serves every stream; it keeps its grown capacity.
let rewriteOut: ByteBuffer | null = null;

function rewriteBuffer(cap: usize): ByteBuffer {
  let b = rewriteOut;
  if (b === null || b.max != min<usize>(cap, BYTE_BUFFER_MAX_CAP)) {
    b = new ByteBuffer(cap, 4096);
    rewriteOut = b;
  }
  return b;
}

function publish(path: ArrayBuffer, w: JsonWriter): void {
  if (!w.ok) return;
  setPropertyRaw(changetype<usize>(path), <usize>path.byteLength, w.ptr, w.length);
}

function publishBytes(path: ArrayBuffer, value: ArrayBuffer): void {
  setPropertyRaw(changetype<usize>(path), <usize>path.byteLength, changetype<usize>(value), <usize>value.byteLength);
}
