// Test entry for filters/lib/providers/usage.ts: runs a UsageMeter over a body given as a chunk
// sequence and returns its result as one compact JSON document, so host tests compare it with
// the TypeScript oracle. Plain exports need no proxy-wasm host; the SDK's ABI surface is
// re-exported so the module links in Envoy like every dist/*.wasm.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { JsonWriter } from "../../lib/json-scan";
import { Provider, Operation, FigureSource } from "../../lib/providers/types";
import { UsageMeter, CompletionTextSink, framingFor } from "../../lib/providers/usage";

class UsageRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("providers-usage", (contextId: u32): RootContext => new UsageRoot(contextId));

const OUT = new JsonWriter(1 << 16);

export function u_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function u_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function u_out_ptr(): usize { return OUT.ptr; }
export function u_out_len(): usize { return OUT.length; }

// Proves the hook sees the same decoded text the meter counts.
class SumSink extends CompletionTextSink {
  bytes: u64 = 0;
  text(ptr: usize, len: usize): void { this.bytes += <u64>len; }
}

function sourceName(s: FigureSource): string {
  return s == FigureSource.Reported ? "reported" : s == FigureSource.Missing ? "missing" : "other";
}

/**
 * Runs one meter. Headers are "name\nvalue\n" pairs; splits are u32 offsets where the body is
 * cut into chunks (ascending). `truncate` < len cuts the body there (a stream cut short).
 * Writes {"reported","input","output","cached_input","cache_write","reasoning","total",
 * "source":{"input","output"},"model","text_bytes","sink_bytes","framing"}; returns the length,
 * or -1 if the writer failed.
 */
export function u_run(
  provider: i32, operation: i32, ct: usize, ctLen: usize, hdr: usize, hdrLen: usize, status: i32,
  body: usize, len: usize, splits: usize, nSplits: i32, maxUnit: usize,
): i32 {
  const op = <Operation>operation;
  const framing = framingFor(op, ct, ctLen);
  const meter = new UsageMeter(<Provider>provider, op, framing, maxUnit);
  const sink = new SumSink();
  meter.sink = sink;
  meter.setStatus(status);
  let i: usize = 0;
  while (i < hdrLen) {
    let j = i;
    while (j < hdrLen && load<u8>(hdr + j) != 0x0A) j++;
    let k = j + 1;
    while (k < hdrLen && load<u8>(hdr + k) != 0x0A) k++;
    if (k > hdrLen) break;
    meter.pushHeader(hdr + i, j - i, hdr + j + 1, k - j - 1);
    i = k + 1;
  }
  let from: usize = 0;
  for (let s = 0; s < nSplits; s++) {
    const at = min<usize>(<usize>load<u32>(splits + (<usize>s << 2)), len);
    if (at < from) continue;
    meter.push(body + from, at - from);
    from = at;
  }
  meter.push(body + from, len - from);
  meter.finish();

  const u = meter.usage;
  const w = OUT;
  w.reset();
  w.beginObject();
  w.key("reported").bool(meter.reported);
  w.key("input"); if (u.inputSource == FigureSource.Missing) w.null(); else w.uint(u.input);
  w.key("output"); if (u.outputSource == FigureSource.Missing) w.null(); else w.uint(u.output);
  w.key("cached_input").uint(u.cachedInput);
  w.key("cache_write").uint(u.cacheWrite);
  w.key("reasoning").uint(u.reasoning);
  w.key("total").uint(u.total);
  w.key("source").beginObject()
    .key("input").string(sourceName(u.inputSource))
    .key("output").string(sourceName(u.outputSource))
    .endObject();
  w.key("model");
  if (meter.modelLen == 0) w.null(); else w.stringBytes(meter.modelPtr, meter.modelLen);
  w.key("text_bytes").uint(meter.textBytes);
  w.key("sink_bytes").uint(sink.bytes);
  w.key("framing").int(<i64>framing);
  w.endObject();
  return w.ok ? <i32>w.length : -1;
}

const SPLIT = heap.alloc(4);
let whole: usize = 0;
let wholeCap: usize = 0;

/** Every 2-way split of the body must give the whole body's result: -1, else the first bad k. */
export function u_every_split(
  provider: i32, operation: i32, ct: usize, ctLen: usize, hdr: usize, hdrLen: usize, status: i32,
  body: usize, len: usize, maxUnit: usize,
): i32 {
  const n = u_run(provider, operation, ct, ctLen, hdr, hdrLen, status, body, len, 0, 0, maxUnit);
  if (n < 0) return -2;
  if (<usize>n > wholeCap) { whole = whole == 0 ? heap.alloc(<usize>n) : heap.realloc(whole, <usize>n); wholeCap = <usize>n; }
  memory.copy(whole, OUT.ptr, <usize>n);
  for (let k: usize = 1; k < len; k++) {
    store<u32>(SPLIT, <u32>k);
    const m = u_run(provider, operation, ct, ctLen, hdr, hdrLen, status, body, len, SPLIT, 1, maxUnit);
    if (m != n || memory.compare(whole, OUT.ptr, <usize>n) != 0) return <i32>k;
  }
  return -1;
}
