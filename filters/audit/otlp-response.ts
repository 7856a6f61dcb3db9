// The OTLP/HTTP answer to a batch: a 200 can still carry partialSuccess.rejectedLogRecords
// (opentelemetry-proto collector/logs/v1 ExportLogsPartialSuccess, field 1, int64: a decimal
// string in JSON, or a number from lenient servers). The spec forbids retrying such a request,
// and does not say which records were refused, so the sink can only count them.
import {
  JsonScanner, TOK_OBJECT_START, TOK_KEY, TOK_STRING, TOK_NUMBER, TOK_OBJECT_END, TOK_ARRAY_START,
} from "../lib/json-scan";

/** rejectedLogRecords of an ExportLogsServiceResponse body; 0 when absent or unreadable. */
export function rejectedLogRecords(s: JsonScanner, ptr: usize, len: usize): u64 {
  s.reset(ptr, len);
  if (s.next() != TOK_OBJECT_START) return 0;
  while (true) {
    const t = s.next();
    if (t != TOK_KEY) return 0;
    const isPartial = keyIs(s.tokenPtr, s.tokenLen, "partialSuccess");
    const v = s.next();
    if (isPartial && v == TOK_OBJECT_START) return countIn(s);
    if (v == TOK_OBJECT_START || v == TOK_ARRAY_START) { if (s.skip() < 0) return 0; }
    else if (v < 0) return 0;
  }
  return 0;
}

function countIn(s: JsonScanner): u64 {
  while (true) {
    const t = s.next();
    if (t != TOK_KEY) return 0;
    const isCount = keyIs(s.tokenPtr, s.tokenLen, "rejectedLogRecords");
    const v = s.next();
    if (isCount && (v == TOK_STRING || v == TOK_NUMBER)) return digits(s.tokenPtr, s.tokenLen);
    if (v == TOK_OBJECT_START || v == TOK_ARRAY_START) { if (s.skip() < 0) return 0; }
    else if (v < 0 || v == TOK_OBJECT_END) return 0;
  }
  return 0;
}

function digits(ptr: usize, len: usize): u64 {
  if (len == 0 || len > 18) return 0;
  let v: u64 = 0;
  for (let i: usize = 0; i < len; i++) {
    const d = <u32>load<u8>(ptr + i) - 0x30;
    if (d > 9) return 0;
    v = v * 10 + <u64>d;
  }
  return v;
}

function keyIs(ptr: usize, len: usize, lit: string): bool {
  if (len != <usize>lit.length) return false;
  const p = changetype<usize>(lit);
  for (let i: usize = 0; i < len; i++) if (<u32>load<u8>(ptr + i) != <u32>load<u16>(p + (i << 1))) return false;
  return true;
}
