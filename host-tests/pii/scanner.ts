// The pii-redact filter's detection code (dist/pii-redact.wasm, its scan API in
// filters/pii-redact/scan-api.ts) driven from Node, for `tollgate pii scan` and the evaluation.
// The scan exports need no proxy-wasm host, so every host import is a stub returning 0.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Utf8ToUtf16 } from "./offsets";

export const PII_WASM = join(dirname(fileURLToPath(import.meta.url)), "../../dist/pii-redact.wasm");

/** One detected entity; offsets are JavaScript string indices (UTF-16 code units), end exclusive. */
export interface Entity {
  start: number;
  end: number;
  type: string;
  subtype: string;
  /** Confidence 0..100. */
  score: number;
  /** SECRET only: the family of its subtype ("aws", "github", ...), when the detector names one. */
  family?: string;
}

/** What `pii_configure` reads; unknown keys are ignored by the wasm side. */
export interface ScanConfigJson {
  enabled?: string[];
  thresholds?: Record<string, number>;
  generic_secrets?: boolean;
  /** The filter's per-type block; only enabled and threshold matter to a scan. */
  entities?: Record<string, { enabled?: boolean; threshold?: number; [other: string]: unknown }>;
  [other: string]: unknown;
}

export interface PiiScanner {
  scan(text: string): Entity[];
  /** Replaces the configuration; throws with the filter's reason when it is rejected. */
  configure(config: ScanConfigJson | string): void;
}

/** The scan API of filters/pii-redact/scan-api.ts, as the instance exports it. */
export interface PiiScanExports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  pii_alloc(len: number): number;
  pii_free(ptr: number): void;
  pii_configure(ptr: number, len: number): number;
  pii_scan(ptr: number, len: number): number;
  pii_start(i: number): number;
  pii_end(i: number): number;
  pii_type(i: number): number;
  pii_subtype(i: number): number;
  pii_score(i: number): number;
  pii_text_ptr(): number;
  pii_type_name(t: number): number;
  pii_subtype_name(id: number): number;
  pii_secret_family(id: number): number;
  pii_error(): number;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function loadPiiScanner(wasmPath = PII_WASM, config?: ScanConfigJson | string): PiiScanner {
  const scanner = piiScannerFromExports(loadPiiExports(wasmPath));
  if (config !== undefined) scanner.configure(config);
  return scanner;
}

/** A fresh, initialized instance of the module's scan API (the bench drives pii_scan directly). */
export function loadPiiExports(wasmPath = PII_WASM): PiiScanExports {
  let bytes: Uint8Array<ArrayBuffer>;
  try {
    bytes = new Uint8Array(readFileSync(wasmPath));
  } catch (e) {
    throw new Error(`cannot read ${wasmPath} (build it with npm run build): ${(e as Error).message}`);
  }
  const module = new WebAssembly.Module(bytes);
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === "function") (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  const x = new WebAssembly.Instance(module, imports).exports as unknown as PiiScanExports;
  if (typeof x.pii_scan !== "function" || typeof x.pii_text_ptr !== "function") {
    throw new Error(`${wasmPath} has no scan API (pii_scan, pii_text_ptr): is it dist/pii-redact.wasm?`);
  }
  x._initialize();
  return x;
}

/** A scanner over an initialized instance (tests give it stand-in exports to check the offset mapping). */
export function piiScannerFromExports(x: PiiScanExports): PiiScanner {
  return new WasmPiiScanner(x);
}

class WasmPiiScanner implements PiiScanner {
  // One input buffer in wasm memory, grown as needed: texts are copied in, never allocated per scan.
  private buf = 0;
  private cap = 0;
  // Names by id: the wasm keeps one table for the process, so they never change.
  private typeNames = new Map<number, string>();
  private subtypeNames = new Map<number, string>();
  private families = new Map<number, string>();

  constructor(private x: PiiScanExports) {}

  private text(len: number): string {
    return decoder.decode(new Uint8Array(this.x.memory.buffer, this.x.pii_text_ptr(), len));
  }

  private cached(cache: Map<number, string>, id: number, call: (id: number) => number): string {
    let s = cache.get(id);
    if (s === undefined) cache.set(id, (s = this.text(call(id))));
    return s;
  }

  /** Copies `n` bytes produced by `fill` into the input buffer; returns its address. */
  private input(n: number, fill: (view: Uint8Array) => void): number {
    if (n > this.cap) {
      if (this.buf) this.x.pii_free(this.buf);
      this.cap = Math.max(n, 2 * this.cap, 4096);
      this.buf = this.x.pii_alloc(this.cap);
    }
    // The view is made after the allocation: growing memory detaches older views.
    fill(new Uint8Array(this.x.memory.buffer, this.buf, n));
    return this.buf;
  }

  configure(config: ScanConfigJson | string): void {
    const json = encoder.encode(typeof config === "string" ? config : JSON.stringify(config));
    const ptr = this.input(json.length, (v) => v.set(json));
    if (this.x.pii_configure(ptr, json.length) !== 0) throw new Error(this.text(this.x.pii_error()));
  }

  scan(text: string): Entity[] {
    // Encoded straight into wasm memory with room for the worst case (3 bytes per UTF-16 unit).
    let n = 0;
    const ptr = this.input(text.length * 3, (v) => (n = encoder.encodeInto(text, v).written));
    const count = this.x.pii_scan(ptr, n);
    if (count === 0) return [];
    // ASCII text (bytes = units): byte offsets are string indices. Otherwise one walk over the
    // UTF-8 bytes in wasm memory up to the last entity (they come sorted by start), not a table
    // of every byte. The view is made after the scan: growing memory detaches older views.
    const cursor = n === text.length ? null : new Utf8ToUtf16(new Uint8Array(this.x.memory.buffer, ptr, n));
    const out: Entity[] = [];
    for (let i = 0; i < count; i++) {
      const [start, end] = cursor === null ? [this.x.pii_start(i), this.x.pii_end(i)] : cursor.range(this.x.pii_start(i), this.x.pii_end(i));
      const sub = this.x.pii_subtype(i);
      const e: Entity = {
        start,
        end,
        type: this.cached(this.typeNames, this.x.pii_type(i), (t) => this.x.pii_type_name(t)),
        subtype: this.cached(this.subtypeNames, sub, (s) => this.x.pii_subtype_name(s)),
        score: this.x.pii_score(i),
      };
      if (e.type === "SECRET") {
        const family = this.cached(this.families, sub, (s) => this.x.pii_secret_family(s));
        if (family) e.family = family;
      }
      out.push(e);
    }
    return out;
  }
}
