// Audit records as OTLP/HTTP JSON logs (opentelemetry-proto logs/v1, JSON Protobuf Encoding;
// HTTP-SINK.md lists what was checked). A record's canonical JSON is converted member by member
// with the pull scanner, bytes to bytes: a JSON string span is valid inside any JSON string, so
// keys and string values are copied as they are, escapes included, and never decoded.
//
//   object  → {"kvlistValue":{"values":[{"key":K,"value":V},...]}}   (member order kept)
//   array   → {"arrayValue":{"values":[V,...]}}
//   string  → {"stringValue":S}
//   integer → {"intValue":"123"}          (int64 is a decimal string in proto3 JSON)
//   other number → {"doubleValue":1.5}    (records have none; kept for completeness)
//   bool    → {"boolValue":true}
//   null    → {}                          (an AnyValue with no value set)
import { ByteBuffer } from "../lib/bytes/buffer";
import { formatU64 } from "../lib/bytes/number";
import {
  JsonScanner, TOK_OBJECT_START, TOK_OBJECT_END, TOK_ARRAY_START, TOK_ARRAY_END, TOK_KEY,
  TOK_STRING, TOK_NUMBER, TOK_TRUE, TOK_FALSE, TOK_NULL,
} from "../lib/json-scan";
import { HttpSinkConfig } from "./http-sink-config";

export const ENCODE_OK: i32 = 0;
/** Not one JSON object. */
export const ENCODE_MALFORMED: i32 = 1;
/** The encoding would pass the output cap. */
export const ENCODE_TOO_LARGE: i32 = 2;

export const OTLP_SCOPE_NAME = "tollgate.audit";
/** OTLP severity: SEVERITY_NUMBER_INFO. Every record is an ordinary audit event. */
const SEVERITY_INFO: i32 = 9;

// Top-level record members mirrored into log record attributes or ids.
const M_NONE: i32 = 0;
const M_SCHEMA: i32 = 1;
const M_CHAIN: i32 = 2;
const M_SEQ: i32 = 3;
const M_OUTCOME: i32 = 4;
const M_TRACE: i32 = 5;
const M_SPAN: i32 = 6;
const M_COUNT: i32 = 7;

// Literal JSON pieces, encoded to UTF-8 once when the module starts (pure computation, so
// allowed in _initialize) and copied with memory.copy per use.
function utf8(s: string): ArrayBuffer { return String.UTF8.encode(s); }
const L_TIME = utf8("{\"timeUnixNano\":\"");
const L_OBSERVED = utf8("\",\"observedTimeUnixNano\":\"");
const L_SEVERITY = utf8("\",\"severityNumber\":");
const L_TEXT_EVENT_BODY = utf8(",\"severityText\":\"INFO\",\"eventName\":\"tollgate.audit\",\"body\":");
const L_ATTRIBUTES = utf8(",\"attributes\":[");
const L_TRACE_ID = utf8(",\"traceId\":");
const L_SPAN_ID = utf8(",\"spanId\":");
const L_KVLIST = utf8("{\"kvlistValue\":{\"values\":[");
const L_KEY = utf8("{\"key\":\"");
const L_COMMA_KEY = utf8(",{\"key\":\"");
const L_VALUE_STRING = utf8("\",\"value\":{\"stringValue\":\"");
const L_VALUE_INT = utf8("\",\"value\":{\"intValue\":\"");
const L_CLOSE_SCALAR_MEMBER = utf8("\"}}");
const L_VALUE_NULL_MEMBER = utf8("\",\"value\":{}}");
const L_VALUE_TRUE_MEMBER = utf8("\",\"value\":{\"boolValue\":true}}");
const L_VALUE_FALSE_MEMBER = utf8("\",\"value\":{\"boolValue\":false}}");
const L_VALUE = utf8("\",\"value\":");
const L_CLOSE_LIST = utf8("]}}");
const L_ARRAY = utf8("{\"arrayValue\":{\"values\":[");
const L_STRING = utf8("{\"stringValue\":\"");
const L_CLOSE_STRING = utf8("\"}");
const L_INT = utf8("{\"intValue\":\"");
const L_DOUBLE = utf8("{\"doubleValue\":");
const L_TRUE = utf8("{\"boolValue\":true}");
const L_FALSE = utf8("{\"boolValue\":false}");
const L_EMPTY = utf8("{}");
const L_CLOSE_ATTRIBUTE = utf8("\"}}");
const H_SCHEMA = utf8("{\"key\":\"tollgate.audit.schema\",\"value\":{");
const H_CHAIN = utf8("{\"key\":\"tollgate.audit.chain\",\"value\":{");
const H_SEQ = utf8("{\"key\":\"tollgate.audit.seq\",\"value\":{");
const H_OUTCOME = utf8("{\"key\":\"tollgate.outcome\",\"value\":{");
const L_STRING_VALUE_INNER = utf8("\"stringValue\":\"");
const L_INT_VALUE_INNER = utf8("\"intValue\":\"");

/** Writes one OTLP LogRecord per audit record into `out` (cleared first). */
export class OtlpRecordEncoder {
  readonly out: ByteBuffer;
  private scanner: JsonScanner = new JsonScanner();
  private num: StaticArray<u8> = new StaticArray<u8>(24);
  private failed: bool = false;
  // Per mirrored member: value token kind and span (absolute), 0 kind = absent.
  private kinds: StaticArray<i32> = new StaticArray<i32>(M_COUNT);
  private starts: StaticArray<usize> = new StaticArray<usize>(M_COUNT);
  private ends: StaticArray<usize> = new StaticArray<usize>(M_COUNT);

  constructor(maxBytes: usize) {
    this.out = new ByteBuffer(maxBytes, 4096);
  }

  /** ENCODE_OK with the LogRecord JSON in `out`, else ENCODE_MALFORMED / ENCODE_TOO_LARGE. */
  encode(ptr: usize, len: usize, timeNanos: u64, observedNanos: u64): i32 {
    const s = this.scanner;
    s.reset(ptr, len);
    this.out.clear();
    this.failed = false;
    for (let i = 0; i < M_COUNT; i++) unchecked(this.kinds[i] = 0);
    if (s.next() != TOK_OBJECT_START) return ENCODE_MALFORMED;

    this.put(L_TIME);
    this.u64(timeNanos);
    this.put(L_OBSERVED);
    this.u64(observedNanos);
    this.put(L_SEVERITY);
    this.u64(<u64>SEVERITY_INFO);
    this.put(L_TEXT_EVENT_BODY);
    if (!this.value(TOK_OBJECT_START)) return this.failed ? ENCODE_TOO_LARGE : ENCODE_MALFORMED;
    if (s.next() != 0) return ENCODE_MALFORMED; // TOK_END: nothing after the record

    this.put(L_ATTRIBUTES);
    let n = 0;
    n = this.attribute(n, M_SCHEMA, H_SCHEMA);
    n = this.attribute(n, M_CHAIN, H_CHAIN);
    n = this.attribute(n, M_SEQ, H_SEQ);
    n = this.attribute(n, M_OUTCOME, H_OUTCOME);
    this.byte(0x5D);
    // W3C ids become the record's ids when they have the OTLP sizes (16 and 8 bytes, not all zero).
    if (this.isId(M_TRACE, 32)) { this.put(L_TRACE_ID); this.span(M_TRACE); }
    if (this.isId(M_SPAN, 16)) { this.put(L_SPAN_ID); this.span(M_SPAN); }
    this.byte(0x7D);
    return this.failed ? ENCODE_TOO_LARGE : ENCODE_OK;
  }

  // A member's `","value":V}` after its key: scalars in one literal with the KeyValue's own
  // punctuation, so a member costs few appends (each append has a fixed cost that dominates at
  // these sizes).
  private memberValue(v: i32): bool {
    const s = this.scanner;
    if (v == TOK_STRING) {
      this.put(L_VALUE_STRING);
      this.raw(s.tokenPtr, s.tokenLen);
      this.put(L_CLOSE_SCALAR_MEMBER);
    } else if (v == TOK_NUMBER && isIntegerLiteral(s.tokenPtr, s.tokenLen)) {
      this.put(L_VALUE_INT);
      this.raw(s.tokenPtr, s.tokenLen);
      this.put(L_CLOSE_SCALAR_MEMBER);
    } else if (v == TOK_NULL) {
      this.put(L_VALUE_NULL_MEMBER);
    } else if (v == TOK_TRUE) {
      this.put(L_VALUE_TRUE_MEMBER);
    } else if (v == TOK_FALSE) {
      this.put(L_VALUE_FALSE_MEMBER);
    } else {
      this.put(L_VALUE);
      if (!this.value(v)) return false;
      this.byte(0x7D);
    }
    return !this.failed;
  }

  // The value whose first token `t` was just read. false: malformed (or out of room).
  private value(t: i32): bool {
    const s = this.scanner;
    if (t == TOK_OBJECT_START) {
      const top = s.depth == 1;
      this.put(L_KVLIST);
      let first = true;
      while (true) {
        const k = s.next();
        if (k == TOK_OBJECT_END) break;
        if (k != TOK_KEY) return false;
        const member = top ? memberOf(s.tokenPtr, s.tokenLen) : M_NONE;
        this.put(first ? L_KEY : L_COMMA_KEY);
        first = false;
        this.raw(s.tokenPtr, s.tokenLen);
        const v = s.next();
        if (member != M_NONE) {
          unchecked(this.kinds[member] = v);
          unchecked(this.starts[member] = s.tokenPtr);
          unchecked(this.ends[member] = s.tokenPtr + s.tokenLen);
        }
        if (!this.memberValue(v)) return false;
      }
      this.put(L_CLOSE_LIST);
      return !this.failed;
    }
    if (t == TOK_ARRAY_START) {
      this.put(L_ARRAY);
      let first = true;
      while (true) {
        const v = s.next();
        if (v == TOK_ARRAY_END) break;
        if (!first) this.byte(0x2C);
        first = false;
        if (!this.value(v)) return false;
      }
      this.put(L_CLOSE_LIST);
      return !this.failed;
    }
    if (t == TOK_STRING) {
      this.put(L_STRING);
      this.raw(s.tokenPtr, s.tokenLen);
      this.put(L_CLOSE_STRING);
    } else if (t == TOK_NUMBER) {
      if (isIntegerLiteral(s.tokenPtr, s.tokenLen)) {
        this.put(L_INT);
        this.raw(s.tokenPtr, s.tokenLen);
        this.put(L_CLOSE_STRING);
      } else {
        this.put(L_DOUBLE);
        this.raw(s.tokenPtr, s.tokenLen);
        this.byte(0x7D);
      }
    } else if (t == TOK_TRUE) {
      this.put(L_TRUE);
    } else if (t == TOK_FALSE) {
      this.put(L_FALSE);
    } else if (t == TOK_NULL) {
      this.put(L_EMPTY);
    } else {
      return false; // a scanner error, or a token that cannot start a value
    }
    return !this.failed;
  }

  /** `head`: the attribute's JSON up to its AnyValue's members (a literal, so nothing is built per record). */
  private attribute(n: i32, member: i32, head: ArrayBuffer): i32 {
    const kind = unchecked(this.kinds[member]);
    const isString = kind == TOK_STRING;
    const isInt = kind == TOK_NUMBER && isIntegerLiteral(unchecked(this.starts[member]), unchecked(this.ends[member]) - unchecked(this.starts[member]));
    if (!isString && !isInt) return n;
    if (n > 0) this.byte(0x2C);
    this.put(head);
    this.put(isString ? L_STRING_VALUE_INNER : L_INT_VALUE_INNER);
    const start = unchecked(this.starts[member]);
    this.raw(start, unchecked(this.ends[member]) - start);
    this.put(L_CLOSE_ATTRIBUTE);
    return n + 1;
  }

  private isId(member: i32, hexLen: usize): bool {
    if (unchecked(this.kinds[member]) != TOK_STRING) return false;
    const start = unchecked(this.starts[member]);
    if (unchecked(this.ends[member]) - start != hexLen) return false;
    let nonZero = false;
    for (let i: usize = 0; i < hexLen; i++) {
      const c = <u32>load<u8>(start + i);
      const hex = c - 0x30 < 10 || (c | 0x20) - 0x61 < 6;
      if (!hex) return false;
      if (c != 0x30) nonZero = true;
    }
    return nonZero;
  }

  private span(member: i32): void {
    const start = unchecked(this.starts[member]);
    this.byte(0x22);
    this.raw(start, unchecked(this.ends[member]) - start);
    this.byte(0x22);
  }

  private put(b: ArrayBuffer): void { this.raw(changetype<usize>(b), <usize>b.byteLength); }

  private raw(ptr: usize, len: usize): void {
    const out = this.out;
    if (!out.reserve(len)) { this.failed = true; return; }
    copySmall(out.ptr + out.length, ptr, len);
    out.length += len;
  }

  private byte(b: u8): void { if (!this.out.appendByte(b)) this.failed = true; }
  private u64(v: u64): void {
    const buf = changetype<usize>(this.num);
    this.raw(buf, formatU64(v, buf));
  }
}

// Literals, keys and numbers are a few bytes each: word copies beat memory.copy's call cost there.
// @ts-ignore: decorator
@inline function copySmall(dst: usize, src: usize, n: usize): void {
  if (n > 32) { memory.copy(dst, src, n); return; }
  let i: usize = 0;
  while (i + 8 <= n) { store<u64>(dst + i, load<u64>(src + i)); i += 8; }
  while (i < n) { store<u8>(dst + i, load<u8>(src + i)); i++; }
}

function isIntegerLiteral(ptr: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(ptr + i);
    if (c == 0x2E || c == 0x65 || c == 0x45) return false;
  }
  return true;
}

function memberOf(ptr: usize, len: usize): i32 {
  if (eq(ptr, len, "schema")) return M_SCHEMA;
  if (eq(ptr, len, "chain")) return M_CHAIN;
  if (eq(ptr, len, "seq")) return M_SEQ;
  if (eq(ptr, len, "outcome")) return M_OUTCOME;
  if (eq(ptr, len, "trace_id")) return M_TRACE;
  if (eq(ptr, len, "span_id")) return M_SPAN;
  return M_NONE;
}

function eq(ptr: usize, len: usize, lit: string): bool {
  if (len != <usize>lit.length) return false;
  const s = changetype<usize>(lit);
  for (let i: usize = 0; i < len; i++) {
    if (<u32>load<u8>(ptr + i) != <u32>load<u16>(s + (i << 1))) return false;
  }
  return true;
}

/**
 * The ExportLogsServiceRequest up to the first log record: one resource (service.name
 * "tollgate", service.version, service.instance.id when known, configured extras) with one
 * scope "tollgate.audit". Built once per configuration.
 */
export function otlpRequestPrefix(c: HttpSinkConfig, instanceId: string): Uint8Array {
  const b = new ByteBuffer(1 << 20, 512);
  b.appendAscii("{\"resourceLogs\":[{\"resource\":{\"attributes\":[");
  stringAttribute(b, "service.name", "tollgate", false);
  stringAttribute(b, "service.version", c.serviceVersion, true);
  if (instanceId.length > 0) stringAttribute(b, "service.instance.id", instanceId, true);
  for (let i = 0; i + 1 < c.resourceAttributes.length; i += 2) {
    stringAttribute(b, unchecked(c.resourceAttributes[i]), unchecked(c.resourceAttributes[i + 1]), true);
  }
  b.appendAscii("]},\"scopeLogs\":[{\"scope\":{\"name\":\"" + OTLP_SCOPE_NAME + "\",\"version\":");
  quoted(b, c.serviceVersion);
  b.appendAscii("},\"logRecords\":[");
  const out = new Uint8Array(<i32>b.length);
  memory.copy(out.dataStart, b.ptr, b.length);
  return out;
}

/** Closes what otlpRequestPrefix opened. */
export const OTLP_REQUEST_SUFFIX = "]}]}]}";

function stringAttribute(b: ByteBuffer, key: string, value: string, comma: bool): void {
  if (comma) b.appendByte(0x2C);
  b.appendAscii("{\"key\":");
  quoted(b, key);
  b.appendAscii(",\"value\":{\"stringValue\":");
  quoted(b, value);
  b.appendAscii("}}");
}

const HEX = "0123456789abcdef";

// A configuration string as a JSON string (UTF-8, the canonical escapes).
function quoted(b: ByteBuffer, s: string): void {
  const bytes = String.UTF8.encode(s);
  const p = changetype<usize>(bytes);
  const n = <usize>bytes.byteLength;
  b.appendByte(0x22);
  for (let i: usize = 0; i < n; i++) {
    const c = <u32>load<u8>(p + i);
    if (c == 0x22 || c == 0x5C) { b.appendByte(0x5C); b.appendByte(<u8>c); }
    else if (c < 0x20) {
      b.appendAscii("\\u00");
      b.appendByte(<u8>HEX.charCodeAt(<i32>(c >> 4)));
      b.appendByte(<u8>HEX.charCodeAt(<i32>(c & 15)));
    } else b.appendByte(<u8>c);
  }
  b.appendByte(0x22);
}
