// Test entry for filters/lib/providers/cutoff.ts: one StreamCutter at a time, driven chunk by
// chunk from host-tests/cutoff.test.ts. Plain exports need no proxy-wasm host; the SDK's ABI
// surface is re-exported so the module links in Envoy like every dist/*.wasm.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { ByteBuffer } from "../../lib/bytes";
import { Provider, Operation, BodyFraming } from "../../lib/providers/types";
import { StreamCutter } from "../../lib/providers/cutoff";

class CutoffRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("cutoff", (contextId: u32): RootContext => new CutoffRoot(contextId));

let cutter: StreamCutter | null = null;
const OUT = new ByteBuffer(1 << 16);

export function ct_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function ct_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }

/** A fresh cutter; returns whether its dialect is supported. */
export function ct_new(provider: i32, operation: i32, framing: i32, encoding: i32, maxEventBytes: usize): bool {
  const c = new StreamCutter(<Provider>provider, <Operation>operation, <BodyFraming>framing, encoding, maxEventBytes);
  cutter = c;
  return c.supported;
}

export function ct_push(ptr: usize, len: usize, allowance: i64): isize {
  return cutter === null ? -2 : cutter!.push(ptr, len, allowance);
}

export function ct_tokens(): i64 { return cutter === null ? -1 : cutter!.outputTokens; }
export function ct_bad_units(): u32 { return cutter === null ? 0 : cutter!.badUnits; }

/** Writes the terminal bytes to the output buffer; returns their length. */
export function ct_terminate(): usize {
  OUT.clear();
  if (cutter !== null) cutter!.terminate(OUT);
  return OUT.length;
}

export function ct_out_ptr(): usize { return OUT.ptr; }
