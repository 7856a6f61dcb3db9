// An HTTP stream through the chain: Envoy's ActiveStream + FilterManager as filters observe it.
// The codec side (client) and the router side (upstream) are driven through HttpStream.
import type { HeaderList, HttpStream, StreamAttributes, StreamEvents } from "./api";
import { BodyBuffer } from "./body-buffer";
import type { FilterCallbacks, StreamContext, StreamInfoView } from "./context";
import { ChainDirection } from "./filter-chain";
import { HeaderMap } from "./header-map";

const enc = new TextEncoder();

/** Envoy's Grpc::Utility::httpToGrpcStatus. */
function httpToGrpcStatus(code: number): number {
  switch (code) {
    case 400: return 13;
    case 401: return 16;
    case 403: return 7;
    case 404: return 12;
    case 429: case 502: case 503: case 504: return 14;
    default: return 2;
  }
}

/** Envoy's PercentEncoding::encode for grpc-message: escapes '%' and bytes outside ' '..'}'. */
function grpcPercentEncode(body: Uint8Array): string {
  let out = "";
  for (const b of body) out += b < 0x20 || b >= 0x7e || b === 0x25 ? "%" + b.toString(16).toUpperCase().padStart(2, "0") : String.fromCharCode(b);
  return out;
}

const REASONS: Record<number, string> = {
  400: "Bad Request", 413: "Payload Too Large", 500: "Internal Server Error", 503: "Service Unavailable", 504: "Gateway Timeout",
};

export interface StreamOwner {
  clockNs(): bigint;
  bufferLimit(attrs: StreamAttributes): number;
  /** Creates this stream's filter contexts (one per chain entry that is present). */
  makeFilters(stream: HttpStreamImpl): StreamContext[];
  pendingFor(stream: HttpStreamImpl): number;
  finished(stream: HttpStreamImpl): void;
}

export class HttpStreamImpl implements HttpStream, StreamInfoView {
  readonly filterStateMap = new Map<string, Uint8Array>();
  startTimeNs: bigint;
  endTimeNs?: bigint;
  requestBytes = 0;
  responseBytes = 0;
  responseCode?: number;
  codeDetails?: string;
  requestComplete = false;
  upstreamCluster?: string;

  private filters: StreamContext[] = [];
  private encoderForward = false;
  /** Encoder position of a filter holding the response body (Kong buffering), or null. */
  private responseHold: number | null = null;
  private decoder!: ChainDirection<StreamContext>;
  private encoder!: ChainDirection<StreamContext>;
  private requestHeaders: HeaderMap | null = null;
  private requestTrailers: HeaderMap | null = null;
  private responseHeaders: HeaderMap | null = null;
  private responseTrailers: HeaderMap | null = null;
  private remoteDecodeComplete = false;
  private upstreamResponseComplete = false;
  private decoderAborted = false;
  private encoderAborted = false;
  /** Response headers reached the client (non-100). */
  private downstreamHeadersSent = false;
  private localComplete = false;
  private destroyed = false;
  private upstreamStarted = false;
  private upstreamRequestComplete = false;
  private isHead = false;
  private isGrpc = false;
  private resolveDone!: () => void;
  readonly done: Promise<void>;
  resetReason?: string;

  constructor(
    readonly id: number,
    readonly worker: number,
    readonly attributes: StreamAttributes,
    private readonly events: StreamEvents,
    private readonly owner: StreamOwner,
  ) {
    this.startTimeNs = owner.clockNs();
    this.done = new Promise((r) => (this.resolveDone = r));
  }

  /** Called by the host once contexts exist (they need `this` as their callbacks' stream). */
  attach(): void {
    this.filters = this.owner.makeFilters(this);
    const limit = () => this.owner.bufferLimit(this.attributes);
    this.decoder = new ChainDirection(this.filters, {
      headers: (f, h, eos) => f.decodeHeaders(h, eos),
      data: (f, d, eos) => f.decodeData(d, eos),
      trailers: (f, t) => f.decodeTrailers(t),
      sinkHeaders: (h, eos) => this.routerHeaders(h, eos),
      sinkData: (d, eos) => this.routerData(d, eos),
      sinkTrailers: (t) => this.routerTrailers(t),
      tooLarge: () => this.sendLocalReply(413, enc.encode("Payload Too Large"), undefined, undefined, "request_payload_too_large"),
      aborted: () => this.decoderAborted || this.destroyed,
      sourceComplete: () => this.remoteDecodeComplete,
      headerMap: () => this.requestHeaders!,
      trailerMap: () => this.requestTrailers,
      bufferLimit: limit,
    });
    // nginx hosts run response phases in chain order; Envoy's encoder walks the chain backward.
    this.encoderForward = this.filters[0]?.plugin.profile.responseInChainOrder ?? false;
    this.encoder = new ChainDirection(this.encoderForward ? [...this.filters] : [...this.filters].reverse(), {
      headers: (f, h, eos) => f.encodeHeaders(h, eos),
      data: (f, d, eos) => f.encodeData(d, eos),
      trailers: (f, t) => f.encodeTrailers(t),
      sinkHeaders: (h, eos) => this.downstreamHeaders(h, eos),
      sinkData: (d, eos) => this.downstreamData(d, eos),
      sinkTrailers: (t) => this.downstreamTrailers(t),
      tooLarge: () => this.sendLocalReply(500, enc.encode("Internal Server Error"), undefined, undefined, "response_payload_too_large"),
      aborted: () => this.encoderAborted || this.destroyed,
      sourceComplete: () => this.upstreamResponseComplete,
      headerMap: () => this.responseHeaders!,
      trailerMap: () => this.responseTrailers,
      bufferLimit: limit,
      skipData: (i) => this.responseHold !== null && i < this.responseHold,
    });
  }

  private encoderIndex(index: number): number {
    return this.encoderForward ? index : this.filters.length - 1 - index;
  }

  requestHeaderMap(): HeaderMap | null {
    return this.requestHeaders;
  }

  responseHeaderMap(): HeaderMap | null {
    return this.responseHeaders;
  }

  get idle(): boolean {
    return this.destroyed || this.owner.pendingFor(this) === 0;
  }

  responseCodeDetails(): string | undefined {
    return this.codeDetails;
  }

  get finishedStream(): boolean {
    return this.destroyed;
  }

  get upstreamRequestDone(): boolean {
    return this.upstreamRequestComplete;
  }

  get upstreamWasStarted(): boolean {
    return this.upstreamStarted;
  }

  get responseStarted(): boolean {
    return this.responseHeaders !== null;
  }

  /** Properties set through proxy_set_property: filter state `wasm.*`. */
  filterState(): Map<string, Uint8Array> {
    return new Map([...this.filterStateMap].filter(([k]) => k.startsWith("wasm.")));
  }

  // ---------------- the FilterCallbacks each StreamContext gets ----------------

  callbacksFor(index: number): FilterCallbacks {
    return {
      continueDecoding: () => {
        if (this.localComplete || this.destroyed) return;
        this.decoder.continueFrom(index);
      },
      continueEncoding: () => {
        if (this.destroyed || this.encoderAborted) return;
        this.encoder.continueFrom(this.encoderIndex(index));
      },
      sendLocalReply: (code, body, modify, grpc, details) => this.sendLocalReply(code, body, modify, grpc, details),
      resetStream: (details) => this.reset(details ?? "wasm_close_stream", true),
      addDecodedData: (d) => this.decoder.addData(d),
      addEncodedData: (d) => this.encoder.addData(d),
      decodingBuffer: () => this.decoder.buffered,
      encodingBuffer: () => this.encoder.buffered,
      addDecodedTrailers: () => (this.requestTrailers ??= new HeaderMap()),
      addEncodedTrailers: () => (this.responseTrailers ??= new HeaderMap()),
      setResponseCodeDetailsIfUnset: (d) => {
        this.codeDetails ??= d;
      },
      holdResponseChain: (on) => {
        this.responseHold = on ? this.encoderIndex(index) : null;
      },
      stream: this,
    };
  }

  // ---------------- codec (client) side ----------------

  sendRequestHeaders(headers: HeaderList, endStream: boolean): void {
    if (this.destroyed || this.requestHeaders) return;
    this.requestHeaders = HeaderMap.from(headers);
    this.isHead = this.requestHeaders.get(":method") === "HEAD";
    this.isGrpc = (this.requestHeaders.get("content-type") ?? "").startsWith("application/grpc");
    this.remoteDecodeComplete = endStream;
    if (endStream) this.requestComplete = true;
    this.decoder.headers(0, endStream);
  }

  sendRequestData(data: Uint8Array, endStream: boolean): void {
    if (this.destroyed || this.remoteDecodeComplete) return;
    this.requestBytes += data.length;
    this.remoteDecodeComplete = endStream;
    if (endStream) this.requestComplete = true;
    if (this.decoderAborted) return;
    this.decoder.data(0, new BodyBuffer(data.slice()), endStream);
  }

  sendRequestTrailers(trailers: HeaderList): void {
    if (this.destroyed || this.remoteDecodeComplete) return;
    this.requestTrailers = HeaderMap.from(trailers);
    this.remoteDecodeComplete = true;
    this.requestComplete = true;
    if (this.decoderAborted) return;
    this.decoder.trailers(0);
  }

  resetFromDownstream(reason = "downstream_remote_disconnect"): void {
    if (this.destroyed) return;
    this.codeDetails ??= reason;
    this.finish(reason, false);
  }

  // ---------------- router (upstream) side ----------------

  private routerHeaders(h: HeaderMap, eos: boolean): void {
    this.upstreamStarted = true;
    if (eos) this.upstreamRequestComplete = true;
    this.events.onUpstreamHeaders?.(h.toList(), eos);
  }

  private routerData(d: BodyBuffer, eos: boolean): void {
    if (eos) this.upstreamRequestComplete = true;
    this.events.onUpstreamData?.(d.data.slice(), eos);
  }

  private routerTrailers(t: HeaderMap): void {
    this.upstreamRequestComplete = true;
    this.events.onUpstreamTrailers?.(t.toList());
  }

  sendResponseHeaders(headers: HeaderList, endStream: boolean): void {
    if (this.destroyed || this.decoderAborted || this.responseHeaders || !this.upstreamStarted) return;
    this.responseHeaders = HeaderMap.from(headers);
    this.responseCode = Number(this.responseHeaders.get(":status") ?? 0);
    this.codeDetails ??= "via_upstream";
    this.upstreamResponseComplete = endStream;
    if (endStream) this.localComplete = true;
    this.encoder.headers(0, endStream);
  }

  sendResponseData(data: Uint8Array, endStream: boolean): void {
    if (this.destroyed || this.encoderAborted || !this.responseHeaders || this.upstreamResponseComplete) return;
    this.upstreamResponseComplete = endStream;
    if (endStream) this.localComplete = true;
    this.encoder.data(0, new BodyBuffer(data.slice()), endStream);
  }

  sendResponseTrailers(trailers: HeaderList): void {
    if (this.destroyed || this.encoderAborted || !this.responseHeaders || this.upstreamResponseComplete) return;
    this.responseTrailers = HeaderMap.from(trailers);
    this.upstreamResponseComplete = true;
    this.localComplete = true;
    this.encoder.trailers(0);
  }

  resetFromUpstream(reason = "remote_reset"): void {
    if (this.destroyed) return;
    if (!this.responseHeaders) {
      this.sendLocalReply(503, enc.encode(`upstream connect error or disconnect/reset before headers. reset reason: ${reason.replace(/_/g, " ")}`), undefined, undefined, `upstream_reset_before_response_started{${reason}}`);
    } else {
      this.reset(`upstream_reset_after_response_started{${reason}}`, true);
    }
  }

  // ---------------- client-facing output ----------------

  private downstreamHeaders(h: HeaderMap, eos: boolean): void {
    this.downstreamHeadersSent = true;
    this.events.onDownstreamHeaders?.(h.toList(), eos);
    if (eos) this.finish();
  }

  private downstreamData(d: BodyBuffer, eos: boolean): void {
    this.responseBytes += d.size;
    this.events.onDownstreamData?.(d.data.slice(), eos);
    if (eos) this.finish();
  }

  private downstreamTrailers(t: HeaderMap): void {
    this.events.onDownstreamTrailers?.(t.toList());
    this.finish();
  }

  // ---------------- local replies, resets, end of stream ----------------

  /** FilterManager::sendLocalReply: via the chain, straight to the codec, or a reset. */
  sendLocalReply(code: number, body: Uint8Array, modify: ((h: HeaderMap) => void) | undefined, grpcStatus: number | undefined, details: string): void {
    if (this.destroyed) return;
    this.codeDetails = details;
    // Decoding stops for good: no further request callbacks.
    this.decoderAborted = true;
    // Utility::sendLocalReply: :status, then the caller's headers, then the defaults fill in
    // around them (a caller's content-type and grpc-status win; empty bodies drop both lengths).
    const headers = new HeaderMap();
    headers.add(":status", String(code));
    modify?.(headers);
    let sendBody = body;
    if (this.isGrpc) {
      headers.set(":status", "200");
      headers.set("content-type", "application/grpc");
      if (!headers.get("grpc-status")) headers.set("grpc-status", String(grpcStatus ?? httpToGrpcStatus(code)));
      if (body.length && !this.isHead) headers.set("grpc-message", grpcPercentEncode(body));
      headers.remove("content-length");
      sendBody = new Uint8Array(0);
    } else if (body.length) {
      headers.set("content-length", String(body.length));
      if (headers.get("content-type") === undefined) headers.set("content-type", "text/plain");
    } else {
      headers.remove("content-length");
      headers.remove("content-type");
    }
    if (this.isHead) sendBody = new Uint8Array(0);
    this.responseCode = code;
    if (!this.responseHeaders) {
      this.responseHeaders = headers;
      this.localComplete = true;
      this.upstreamResponseComplete = true;
      const eos = sendBody.length === 0;
      this.encoder.headers(0, eos);
      if (!eos && !this.encoderAborted && !this.destroyed) this.encoder.data(0, new BodyBuffer(sendBody), true);
    } else if (!this.downstreamHeadersSent) {
      // Headers are inside the encoder chain but not out: bypass the filters, drop the upstream response.
      // sendDirectLocalReply keeps these headers as the stream's response headers (access logs see them).
      this.encoderAborted = true;
      this.downstreamHeadersSent = true;
      this.responseHeaders = headers;
      this.events.onDownstreamHeaders?.(headers.toList(), sendBody.length === 0);
      if (sendBody.length) {
        this.responseBytes += sendBody.length;
        this.events.onDownstreamData?.(sendBody, true);
      }
      this.finish();
    } else {
      this.reset(details, true);
    }
  }

  private reset(details: string, local: boolean): void {
    if (this.destroyed) return;
    this.codeDetails ??= details;
    this.finish(details, local);
  }

  /** doDeferredStreamDestroy: access log (on_log) for every filter, then onDestroy for each. */
  private finish(resetReason?: string, notifyReset = true): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.decoderAborted = true;
    this.encoderAborted = true;
    this.endTimeNs = this.owner.clockNs();
    if (resetReason) {
      this.resetReason = resetReason;
      if (notifyReset) this.events.onReset?.(resetReason);
    }
    // The HCM creates the filter chain in decodeHeaders: a stream that ends before its request
    // headers arrived has no filters, hence no access-log handlers and nothing to destroy.
    const chain = this.requestHeaders ? this.filters : [];
    for (const f of chain) f.log(this.requestHeaders, this.responseHeaders, this.responseTrailers);
    for (const f of chain) f.onDestroy();
    this.owner.finished(this);
    this.events.onComplete?.();
    this.resolveDone();
  }
}

export { REASONS };
