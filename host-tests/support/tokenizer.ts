// Drives dist/tokenizer.wasm (filters/testing/tokenizer) directly from Node: the tokenizer's
// exports need no host, so every proxy-wasm import is a stub that returns 0. Used by the parity
// tests and `tollgate count-tokens`.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const TOKENIZER_WASM = join(dirname(fileURLToPath(import.meta.url)), "../../dist/tokenizer.wasm");

export type EncodingName = "o200k_base" | "cl100k_base";
export const ENCODINGS: EncodingName[] = ["o200k_base", "cl100k_base"];
const INDEX: Record<EncodingName, number> = { o200k_base: 0, cl100k_base: 1 };

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  tok_alloc(len: number): number;
  tok_free(ptr: number): void;
  tok_ready(): number;
  tok_count(ptr: number, len: number, encoding: number): number;
  tok_encode(ptr: number, len: number, encoding: number, out: number, outCap: number): number;
  tok_chat(ptr: number, len: number, encoding: number): number;
}

/** One field of a chat request as the filter-side counter receives it. */
export type ChatOp =
  | { op: "message" }
  | { op: "field"; value: string }
  | { op: "name"; value: string }
  | { op: "function"; name: string; description: string }
  | { op: "properties" }
  | { op: "property"; key: string; type: string; description: string }
  | { op: "enum" }
  | { op: "enumItem"; value: string };

export class WasmTokenizer {
  private constructor(private x: Exports) {}

  static async load(path = TOKENIZER_WASM): Promise<WasmTokenizer> {
    const module = await WebAssembly.compile(readFileSync(path));
    const imports: Record<string, Record<string, () => number>> = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== "function") continue;
      (imports[imp.module] ??= {})[imp.name] = () => 0;
    }
    const instance = await WebAssembly.instantiate(module, imports);
    const x = instance.exports as unknown as Exports;
    x._initialize();
    if (!x.tok_ready()) throw new Error(`${path}: tokenizer tables missing (was it built by scripts/build.mjs?)`);
    return new WasmTokenizer(x);
  }

  private withBytes<T>(bytes: Uint8Array, f: (ptr: number) => T): T {
    const ptr = this.x.tok_alloc(bytes.length);
    try {
      new Uint8Array(this.x.memory.buffer, ptr, bytes.length).set(bytes);
      return f(ptr);
    } finally {
      this.x.tok_free(ptr);
    }
  }

  count(input: Uint8Array | string, encoding: EncodingName): number {
    const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
    return this.withBytes(bytes, (ptr) => this.x.tok_count(ptr, bytes.length, INDEX[encoding]));
  }

  encode(input: Uint8Array | string, encoding: EncodingName): number[] {
    const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
    const cap = bytes.length * 3;
    const out = this.x.tok_alloc(cap * 4);
    try {
      const n = this.withBytes(bytes, (ptr) => this.x.tok_encode(ptr, bytes.length, INDEX[encoding], out, cap));
      if (n < 0) throw new Error(`tok_encode failed: ${n}`);
      return Array.from(new Uint32Array(this.x.memory.buffer, out, n));
    } finally {
      this.x.tok_free(out);
    }
  }

  chat(ops: ChatOp[], encoding: EncodingName): number {
    const bytes = serializeChatOps(ops);
    return this.withBytes(bytes, (ptr) => this.x.tok_chat(ptr, bytes.length, INDEX[encoding]));
  }

  memoryBytes(): number {
    return this.x.memory.buffer.byteLength;
  }
}

const OP_CODES: Record<ChatOp["op"], string> = {
  message: "m", field: "f", name: "n", function: "t", properties: "p", property: "q", enum: "e", enumItem: "i",
};

function serializeChatOps(ops: ChatOp[]): Uint8Array {
  const parts: Buffer[] = [];
  const arg = (s: string) => {
    const b = Buffer.from(s, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    parts.push(len, b);
  };
  for (const o of ops) {
    parts.push(Buffer.from(OP_CODES[o.op]));
    if (o.op === "field" || o.op === "name" || o.op === "enumItem") arg(o.value);
    else if (o.op === "function") { arg(o.name); arg(o.description); }
    else if (o.op === "property") { arg(o.key); arg(o.type); arg(o.description); }
  }
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * A chat request's counter ops, walking it as the token meter will: per message every string
 * field (role, content, name, ...) and the text parts of an array content; function tools with
 * their top-level properties. Other shapes (images, audio, nested parameter schemas) are not in
 * OpenAI's published formula and are left out.
 */
export function chatOps(request: any): ChatOp[] {
  const ops: ChatOp[] = [];
  for (const m of request?.messages ?? []) {
    ops.push({ op: "message" });
    for (const [k, v] of Object.entries(m ?? {})) {
      if (typeof v === "string") ops.push(k === "name" ? { op: "name", value: v } : { op: "field", value: v });
      else if (k === "content" && Array.isArray(v)) {
        for (const part of v) if (part?.type === "text" && typeof part.text === "string") ops.push({ op: "field", value: part.text });
      }
    }
  }
  for (const t of request?.tools ?? []) {
    if (t?.type !== "function" || !t.function) continue;
    const f = t.function;
    ops.push({ op: "function", name: String(f.name ?? ""), description: String(f.description ?? "") });
    const props = f.parameters?.properties ?? {};
    if (Object.keys(props).length === 0) continue;
    ops.push({ op: "properties" });
    for (const [key, p] of Object.entries<any>(props)) {
      if (Array.isArray(p?.enum)) {
        ops.push({ op: "enum" });
        for (const item of p.enum) ops.push({ op: "enumItem", value: String(item) });
      }
      ops.push({ op: "property", key, type: String(p?.type ?? ""), description: String(p?.description ?? "") });
    }
  }
  return ops;
}
