// Test entry for filters/lib/pii text parts and JSON rewriting: plain exports that
// host-tests/pii-text-parts.test.ts drives directly (no proxy-wasm host needed), plus the SDK's
// ABI surface so the module links in Envoy like every dist/*.wasm.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { Provider, Operation } from "../../lib/providers/types";
import { ByteBuffer } from "../../lib/bytes/buffer";
import { TextParts, findTextParts } from "../../lib/pii/text-parts";
import { JsonRewriter, appendJsonStringBody, decodePart, decodedToRaw } from "../../lib/pii/json-rewrite";
import { rulesFor } from "../../lib/pii/text-parts-table";

class PiiTextRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("pii-text", (contextId: u32): RootContext => new PiiTextRoot(contextId));

const parts = new TextParts();
const rewriter = new JsonRewriter(64 << 20);
const scratch = new ByteBuffer(64 << 20);
let out: ByteBuffer = scratch;

export function pt_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function pt_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function pt_out_ptr(): usize { return out.ptr; }
export function pt_out_len(): usize { return out.length; }

/** findTextParts into the module's TextParts: the count or a JSON_ERR_* code. */
export function pt_find(provider: i32, operation: i32, response: bool, ptr: usize, len: usize): i32 {
  return findTextParts(<Provider>provider, <Operation>operation, response, ptr, len, parts);
}

export function pt_start(i: i32): u32 { return <u32>parts.partStart(i); }
export function pt_end(i: i32): u32 { return <u32>parts.partEnd(i); }
export function pt_flags(i: i32): u32 { return parts.partFlags(i); }
export function pt_channel(i: i32): i32 { return parts.partChannel(i); }

/** Part i of the document at doc, decoded, into the output buffer; the byte count or < 0. */
export function pt_decode(doc: usize, i: i32): isize {
  scratch.clear();
  out = scratch;
  const need = parts.partEnd(i) - parts.partStart(i);
  if (!scratch.reserve(need)) return -2;
  const n = decodePart(doc, parts, i, scratch.ptr, need);
  if (n >= 0) scratch.length = <usize>n;
  return n;
}

/**
 * Rewrites the document at [doc, +len) whose parts the last pt_find found. Replacements at
 * [repl, +replLen): records of u32 LE part index, u32 LE byte length, bytes. 1 = ok.
 */
export function pt_rewrite(doc: usize, len: usize, repl: usize, replLen: usize): i32 {
  rewriter.begin(doc, len, parts);
  out = rewriter.out;
  let p: usize = 0;
  while (p + 8 <= replLen) {
    const i = load<u32>(repl + p);
    const n = <usize>load<u32>(repl + p + 4);
    if (p + 8 + n > replLen) return 0;
    if (!rewriter.replace(<i32>i, repl + p + 8, n)) return 0;
    p += 8 + n;
  }
  return rewriter.finish() ? 1 : 0;
}

/** appendJsonStringBody of [ptr, +len) into the output buffer. */
export function pt_escape(ptr: usize, len: usize): i32 {
  scratch.clear();
  out = scratch;
  return appendJsonStringBody(scratch, ptr, len) ? 1 : 0;
}

export function pt_decoded_to_raw(raw: usize, rawLen: usize, off: usize): usize {
  return decodedToRaw(raw, rawLen, off);
}

/** 1 when every dialect's rule patterns parsed (a typo in the table would silently match less). */
export function pt_rules_ok(): i32 {
  for (let op = 1; op <= 13; op++) {
    if (rulesFor(<Operation>op, false).broken || rulesFor(<Operation>op, true).broken) return 0;
  }
  return 1;
}
