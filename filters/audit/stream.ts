// One request's audit context: notes when the response started and ended and, when digests
// are on, hashes the bodies as they pass (this filter sits last before the router, so it
// hashes the request as forwarded, after pii-redact, and the response as the upstream sent it).
// The record itself is written in on_log, which Envoy runs for every stream however it ended.
import { Sha256 } from "../lib/crypto";
import { FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, HttpContext, getCurrentTimeNanoseconds } from "../sdk";
import { Capture } from "./capture";
import { StreamFacts } from "./facts";
import { AuditRoot } from "./root";
import { hexString } from "./text";

export class AuditStream extends HttpContext {
  readonly facts: StreamFacts = new StreamFacts();
  private requestSha: Sha256 | null = null;
  private responseSha: Sha256 | null = null;

  constructor(contextId: u32, private audit: AuditRoot) {
    super(contextId, audit);
    this.facts.firstNs = getCurrentTimeNanoseconds();
    if (audit.config.digestRequest) this.requestSha = new Sha256();
    if (audit.config.digestResponse) this.responseSha = new Sha256();
    const c = audit.config;
    if (c.capture.on) this.facts.capture = new Capture(c.capture, c.metricsPrefix, c.metrics);
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    const cap = this.facts.capture;
    if (cap !== null) {
      cap.requestHeaders();
      if (endOfStream) cap.requestEnd();
    }
    if (endOfStream) this.facts.requestDigest = finishDigest(this.requestSha);
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    const sha = this.requestSha;
    const cap = this.facts.capture;
    if ((sha !== null || cap !== null) && bodySize > 0) {
      const b = this.getRequestBodyBytes(0, bodySize);
      if (b !== null) {
        if (sha !== null) sha.update(b.ptr, b.len);
        if (cap !== null) cap.requestBody(b.ptr, b.len, false);
        b.free();
      }
    }
    if (cap !== null && endOfStream) cap.requestEnd();
    if (endOfStream) this.facts.requestDigest = finishDigest(sha);
    return FilterDataStatus.Continue;
  }

  onRequestTrailers(numTrailers: u32): FilterTrailersStatus {
    const cap = this.facts.capture;
    if (cap !== null) cap.requestEnd();
    this.facts.requestDigest = finishDigest(this.requestSha);
    return FilterTrailersStatus.Continue;
  }

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    if (this.facts.responseHeadersNs == 0) this.facts.responseHeadersNs = getCurrentTimeNanoseconds();
    const cap = this.facts.capture;
    if (cap !== null) cap.responseHeaders();
    if (endOfStream) this.responseEnd();
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    const sha = this.responseSha;
    const cap = this.facts.capture;
    if ((sha !== null || cap !== null) && bodySize > 0) {
      const b = this.getResponseBodyBytes(0, bodySize);
      if (b !== null) {
        if (sha !== null) sha.update(b.ptr, b.len);
        if (cap !== null) cap.responseBody(b.ptr, b.len, false);
        b.free();
      }
    }
    if (endOfStream) this.responseEnd();
    return FilterDataStatus.Continue;
  }

  onResponseTrailers(numTrailers: u32): FilterTrailersStatus {
    this.responseEnd();
    return FilterTrailersStatus.Continue;
  }

  private responseEnd(): void {
    const cap = this.facts.capture;
    if (cap !== null) cap.responseEnd();
    this.facts.responseEnded = true;
    this.facts.responseDigest = finishDigest(this.responseSha);
  }

  onLog(): void {
    const cap = this.facts.capture;
    if (cap !== null) cap.finish();
    this.audit.writeRecord(this.facts);
  }
}

function finishDigest(sha: Sha256 | null): string | null {
  if (sha === null) return null;
  const d = new StaticArray<u8>(32);
  sha.finish(changetype<usize>(d));
  return hexString(changetype<usize>(d), 32);
}
