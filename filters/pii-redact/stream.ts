// pii-redact on one HTTP stream.
//   request headers  recognise the call; drop content-length (the body may change length) and
//                    accept-encoding (a compressed reply cannot be read)
//   request body     buffered to its end, then every text part scanned and rewritten; an entity
//                    whose action is block refuses the request (400 in the provider's shape,
//                    naming the type, never the value)
//   response         non-streamed JSON: buffered, entities replaced, placeholders restored.
//                    SSE, NDJSON, Gemini JSON-array and Bedrock ConverseStream event-stream:
//                    event by event (reply-stream.ts), per channel, with a bounded hold-back.
//                    InvokeModelWithResponseStream (base64-wrapped vendor events): the same for
//                    Anthropic models (model id, else the first event); other vendors' replies
//                    pass through unscanned (filter state says so).
//   end              filter state tollgate.pii and metrics: counts per direction, type, action
import {
  BufferType, FilterDataStatus, FilterHeadersStatus, HeaderPair, HostBytes, HttpContext, MapType,
  WasmResult, getHeaderMapValueBytes, logWarn, setBufferBytes,
} from "../sdk";
import { parseHttpStatus } from "../lib/bytes";
import { piiTypeName } from "../lib/pii/findings";
import { ErrorKind, providerError } from "../lib/providers/errors";
import { Recognition } from "../lib/providers/recognise";
import { recogniseRequestHeaders } from "../lib/providers/recognise-headers";
import { BodyFraming, Operation, Provider } from "../lib/providers/types";
import { framingFor } from "../lib/providers/usage";
import { DocumentRedactor, DOC_BLOCKED, DOC_REWRITTEN, DOC_UNREADABLE } from "./document";
import { streamsAnthropicEvents } from "./bedrock-invoke-model";
import { ReplyStream } from "./reply-stream";
import { ByteBuffer, eqAsciiNoCase } from "../lib/bytes";
import { Inflater, INFLATE_DATA, INFLATE_FORMAT_GZIP, INFLATE_FORMAT_ZLIB } from "../lib/inflate";
import { PiiPolicy } from "./policy";
import { PiiRedactRoot } from "./root";
import { publishPiiState } from "./state";

const ALL: u32 = 0xffffffff;

export class PiiStream extends HttpContext {
  private readonly pii: PiiRedactRoot;
  private readonly rec: Recognition = new Recognition();
  private active: bool = false;
  private requestDone: bool = false;
  private rewriteResponse: bool = false;
  private policy: PiiPolicy;
  private doc: DocumentRedactor;
  blockedType: i32 = 0;
  /** A reply not rewritten: InvokeModelWithResponseStream of a non-Anthropic model, or an encoding we cannot decode. */
  responseStreamed: bool = false;
  private responseUnrewritable: bool = false;
  private reply: ReplyStream | null = null;
  /** A compressed reply is decompressed here and sent on uncompressed (content-encoding dropped). */
  private inflater: Inflater | null = null;
  badDocuments: i32 = 0;

  constructor(contextId: u32, root: PiiRedactRoot) {
    super(contextId, root);
    const policy = root.newPolicy();
    this.policy = policy;
    this.doc = new DocumentRedactor(root.config.scan, policy);
    this.pii = root;
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    recogniseRequestHeaders(this.rec);
    this.active = this.rec.operation != Operation.Unknown;
    if (!this.active) return FilterHeadersStatus.Continue;
    this.policy.setTenant(this.pii.config.tenantHeader);
    if (this.pii.config.requests && !endOfStream) this.removeRequestHeader("content-length");
    if (this.pii.config.responses) this.removeRequestHeader("accept-encoding");
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    if (!this.active || this.requestDone || !this.pii.config.requests) return FilterDataStatus.Continue;
    if (bodySize > this.pii.config.maxBodyBytes) return this.tooLarge();
    if (!endOfStream) return FilterDataStatus.StopIterationAndBuffer;
    this.requestDone = true;
    const body = this.getRequestBodyBytes(0, bodySize);
    if (body === null) return FilterDataStatus.Continue;
    const r = this.doc.run(this.rec.provider, this.rec.operation, false, body.ptr, body.len);
    body.free();
    if (r == DOC_BLOCKED) {
      this.blockedType = this.doc.blockedType;
      this.refuse(400, "The request contains " + article(piiTypeName(this.blockedType)) + " " + piiTypeName(this.blockedType) + ", which this gateway does not forward.", "tollgate_pii_blocked");
      return FilterDataStatus.StopIterationNoBuffer;
    }
    if (r == DOC_UNREADABLE) {
      this.badDocuments++;
      if (this.pii.config.rejectBadInput) {
        this.refuse(400, "The request body could not be read for personal data.", "tollgate_pii_bad_request");
        return FilterDataStatus.StopIterationNoBuffer;
      }
    }
    if (r == DOC_REWRITTEN) {
      const out = this.doc.rewriter.out;
      // A host that cannot rewrite bodies (APISIX answers Unimplemented) would send the prompt
      // as it came: refuse it instead.
      if (setBufferBytes(BufferType.HttpRequestBody, 0, ALL, out.ptr, out.length) != WasmResult.Ok) {
        this.refuse(500, "The gateway could not remove personal data from the request, so it was not sent.", "tollgate_pii_rewrite_failed");
        return FilterDataStatus.StopIterationNoBuffer;
      }
    }
    return FilterDataStatus.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    if (!this.active || !this.pii.config.responses || this.blockedType != 0 || endOfStream) return FilterHeadersStatus.Continue;
    const status = getHeaderMapValueBytes(MapType.HttpResponseHeaders, ":status");
    const code = status === null ? 0 : parseHttpStatus(status.ptr, status.len);
    free(status);
    if (code < 200 || code >= 300) return FilterHeadersStatus.Continue;
    // Providers usually honour the dropped accept-encoding; a reply compressed anyway is read
    // through an inflater and sent on uncompressed. One we cannot decode passes unscanned.
    const encoding = getHeaderMapValueBytes(MapType.HttpResponseHeaders, "content-encoding");
    if (encoding !== null) {
      const gzip = eqAsciiNoCase(encoding.ptr, encoding.len, "gzip") || eqAsciiNoCase(encoding.ptr, encoding.len, "x-gzip");
      const deflate = eqAsciiNoCase(encoding.ptr, encoding.len, "deflate");
      const identity = eqAsciiNoCase(encoding.ptr, encoding.len, "identity");
      encoding.free();
      if (!gzip && !deflate && !identity) {
        this.responseStreamed = true;
        return FilterHeadersStatus.Continue;
      }
      if (!identity) {
        this.inflater = new Inflater(<u64>this.pii.config.maxBodyBytes * 8, gzip ? INFLATE_FORMAT_GZIP : INFLATE_FORMAT_ZLIB);
        this.removeResponseHeader("content-encoding");
        this.removeResponseHeader("content-length");
      }
    }
    const ct = getHeaderMapValueBytes(MapType.HttpResponseHeaders, "content-type");
    const framing = ct === null ? BodyFraming.Json : framingFor(this.rec.operation, ct.ptr, ct.len);
    free(ct);
    const op = this.rec.operation;
    if (framing == BodyFraming.Sse || framing == BodyFraming.Ndjson || framing == BodyFraming.JsonArray || (framing == BodyFraming.EventStream && (op == Operation.ConverseStream || op == Operation.InvokeStream))) {
      const c = this.pii.config;
      const reply = new ReplyStream(this.rec.provider, op, framing, c.scan, this.policy, c.holdBackBytes, 1 << 20);
      if (op == Operation.InvokeStream) reply.anthropicModel = streamsAnthropicEvents(this.rec.modelPtr, <usize>this.rec.modelLen);
      this.reply = reply;
      this.removeResponseHeader("content-length");
      return FilterHeadersStatus.Continue;
    }
    if (framing != BodyFraming.Json) {
      this.responseStreamed = true;
      return FilterHeadersStatus.Continue;
    }
    this.rewriteResponse = true;
    this.removeResponseHeader("content-length");
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    const reply = this.reply;
    if (reply !== null) {
      const out = replyBuffer();
      out.clear();
      const chunk = this.getResponseBodyBytes(0, bodySize);
      if (chunk !== null) {
        const plain = this.plain(chunk.ptr, chunk.len, endOfStream);
        reply.push(plain.ptr, plain.length, out);
        chunk.free();
      } else if (endOfStream && this.inflater !== null) {
        const plain = this.plain(0, 0, true);
        reply.push(plain.ptr, plain.length, out);
      }
      if (endOfStream) {
        reply.finish(out);
        this.badDocuments += reply.badUnits;
      }
      this.setResponse(out.ptr, out.length);
      return FilterDataStatus.Continue;
    }
    if (!this.rewriteResponse) {
      // Passing through (too large to hold): a decompressed reply must still be decompressed.
      if (this.inflater !== null) this.passDecompressed(bodySize, endOfStream);
      return FilterDataStatus.Continue;
    }
    if (bodySize > this.pii.config.maxBodyBytes) {
      // Too large to hold: it goes through as is (counted as unreadable).
      this.rewriteResponse = false;
      this.badDocuments++;
      if (this.inflater !== null) this.passDecompressed(bodySize, endOfStream);
      return FilterDataStatus.Continue;
    }
    if (!endOfStream) return FilterDataStatus.StopIterationAndBuffer;
    this.rewriteResponse = false;
    const body = this.getResponseBodyBytes(0, bodySize);
    if (body === null) return FilterDataStatus.Continue;
    let ptr = body.ptr;
    let len = body.len;
    if (this.inflater !== null) {
      const plain = this.plain(ptr, len, true);
      ptr = plain.ptr;
      len = plain.length;
    }
    const r = this.doc.run(this.rec.provider, this.rec.operation, true, ptr, len);
    if (r == DOC_REWRITTEN) {
      const out = this.doc.rewriter.out;
      this.setResponse(out.ptr, out.length);
    } else {
      if (r == DOC_UNREADABLE) this.badDocuments++;
      // The header now says identity: the client gets the decompressed bytes either way.
      if (this.inflater !== null) this.setResponse(ptr, len);
    }
    body.free();
    return FilterDataStatus.Continue;
  }

  onLog(): void {
    if (!this.active) return;
    const reply = this.reply;
    if (reply !== null && reply.unscanned) this.responseStreamed = true;
    publishPiiState(this);
    this.pii.record(this);
  }

  get counts(): PiiPolicy { return this.policy; }

  private passDecompressed(bodySize: u32, endOfStream: bool): void {
    const chunk = this.getResponseBodyBytes(0, bodySize);
    const plain = chunk === null ? this.plain(0, 0, endOfStream) : this.plain(chunk.ptr, chunk.len, endOfStream);
    if (chunk !== null) chunk.free();
    this.setResponse(plain.ptr, plain.length);
  }

  /**
   * Replaces the reply chunk. A host that refuses (APISIX answers Unimplemented) leaves the reply
   * as the provider sent it: said once per stream, since nothing else can tell.
   */
  private setResponse(ptr: usize, len: usize): void {
    const r = setBufferBytes(BufferType.HttpResponseBody, 0, ALL, ptr, len);
    if (r == WasmResult.Ok || this.responseUnrewritable) return;
    this.responseUnrewritable = true;
    logWarn("pii-redact: the host refused to rewrite the reply (proxy_set_buffer_bytes result " + (<i32>r).toString() + "); it reaches the client unredacted");
  }

  /** The chunk's decompressed bytes (the chunk itself when the reply is not compressed). */
  private plain(ptr: usize, len: usize, end: bool): ByteBuffer {
    const out = plainBuffer();
    out.clear();
    const inflater = this.inflater;
    if (inflater === null) {
      out.append(ptr, len);
      return out;
    }
    if (len > 0 && inflater.push(ptr, len) < 0) {
      this.badDocuments++;
      return out;
    }
    if (end) inflater.finish();
    for (;;) {
      const r = inflater.next();
      if (r != INFLATE_DATA) break;
      out.append(inflater.outPtr, inflater.outLen);
    }
    return out;
  }

  /** Most text bytes a streamed reply's channel held back (0 when the reply was not streamed). */
  get maxHeld(): usize {
    const r = this.reply;
    return r === null ? 0 : r.maxHeld;
  }

  private tooLarge(): FilterDataStatus {
    this.requestDone = true;
    this.badDocuments++;
    if (this.pii.config.rejectBadInput) {
      this.refuse(413, "The request body is larger than the gateway scans for personal data.", "tollgate_pii_too_large");
      return FilterDataStatus.StopIterationNoBuffer;
    }
    return FilterDataStatus.Continue;
  }

  private refuse(status: i32, message: string, details: string): void {
    const e = providerError(this.rec.provider, status, ErrorKind.InvalidRequest, message);
    const headers: HeaderPair[] = [new HeaderPair("content-type", e.contentType)];
    if (e.errorTypeHeader.length > 0) headers.push(new HeaderPair("x-amzn-errortype", e.errorTypeHeader));
    this.sendLocalResponse(<u32>status, details, e.body, headers);
  }
}

// A chunk's rewrite is handed to the host (set_buffer copies) within one callback: one per VM.
let replyOut: ByteBuffer | null = null;
function replyBuffer(): ByteBuffer {
  let b = replyOut;
  if (b === null) {
    b = new ByteBuffer(64 << 20, 64 << 10);
    replyOut = b;
  }
  return b;
}

let plainOut: ByteBuffer | null = null;
function plainBuffer(): ByteBuffer {
  let b = plainOut;
  if (b === null) {
    b = new ByteBuffer(256 << 20, 64 << 10);
    plainOut = b;
  }
  return b;
}

function article(word: string): string {
  const c = word.charCodeAt(0);
  return c == 0x41 || c == 0x45 || c == 0x49 || c == 0x4f || c == 0x55 ? "an" : "a";
}

function free(b: HostBytes | null): void {
  if (b !== null) b.free();
}

export { Provider };
