// Test entry for filters/lib/providers request side (recognise, request, prompt): the host
// hands over method, path, header pairs and body; the result is one JSON object read back
// through pr_out_ptr / pr_out_len. The SDK's ABI surface is exported so the module links in
// Envoy like every dist/*.wasm; its root context does nothing.
export * from "../../sdk/dispatcher";
import { RootContext, HttpContext, registerRootContext } from "../../sdk";
import { eqAsciiNoCase } from "../../lib/bytes";
import { JsonWriter } from "../../lib/json-scan";
import { providerName, operationName, FigureSource } from "../../lib/providers/types";
import { Recognition, ModelSource } from "../../lib/providers/recognise";
import { recogniseRequest } from "../../lib/providers/request";
import { countPrompt, PromptCount } from "../../lib/providers/prompt";
import { tablesReady } from "../../lib/tokenizer";

class ProvidersRequestRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new HttpContext(contextId, this);
  }
}

registerRootContext("providers-request", (contextId: u32): RootContext => new ProvidersRequestRoot(contextId));

const rec = new Recognition();
const prompt = new PromptCount();
const out = new JsonWriter(1 << 16);

export function pr_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function pr_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function pr_out_ptr(): usize { return out.ptr; }
export function pr_out_len(): usize { return out.length; }
export function pr_tables_ready(): bool { return tablesReady(); }

// Headers: repeated (u32 LE name length, name, u32 LE value length, value). The filter asks
// the host for :authority, then host, and whether api-key exists; this mirrors that choice.
function findHeader(ptr: usize, len: usize, name: string): i64 {
  let p = ptr;
  const end = ptr + len;
  while (end - p >= 4) {
    const nl = <usize>load<u32>(p); p += 4;
    if (end - p < nl) return -1;
    const np = p; p += nl;
    if (end - p < 4) return -1;
    const vl = <usize>load<u32>(p); p += 4;
    if (end - p < vl) return -1;
    if (eqAsciiNoCase(np, nl, name)) return (<i64>(p - ptr) << 32) | <i64>vl;
    p += vl;
  }
  return -1;
}

/** Recognises one request and counts its prompt; returns the result's length (JSON). */
export function pr_recognise(method: usize, methodLen: usize, path: usize, pathLen: usize, headers: usize, headersLen: usize, body: usize, bodyLen: usize): usize {
  let a = findHeader(headers, headersLen, ":authority");
  if (a < 0) a = findHeader(headers, headersLen, "host");
  const aPtr: usize = a < 0 ? <usize>0 : headers + <usize>(a >>> 32);
  const aLen: usize = a < 0 ? <usize>0 : <usize>(a & 0xFFFFFFFF);
  const hasApiKey = findHeader(headers, headersLen, "api-key") >= 0;
  const status = recogniseRequest(rec, method, methodLen, path, pathLen, aPtr, aLen, hasApiKey, body, bodyLen);
  countPrompt(rec, body, bodyLen, prompt);

  out.reset();
  out.beginObject();
  out.key("provider").string(providerName(rec.provider));
  out.key("operation").string(operationName(rec.operation));
  out.key("model");
  if (rec.modelSource == ModelSource.Path || rec.modelSource == ModelSource.Body) out.stringBytes(rec.modelPtr, <usize>rec.modelLen);
  else out.null();
  out.key("stream").bool(rec.stream);
  out.key("outputCap");
  if (rec.hasOutputCap) out.int(rec.outputCap); else out.null();
  out.key("n").int(rec.n);
  out.key("includeUsage");
  if (rec.includeUsagePresent) out.bool(rec.includeUsageTrue); else out.null();
  out.key("bodyStatus").int(status);
  out.key("promptTokens").int(prompt.tokens);
  out.key("promptSource").string(
    prompt.source == FigureSource.Counted ? "counted" : prompt.source == FigureSource.Estimated ? "estimated" : "missing");
  out.key("family").int(prompt.family);
  out.endObject();
  return out.length;
}
