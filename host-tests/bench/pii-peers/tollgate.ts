// Tollgate's own scanner in the peers' shape: the pii-redact wasm's scan API
// (host-tests/pii/scanner.ts), default configuration, as `npm run eval:pii` scores it. The timed
// call includes the JS side (UTF-8 copy in, offsets back to UTF-16), as a peer's includes its own.
import { loadPiiScanner } from "../../pii/scanner";
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
