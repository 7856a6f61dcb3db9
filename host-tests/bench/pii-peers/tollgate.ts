// Tollgate's own scanner in the peers' shape: the pii-redact wasm's scan API
// (host-tests/pii/scanner.ts), default configuration, as `npm run eval:pii` scores it. Two timed
// calls: `run`, through the JS glue (string in, UTF-8 copy into wasm memory, entities with UTF-16
// offsets out), as a peer's call includes its own; and tollgateWasmScan's, the scan a gateway
// performs: the UTF-8 body already in wasm memory, findings left in wasm memory.
import { loadPiiExports, loadPiiScanner } from "../../pii/scanner";
import { PII_TYPES, type PiiPeer, type PiiType, type Span } from "./types";

const ours = new Set<string>(PII_TYPES);

export function tollgate(): PiiPeer {
  const scanner = loadPiiScanner();
  return {
    name: "tollgate",
    version: "dist/pii-redact.wasm",
    api: "loadPiiScanner().scan(text) -> entities {start, end, type}",
    types: PII_TYPES,
    scan: async (text) => scanner.scan(text).flatMap((e): Span[] => (ours.has(e.type) ? [{ start: e.start, end: e.end, type: e.type as PiiType }] : [])),
    run: (text) => scanner.scan(text),
  };
}

/**
 * pii_scan on each text's UTF-8 bytes, copied into a fresh instance's memory once, untimed (a
 * filter's body is there already). The call returns the finding count; the findings stay in
 * wasm memory, where the filter acts on them. `wasmPath`: another build of pii-redact (the
 * bench's optional before/after row), dist/pii-redact.wasm by default.
 */
export function tollgateWasmScan(texts: string[], wasmPath?: string): (k: number) => number {
  const x = loadPiiExports(wasmPath);
  const encoder = new TextEncoder();
  const inputs = texts.map((t) => {
    const bytes = encoder.encode(t);
    const ptr = x.pii_alloc(bytes.length);
    new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
    return [ptr, bytes.length] as const;
  });
  return (k) => x.pii_scan(inputs[k][0], inputs[k][1]);
}
