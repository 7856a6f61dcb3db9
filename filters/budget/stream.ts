// The budget filter on one HTTP stream.
//   request headers  recognise the call; no rule can match → pass through untouched.
//   request body     buffered to its end, then admission: the request's ask (exact prompt
//                    tokens from the meter, else counted here; output cap × choices), then each
//                    matching rule in order reserves on its key — locally by CAS on shared data,
//                    or through the rate-limit service. A refusal rolls back the local
//                    reservations made before it and answers in the provider's error shape.
//   response         x-ratelimit-* headers; the optional hard cut-off of streams.
//   on_log           settlement to the meter's final usage (released when not billed).
import {
  FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, HeaderPair, HttpContext, MapType,
  getCurrentTimeNanoseconds, getHeaderMapValueBytes, getPropertyRaw, HostBytes, GrpcStatus,
} from "../sdk";
import { eqAsciiNoCase, parseHttpStatus, startsWithAscii } from "../lib/bytes";
import { globMatch, providerFromName } from "../lib/pricing";
import { ErrorKind, providerError } from "../lib/providers/errors";
import { countPrompt, PromptCount } from "../lib/providers/prompt";
import { Recognition, recognisePath } from "../lib/providers/recognise";
import { readRequestBody, REQUEST_MALFORMED } from "../lib/providers/request";
import { FigureSource, Operation, Provider, providerName } from "../lib/providers/types";
import { CUT_NOT_YET, StreamCutter } from "../lib/providers/cutoff";
import { encodingForModel, ENCODING_NONE } from "../lib/providers/prompt";
import { framingFor, UsageMeter } from "../lib/providers/usage";
import { BYTE_BUFFER_MAX_CAP, ByteBuffer } from "../lib/bytes/buffer";
import { BodyFraming } from "../lib/providers/types";
import { BufferType, setBufferBytes } from "../sdk";
import { Ask, reservationFor, settlementFor } from "./amounts";
import { Charge, Verdict, Via } from "./charge";
import { BudgetConfig, LimitKind, MissingKey, Rule, StateMode, FailureMode, TokenCount } from "./config";
import { KeyContext, buildKey, ledgerKeyOf } from "./keys";
import { LEDGER_ADMITTED, LEDGER_OVER, LedgerResult, ledgerAdjust, ledgerReserve } from "./ledger";
import { rateLimitHeaders, refusalHeaders, refusalMessage } from "./headers";
import { readMeterRequest, readMeterSettlement, MeterSettlement } from "./meter-state";
import { BudgetOutcome, publishBudgetState } from "./state";
import { GlobalCall, GlobalVerdictSink, GLOBAL_OK, GLOBAL_OVER } from "./global";
import { BudgetRoot } from "./root";

const ALL: u32 = 0xffffffff;
/** Output caps beyond this are clamped (no model emits more; the arithmetic stays in range). */
const CAP_MAX: i64 = 100_000_000;
const CHOICES_MAX: i64 = 128;

export const enum Phase {
  /** No rule can apply: the filter stays out of the way. */
  Idle = 0,
  /** Headers held, body being buffered. */
  Waiting = 1,
  /** A rate-limit service call is out. */
  Deciding = 2,
  Admitted = 3,
  Rejected = 4,
  /** The response was answered by someone else before admission (or the stream ended). */
  Abandoned = 5,
}

export class BudgetStream extends HttpContext {
  private readonly budget: BudgetRoot;
  private readonly config: BudgetConfig;
  private readonly rec: Recognition = new Recognition();
  phase: Phase = Phase.Idle;
  charges: Charge[] = [];
  private cursor: i32 = 0;
  private providerBytes: ArrayBuffer = new ArrayBuffer(0);
  readonly ask: Ask = new Ask();
  private status: i32 = 0;
  private global: GlobalCall | null = null;
  private settledDone: bool = false;
  /** The rule that refused, when one did. */
  refusedBy: Charge | null = null;
  private keyContext: KeyContext = new KeyContext();
  /**
   * pathMatches[i]: rule i passed the path/host/provider test in on_request_headers. Per stream:
   * another stream's headers can come between this one's headers and its body.
   */
  private pathMatches: StaticArray<bool> = new StaticArray<bool>(0);
  /** Hard cut-off: counts the streamed output and ends the stream at the allowance. */
  private cutter: StreamCutter | null = null;
  private allowance: i64 = 0;
  private cutBy: Charge | null = null;
  /** Reads the provider's own usage from the stream as it came, since the meter sees it cut. */
  private upstreamUsage: UsageMeter | null = null;

  constructor(contextId: u32, root: BudgetRoot) {
    super(contextId, root);
    this.budget = root;
    this.config = root.config;
  }

  // ---- request ------------------------------------------------------------------------------

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    if (this.config.rules.length == 0) return FilterHeadersStatus.Continue;
    const method = getHeaderMapValueBytes(MapType.HttpRequestHeaders, ":method");
    const path = getHeaderMapValueBytes(MapType.HttpRequestHeaders, ":path");
    let authority = getHeaderMapValueBytes(MapType.HttpRequestHeaders, ":authority");
    if (authority === null) authority = getHeaderMapValueBytes(MapType.HttpRequestHeaders, "host");
    let candidate = false;
    if (method !== null && path !== null) {
      recognisePath(this.rec, method.ptr, method.len, path.ptr, path.len, authority === null ? 0 : authority.ptr, authority === null ? 0 : authority.len, false);
      this.adoptMeterProvider();
      candidate = this.rec.operation != Operation.Unknown && this.anyRuleMayMatch(path, authority);
    }
    free(method);
    free(path);
    free(authority);
    if (!candidate) return FilterHeadersStatus.Continue;
    this.providerBytes = providerNameBytes(this.rec.provider);
    this.keyContext.captureHeaders(this.config.keyHeaders);
    this.phase = Phase.Waiting;
    // A request without a body is decided now (a pause here holds it until the service answers).
    if (endOfStream) return this.admit(0, 0) ? FilterHeadersStatus.Continue : FilterHeadersStatus.StopIteration;
    // With a body, the headers must go on: Envoy turns a paused on_request_headers into
    // StopAllIterationAndWatermark, and the body would never reach this filter. The router may
    // open the upstream request; a refusal resets it before the provider has a body to bill.
    return FilterHeadersStatus.Continue;
  }

  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    if (this.phase != Phase.Waiting) return this.phase == Phase.Deciding ? FilterDataStatus.StopIterationAndBuffer : FilterDataStatus.Continue;
    if (bodySize > this.config.maxBodyBytes) {
      // Too large to read: weighed by its size (bytes / 4 tokens) rather than held.
      return this.admitBuffered(bodySize, true) ? FilterDataStatus.Continue : FilterDataStatus.StopIterationAndBuffer;
    }
    if (!endOfStream) return FilterDataStatus.StopIterationAndBuffer;
    return this.admitBuffered(bodySize, false) ? FilterDataStatus.Continue : FilterDataStatus.StopIterationAndBuffer;
  }

  onRequestTrailers(numTrailers: u32): FilterTrailersStatus {
    if (this.phase == Phase.Waiting) {
      // Trailers end the request: the buffered body is complete.
      if (this.admitBuffered(ALL, false)) return FilterTrailersStatus.Continue;
      return FilterTrailersStatus.StopIteration;
    }
    return this.phase == Phase.Deciding ? FilterTrailersStatus.StopIteration : FilterTrailersStatus.Continue;
  }

  private admitBuffered(bodySize: u32, oversize: bool): bool {
    if (oversize) return this.admit(0, <usize>bodySize);
    const body = this.getRequestBodyBytes(0, bodySize);
    const done = body === null ? this.admit(0, 0) : this.admit(body.ptr, body.len);
    if (body !== null) body.free();
    return done;
  }

  /**
   * Admission over the whole body. Returns true when the stream may continue now; false when it
   * is refused (local reply sent) or waits for the rate-limit service.
   * `ptr` 0 with `len` > 0: a body too large to read, weighed by its size.
   */
  private admit(ptr: usize, len: usize): bool {
    const config = this.config;
    const rec = this.rec;
    let promptTokens: i64 = -1;
    if (ptr != 0) {
      if (readRequestBody(rec, ptr, len) == REQUEST_MALFORMED) {
        this.budget.metrics.badRequests.increment();
        if (config.rejectBadInput) {
          this.refuseBadRequest("the request body is not valid JSON");
          return false;
        }
      } else {
        promptTokens = readMeterRequest();
        if (promptTokens < 0) {
          const count = new PromptCount();
          countPrompt(rec, ptr, len, count);
          if (count.source != FigureSource.Missing) promptTokens = count.tokens;
        }
      }
    }
    // Unread or uncountable: ~4 bytes a token, the estimate the meter uses for unknown text.
    if (promptTokens < 0) promptTokens = (<i64>len + 3) / 4;
    const ask = this.ask;
    ask.promptTokens = promptTokens;
    let cap = rec.hasOutputCap ? rec.outputCap : config.defaultOutputCap;
    if (cap < 0) cap = 0;
    if (cap > CAP_MAX) cap = CAP_MAX;
    let n = rec.n;
    if (n < 1) n = 1;
    if (n > CHOICES_MAX) n = CHOICES_MAX;
    ask.outputTokens = cap * n;
    ask.provider = <i32>rec.provider;
    ask.modelPtr = rec.modelPtr;
    ask.modelLen = <usize>rec.modelLen;

    if (!this.collectCharges()) return false;
    this.cursor = 0;
    return this.proceed();
  }

  /** One Charge per rule that applies, in configuration order. False when refused for a missing identity. */
  private collectCharges(): bool {
    const rules = this.config.rules;
    const kc = this.keyContext;
    kc.modelPtr = this.rec.modelPtr;
    kc.modelLen = <usize>this.rec.modelLen;
    kc.providerName = this.providerBytes;
    for (let i = 0; i < rules.length; i++) {
      const rule = unchecked(rules[i]);
      if (!this.ruleMatches(rule)) continue;
      const metrics = this.budget.metrics.rules[i];
      let key = buildKey(rule, kc);
      if (key === null) {
        metrics.missingKey.increment();
        if (rule.onMissingKey == MissingKey.Skip) continue;
        if (rule.onMissingKey == MissingKey.Reject) {
          this.refuseMissingIdentity(rule);
          return false;
        }
        key = String.UTF8.encode("_missing");
      }
      const c = new Charge(rule, metrics, key, ledgerKeyOf(rule, key));
      c.limit = this.limitFor(rule, key);
      c.reserved = reservationFor(rule, this.ask, this.budget.prices);
      if (rule.kind == LimitKind.CostMicroUsd && c.reserved == 0 && this.ask.modelLen > 0) metrics.unpriced.increment();
      c.promptPart = rule.kind == LimitKind.Tokens ? promptShare(rule, this.ask) : 0;
      this.charges.push(c);
    }
    return true;
  }

  /** Reserves rule by rule from `cursor`; stops at a refusal or an outstanding service call. */
  proceed(): bool {
    const nowMs = nowMillis();
    while (this.cursor < this.charges.length) {
      const c = unchecked(this.charges[this.cursor]);
      if (c.rule.mode == StateMode.Global && this.config.global !== null && c.degraded.length == 0) {
        const call = this.startGlobal(c);
        if (call) {
          this.phase = Phase.Deciding;
          return false;
        }
        // Could not even send: a degraded decision, taken now.
        if (!this.degrade(c, nowMs)) return false;
      } else if (!this.reserveLocal(c, nowMs)) {
        return false;
      }
      this.cursor++;
    }
    this.admitted(nowMs);
    return true;
  }

  private reserveLocal(c: Charge, nowMs: i64): bool {
    const result = ledgerResult;
    const k = c.ledgerKey;
    ledgerReserve(changetype<usize>(k), <usize>k.byteLength, c.rule.window, nowMs, c.reserved, c.limit, c.rule.shadow, result);
    c.resetMs = result.resetMs;
    c.fitsAtMs = result.fitsAtMs;
    c.bucket = result.bucket;
    c.used = result.used;
    if (result.status == LEDGER_ADMITTED) {
      c.via = Via.Local;
      c.verdict = c.rule.shadow && result.used > c.limit ? Verdict.ShadowRejected : Verdict.Admitted;
      return true;
    }
    if (result.status == LEDGER_OVER) {
      c.verdict = Verdict.Rejected;
      this.refuse(c, nowMs);
      return false;
    }
    // The shared store failed: admit uncharged rather than block traffic on a host fault.
    c.metrics.storeUnavailable.increment();
    c.verdict = Verdict.Admitted;
    return true;
  }

  /** The rate-limit service could not decide for `c`: apply failure_mode. False when refused. */
  degrade(c: Charge, nowMs: i64): bool {
    const mode = this.config.global!.failureMode;
    if (mode == FailureMode.LocalOnly) {
      c.metrics.degradedLocal.increment();
      c.degraded = "local";
      return this.reserveLocal(c, nowMs);
    }
    if (mode == FailureMode.Closed) {
      c.metrics.degradedClosed.increment();
      c.degraded = "closed";
      c.verdict = Verdict.Rejected;
      this.refuseUnavailable(c);
      return false;
    }
    c.metrics.degradedOpen.increment();
    c.degraded = "open";
    c.via = Via.DegradedOpen;
    c.verdict = Verdict.Admitted;
    return true;
  }

  private startGlobal(c: Charge): bool {
    const g = this.config.global!;
    let call = this.global;
    if (call === null) {
      call = new GlobalCall(new StreamVerdict(this), this);
      this.global = call;
    }
    const hits = g.chargeReservation ? c.reserved : c.promptPart > 0 ? c.promptPart : (c.rule.kind == LimitKind.Requests ? 1 : 0);
    return call.send(g, c, hits);
  }

  /** The service answered for the charge at `cursor` (called by GlobalCall). */
  onGlobalAnswer(outcome: i32): void {
    const c = unchecked(this.charges[this.cursor]);
    const nowMs = nowMillis();
    if (outcome == GLOBAL_OK || (outcome == GLOBAL_OVER && c.rule.shadow)) {
      c.via = Via.Global;
      c.verdict = outcome == GLOBAL_OVER ? Verdict.ShadowRejected : Verdict.Admitted;
    } else if (outcome == GLOBAL_OVER) {
      c.verdict = Verdict.Rejected;
      this.refuse(c, nowMs);
      return;
    } else if (!this.degrade(c, nowMs)) {
      return;
    }
    this.cursor++;
    if (this.proceed()) this.resumeRequest();
  }

  private admitted(nowMs: i64): void {
    this.phase = Phase.Admitted;
    for (let i = 0; i < this.charges.length; i++) {
      const c = unchecked(this.charges[i]);
      const m = c.metrics;
      if (c.verdict == Verdict.ShadowRejected) m.shadowRejected.increment();
      else m.admitted.increment();
      if (c.via != Via.None) m.reserved.increment(<u64>max<i64>(c.reserved, 0));
      if (c.rule.softPermille > 0 && c.limit > 0 && c.used * 1000 >= c.limit * c.rule.softPermille) m.softLimit.increment();
    }
    this.publish();
  }

  // ---- refusals -----------------------------------------------------------------------------

  private refuse(by: Charge, nowMs: i64): void {
    this.rollBack(nowMs);
    this.phase = Phase.Rejected;
    this.refusedBy = by;
    by.metrics.rejected.increment();
    const money = by.rule.kind == LimitKind.CostMicroUsd;
    const status = money ? by.rule.moneyStatus : 429;
    const e = providerError(this.rec.provider, status, money ? ErrorKind.InsufficientQuota : ErrorKind.RateLimited, refusalMessage(by, nowMs));
    const headers: HeaderPair[] = [new HeaderPair("content-type", e.contentType)];
    if (e.errorTypeHeader.length > 0) headers.push(new HeaderPair("x-amzn-errortype", e.errorTypeHeader));
    refusalHeaders(by, this.charges, nowMs, headers);
    this.publish();
    this.sendLocalResponse(<u32>status, "tollgate_budget_exhausted", e.body, headers);
  }

  /** Undo the local reservations already made for this request. */
  private rollBack(nowMs: i64): void {
    for (let i = 0; i < this.charges.length; i++) {
      const c = unchecked(this.charges[i]);
      if (c.via != Via.Local) continue;
      const k = c.ledgerKey;
      ledgerAdjust(changetype<usize>(k), <usize>k.byteLength, c.rule.window, nowMs, c.bucket, -c.reserved);
      c.via = Via.None;
      c.used -= c.reserved;
      if (c.verdict != Verdict.Rejected) c.verdict = Verdict.Pending;
    }
  }

  private refuseUnavailable(by: Charge): void {
    this.rollBack(nowMillis());
    this.phase = Phase.Rejected;
    this.refusedBy = by;
    by.metrics.rejected.increment();
    const e = providerError(this.rec.provider, 503, ErrorKind.Unavailable, "The budget service is unavailable; the request was not sent (failure_mode closed).");
    const headers: HeaderPair[] = [new HeaderPair("content-type", e.contentType), new HeaderPair("retry-after", "1"), new HeaderPair("x-tollgate-budget-rule", by.rule.name)];
    this.publish();
    this.sendLocalResponse(503, "tollgate_budget_service_unavailable", e.body, headers);
  }

  private refuseMissingIdentity(rule: Rule): void {
    this.phase = Phase.Rejected;
    const e = providerError(this.rec.provider, 403, ErrorKind.InvalidRequest, "Budget '" + rule.name + "' needs the caller's identity, and the request carries none.");
    const headers: HeaderPair[] = [new HeaderPair("content-type", e.contentType), new HeaderPair("x-tollgate-budget-rule", rule.name)];
    this.sendLocalResponse(403, "tollgate_budget_missing_identity", e.body, headers);
  }

  private refuseBadRequest(message: string): void {
    this.phase = Phase.Rejected;
    const e = providerError(this.rec.provider, 400, ErrorKind.InvalidRequest, message);
    const headers: HeaderPair[] = [new HeaderPair("content-type", e.contentType)];
    if (e.errorTypeHeader.length > 0) headers.push(new HeaderPair("x-amzn-errortype", e.errorTypeHeader));
    this.sendLocalResponse(400, "tollgate_budget_bad_request", e.body, headers);
  }

  // ---- response -----------------------------------------------------------------------------

  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    if (this.phase == Phase.Deciding || this.phase == Phase.Waiting) {
      // Someone else answered before admission finished (an earlier filter's local reply).
      this.phase = Phase.Abandoned;
      return FilterHeadersStatus.Continue;
    }
    if (this.phase != Phase.Admitted) return FilterHeadersStatus.Continue;
    const s = getHeaderMapValueBytes(MapType.HttpResponseHeaders, ":status");
    this.status = s === null ? 0 : parseHttpStatus(s.ptr, s.len);
    free(s);
    if (this.config.headers) {
      const out: HeaderPair[] = [];
      rateLimitHeaders(this.charges, nowMillis(), out);
      for (let i = 0; i < out.length; i++) this.setResponseHeader(out[i].key, out[i].value);
      this.addWarning();
    }
    if (this.config.cutoff && !endOfStream && this.status >= 200 && this.status < 300) this.armCutoff();
    return FilterHeadersStatus.Continue;
  }

  /** Sets up the hard cut-off when a token rule bounds this stream's output. */
  private armCutoff(): void {
    let allowance: i64 = i64.MAX_VALUE;
    let by: Charge | null = null;
    for (let i = 0; i < this.charges.length; i++) {
      const c = unchecked(this.charges[i]);
      if (c.rule.kind != LimitKind.Tokens || c.rule.count == TokenCount.Input || c.limit < 0) continue;
      if (c.verdict != Verdict.Admitted || (c.via != Via.Local && c.via != Via.Global)) continue;
      // What this request reserved for output, plus what its rule has left beyond the reservation.
      let extra = c.remaining;
      if (c.rule.count == TokenCount.Weighted) {
        const w = c.rule.weights.output;
        if (w <= 0) continue;
        extra = extra * 1000 / w;
      }
      const a = this.ask.outputTokens + extra;
      if (a < allowance) {
        allowance = a;
        by = c;
      }
    }
    if (by === null) return;
    const ct = getHeaderMapValueBytes(MapType.HttpResponseHeaders, "content-type");
    const framing = ct === null ? BodyFraming.Json : framingFor(this.rec.operation, ct.ptr, ct.len);
    free(ct);
    if (framing == BodyFraming.Json) return;
    const enc = this.rec.modelLen > 0 ? encodingForModel(this.rec.modelPtr, <usize>this.rec.modelLen) : ENCODING_NONE;
    const cutter = new StreamCutter(this.rec.provider, this.rec.operation, framing, enc, this.config.maxEventBytes);
    if (!cutter.supported) return;
    this.cutter = cutter;
    const usage = new UsageMeter(this.rec.provider, this.rec.operation, framing, this.config.maxEventBytes);
    usage.setStatus(this.status);
    this.upstreamUsage = usage;
    this.allowance = allowance;
    this.cutBy = by;
    // The body the client gets may end early: its length is no longer the upstream's.
    this.removeResponseHeader("content-length");
  }

  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    const cutter = this.cutter;
    if (cutter === null || bodySize == 0) return FilterDataStatus.Continue;
    const wasCut = cutter.isCut;
    const chunk = this.getResponseBodyBytes(0, bodySize);
    if (chunk === null) return FilterDataStatus.Continue;
    this.upstreamUsage!.push(chunk.ptr, chunk.len);
    const keep = cutter.push(chunk.ptr, chunk.len, this.allowance);
    if (keep == CUT_NOT_YET) {
      chunk.free();
      return FilterDataStatus.Continue;
    }
    if (wasCut) {
      // Past the end the client was given: the provider still streams (and bills) it; drop it.
      chunk.free();
      setBufferBytes(BufferType.HttpResponseBody, 0, ALL, 0, 0);
      return FilterDataStatus.Continue;
    }
    const out = cutBuffer();
    out.clear();
    out.append(chunk.ptr, <usize>keep);
    cutter.terminate(out);
    chunk.free();
    setBufferBytes(BufferType.HttpResponseBody, 0, ALL, out.ptr, out.length);
    this.cutBy!.metrics.cutOff.increment();
    return FilterDataStatus.Continue;
  }

  private addWarning(): void {
    let text = "";
    for (let i = 0; i < this.charges.length; i++) {
      const c = unchecked(this.charges[i]);
      const soft = c.rule.softPermille;
      if (soft == 0 || c.limit <= 0 || c.used * 1000 < c.limit * soft) continue;
      const pct = min<i64>(c.used * 100 / c.limit, 999);
      if (text.length > 0) text += ", ";
      text += c.rule.name + "=" + pct.toString() + "%";
    }
    if (text.length > 0) this.setResponseHeader(this.config.warningHeader, text);
  }

  // ---- settlement ---------------------------------------------------------------------------

  onLog(): void {
    if (this.settledDone) return;
    this.settledDone = true;
    if (this.phase != Phase.Admitted) {
      if (this.phase == Phase.Deciding || this.phase == Phase.Waiting) this.rollBack(nowMillis());
      return;
    }
    const meter = readMeterSettlement();
    const cutter = this.cutter;
    if (cutter !== null && cutter.isCut && meter.present) {
      // The meter saw the stream as the client got it; the provider billed all it generated:
      // its own report when the stream carried one, else what was counted passing through.
      const upstream = this.upstreamUsage!;
      upstream.finish();
      const reported = upstream.usage.outputSource == FigureSource.Reported ? <i64>upstream.usage.output : 0;
      const counted = max<i64>(cutter.outputTokens, reported);
      if (counted > <i64>meter.usage.output) {
        meter.usage.output = <u64>counted;
        const cost = this.budget.prices.priceCall(this.rec.modelPtr, <usize>this.rec.modelLen, <i32>this.rec.provider, meter.usage);
        if (cost >= 0) meter.costMicroUsd = cost;
      }
    }
    if (this.status == 0) this.status = readResponseCode();
    const billed = this.status >= 200 && this.status < 300;
    const nowMs = nowMillis();
    for (let i = 0; i < this.charges.length; i++) {
      const c = unchecked(this.charges[i]);
      if (c.via == Via.None || c.via == Via.DegradedOpen) continue;
      const actual = settlementFor(c.rule, c.reserved, meter.present ? meter.usage : null, meter.costMicroUsd, billed);
      c.settled = actual;
      c.metrics.settled.increment(<u64>max<i64>(actual, 0));
      if (c.via == Via.Local) {
        const k = c.ledgerKey;
        ledgerAdjust(changetype<usize>(k), <usize>k.byteLength, c.rule.window, nowMs, c.bucket, actual - c.reserved);
        c.used += actual - c.reserved;
      } else if (c.via == Via.Global) {
        this.budget.settleGlobal(c, actual);
      }
    }
    this.publish();
  }

  // ---- helpers ------------------------------------------------------------------------------

  private publish(): void {
    const o = outcome;
    o.rejected = this.phase == Phase.Rejected;
    o.refusedBy = this.refusedBy;
    o.charges = this.charges;
    publishBudgetState(o);
  }

  /** The meter (earlier in the chain) may have forced the provider for the route. */
  private adoptMeterProvider(): void {
    const b = getPropertyRaw(changetype<usize>(P_PROVIDER), <usize>P_PROVIDER.byteLength);
    if (b === null) return;
    const p = providerFromName(String.UTF8.decodeUnsafe(b.ptr, b.len));
    b.free();
    if (p > 0) this.rec.provider = <Provider>p;
  }

  private anyRuleMayMatch(path: HostBytes, authority: HostBytes | null): bool {
    const rules = this.config.rules;
    let any = false;
    for (let i = 0; i < rules.length; i++) {
      const r = unchecked(rules[i]);
      if (r.pathPrefix.length > 0 && !startsWithAscii(path.ptr, path.len, r.pathPrefix)) continue;
      if (r.host.length > 0 && (authority === null || !eqAsciiNoCase(authority.ptr, authority.len, r.host))) continue;
      if (r.providers.length > 0 && !r.providers.includes(<i32>this.rec.provider)) continue;
      if (!any) this.pathMatches = new StaticArray<bool>(rules.length);
      any = true;
      unchecked(this.pathMatches[i] = true);
    }
    return any;
  }

  private ruleMatches(rule: Rule): bool {
    const m = this.pathMatches;
    if (rule.index >= m.length || !unchecked(m[rule.index])) return false;
    if (rule.modelGlobs.length == 0) return true;
    const mp = this.rec.modelPtr;
    const ml = <usize>this.rec.modelLen;
    if (ml == 0) return false;
    for (let i = 0; i < rule.modelGlobs.length; i++) {
      const g = unchecked(rule.modelGlobs[i]);
      if (globMatch(changetype<usize>(g), <usize>g.byteLength, mp, ml)) return true;
    }
    return false;
  }

  private limitFor(rule: Rule, key: ArrayBuffer): i64 {
    const from = rule.limitFrom;
    if (from !== null) {
      const v = getPropertyRaw(changetype<usize>(from.bytes), <usize>from.bytes.byteLength);
      if (v !== null) {
        const n = limitValue(v);
        v.free();
        if (n >= 0) return n;
      }
    }
    if (rule.overrides.size > 0) {
      const k = String.UTF8.decode(key);
      if (rule.overrides.has(k)) return rule.overrides.get(k);
    }
    return rule.limit;
  }

  get provider(): Provider { return this.rec.provider; }
}

class StreamVerdict extends GlobalVerdictSink {
  constructor(private stream: BudgetStream) {
    super();
  }
  onGlobalAnswer(outcome: i32): void {
    this.stream.onGlobalAnswer(outcome);
  }
}


const ledgerResult = new LedgerResult();

// Provider names as UTF-8, once per VM (a key part and nothing else needs them).
const providerNames = new Map<i32, ArrayBuffer>();
function providerNameBytes(p: Provider): ArrayBuffer {
  const i = <i32>p;
  if (providerNames.has(i)) return providerNames.get(i);
  const b = String.UTF8.encode(providerName(p));
  providerNames.set(i, b);
  return b;
}

// The rewritten chunk is handed to the host (set_buffer copies) within one callback: one per VM.
let cutOut: ByteBuffer | null = null;
function cutBuffer(): ByteBuffer {
  let b = cutOut;
  if (b === null) {
    b = new ByteBuffer(BYTE_BUFFER_MAX_CAP, 64 << 10);
    cutOut = b;
  }
  return b;
}
const outcome = new BudgetOutcome();

function promptShare(rule: Rule, ask: Ask): i64 {
  return rule.count == 2 /* Output */ ? 0 : ask.promptTokens;
}

/** A limit from a property: a decimal string, or a Struct number (8-byte double). -1 if neither. */
function limitValue(b: HostBytes): i64 {
  let n: i64 = 0;
  let digits = b.len > 0 && b.len <= 18;
  for (let i: usize = 0; i < b.len && digits; i++) {
    const c = <i32>load<u8>(b.ptr + i) - 0x30;
    if (c < 0 || c > 9) digits = false;
    else n = n * 10 + <i64>c;
  }
  if (digits) return n;
  if (b.len == 8) {
    const d = load<f64>(b.ptr);
    if (d >= 0 && d < 9e15) return <i64>Math.floor(d);
  }
  return -1;
}

function readResponseCode(): i32 {
  const b = getPropertyRaw(changetype<usize>(P_RESPONSE_CODE), <usize>P_RESPONSE_CODE.byteLength);
  if (b === null) return 0;
  const code = b.len == 8 ? <i32>load<i64>(b.ptr) : 0;
  b.free();
  return code;
}

export function nowMillis(): i64 {
  return <i64>(getCurrentTimeNanoseconds() / 1_000_000);
}

function free(b: HostBytes | null): void {
  if (b !== null) b.free();
}

const P_PROVIDER = String.UTF8.encode("tollgate.provider");
// "response\0code": path segments are NUL-separated.
const P_RESPONSE_CODE = String.UTF8.encode("response\0code");
