// Drives dist/parsers.wasm (filters/testing/parsers) from Node, and holds plain-TypeScript
// reference implementations of the same formats written from their specs, so the wasm output
// is checked against something independent. The module's exports need no proxy-wasm host:
// every import is a stub returning 0.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { prng } from "../replay/split";

export const PARSERS_WASM = join(dirname(fileURLToPath(import.meta.url)), "../../dist/parsers.wasm");

export const KIND = { sse: 0, ndjson: 1, eventstream: 2, jsonArray: 3 } as const;
export type FrameKind = keyof typeof KIND;

export const FRAME = { unit: 1, tooLarge: -1, malformed: -2, crc: -3, truncated: -4, busy: -5 } as const;
export const TOK = { end: 0, objStart: 1, objEnd: 2, arrStart: 3, arrEnd: 4, key: 5, string: 6, number: 7, true: 8, false: 9, null: 10 } as const;
export const JSON_ERR = { malformed: -1, tooDeep: -2, truncated: -3 } as const;
export const NUM = { ok: 0, empty: 1, invalid: 2, overflow: 3, fraction: 4 } as const;

/** One framer result: a unit (fields as bytes; null = absent) or an error code. */
export type FrameRecord = { code: number; fields?: (Uint8Array | null)[] };

const FIELD_COUNT: Record<FrameKind, number> = { sse: 3, ndjson: 1, eventstream: 5, jsonArray: 1 };

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  p_alloc(len: number): number;
  p_free(ptr: number): void;
  p_out_ptr(): number;
  p_out_len(): number;
  p_frame(kind: number, body: number, len: number, splits: number, nSplits: number, maxSize: number, clear: number): number;
  p_frame_every_split(kind: number, body: number, len: number, maxSize: number): number;
  p_frame_busy(kind: number, body: number, len: number): number;
  p_json_tokens(ptr: number, len: number, maxDepth: number): number;
  p_json_error_offset(): number;
  p_json_valid(ptr: number, len: number, maxDepth: number): number;
  p_paths_set(ptr: number, len: number, maxDepth: number): number;
  p_paths_run(ptr: number, len: number): number;
  p_paths_slots(ptr: number, len: number): number;
  p_unescape(ptr: number, len: number, out: number, cap: number): number;
  p_num(op: number, ptr: number, len: number, scale: number): number;
  p_num_u64(): bigint;
  p_num_i64(): bigint;
  p_num_f64(): number;
  p_ascii(op: number, ptr: number, len: number): number;
  p_eq_nocase(a: number, aLen: number, b: number, bLen: number): number;
  p_crc32(ptr: number, len: number): number;
  p_crc32_split(ptr: number, len: number, at: number): number;
  p_buffer(cap: number, ptr: number, len: number, times: number, drop: number): number;
  p_write(ops: number, len: number, maxBytes: number): number;
}

const enc = new TextEncoder();
const toBytes = (x: Uint8Array | string): Uint8Array => (typeof x === "string" ? enc.encode(x) : x);

export class WasmParsers {
  private constructor(readonly x: Exports, readonly moduleBytes: number) {}

  static async load(path = PARSERS_WASM): Promise<WasmParsers> {
    const bytes = readFileSync(path);
    const module = await WebAssembly.compile(bytes);
    const imports: Record<string, Record<string, () => number>> = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind !== "function") continue;
      (imports[imp.module] ??= {})[imp.name] = () => 0;
    }
    const instance = await WebAssembly.instantiate(module, imports);
    const x = instance.exports as unknown as Exports;
    x._initialize();
    return new WasmParsers(x, bytes.length);
  }

  /** Copies bytes into wasm memory for the duration of f. */
  with<T>(input: Uint8Array | string, f: (ptr: number, len: number) => T): T {
    const b = toBytes(input);
    const ptr = this.x.p_alloc(b.length);
    try {
      new Uint8Array(this.x.memory.buffer, ptr, b.length).set(b);
      return f(ptr, b.length);
    } finally {
      this.x.p_free(ptr);
    }
  }

  out(): Uint8Array {
    return new Uint8Array(this.x.memory.buffer, this.x.p_out_ptr(), this.x.p_out_len()).slice();
  }

  /** Raw record bytes of one framing run (chunks cut at `splits`). */
  frameRaw(kind: FrameKind, body: Uint8Array | string, splits: number[] = [], maxSize = 1 << 20): Uint8Array {
    const b = toBytes(body);
    return this.with(b, (ptr, len) => {
      const sp = this.x.p_alloc(splits.length * 4);
      try {
        new Uint32Array(this.x.memory.buffer, sp, splits.length).set(splits);
        const r = this.x.p_frame(KIND[kind], ptr, len, sp, splits.length, maxSize, 1);
        if (r !== 0) throw new Error(`p_frame(${kind}) failed: ${r}`);
        return this.out();
      } finally {
        this.x.p_free(sp);
      }
    });
  }

  frame(kind: FrameKind, body: Uint8Array | string, splits: number[] = [], maxSize = 1 << 20): FrameRecord[] {
    return decodeFrameRecords(kind, this.frameRaw(kind, body, splits, maxSize));
  }

  /** -1 when every two-way split gives the whole run's records; else the first offset that differs. */
  everySplit(kind: FrameKind, body: Uint8Array, maxSize = 1 << 20): number {
    return this.with(body, (ptr, len) => this.x.p_frame_every_split(KIND[kind], ptr, len, maxSize));
  }

  tokens(json: Uint8Array | string, maxDepth = 64): { tokens: { t: number; start: number; end: number; escaped: boolean }[]; status: number; errorOffset: number } {
    return this.with(json, (ptr, len) => {
      const status = this.x.p_json_tokens(ptr, len, maxDepth);
      const o = this.out();
      const dv = new DataView(o.buffer);
      const tokens = [];
      for (let i = 0; i + 13 <= o.length; i += 13) {
        tokens.push({ t: dv.getInt32(i, true), start: dv.getUint32(i + 4, true), end: dv.getUint32(i + 8, true), escaped: o[i + 12] === 1 });
      }
      return { tokens, status, errorOffset: this.x.p_json_error_offset() };
    });
  }

  setPaths(paths: string[], maxDepth = 64): number {
    return this.with(paths.join("\n"), (ptr, len) => this.x.p_paths_set(ptr, len, maxDepth));
  }

  /** Pull matcher over a document: every match in order, and the final status. */
  runPaths(json: Uint8Array | string): { matches: PathMatch[]; status: number } {
    const b = toBytes(json);
    return this.with(b, (ptr, len) => {
      const status = this.x.p_paths_run(ptr, len);
      const o = this.out();
      const dv = new DataView(o.buffer);
      const matches: PathMatch[] = [];
      for (let i = 0; i + 17 <= o.length; i += 17) {
        const start = dv.getUint32(i + 8, true), end = dv.getUint32(i + 12, true);
        matches.push({ path: dv.getInt32(i, true), kind: dv.getInt32(i + 4, true), start, end, escaped: o[i + 16] === 1, bytes: b.slice(start, end) });
      }
      return { matches, status };
    });
  }

  slots(json: Uint8Array | string): { slots: { count: number; kind: number; start: number; end: number; escaped: boolean }[]; status: number } {
    return this.with(json, (ptr, len) => {
      const status = this.x.p_paths_slots(ptr, len);
      const o = this.out();
      const dv = new DataView(o.buffer);
      const slots = [];
      for (let i = 0; i + 17 <= o.length; i += 17) {
        slots.push({ count: dv.getUint32(i, true), kind: dv.getInt32(i + 4, true), start: dv.getUint32(i + 8, true), end: dv.getUint32(i + 12, true), escaped: o[i + 16] === 1 });
      }
      return { slots, status };
    });
  }

  /** Decoded UTF-8 bytes of a string span, or the negative status. */
  unescape(span: Uint8Array | string, cap?: number): Uint8Array | number {
    const b = toBytes(span);
    return this.with(b, (ptr, len) => {
      const c = cap ?? len;
      const out = this.x.p_alloc(c);
      try {
        const n = this.x.p_unescape(ptr, len, out, c);
        return n < 0 ? n : new Uint8Array(this.x.memory.buffer, out, n).slice();
      } finally {
        this.x.p_free(out);
      }
    });
  }

  /** In-place decode (out == ptr). */
  unescapeInPlace(span: Uint8Array | string): Uint8Array | number {
    return this.with(span, (ptr, len) => {
      const n = this.x.p_unescape(ptr, len, ptr, len);
      return n < 0 ? n : new Uint8Array(this.x.memory.buffer, ptr, n).slice();
    });
  }

  num(op: "u64" | "i64" | "f64" | "integer" | "fixed", text: Uint8Array | string, scale = 0): { status: number; value: bigint | number } {
    const code = { u64: 0, i64: 1, f64: 2, integer: 3, fixed: 4 }[op];
    return this.with(text, (ptr, len) => {
      const status = this.x.p_num(code, ptr, len, scale);
      const value = op === "u64" ? BigInt.asUintN(64, this.x.p_num_u64()) : op === "f64" ? this.x.p_num_f64() : this.x.p_num_i64();
      return { status, value };
    });
  }
}

export type PathMatch = { path: number; kind: number; start: number; end: number; escaped: boolean; bytes: Uint8Array };

export function decodeFrameRecords(kind: FrameKind, o: Uint8Array): FrameRecord[] {
  const dv = new DataView(o.buffer, o.byteOffset, o.byteLength);
  const out: FrameRecord[] = [];
  let i = 0;
  while (i < o.length) {
    const code = dv.getInt32(i, true);
    i += 4;
    if (code !== FRAME.unit) { out.push({ code }); continue; }
    const fields: (Uint8Array | null)[] = [];
    for (let k = 0; k < FIELD_COUNT[kind]; k++) {
      const n = dv.getUint32(i, true);
      i += 4;
      if (n === 0xffffffff) { fields.push(null); continue; }
      fields.push(o.slice(i, i + n));
      i += n;
    }
    out.push({ code, fields });
  }
  return out;
}

// ---- reference implementations ----------------------------------------------------------------

const dec = new TextDecoder();
export const text = (b: Uint8Array | null | undefined): string | null => (b == null ? null : dec.decode(b));

export type SseEvent = { event: string; data: string; id: string | null };

/**
 * WHATWG event-stream interpretation over a whole body (as a string of the body's bytes read
 * as latin1, so byte offsets and values survive), with the same end-of-stream rule as the
 * framer: a last event with data and no blank line is dispatched.
 */
export function sseReference(body: Uint8Array): SseEvent[] {
  let s = Buffer.from(body).toString("latin1");
  if (s.startsWith("\xEF\xBB\xBF")) s = s.slice(3);
  const lines = s.split(/\r\n|\r|\n/);
  const endsWithNewline = /[\r\n]$/.test(s);
  if (endsWithNewline || s.length === 0) lines.pop(); // the "" after the final terminator
  const events: SseEvent[] = [];
  let data: string[] = [];
  let type = "";
  let id: string | null = null;
  const latin = (x: string) => Buffer.from(x, "latin1").toString("utf8");
  const dispatch = () => {
    if (data.length > 0) events.push({ event: latin(type), data: latin(data.join("\n")), id: id == null ? null : latin(id) });
    data = [];
    type = "";
  };
  for (const line of lines) {
    if (line === "") { dispatch(); continue; }
    if (line.startsWith(":")) continue;
    const c = line.indexOf(":");
    const name = c < 0 ? line : line.slice(0, c);
    let value = c < 0 ? "" : line.slice(c + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "data") data.push(value);
    else if (name === "event") type = value;
    else if (name === "id" && !value.includes("\0")) id = value;
  }
  dispatch();
  return events;
}

export function ndjsonReference(body: Uint8Array): string[] {
  return dec.decode(body).split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l)).filter((l) => l.trim() !== "");
}

/** CRC-32 IEEE, bitwise (deliberately not the table form the wasm uses). */
export function crc32Reference(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of b) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

export type EventStreamFrame = { headers: Record<string, string | number | boolean | Uint8Array | bigint>; payload: Uint8Array };

export function eventstreamReference(body: Uint8Array): EventStreamFrame[] {
  const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const frames: EventStreamFrame[] = [];
  let p = 0;
  while (p < body.length) {
    const total = dv.getUint32(p), hlen = dv.getUint32(p + 4);
    if (crc32Reference(body.subarray(p, p + 8)) !== dv.getUint32(p + 8)) throw new Error(`prelude CRC at ${p}`);
    if (crc32Reference(body.subarray(p, p + total - 4)) !== dv.getUint32(p + total - 4)) throw new Error(`message CRC at ${p}`);
    const headers: EventStreamFrame["headers"] = {};
    let h = p + 12;
    const end = h + hlen;
    while (h < end) {
      const nlen = body[h++];
      const name = dec.decode(body.subarray(h, h + nlen));
      h += nlen;
      const type = body[h++];
      const fixed: Record<number, number> = { 0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16 };
      if (type === 6 || type === 7) {
        const n = dv.getUint16(h);
        h += 2;
        headers[name] = type === 7 ? dec.decode(body.subarray(h, h + n)) : body.slice(h, h + n);
        h += n;
      } else if (type in fixed) {
        headers[name] = type <= 1 ? type === 0 : body.slice(h, h + fixed[type]);
        h += fixed[type];
      } else throw new Error(`header type ${type}`);
    }
    frames.push({ headers, payload: body.slice(end, p + total - 4) });
    p += total;
  }
  return frames;
}

/** Builds one event-stream frame (for tests of header types and corrupt frames). */
export function eventstreamFrame(headers: { name: string; type: number; value: Uint8Array }[], payload: Uint8Array): Uint8Array {
  const hb: number[] = [];
  for (const h of headers) {
    const n = enc.encode(h.name);
    hb.push(n.length, ...n, h.type);
    if (h.type === 6 || h.type === 7) hb.push(h.value.length >> 8, h.value.length & 255);
    hb.push(...h.value);
  }
  const total = 12 + hb.length + payload.length + 4;
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, total);
  dv.setUint32(4, hb.length);
  dv.setUint32(8, crc32Reference(out.subarray(0, 8)));
  out.set(hb, 12);
  out.set(payload, 12 + hb.length);
  dv.setUint32(total - 4, crc32Reference(out.subarray(0, total - 4)));
  return out;
}

/** Elements of a JSON array body, each re-serialized (compare with JSON.parse of the unit). */
export function jsonArrayReference(body: Uint8Array): unknown[] {
  const v = JSON.parse(dec.decode(body));
  return Array.isArray(v) ? v : [v];
}

// ---- JSON paths over parsed values ---------------------------------------------------------

/** Values at a path (`a.b`, `a[*].b`, `[*].x`, `a[2]`) in a parsed document, in document order. */
export function valuesAt(doc: unknown, path: string): unknown[] {
  const segs: (string | number | "*")[] = [];
  for (const part of path.split(".")) {
    const m = /^([^[\]]*)((?:\[[^\]]*\])*)$/.exec(part);
    if (!m) throw new Error(`bad path ${path}`);
    if (m[1]) segs.push(m[1]);
    for (const step of m[2].match(/\[[^\]]*\]/g) ?? []) {
      const inner = step.slice(1, -1);
      segs.push(inner === "" || inner === "*" ? "*" : Number(inner));
    }
  }
  let cur: unknown[] = [doc];
  for (const s of segs) {
    const next: unknown[] = [];
    for (const v of cur) {
      if (s === "*" || typeof s === "number") {
        if (!Array.isArray(v)) continue;
        if (s === "*") next.push(...v);
        else if (s < v.length) next.push(v[s]);
      } else if (v !== null && typeof v === "object" && !Array.isArray(v) && Object.prototype.hasOwnProperty.call(v, s)) {
        next.push((v as Record<string, unknown>)[s]);
      }
    }
    cur = next;
  }
  return cur;
}

/** The replay tool's seeded PRNG (mulberry32): one sequence per seed on every machine. */
export const rng = prng;

/** Sorted distinct cut offsets in 1..len-1: a random number of them, sometimes many tiny chunks. */
export function randomSplits(len: number, next: () => number): number[] {
  if (len < 2) return [];
  const mode = next();
  const count = mode < 0.2 ? Math.min(len - 1, 1 + Math.floor(next() * len)) : 1 + Math.floor(next() * Math.min(40, len - 1));
  const set = new Set<number>();
  while (set.size < count) set.add(1 + Math.floor(next() * (len - 1)));
  return [...set].sort((a, b) => a - b);
}
