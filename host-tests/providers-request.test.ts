// Request-side recognition in AssemblyScript (filters/lib/providers: recognise, request,
// prompt) against the oracle's `recognise` on every recorded exchange, prompt counts against
// what the provider billed, and hostile input that must never trap.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadCassettes } from "./replay/cassette";
import { recognise, usageFrom, type Headers } from "./support/usage-oracle";

const WASM = join(dirname(fileURLToPath(import.meta.url)), "../dist/providers-request.wasm");
const enc = new TextEncoder();

interface Result {
  provider: string; operation: string; model: string | null; stream: boolean; outputCap: number | null; n: number;
  includeUsage: boolean | null; bodyStatus: number; promptTokens: number; promptSource: string; family: number;
}

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  pr_alloc(n: number): number;
  pr_free(p: number): void;
  pr_out_ptr(): number;
  pr_out_len(): number;
  pr_tables_ready(): number;
  pr_recognise(m: number, ml: number, p: number, pl: number, h: number, hl: number, b: number, bl: number): number;
}

let x: Exports;

beforeAll(async () => {
  const module = await WebAssembly.compile(readFileSync(WASM));
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) if (imp.kind === "function") (imports[imp.module] ??= {})[imp.name] = () => 0;
  x = (await WebAssembly.instantiate(module, imports)).exports as unknown as Exports;
  x._initialize();
});

function put(b: Uint8Array): number {
  const p = x.pr_alloc(b.length);
  new Uint8Array(x.memory.buffer, p, b.length).set(b);
  return p;
}

function headerBytes(h: Array<[string, string]>): Uint8Array {
  const parts: number[] = [];
  const u32 = (n: number) => parts.push(n & 255, (n >>> 8) & 255, (n >>> 16) & 255, (n >>> 24) & 255);
  for (const [k, v] of h) {
    const kb = enc.encode(k), vb = enc.encode(v);
    u32(kb.length); parts.push(...kb); u32(vb.length); parts.push(...vb);
  }
  return new Uint8Array(parts);
}

function wasmRecognise(method: string | Uint8Array, path: string | Uint8Array, headers: Array<[string, string]>, body: Uint8Array | string | null): Result {
  const bufs = [typeof method === "string" ? enc.encode(method) : method, typeof path === "string" ? enc.encode(path) : path,
    headerBytes(headers), body === null ? new Uint8Array(0) : typeof body === "string" ? enc.encode(body) : body];
  const ptrs = bufs.map(put);
  try {
    const n = x.pr_recognise(ptrs[0], bufs[0].length, ptrs[1], bufs[1].length, ptrs[2], bufs[2].length, ptrs[3], bufs[3].length);
    return JSON.parse(new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.pr_out_ptr(), n)));
  } finally {
    ptrs.forEach((p) => x.pr_free(p));
  }
}

const recognitionOf = (r: Result) => ({ provider: r.provider, operation: r.operation, model: r.model, stream: r.stream, outputCap: r.outputCap, n: r.n });

const cassettes = loadCassettes([resolve(__dirname, "recordings/cassettes")]);
const exchanges = cassettes.flatMap((c) => c.exchanges);

function requestOf(e: (typeof exchanges)[number]) {
  const r = e.exchange.request;
  const headers: Array<[string, string]> = [[":authority", r.authority ?? ""], ...r.headers.map(([k, v]) => [k, v] as [string, string])];
  return { method: r.method, path: r.path, headers, body: r.body.length ? r.body : null };
}

describe("recognition equals the oracle on every recorded exchange", () => {
  it("covers all cassettes", () => {
    expect(cassettes.length).toBe(10);
    expect(exchanges.length).toBe(53);
  });
  for (const e of exchanges) {
    it(e.name, () => {
      const q = requestOf(e);
      expect(recognitionOf(wasmRecognise(q.method, q.path, q.headers, q.body))).toEqual(recognise(q.method, q.path, q.headers, q.body));
    });
  }
});
