// Writes one record (schema tollgate.audit/v1, record.schema.json) in canonical form: members
// in the fixed order below, integers only, strings from traffic sanitised and bounded.
// Everything is read in on_log: request headers through the access-log maps, Envoy's stream
// info through properties, and the other Tollgate filters' filter state (tollgate.*).
import { ByteBuffer, parseI64, parsedI64, NUM_OK } from "../lib/bytes";
import { HmacSha256, Sha256 } from "../lib/crypto";
import { JsonWriter } from "../lib/json-scan";
import { Recognition, recognisePath } from "../lib/providers/recognise";
import { Operation, Provider } from "../lib/providers/types";
import { HostBytes, MapType, PairsView, PropertyPath, getCurrentTimeNanoseconds, getHeaderMapPairsBytes, getPropertyAt } from "../sdk";
import { Chain } from "./chain";
import { AuditConfig } from "./config";
import { StreamFacts } from "./facts";
import { MemberIter, StateInt, StateReader, StateVal } from "./state-json";
import { decideOutcome, OutcomeFacts, outcomeName } from "./outcome";
import { PolicyCache } from "./policy";
import { readSourceValue } from "./sources";
import { appendSanitized, hexString, parseTraceparent, rfc3339Millis, TraceIds } from "./text";

export const SCHEMA = "tollgate.audit/v1";

// Longest value kept per field, in bytes of UTF-8 (cut at a character boundary).
const MAX_PATH: usize = 2048;
const MAX_NAME: usize = 256;
const MAX_WORD: usize = 64;
// ±(2^53 − 1): integers a JSON reader holds exactly (CHAIN.md).
const MAX_SAFE: i64 = 9007199254740991;

const P_TIME = new PropertyPath(["request", "time"]);
const P_CODE = new PropertyPath(["response", "code"]);
const P_FLAGS = new PropertyPath(["response", "flags"]);
const P_DETAILS = new PropertyPath(["response", "code_details"]);
const P_ROUTE = new PropertyPath(["xds", "route_name"]);
const P_PROVIDER = new PropertyPath(["tollgate.provider"]);
const P_OPERATION = new PropertyPath(["tollgate.operation"]);
const P_STREAM = new PropertyPath(["tollgate.stream"]);
const P_MODEL = new PropertyPath(["tollgate.model"]);
const P_USAGE = new PropertyPath(["tollgate.usage"]);
const P_REQUEST_TOKENS = new PropertyPath(["tollgate.request_tokens"]);
const P_COST = new PropertyPath(["tollgate.cost_micro_usd"]);
const P_BUDGET = new PropertyPath(["tollgate.budget"]);
const P_PII = new PropertyPath(["tollgate.pii"]);

const EMPTY_VIEW = new PairsView(0, 0);

/** The outcome of one build: the sealed line (in `line`) or why there is none. */
export const BUILD_OK: i32 = 0;
export const BUILD_TOO_LARGE: i32 = 1;

export class RecordBuilder {
  /** The sealed record (no prefix, no newline) after build() returned BUILD_OK. */
  line: ByteBuffer;
  outcome: i32 = 0;
  startNs: u64 = 0;
  private w: JsonWriter;
  private scratch: ByteBuffer = new ByteBuffer(1 << 16, 256);
  private rec: Recognition = new Recognition();
  private trace: TraceIds = new TraceIds();
  private digest: StaticArray<u8> = new StaticArray<u8>(32);
  private sha: Sha256 = new Sha256();
  private hmac: HmacSha256 | null;
  // The other filters' state, read in place (state-json.ts): documents, members, iterators.
  private st: StateReader = new StateReader();
  private budgetDoc: StateVal = new StateVal();
  private piiDoc: StateVal = new StateVal();
  private doc: StateVal = new StateVal();
  private m1: StateVal = new StateVal();
  private m2: StateVal = new StateVal();
  private num: StateInt = new StateInt();
  private dirs: MemberIter = new MemberIter();
  private acts: MemberIter = new MemberIter();

  constructor(private config: AuditConfig) {
    // The hash member adds 75 bytes: ,"hash":"<64 hex>"
    this.w = new JsonWriter(<usize>config.maxRecordBytes - 75);
    this.line = new ByteBuffer(<usize>config.maxRecordBytes, 1024);
    const key = config.chain.hmacKey;
    this.hmac = key === null ? null : new HmacSha256(changetype<usize>(key), <usize>key.byteLength);
  }

  build(s: StreamFacts, chain: Chain, policy: PolicyCache): i32 {
    const w = this.w;
    w.reset();
    this.line.clear();
    const now = getCurrentTimeNanoseconds();
    let start = propertyU64(P_TIME);
    if (start == 0) start = s.firstNs != 0 ? s.firstNs : now;
    this.startNs = start;

    // One hostcall for every request header (on_log reads them through the access-log map).
    const all = getHeaderMapPairsBytes(MapType.HttpRequestHeaders);
    const h = all === null ? EMPTY_VIEW : new PairsView(all.ptr, all.len);
    const method = h.find(":method");
    const path = h.find(":path");
    let authority = h.find(":authority");
    if (authority < 0) authority = h.find("host");
    let pathLen: usize = 0;
    let queryPtr: usize = 0;
    let queryLen: usize = 0;
    if (path >= 0) {
      const pp = h.valuePtr(path), pl = h.valueLen(path);
      while (pathLen < pl && load<u8>(pp + pathLen) != 0x3F) pathLen++;
      if (pathLen < pl) {
        queryPtr = pp + pathLen + 1;
        queryLen = pl - pathLen - 1;
      }
    }

    // Filter state of the other filters, and Envoy's view of how the stream ended.
    const provider = getPropertyAt(P_PROVIDER);
    const budgetBytes = getPropertyAt(P_BUDGET);
    const budget = this.stateDoc(budgetBytes, this.budgetDoc);
    const piiBytes = getPropertyAt(P_PII);
    const pii = this.stateDoc(piiBytes, this.piiDoc);
    const st = this.st;
    const f = new OutcomeFacts();
    f.piiBlocked = st.member(pii, "blocked", this.m1).isString;
    const decision = st.member(budget, "decision", this.m1);
    f.budgetRejected = decision.isString && st.equals(decision, "rejected");
    const code = propertyU64(P_CODE);
    f.status = code > 0 && code < 1000 ? <i32>code : -1;
    f.responseEnded = s.responseEnded;
    // A response that reached its end here with a status below 400 completed, whatever the flags
    // say (a retried attempt's reset is not this request's failure): two hostcalls saved.
    if (!f.responseEnded || f.status < 0 || f.status >= 400) {
      f.flags = propertyU64(P_FLAGS);
      const details = getPropertyAt(P_DETAILS);
      if (details !== null) {
        f.details = String.UTF8.decodeUnsafe(details.ptr, min<usize>(details.len, 256));
        details.free();
      }
    }
    // A filter of this deployment (its policy entry is in shared data) that always publishes for
    // a recognised LLM call but published nothing: its VM trapped and fail_open let the call by.
    const meterSilent = provider === null && policy.has("token-meter");
    const piiSilent = !pii.present && policy.has("pii-redact");
    f.filterSilent = (meterSilent || piiSilent) && this.recognised(h, method, path, authority);
    this.outcome = decideOutcome(f);

    w.beginObject();
    w.key("schema").string(SCHEMA);
    w.key("time").string(rfc3339Millis(<i64>(start / 1_000_000)));
    this.header(h, "request_id", h.find("x-request-id"), 0, MAX_NAME);
    const tp = h.find("traceparent");
    if (tp >= 0) {
      parseTraceparent(h.valuePtr(tp), h.valueLen(tp), this.trace);
    } else {
      this.trace.traceId = null;
      this.trace.spanId = null;
    }
    this.nullableAscii("trace_id", this.trace.traceId);
    this.nullableAscii("span_id", this.trace.spanId);
    this.hostValue("route", getPropertyAt(P_ROUTE), MAX_NAME);
    this.header(h, "authority", authority, 0, MAX_NAME);
    this.header(h, "method", method, 0, MAX_WORD);
    this.header(h, "path", path, pathLen, MAX_PATH);
    this.hostValue("tenant", readSourceValue(this.config.tenant, h, queryPtr, queryLen), MAX_NAME);
    this.keyHash(readSourceValue(this.config.key, h, queryPtr, queryLen));
    free(all);

    this.hostValue("provider", provider, MAX_WORD);
    // The meter sets its keys only for calls it recognised, tollgate.provider first: without it
    // the others are not read (six hostcalls saved on traffic that is not an LLM call).
    const metered = provider !== null;
    this.hostValue("operation", metered ? getPropertyAt(P_OPERATION) : null, MAX_WORD);
    const modelBytes = metered ? getPropertyAt(P_MODEL) : null;
    const model = this.stateDoc(modelBytes, this.doc);
    w.key("model").beginObject();
    this.jsonString("requested", st.member(model, "requested", this.m1), MAX_NAME);
    this.jsonString("served", st.member(model, "served", this.m1), MAX_NAME);
    w.endObject();
    free(modelBytes);
    this.streamFlag(metered);
    w.key("status");
    if (f.status > 0) w.int(f.status);
    else w.null();
    w.key("outcome").string(outcomeName(this.outcome));

    const usageBytes = metered ? getPropertyAt(P_USAGE) : null;
    this.tokens(this.stateDoc(usageBytes, this.doc));
    free(usageBytes);
    const requestBytes = metered ? getPropertyAt(P_REQUEST_TOKENS) : null;
    this.requestTokens(this.stateDoc(requestBytes, this.doc));
    free(requestBytes);
    this.cost(metered);
    this.budget(budget);
    free(budgetBytes);
    this.pii(pii);
    free(piiBytes);

    w.key("timing").beginObject();
    w.key("start").int(<i64>(start / 1_000_000));
    w.key("ttfb_ms");
    if (s.responseHeadersNs >= start && s.responseHeadersNs != 0) w.int(<i64>((s.responseHeadersNs - start) / 1_000_000));
    else w.null();
    // Envoy's request.duration (requestComplete) is set just before on_log runs: our clock now
    // is the same instant to the millisecond, without a hostcall.
    w.key("duration_ms").int(now > start ? <i64>((now - start) / 1_000_000) : 0);
    w.endObject();

    w.key("policy").beginObject();
    w.key("version").string(policy.version);
    w.key("filters").beginObject();
    for (let i = 0; i < policy.ids.length; i++) w.key(unchecked(policy.ids[i])).string(unchecked(policy.hashes[i]));
    w.endObject();
    w.endObject();

    if (this.config.digestRequest || this.config.digestResponse) {
      w.key("digests").beginObject();
      this.nullableAscii("request", this.config.digestRequest ? s.requestDigest : null);
      this.nullableAscii("response", this.config.digestResponse ? s.responseDigest : null);
      w.endObject();
    }

    const cap = s.capture;
    w.key("capture");
    if (cap !== null) cap.write(w);
    else w.null();

    chain.writeFields(w);
    w.endObject();
    if (!w.ok && cap !== null && cap.present) {
      // Too large with the captured text: the record is written without it (counted).
      cap.dropForSize();
      return this.build(s, chain, policy);
    }
    if (!w.ok) return BUILD_TOO_LARGE;
    return chain.seal(w.ptr, w.length, this.line) ? BUILD_OK : BUILD_TOO_LARGE;
  }

  private recognised(h: PairsView, method: i32, path: i32, authority: i32): bool {
    if (method < 0 || path < 0) return false;
    const ap: usize = authority < 0 ? 0 : h.valuePtr(authority);
    const al: usize = authority < 0 ? 0 : h.valueLen(authority);
    recognisePath(this.rec, h.valuePtr(method), h.valueLen(method), h.valuePtr(path), h.valueLen(path), ap, al, false);
    return this.rec.provider != Provider.Unknown && this.rec.operation != Operation.Unknown;
  }

  // ---- members ----------------------------------------------------------------------------

  private bytes(key: string, b: HostBytes | null, len: usize, max: usize): void {
    const w = this.w;
    w.key(key);
    if (b === null) {
      w.null();
      return;
    }
    const n = len == 0 ? b.len : len;
    this.sanitized(b.ptr, n, max);
  }

  private sanitized(ptr: usize, len: usize, max: usize): void {
    const sc = this.scratch;
    sc.clear();
    if (!appendSanitized(sc, ptr, len, max)) {
      this.w.null();
      return;
    }
    this.w.stringBytes(sc.ptr, sc.length);
  }

  private hostValue(key: string, b: HostBytes | null, max: usize): void {
    this.bytes(key, b, 0, max);
    free(b);
  }

  /** Header `i` of `h` (its first `len` bytes when len > 0); null when i < 0. */
  private header(h: PairsView, key: string, i: i32, len: usize, max: usize): void {
    this.w.key(key);
    if (i < 0) {
      this.w.null();
      return;
    }
    this.sanitized(h.valuePtr(i), len > 0 ? len : h.valueLen(i), max);
  }

  private nullableAscii(key: string, v: string | null): void {
    this.w.key(key);
    if (v === null) this.w.null();
    else this.w.string(v);
  }

  /** A filter-state document (null bytes: absent); an invalid one reads as absent. */
  private stateDoc(b: HostBytes | null, out: StateVal): StateVal {
    if (b === null) return out.clear();
    this.st.load(b.ptr, b.len, out);
    return out;
  }

  /** A string member, sanitised and bounded; null when absent or not a string. */
  private jsonString(key: string, v: StateVal, max: usize): void {
    this.w.key(key);
    if (!v.isString) {
      this.w.null();
      return;
    }
    this.sanitized(this.st.textPtr(v), this.st.textLen(v), max);
  }

  private jsonInt(key: string, v: StateVal): void {
    this.w.key(key);
    const n = this.num.read(v);
    if (n.ok) this.w.int(n.value);
    else this.w.null();
  }

  /** "sha256:<32 hex>" or "hmac-sha256:<32 hex>" (first 16 bytes); the key itself never. */
  private keyHash(b: HostBytes | null): void {
    const w = this.w;
    w.key("key_hash");
    if (b === null) {
      w.null();
      return;
    }
    let p = b.ptr;
    let n = b.len;
    // "Bearer <key>": the hash is of the key, so it matches the same key sent in x-api-key.
    if (n > 7 && (load<u8>(p) | 0x20) == 0x62 && (load<u8>(p + 1) | 0x20) == 0x65 && (load<u8>(p + 2) | 0x20) == 0x61
      && (load<u8>(p + 3) | 0x20) == 0x72 && (load<u8>(p + 4) | 0x20) == 0x65 && (load<u8>(p + 5) | 0x20) == 0x72 && load<u8>(p + 6) == 0x20) {
      p += 7;
      n -= 7;
    }
    const d = changetype<usize>(this.digest);
    const hmac = this.hmac;
    if (hmac !== null) hmac.mac(p, n, d);
    else this.sha.update(p, n).finish(d);
    b.free();
    w.string((hmac !== null ? "hmac-sha256:" : "sha256:") + hexString(d, 16));
  }

  private streamFlag(metered: bool): void {
    const b = metered ? getPropertyAt(P_STREAM) : null;
    this.w.key("stream");
    if (b === null) {
      this.w.null();
      return;
    }
    const t = b.len == 4 && load<u32>(b.ptr) == 0x65757274; // "true"
    const f = b.len == 5 && load<u32>(b.ptr) == 0x736c6166 && load<u8>(b.ptr + 4) == 0x65; // "false"
    b.free();
    if (t) this.w.bool(true);
    else if (f) this.w.bool(false);
    else this.w.null();
  }

  private tokens(u: StateVal): void {
    const w = this.w;
    const st = this.st;
    w.key("tokens");
    if (!u.isObject) {
      w.null();
      return;
    }
    const m = this.m1;
    w.beginObject();
    this.jsonInt("input", st.member(u, "input", m));
    this.jsonInt("output", st.member(u, "output", m));
    this.jsonInt("cached_input", st.member(u, "cached_input", m));
    this.jsonInt("cache_write", st.member(u, "cache_write", m));
    this.jsonInt("reasoning", st.member(u, "reasoning", m));
    this.jsonInt("total", st.member(u, "total", m));
    const src = st.member(u, "source", this.m2);
    w.key("source").beginObject();
    this.jsonString("input", st.member(src, "input", m), MAX_WORD);
    this.jsonString("output", st.member(src, "output", m), MAX_WORD);
    w.endObject();
    w.endObject();
  }

  private requestTokens(t: StateVal): void {
    const w = this.w;
    const st = this.st;
    w.key("request_tokens");
    if (!t.isObject) {
      w.null();
      return;
    }
    const m = this.m1;
    w.beginObject();
    this.jsonInt("prompt", st.member(t, "prompt", m));
    this.jsonString("source", st.member(t, "source", m), MAX_WORD);
    this.jsonInt("output_cap", st.member(t, "output_cap", m));
    this.jsonInt("n", st.member(t, "n", m));
    w.endObject();
  }

  private cost(metered: bool): void {
    const w = this.w;
    w.key("cost_micro_usd");
    const b = metered ? getPropertyAt(P_COST) : null;
    if (b === null) {
      w.null();
      return;
    }
    const ok = b.len > 0 && b.len <= 20 && parseI64(b.ptr, b.len) == NUM_OK;
    const v = ok ? parsedI64() : 0;
    b.free();
    if (ok && v >= 0 && v <= MAX_SAFE) w.int(v);
    else w.null();
  }

  /** The deciding rule's figures; never the budget key (it may be an identity). */
  private budget(b: StateVal): void {
    const w = this.w;
    const st = this.st;
    w.key("budget");
    if (!b.isObject) {
      w.null();
      return;
    }
    const m = this.m1;
    w.beginObject();
    this.jsonString("decision", st.member(b, "decision", m), MAX_WORD);
    this.jsonString("rule", st.member(b, "rule", m), MAX_NAME);
    this.jsonString("unit", st.member(b, "unit", m), MAX_WORD);
    this.jsonInt("limit", st.member(b, "limit", m));
    this.jsonInt("reserved", st.member(b, "reserved", m));
    this.jsonInt("settled", st.member(b, "settled", m));
    this.jsonInt("remaining", st.member(b, "remaining", m));
    this.jsonString("degraded", st.member(b, "degraded", m), MAX_WORD);
    w.endObject();
  }

  /** Types, actions and counts per direction (pii-redact publishes no values, and none are read). */
  private pii(p: StateVal): void {
    const w = this.w;
    const st = this.st;
    w.key("pii");
    if (!p.isObject) {
      w.null();
      return;
    }
    w.beginObject();
    w.key("findings").beginArray();
    const dir = this.m2;
    const dirs = this.dirs;
    const acts = this.acts;
    for (let d = 0; d < 2; d++) {
      st.member(p, d == 0 ? "request" : "response", dir);
      if (!dir.isObject) continue;
      dirs.begin(dir);
      while (dirs.next()) {
        const actions = dirs.value;
        if (!actions.isObject) continue;
        const type = dirs.key;
        acts.begin(actions);
        while (acts.next()) {
          w.beginObject();
          w.key("direction").string(d == 0 ? "request" : "response");
          w.key("type");
          this.sanitized(st.textPtr(type), st.textLen(type), MAX_WORD);
          w.key("action");
          this.sanitized(st.textPtr(acts.key), st.textLen(acts.key), MAX_WORD);
          this.jsonInt("count", acts.value);
          w.endObject();
        }
      }
    }
    w.endArray();
    this.jsonInt("restored", st.member(p, "restored", this.m1));
    this.jsonString("blocked", st.member(p, "blocked", this.m1), MAX_WORD);
    w.endObject();
  }
}

function free(b: HostBytes | null): void {
  if (b !== null) b.free();
}

function propertyU64(path: PropertyPath): u64 {
  const b = getPropertyAt(path);
  if (b === null) return 0;
  const v: u64 = b.len == 8 ? load<u64>(b.ptr) : 0;
  b.free();
  return v;
}
