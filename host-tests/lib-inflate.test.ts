// filters/lib/inflate through dist/inflate.wasm: output must equal node:zlib's for gzip, zlib
// and raw deflate at levels 0/1/6/9 and Z_FIXED, however the compressed body is cut; broken
// input must give a status (never a trap); the output limit must stop a bomb at the limit.
import { beforeAll, describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync, deflateSync, deflateRawSync, gunzipSync, inflateSync, inflateRawSync, constants } from "node:zlib";
import { prng } from "./replay/split";
import { crc32Reference, randomSplits } from "./support/parsers";

const WASM = join(dirname(fileURLToPath(import.meta.url)), "../dist/inflate.wasm");
const REC = join(dirname(fileURLToPath(import.meta.url)), "recordings");

const ST = { needMore: 0, data: 1, end: 2, malformed: -1, limit: -2, truncated: -3, checksum: -4 } as const;
const FMT = { auto: 0, gzip: 1, zlib: 2, raw: 3 } as const;

type Exports = {
  memory: WebAssembly.Memory;
  _initialize(): void;
  p_alloc(n: number): number;
  p_free(p: number): void;
  p_out_ptr(): number;
  p_out_len(): number;
  p_spans(): number;
  p_max_span(): number;
  p_busy(): number;
  p_inflate(format: number, body: number, len: number, splits: number, nSplits: number, maxOut: bigint, keep: boolean): number;
  p_out_count(): bigint;
  p_out_crc(): number;
  p_push_misuse(body: number, len: number): number;
};

let x: Exports;
beforeAll(async () => {
  const module = await WebAssembly.compile(readFileSync(WASM));
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== "function") continue;
    (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  const instance = await WebAssembly.instantiate(module, imports);
  x = instance.exports as unknown as Exports;
  x._initialize();
});

type Run = { status: number; out: Uint8Array; spans: number; maxSpan: number; busy: number };

function inflate(format: number, body: Uint8Array, splits: number[] = [], maxOut = 1n << 40n, keep = true): Run {
  const bp = x.p_alloc(body.length);
  const sp = x.p_alloc(splits.length * 4);
  new Uint8Array(x.memory.buffer, bp, body.length).set(body);
  const dv = new DataView(x.memory.buffer);
  splits.forEach((s, i) => dv.setUint32(sp + i * 4, s, true));
  try {
    const status = x.p_inflate(format, bp, body.length, sp, splits.length, maxOut, keep);
    const out = new Uint8Array(x.memory.buffer, x.p_out_ptr(), x.p_out_len()).slice();
    return { status, out, spans: x.p_spans(), maxSpan: x.p_max_span(), busy: x.p_busy() };
  } finally {
    x.p_free(bp);
    x.p_free(sp);
  }
}

const enc = new TextEncoder();

function randomBytes(n: number, next: () => number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
  return b;
}

function repetitiveText(n: number, next: () => number): Uint8Array {
  const words = ["token", "usage", "prompt", "completion", "model", "gateway", "the", "a", "budget", "\n", "  ", "{\"x\":1}"];
  let s = "";
  while (s.length < n) s += words[Math.floor(next() * words.length)] + (next() < 0.8 ? " " : "");
  return enc.encode(s.slice(0, n));
}

function recordingJsons(): { name: string; bytes: Uint8Array }[] {
  const out: { name: string; bytes: Uint8Array }[] = [];
  for (const dir of readdirSync(REC).sort()) {
    let files: string[];
    try { files = readdirSync(join(REC, dir)).sort(); } catch { continue; }
    for (const f of files) if (f.endsWith(".json") && !f.endsWith(".request.json")) out.push({ name: `${dir}/${f}`, bytes: new Uint8Array(readFileSync(join(REC, dir, f))) });
  }
  return out;
}

const SETTINGS: { name: string; opts: object }[] = [
  { name: "level 0", opts: { level: 0 } },
  { name: "level 1", opts: { level: 1 } },
  { name: "level 6", opts: { level: 6 } },
  { name: "level 9", opts: { level: 9 } },
  { name: "Z_FIXED", opts: { level: 6, strategy: constants.Z_FIXED } },
];

const WRAPS = [
  { name: "gzip", format: FMT.gzip, compress: gzipSync, ref: gunzipSync },
  { name: "zlib", format: FMT.zlib, compress: deflateSync, ref: inflateSync },
  { name: "raw deflate", format: FMT.zlib, compress: deflateRawSync, ref: inflateRawSync },
  { name: "raw deflate (raw format)", format: FMT.raw, compress: deflateRawSync, ref: inflateRawSync },
  { name: "gzip (auto)", format: FMT.auto, compress: gzipSync, ref: gunzipSync },
  { name: "zlib (auto)", format: FMT.auto, compress: deflateSync, ref: inflateSync },
];

function inputs(): { name: string; bytes: Uint8Array }[] {
  const next = prng(1951);
  const list = [
    { name: "empty", bytes: new Uint8Array(0) },
    { name: "one byte", bytes: new Uint8Array([0x41]) },
    { name: "random 100", bytes: randomBytes(100, next) },
    { name: "random 5000", bytes: randomBytes(5000, next) },
    { name: "random 70000", bytes: randomBytes(70000, next) },
    { name: "text 300", bytes: repetitiveText(300, next) },
    { name: "text 20000", bytes: repetitiveText(20000, next) },
    { name: "text 200000", bytes: repetitiveText(200000, next) },
    { name: "zeros 100000", bytes: new Uint8Array(100000) },
  ];
  const jsons = recordingJsons();
  // A seeded pick of recordings, plus them all concatenated (long-distance matches).
  for (let i = 0; i < 6 && jsons.length > 0; i++) list.push(jsons[Math.floor(next() * jsons.length)]);
  const all = new Uint8Array(jsons.reduce((n, j) => n + j.bytes.length, 0));
  let o = 0;
  for (const j of jsons) { all.set(j.bytes, o); o += j.bytes.length; }
  list.push({ name: "all recordings concatenated", bytes: all });
  return list;
}

const eq = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe("test entry module", () => {
  it("links in Envoy and reports its size", async () => {
    const { checkModule } = (await import(new URL("../scripts/check-imports.mjs", import.meta.url).href)) as { checkModule(b: Uint8Array): string[] };
    const bytes = readFileSync(WASM);
    expect(checkModule(bytes)).toEqual([]);
    console.log(`dist/inflate.wasm: ${bytes.length} bytes`);
  });
});

describe("equals node:zlib", () => {
  const list = inputs();
  for (const wrap of WRAPS) {
    describe(wrap.name, () => {
      for (const setting of SETTINGS) {
        it(`${setting.name}: every input whole and in 8 random chunkings`, () => {
          const next = prng(crc32Reference(enc.encode(wrap.name + setting.name)));
          for (const input of list) {
            const z = new Uint8Array(wrap.compress(input.bytes, setting.opts));
            const ref = new Uint8Array(wrap.ref(z));
            expect(eq(ref, input.bytes)).toBe(true);
            const whole = inflate(wrap.format, z);
            expect({ name: input.name, status: whole.status }).toEqual({ name: input.name, status: ST.end });
            expect(eq(whole.out, ref), input.name).toBe(true);
            expect(whole.maxSpan).toBeLessThanOrEqual(32768);
            expect(whole.busy).toBe(0);
            for (let k = 0; k < 8; k++) {
              const splits = randomSplits(z.length, next);
              const r = inflate(wrap.format, z, splits);
              expect({ name: input.name, splits: splits.length, status: r.status }).toEqual({ name: input.name, splits: splits.length, status: ST.end });
              expect(eq(r.out, ref), `${input.name} split ${splits.join(",")}`).toBe(true);
            }
          }
        });
      }
    });
  }

  it("one-byte chunks for a dynamic-Huffman body", () => {
    const input = repetitiveText(5000, prng(7));
    for (const [format, z] of [[FMT.gzip, gzipSync(input)], [FMT.zlib, deflateSync(input, { level: 9 })], [FMT.zlib, deflateRawSync(input, { level: 1 })]] as const) {
      const splits = Array.from({ length: z.length - 1 }, (_, i) => i + 1);
      const r = inflate(format, new Uint8Array(z), splits);
      expect(r.status).toBe(ST.end);
      expect(eq(r.out, input)).toBe(true);
    }
  });

  for (const [name, input] of [["text 400", repetitiveText(400, prng(11))], ["random 300", randomBytes(300, prng(12))]] as const) {
    for (const s of SETTINGS) {
      for (const wrap of [WRAPS[0], WRAPS[1], WRAPS[2]]) {
        it(`${name}, ${wrap.name}, ${s.name}: split in two at every offset`, () => {
          const z = new Uint8Array(wrap.compress(input, s.opts));
          for (let k = 0; k <= z.length; k++) {
            const r = inflate(wrap.format, z, [k]);
            if (r.status !== ST.end || !eq(r.out, input)) expect({ k, status: r.status }).toEqual({ k, status: ST.end });
          }
          // and in three at a sample of offset pairs
          const next = prng(k3(name));
          for (let t = 0; t < 200; t++) {
            const a = Math.floor(next() * z.length), b = a + Math.floor(next() * (z.length - a));
            const r = inflate(wrap.format, z, [a, b]);
            if (r.status !== ST.end || !eq(r.out, input)) expect({ a, b, status: r.status }).toEqual({ a, b, status: ST.end });
          }
        });
      }
    }
  }

  it("gemini/stream-json-array.json.gz decompresses to stream-json-array.json", () => {
    const gz = new Uint8Array(readFileSync(join(REC, "gemini/stream-json-array.json.gz")));
    const json = new Uint8Array(readFileSync(join(REC, "gemini/stream-json-array.json")));
    for (const format of [FMT.gzip, FMT.auto]) {
      const r = inflate(format, gz);
      expect(r.status).toBe(ST.end);
      expect(eq(r.out, json)).toBe(true);
    }
    const next = prng(42);
    for (let k = 0; k < 50; k++) {
      const r = inflate(FMT.gzip, gz, randomSplits(gz.length, next));
      expect(r.status).toBe(ST.end);
      expect(eq(r.out, json)).toBe(true);
    }
  });
});

/** Packs [value, bits, huffman?] fields LSB first; Huffman codes go most significant bit first. */
function fixedBlock(fields: [number, number, boolean?][]): Uint8Array {
  const out: number[] = [];
  let acc = 0, n = 0;
  for (const [v, bits, huff] of fields) {
    for (let i = 0; i < bits; i++) {
      const bit = huff ? (v >> (bits - 1 - i)) & 1 : (v >> i) & 1;
      acc |= bit << n;
      if (++n === 8) { out.push(acc); acc = 0; n = 0; }
    }
  }
  if (n > 0) out.push(acc);
  return new Uint8Array(out);
}

function k3(s: string): number { return crc32Reference(enc.encode(s)); }

/** A gzip member with the optional header fields, around a raw deflate body. */
function gzipWithFields(data: Uint8Array, opts: { extra?: Uint8Array; name?: string; comment?: string; hcrc?: boolean; badHcrc?: boolean }): Uint8Array {
  const head: number[] = [0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 0, 3];
  let flg = 0;
  if (opts.extra) { flg |= 4; head.push(opts.extra.length & 0xff, opts.extra.length >> 8, ...opts.extra); }
  if (opts.name !== undefined) { flg |= 8; head.push(...enc.encode(opts.name), 0); }
  if (opts.comment !== undefined) { flg |= 16; head.push(...enc.encode(opts.comment), 0); }
  if (opts.hcrc) flg |= 2;
  head[3] = flg;
  if (opts.hcrc) {
    const c = crc32Reference(new Uint8Array(head)) ^ (opts.badHcrc ? 1 : 0);
    head.push(c & 0xff, (c >>> 8) & 0xff);
  }
  const body = deflateRawSync(data);
  const t = new Uint8Array(8);
  const dv = new DataView(t.buffer);
  dv.setUint32(0, crc32Reference(data), true);
  dv.setUint32(4, data.length >>> 0, true);
  return new Uint8Array([...head, ...body, ...t]);
}

describe("gzip header fields and members", () => {
  const data = repetitiveText(3000, prng(5));
  it("FEXTRA, FNAME, FCOMMENT, FHCRC, whole and split at every offset", () => {
    const z = gzipWithFields(data, { extra: randomBytes(300, prng(6)), name: "body.json", comment: "recorded", hcrc: true });
    expect(eq(new Uint8Array(gunzipSync(z)), data)).toBe(true);
    for (let k = 0; k <= z.length; k++) {
      const r = inflate(FMT.gzip, z, [k]);
      if (r.status !== ST.end || !eq(r.out, data)) expect({ k, status: r.status }).toEqual({ k, status: ST.end });
    }
  });
  it("each field alone", () => {
    for (const o of [{ extra: new Uint8Array(0) }, { name: "" }, { comment: "c" }, { hcrc: true }]) {
      const r = inflate(FMT.gzip, gzipWithFields(data, o));
      expect(r.status).toBe(ST.end);
      expect(eq(r.out, data)).toBe(true);
    }
  });
  it("a wrong header CRC is a checksum error", () => {
    expect(inflate(FMT.gzip, gzipWithFields(data, { name: "x", hcrc: true, badHcrc: true })).status).toBe(ST.checksum);
  });
  it("concatenated members decompress to the concatenation, like gunzipSync", () => {
    const a = enc.encode("first member\n"), b = repetitiveText(40000, prng(8));
    const z = new Uint8Array([...gzipSync(a), ...gzipSync(b, { level: 1 })]);
    const ref = new Uint8Array(gunzipSync(z));
    const r = inflate(FMT.gzip, z);
    expect(r.status).toBe(ST.end);
    expect(eq(r.out, ref)).toBe(true);
  });
});

describe("broken input gives a status, never a trap", () => {
  const data = repetitiveText(20000, prng(9));
  const cases = [
    { name: "gzip", format: FMT.gzip, z: new Uint8Array(gzipSync(data)) },
    { name: "zlib", format: FMT.zlib, z: new Uint8Array(deflateSync(data)) },
    { name: "raw", format: FMT.raw, z: new Uint8Array(deflateRawSync(data)) },
    { name: "gzip stored", format: FMT.gzip, z: new Uint8Array(gzipSync(data, { level: 0 })) },
    { name: "zlib fixed", format: FMT.zlib, z: new Uint8Array(deflateSync(data, { strategy: constants.Z_FIXED })) },
  ];
  for (const c of cases) {
    it(`${c.name}: every truncation is reported truncated`, () => {
      for (let k = 0; k < c.z.length; k += k < 64 ? 1 : 97) {
        const r = inflate(c.format, c.z.subarray(0, k));
        // A raw stream has no trailer: only a cut inside the deflate data can be seen.
        if (r.status !== ST.truncated) expect({ k, status: r.status }).toEqual({ k, status: ST.truncated });
        expect(eq(r.out, data.subarray(0, r.out.length))).toBe(true);
      }
    });
    it(`${c.name}: 300 seeded corruptions end with a status`, () => {
      const next = prng(k3(c.name));
      const statuses = new Set<number>();
      for (let t = 0; t < 300; t++) {
        const z = c.z.slice();
        const flips = 1 + Math.floor(next() * 4);
        for (let f = 0; f < flips; f++) z[Math.floor(next() * z.length)] ^= 1 << Math.floor(next() * 8);
        const r = inflate(c.format, z, randomSplits(z.length, next), 1n << 22n);
        expect([ST.end, ST.malformed, ST.limit, ST.truncated, ST.checksum]).toContain(r.status);
        statuses.add(r.status);
        if (r.status === ST.end && c.format !== FMT.raw) expect(eq(r.out, data)).toBe(true);
      }
      expect(statuses.size).toBeGreaterThan(1);
    });
  }
  it("random garbage ends with a status", () => {
    const next = prng(77);
    for (let t = 0; t < 300; t++) {
      const g = randomBytes(1 + Math.floor(next() * 2000), next);
      for (const f of [FMT.auto, FMT.gzip, FMT.zlib, FMT.raw]) {
        const r = inflate(f, g, randomSplits(g.length, next), 1n << 22n);
        expect([ST.end, ST.malformed, ST.limit, ST.truncated, ST.checksum]).toContain(r.status);
      }
    }
  });
  it("CRC-32, ISIZE and Adler-32 mismatches are checksum errors", () => {
    const gz = new Uint8Array(gzipSync(data));
    const badCrc = gz.slice(); badCrc[gz.length - 8] ^= 0x40;
    const badSize = gz.slice(); badSize[gz.length - 1] ^= 0x01;
    const zl = new Uint8Array(deflateSync(data));
    const badAdler = zl.slice(); badAdler[zl.length - 2] ^= 0x10;
    expect(inflate(FMT.gzip, badCrc).status).toBe(ST.checksum);
    expect(inflate(FMT.gzip, badSize).status).toBe(ST.checksum);
    expect(inflate(FMT.zlib, badAdler).status).toBe(ST.checksum);
    // All the data still came out before the trailer was checked.
    expect(eq(inflate(FMT.gzip, badCrc).out, data)).toBe(true);
  });
  it("malformed headers and blocks", () => {
    expect(inflate(FMT.gzip, new Uint8Array([0x1f, 0x8c, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0])).status).toBe(ST.malformed);
    expect(inflate(FMT.gzip, new Uint8Array([0x1f, 0x8b, 7, 0, 0, 0, 0, 0, 0, 3, 3, 0])).status).toBe(ST.malformed);
    expect(inflate(FMT.gzip, new Uint8Array([0x1f, 0x8b, 8, 0xe0, 0, 0, 0, 0, 0, 3, 3, 0])).status).toBe(ST.malformed);
    expect(inflate(FMT.raw, new Uint8Array([0x07])).status).toBe(ST.malformed); // block type 3
    expect(inflate(FMT.raw, new Uint8Array([0x01, 0x05, 0x00, 0xfb, 0xff])).status).toBe(ST.malformed); // LEN != ~NLEN
    // zlib header with a preset dictionary
    expect(inflate(FMT.zlib, new Uint8Array([0x78, 0xbb, 0, 0, 0, 0, 3, 0])).status).toBe(ST.malformed);
    // fixed block: a match (length 3, distance 1) before any output is a distance too far back
    expect(inflate(FMT.raw, fixedBlock([[1, 1], [1, 1], [0, 1], [0b0000001, 7, true], [0, 5, true], [0, 7, true]])).status).toBe(ST.malformed);
    // the same with a literal 'a' first is fine: "aaaa"
    const ok = inflate(FMT.raw, fixedBlock([[1, 1], [1, 1], [0, 1], [0x30 + 0x61, 8, true], [0b0000001, 7, true], [0, 5, true], [0, 7, true]]));
    expect(ok.status).toBe(ST.end);
    expect(new TextDecoder().decode(ok.out)).toBe("aaaa");
  });
});

describe("output limit", () => {
  const zeros = new Uint8Array(10_000_000);
  const bomb = new Uint8Array(gzipSync(zeros, { level: 9 }));
  it("stops a 10 MB bomb at exactly the limit", () => {
    expect(bomb.length).toBeLessThan(20_000);
    for (const limit of [0, 1, 1000, 32768, 1_000_000]) {
      const r = inflate(FMT.gzip, bomb, [], BigInt(limit));
      expect(r.status).toBe(ST.limit);
      expect(r.out.length).toBe(limit);
      expect(r.out.every((b) => b === 0)).toBe(true);
    }
    const chunked = inflate(FMT.gzip, bomb, randomSplits(bomb.length, prng(3)), 1_000_000n);
    expect(chunked.status).toBe(ST.limit);
    expect(chunked.out.length).toBe(1_000_000);
  });
  it("a limit equal to the output size is not exceeded", () => {
    const r = inflate(FMT.gzip, bomb, [], 10_000_000n);
    expect(r.status).toBe(ST.end);
    expect(r.out.length).toBe(10_000_000);
    expect(r.maxSpan).toBeLessThanOrEqual(32768);
    expect(r.spans).toBeGreaterThanOrEqual(Math.ceil(10_000_000 / 32768));
    expect(inflate(FMT.gzip, bomb, [], 9_999_999n).status).toBe(ST.limit);
  });
  it("memory stays bounded: 10 MB out in 32 KiB spans without growing linear memory", () => {
    inflate(FMT.gzip, bomb, [], 1n << 40n, false); // warm up (scratch buffers)
    const before = x.memory.buffer.byteLength;
    for (let k = 0; k < 3; k++) {
      const r = inflate(FMT.gzip, bomb, randomSplits(bomb.length, prng(k)), 1n << 40n, false);
      expect(r.status).toBe(ST.end);
      expect(x.p_out_count()).toBe(10_000_000n);
      expect(x.p_out_crc() >>> 0).toBe(crc32Reference(zeros));
    }
    expect(x.memory.buffer.byteLength).toBe(before);
  });
  it("refuses a push before the last chunk is drained, and after finish()", () => {
    const p = x.p_alloc(bomb.length);
    new Uint8Array(x.memory.buffer, p, bomb.length).set(bomb);
    const r = x.p_push_misuse(p, bomb.length);
    x.p_free(p);
    expect(r).toBe(((-5 << 8) | (-5 & 0xff)));
  });
  it("stored blocks stop at the limit too", () => {
    const data = randomBytes(100000, prng(4));
    for (const [format, z] of [[FMT.gzip, gzipSync(data, { level: 0 })], [FMT.zlib, deflateSync(data, { level: 0 })]] as const) {
      const r = inflate(format, new Uint8Array(z), randomSplits(z.length, prng(5)), 54321n);
      expect(r.status).toBe(ST.limit);
      expect(eq(r.out, data.subarray(0, 54321))).toBe(true);
    }
  });
});
