// Just enough of the wasm binary format to do what Envoy does before instantiation:
// find the ABI marker, and compare import/export function types with its tables
// (WebAssembly.Module.imports() in Node 20 has no type reflection).
import type { Signature, ValType } from "./abi";

export interface ModuleShape {
  imports: Array<{ module: string; name: string; kind: "func" | "table" | "memory" | "global"; type?: Signature }>;
  exports: Array<{ name: string; kind: "func" | "table" | "memory" | "global"; type?: Signature }>;
  /** function index -> name, from the `name` custom section (for in-VM backtraces). */
  functionNames: Map<number, string>;
}

const VALTYPES: Record<number, ValType> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64" };
const KINDS = ["func", "table", "memory", "global"] as const;

class Reader {
  constructor(private bytes: Uint8Array, public pos = 0, public end = bytes.length) {}
  u8(): number {
    if (this.pos >= this.end) throw new Error("unexpected end of module");
    return this.bytes[this.pos++];
  }
  u32(): number {
    let result = 0, shift = 0, b: number;
    do {
      b = this.u8();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80 && shift < 35);
    return result >>> 0;
  }
  skipLeb(): void {
    while (this.u8() & 0x80);
  }
  name(): string {
    const len = this.u32();
    const s = new TextDecoder().decode(this.bytes.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  valtype(): ValType {
    const b = this.u8();
    return VALTYPES[b] ?? ("i32" as ValType); // reference/vector types never appear in proxy-wasm signatures
  }
  limits(): void {
    const flags = this.u8();
    this.u32();
    if (flags & 1) this.u32();
  }
}

export function readModuleShape(bytes: Uint8Array): ModuleShape {
  const r = new Reader(bytes, 8);
  const types: Signature[] = [];
  const funcTypes: number[] = []; // imported functions first, then defined ones
  const shape: ModuleShape = { imports: [], exports: [], functionNames: new Map() };
  while (r.pos < bytes.length) {
    const id = r.u8();
    const size = r.u32();
    const sectionEnd = r.pos + size;
    const s = new Reader(bytes, r.pos, sectionEnd);
    if (id === 1) {
      for (let n = s.u32(); n > 0; n--) {
        s.u8(); // 0x60
        const params: ValType[] = [];
        for (let p = s.u32(); p > 0; p--) params.push(s.valtype());
        const results: ValType[] = [];
        for (let q = s.u32(); q > 0; q--) results.push(s.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        const module = s.name();
        const name = s.name();
        const kind = KINDS[s.u8()] ?? "func";
        if (kind === "func") {
          const t = s.u32();
          funcTypes.push(t);
          shape.imports.push({ module, name, kind, type: types[t] });
        } else {
          if (kind === "table") { s.u8(); s.limits(); }
          else if (kind === "memory") s.limits();
          else { s.u8(); s.u8(); }
          shape.imports.push({ module, name, kind });
        }
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) funcTypes.push(s.u32());
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) {
        const name = s.name();
        const kind = KINDS[s.u8()] ?? "func";
        const index = s.u32();
        shape.exports.push({ name, kind, type: kind === "func" ? types[funcTypes[index]] : undefined });
      }
    } else if (id === 0) {
      const name = s.name();
      if (name === "name") readFunctionNames(s, shape.functionNames);
    }
    r.pos = sectionEnd;
  }
  return shape;
}

function readFunctionNames(s: Reader, out: Map<number, string>): void {
  try {
    while (s.pos < s.end) {
      const sub = s.u8();
      const size = s.u32();
      const end = s.pos + size;
      if (sub === 1) {
        for (let n = s.u32(); n > 0; n--) {
          const index = s.u32();
          out.set(index, s.name());
        }
      }
      s.pos = end;
    }
  } catch {
    // A malformed name section only costs us readable backtraces, as in cpp-host.
  }
}
