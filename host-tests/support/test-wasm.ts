// The test entries under filters/testing/ export plain functions next to the proxy-wasm ABI:
// tests load them without a host (every import a stub returning 0) and pass bytes in and out.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

export interface TestWasmBase {
  memory: WebAssembly.Memory;
  _initialize(): void;
}

/** dist/<name>.wasm instantiated with stub imports and initialized. */
export async function loadTestWasm<T extends TestWasmBase>(name: string): Promise<T> {
  const module = await WebAssembly.compile(readFileSync(resolve(__dirname, "../../dist", `${name}.wasm`)));
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === "function") (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  const x = (await WebAssembly.instantiate(module, imports)).exports as unknown as T;
  x._initialize();
  return x;
}

/** Runs `f` on a copy of `bytes` in the module's memory, freed afterwards. */
export function withBytesIn<T>(
  x: TestWasmBase, alloc: (n: number) => number, free: (p: number) => void,
  bytes: Uint8Array, f: (ptr: number, len: number) => T,
): T {
  const ptr = alloc(bytes.length);
  new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
  try {
    return f(ptr, bytes.length);
  } finally {
    free(ptr);
  }
}

const dec = new TextDecoder();

/** The UTF-8 text at [ptr, ptr+len) of the module's memory. */
export function textAt(x: TestWasmBase, ptr: number, len: number): string {
  return dec.decode(new Uint8Array(x.memory.buffer, ptr, len));
}
