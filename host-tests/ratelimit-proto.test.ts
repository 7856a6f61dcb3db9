// filters/lib/ratelimit (the rate-limit service codec) against protobufjs: requests written in
// wasm must be byte-identical to protobufjs's encoding of the same message; responses encoded
// by protobufjs (or cut, mutated, random) must decode to what protobufjs reads, or be rejected
// without a trap. dist/ratelimit-proto.wasm is filters/testing/ratelimit-proto.
import { describe, it, expect, beforeAll } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { prng } from "./replay/split";
import {
  encodeRateLimitRequest, decodeRateLimitRequest, encodeRateLimitResponse, decodeRateLimitResponse, rlsRoot,
} from "./support/rls-proto";

const WASM = resolve(__dirname, "../dist/ratelimit-proto.wasm");

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  rp_alloc(len: number): number;
  rp_free(ptr: number): void;
  rp_out_ptr(): number;
  rp_out_len(): number;
  rp_set_cap(max: number): void;
  rp_encode(ptr: number, len: number): number;
  rp_decode(ptr: number, len: number): number;
  rp_first_strings(): void;
  rp_duration_ms(seconds: bigint, nanos: number): bigint;
}

let x: Exports;

beforeAll(async () => {
  const module = await WebAssembly.compile(readFileSync(WASM));
  const imports: Record<string, Record<string, () => number>> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === "function") (imports[imp.module] ??= {})[imp.name] = () => 0;
  }
  x = (await WebAssembly.instantiate(module, imports)).exports as unknown as Exports;
  x._initialize();
});

const utf8 = (s: string) => new TextEncoder().encode(s);
const hex = (b: Uint8Array | number[]) => Buffer.from(b as Uint8Array).toString("hex");
const outBytes = () => new Uint8Array(x.memory.buffer, x.rp_out_ptr(), x.rp_out_len()).slice();

function withInput<T>(bytes: Uint8Array, f: (ptr: number, len: number) => T): T {
  const ptr = x.rp_alloc(bytes.length);
  new Uint8Array(x.memory.buffer, ptr, bytes.length).set(bytes);
  try {
    return f(ptr, bytes.length);
  } finally {
    x.rp_free(ptr);
  }
}

// ---- requests -----------------------------------------------------------------------------

/** The op script filters/testing/ratelimit-proto/index.ts runs (see rp_encode). */
class Script {
  private parts: number[] = [];
  private u32(n: number) { const b = Buffer.alloc(4); b.writeUInt32LE(n >>> 0); this.parts.push(...b); }
  private i32(n: number) { const b = Buffer.alloc(4); b.writeInt32LE(n); this.parts.push(...b); }
  private u64(n: bigint) { const b = Buffer.alloc(8); b.writeBigUInt64LE(n); this.parts.push(...b); }
  private str(s: string | Uint8Array) { const b = typeof s === "string" ? utf8(s) : s; this.u32(b.length); this.parts.push(...b); }
  reset(domain: string | Uint8Array, viaString = false) { this.parts.push(viaString ? 2 : 1); this.str(domain); return this; }
  begin() { this.parts.push(3); return this; }
  entry(k: string | Uint8Array, v: string | Uint8Array, viaString = false) { this.parts.push(viaString ? 5 : 4); this.str(k); this.str(v); return this; }
  limit(rpu: number, unit: number) { this.parts.push(6); this.u32(rpu); this.i32(unit); return this; }
  descHits(v: bigint) { this.parts.push(7); this.u64(v); return this; }
  end() { this.parts.push(8); return this; }
  hits(v: number) { this.parts.push(9); this.u32(v); return this; }
  bytes() { return Uint8Array.from(this.parts); }
}

/** Encodes in wasm; the message bytes, or null when finish() said false. */
function wasmEncode(s: Script): Uint8Array | null {
  const rc = withInput(s.bytes(), (p, n) => x.rp_encode(p, n));
  expect(rc).not.toBe(-1);
  return rc === 1 ? outBytes() : null;
}

interface Desc { entries: Array<[string, string]>; limit?: [number, number]; hits?: bigint }
interface Req { domain: string; descriptors: Desc[]; hits: number }

/** The proto3 message: zero scalars are simply not there (protobufjs writes any set field). */
function reqObject(r: Req): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (r.domain) o.domain = r.domain;
  o.descriptors = r.descriptors.map((d) => {
    const dd: Record<string, unknown> = {
      entries: d.entries.map(([k, v]) => ({ ...(k ? { key: k } : {}), ...(v ? { value: v } : {}) })),
    };
    if (d.limit) dd.limit = { ...(d.limit[0] ? { requests_per_unit: d.limit[0] } : {}), ...(d.limit[1] ? { unit: d.limit[1] } : {}) };
    if (d.hits !== undefined) dd.hits_addend = d.hits ? { value: d.hits.toString() } : {};
    return dd;
  });
  if (r.hits) o.hits_addend = r.hits;
  return o;
}

function reqScript(r: Req, viaString: (i: number) => boolean = () => false): Script {
  const s = new Script().reset(r.domain, viaString(-1));
  r.descriptors.forEach((d, i) => {
    s.begin();
    // Limit and hits before the entries on odd descriptors: the writer must still order fields.
    if (i % 2 === 1) { if (d.limit) s.limit(...d.limit); if (d.hits !== undefined) s.descHits(d.hits); }
    for (const [k, v] of d.entries) s.entry(k, v, viaString(i));
    if (i % 2 === 0) { if (d.hits !== undefined) s.descHits(d.hits); if (d.limit) s.limit(...d.limit); }
    s.end();
  });
  return s.hits(r.hits);
}

describe("RateLimitRequest writer", () => {
  it("writes a known request byte for byte", () => {
    const got = wasmEncode(new Script().reset("envoy").begin().entry("generic_key", "llm").end());
    // domain=1 "envoy"; descriptors=2 { entries=1 { key=1 "generic_key", value=2 "llm" } }
    expect(hex(got!)).toBe("0a05656e766f79" + "1214" + "0a12" + "0a0b" + hex(utf8("generic_key")) + "1203" + hex(utf8("llm")));
  });

  const cases: Array<[string, Req]> = [
    ["nothing set", { domain: "", descriptors: [], hits: 0 }],
    ["domain only", { domain: "tollgate", descriptors: [], hits: 0 }],
    ["empty descriptor and empty entry", { domain: "d", descriptors: [{ entries: [] }, { entries: [["", ""]] }], hits: 0 }],
    ["key without value and value without key", { domain: "d", descriptors: [{ entries: [["k", ""], ["", "v"]] }], hits: 0 }],
    ["descriptor hits_addend 0 is sent as a set wrapper", { domain: "d", descriptors: [{ entries: [["k", "v"]], hits: 0n }], hits: 0 }],
    ["u64 max descriptor hits", { domain: "d", descriptors: [{ entries: [["k", "v"]], hits: 0xffffffffffffffffn }], hits: 0 }],
    ["uint32 max request hits", { domain: "d", descriptors: [{ entries: [["k", "v"]] }], hits: 0xffffffff }],
    ["limit override, zero and negative units", {
      domain: "d",
      descriptors: [
        { entries: [["a", "b"]], limit: [100, 2] },
        { entries: [["a", "b"]], limit: [0, 0] },
        { entries: [["a", "b"]], limit: [0xffffffff, -1], hits: 7n },
      ],
      hits: 3,
    }],
    ["lengths of 127, 128, 16383 and 16384 bytes", {
      domain: "x".repeat(127),
      descriptors: [
        { entries: [["k".repeat(128), "v".repeat(16383)]] },
        { entries: [["y", "z".repeat(16384)]], hits: 1n },
        { entries: Array.from({ length: 130 }, (_, i): [string, string] => [`key${i}`, "w".repeat(i)]) },
      ],
      hits: 128,
    }],
    ["non-ASCII text", { domain: "dömäin", descriptors: [{ entries: [["clé", "値🦀"]] }], hits: 1 }],
  ];

  for (const [name, r] of cases) {
    it(`matches protobufjs: ${name}`, () => {
      const want = encodeRateLimitRequest(reqObject(r));
      expect(hex(wasmEncode(reqScript(r))!)).toBe(hex(want));
      // The string overloads write the same bytes.
      expect(hex(wasmEncode(reqScript(r, () => true))!)).toBe(hex(want));
    });
  }

  it("decodes back through protobufjs to the same request", () => {
    const r: Req = { domain: "budget", descriptors: [{ entries: [["tenant", "acme"], ["model", "gpt-4o"]], hits: 1234n, limit: [5, 7] }], hits: 2 };
    const back = decodeRateLimitRequest(wasmEncode(reqScript(r))!);
    expect(back).toEqual({
      domain: "budget",
      descriptors: [{
        entries: [{ key: "tenant", value: "acme" }, { key: "model", value: "gpt-4o" }],
        limit: { requests_per_unit: 5, unit: 7 },
        hits_addend: { value: "1234" },
      }],
      hits_addend: 2,
    });
  });

  it("matches protobufjs on 400 random requests", () => {
    const rnd = prng(0x5eed);
    const int = (n: number) => Math.floor(rnd() * n);
    const alphabet = ["a", "Z", "0", "-", "é", "\u4e2d", "🦀", "/", " "];
    const text = (max: number) => {
      const n = rnd() < 0.15 ? 0 : rnd() < 0.05 ? 200 + int(300) : int(max);
      let s = "";
      for (let i = 0; i < n; i++) s += alphabet[int(alphabet.length)];
      return s;
    };
    const big = () => [0n, 1n, 127n, 128n, BigInt(int(1e9)), (1n << BigInt(int(64))) + BigInt(int(1000)), 0xffffffffffffffffn][int(7)] & 0xffffffffffffffffn;
    for (let n = 0; n < 400; n++) {
      const r: Req = {
        domain: text(20),
        descriptors: Array.from({ length: int(5) }, () => ({
          entries: Array.from({ length: int(5) }, (): [string, string] => [text(12), text(40)]),
          ...(rnd() < 0.3 ? { limit: [[0, 1, 1000, 0xffffffff][int(4)], [0, 1, 4, 7, -3][int(5)]] as [number, number] } : {}),
          ...(rnd() < 0.4 ? { hits: big() } : {}),
        })),
        hits: [0, 1, 1000, 0xffffffff][int(4)],
      };
      const bytes = wasmEncode(reqScript(r, () => rnd() < 0.5))!;
      expect(hex(bytes), JSON.stringify(r, (_, v) => (typeof v === "bigint" ? v.toString() : v))).toBe(hex(encodeRateLimitRequest(reqObject(r))));
    }
  });

  it("rejects calls out of order and recovers on the next reset", () => {
    expect(wasmEncode(new Script().reset("d").entry("k", "v"))).toBeNull(); // entry outside a descriptor
    expect(wasmEncode(new Script().reset("d").end())).toBeNull(); // end without begin
    expect(wasmEncode(new Script().reset("d").begin().begin())).toBeNull(); // nested descriptors
    expect(wasmEncode(new Script().reset("d").begin().entry("k", "v"))).toBeNull(); // never ended
    expect(wasmEncode(new Script().reset("d").begin().end())).not.toBeNull();
  });

  it("fails at the size cap instead of growing, then works with room", () => {
    try {
      x.rp_set_cap(64);
      expect(wasmEncode(new Script().reset("d").begin().entry("k", "v".repeat(40)).end())).not.toBeNull();
      expect(wasmEncode(new Script().reset("d").begin().entry("k", "v".repeat(80)).end())).toBeNull();
      expect(wasmEncode(new Script().reset("d".repeat(100)))).toBeNull();
      expect(hex(wasmEncode(new Script().reset("d"))!)).toBe("0a0164");
    } finally {
      x.rp_set_cap(1 << 20);
    }
  });

  it("starts clean after each reset", () => {
    wasmEncode(new Script().reset("first").begin().entry("a", "b").descHits(5n).end().hits(9));
    expect(hex(wasmEncode(new Script().reset("d"))!)).toBe("0a0164");
  });
});

// ---- responses ----------------------------------------------------------------------------

interface Decoded {
  overallCode: number;
  statuses: Array<{
    code: number; hasCurrentLimit: boolean; requestsPerUnit: number; unit: number; name: string;
    limitRemaining: number; hasDuration: boolean; seconds: string; nanos: number; ms: string;
  }>;
  responseHeadersToAdd: Array<{ key: string; value: string }>;
  requestHeadersToAdd: Array<{ key: string; value: string }>;
  rawBody: string;
}

function wasmDecode(bytes: Uint8Array): Decoded | null {
  const rc = withInput(bytes, (p, n) => x.rp_decode(p, n));
  return rc === 1 ? JSON.parse(new TextDecoder().decode(outBytes())) : null;
}

const I64_MAX = (1n << 63n) - 1n;

/** ceil(seconds * 1000 + nanos / 1e6) clamped to [0, i64 max], in exact arithmetic. */
function msOracle(seconds: bigint, nanos: number): bigint {
  const n = BigInt(nanos);
  const ms = seconds * 1000n + (n > 0n ? (n + 999_999n) / 1_000_000n : n / 1_000_000n);
  return ms < 0n ? 0n : ms > I64_MAX ? I64_MAX : ms;
}

const u32 = (v: unknown) => Number(v ?? 0) >>> 0;
const i32 = (v: unknown) => Number(v ?? 0) | 0;

/** What the decoder must report for a message, read by protobufjs with bytes-typed strings. */
function oracle(bytes: Uint8Array): Decoded {
  const m = decodeRateLimitResponse(bytes, true);
  const header = (h: any) => ({
    key: hex(h.key ?? []),
    value: hex(h.raw_value?.length ? h.raw_value : h.value ?? []),
  });
  return {
    overallCode: i32(m.overall_code),
    statuses: (m.statuses ?? []).map((s: any) => {
      const cl = s.current_limit;
      const d = s.duration_until_reset;
      const seconds = BigInt.asIntN(64, BigInt(d?.seconds ?? 0));
      return {
        code: i32(s.code),
        hasCurrentLimit: cl != null,
        requestsPerUnit: u32(cl?.requests_per_unit),
        unit: i32(cl?.unit),
        name: hex(cl?.name ?? []),
        limitRemaining: u32(s.limit_remaining),
        hasDuration: d != null,
        seconds: d ? seconds.toString() : "0",
        nanos: i32(d?.nanos),
        ms: d ? msOracle(seconds, i32(d.nanos)).toString() : "0",
      };
    }),
    responseHeadersToAdd: (m.response_headers_to_add ?? []).map(header),
    requestHeadersToAdd: (m.request_headers_to_add ?? []).map(header),
    rawBody: hex(m.raw_body ?? []),
  };
}

const FULL = {
  overall_code: 2,
  statuses: [
    {
      code: 2,
      current_limit: { name: "per-tenant tokens", requests_per_unit: 4294967295, unit: 7 },
      limit_remaining: 0,
      duration_until_reset: { seconds: 59, nanos: 500_000_001 },
      quota: { requests: 3, valid_until: { seconds: 1700000000 }, id: "q" },
    },
    { code: 1, limit_remaining: 4294967295 },
    {},
  ],
  response_headers_to_add: [
    { key: "x-ratelimit-remaining", value: "0" },
    { key: "x-raw", raw_value: Buffer.from([0xff, 0x00, 0x80]) },
  ],
  request_headers_to_add: [{ key: "x-tenant", value: "acme" }],
  raw_body: Buffer.from("over the limit"),
  dynamic_metadata: { fields: { a: { number_value: 1.5 }, b: { struct_value: { fields: { c: { string_value: "d" } } } } } },
  quota: { requests: 10, id: "all" },
};

describe("RateLimitResponse decoder", () => {
  it("decodes every field of a full response", () => {
    const bytes = encodeRateLimitResponse(FULL);
    expect(wasmDecode(bytes)).toEqual({
      overallCode: 2,
      statuses: [
        {
          code: 2, hasCurrentLimit: true, requestsPerUnit: 4294967295, unit: 7, name: hex(utf8("per-tenant tokens")),
          limitRemaining: 0, hasDuration: true, seconds: "59", nanos: 500000001, ms: "59501",
        },
        { code: 1, hasCurrentLimit: false, requestsPerUnit: 0, unit: 0, name: "", limitRemaining: 4294967295, hasDuration: false, seconds: "0", nanos: 0, ms: "0" },
        { code: 0, hasCurrentLimit: false, requestsPerUnit: 0, unit: 0, name: "", limitRemaining: 0, hasDuration: false, seconds: "0", nanos: 0, ms: "0" },
      ],
      responseHeadersToAdd: [
        { key: hex(utf8("x-ratelimit-remaining")), value: hex(utf8("0")) },
        { key: hex(utf8("x-raw")), value: "ff0080" },
      ],
      requestHeadersToAdd: [{ key: hex(utf8("x-tenant")), value: hex(utf8("acme")) }],
      rawBody: hex(utf8("over the limit")),
    });
    x.rp_first_strings();
    expect(new TextDecoder().decode(outBytes())).toBe("x-ratelimit-remaining\n0\nper-tenant tokens");
  });

  it("decodes the empty message as all defaults", () => {
    expect(wasmDecode(new Uint8Array(0))).toEqual({ overallCode: 0, statuses: [], responseHeadersToAdd: [], requestHeadersToAdd: [], rawBody: "" });
  });

  it("reads UTF-8 names and header values through the string accessors", () => {
    wasmDecode(encodeRateLimitResponse({
      statuses: [{ current_limit: { name: "límite 🦀" } }],
      response_headers_to_add: [{ key: "x-k", value: "välue" }],
    }));
    x.rp_first_strings();
    expect(new TextDecoder().decode(outBytes())).toBe("x-k\nvälue\nlímite 🦀");
  });

  it("computes durations exactly, rounding up and saturating", () => {
    const cases: Array<[bigint, number]> = [
      [0n, 0], [0n, 1], [0n, 999_999], [0n, 1_000_000], [0n, 1_000_001], [1n, -1], [0n, -1], [-1n, 0], [-1n, 999_999_999],
      [315_576_000_000n, 999_999_999], [-315_576_000_000n, -999_999_999], [I64_MAX, 2147483647], [-I64_MAX - 1n, -2147483648],
      [I64_MAX / 1000n, 807], [I64_MAX / 1000n, 808_000_000], [I64_MAX / 1000n, 807_000_001], [I64_MAX / 1000n + 1n, -2147483648],
      [I64_MAX / 1000n + 2n, -2147483648], [I64_MAX / 1000n + 3n, -2147483648], [I64_MAX / 1000n + 4n, -2147483648],
      [-(I64_MAX / 1000n), 2147483647], [-(I64_MAX / 1000n) - 1n, 2147483647],
    ];
    for (const [s, n] of cases) {
      expect(BigInt.asIntN(64, x.rp_duration_ms(s, n)), `${s}s ${n}ns`).toBe(msOracle(s, n));
      const d = wasmDecode(encodeRateLimitResponse({ statuses: [{ duration_until_reset: { seconds: s.toString(), nanos: n } }] }))!;
      expect(d.statuses[0]).toMatchObject({ hasDuration: true, seconds: s.toString(), nanos: n, ms: msOracle(s, n).toString() });
    }
    // Spot values, not through the oracle.
    expect(x.rp_duration_ms(59n, 500_000_001)).toBe(59501n);
    expect(x.rp_duration_ms(-5n, 0)).toBe(0n);
    expect(x.rp_duration_ms(I64_MAX, 0)).toBe(I64_MAX);
  });

  it("prefers raw_value over value, and keeps value when raw_value is empty", () => {
    const d = wasmDecode(encodeRateLimitResponse({
      request_headers_to_add: [
        { key: "a", value: "text", raw_value: Buffer.from("raw") },
        { key: "b", value: "text" },
        { key: "c" },
      ],
    }))!;
    expect(d.requestHeadersToAdd.map((h) => Buffer.from(h.value, "hex").toString())).toEqual(["raw", "text", ""]);
  });

  // Unknown fields of each wire type, with field numbers of 1, 2 and 5 key bytes.
  const UNKNOWN = Buffer.concat([
    Buffer.from("f807" + "ffffffffffffffffff01", "hex"), // field 127, varint (10 bytes)
    Buffer.from("f9ff03" + "0102030405060708", "hex"), // field 8191, fixed64
    Buffer.from("fa07" + "03616263", "hex"), // field 127, len 3
    Buffer.from("fdffffff0f" + "01020304", "hex"), // field 536870911, fixed32
  ]);

  it("skips unknown fields of every wire type at every level", () => {
    const plain = encodeRateLimitResponse(FULL);
    const want = wasmDecode(plain);
    expect(want).not.toBeNull();
    // Rebuild FULL with unknown fields appended inside every message the decoder reads.
    const t = (obj: any, type: string) => withUnknown(obj, type);
    const withUnknown = (obj: any, path: string): Uint8Array => Buffer.concat([UNKNOWN, encodeAt(path, obj), UNKNOWN]);
    const encodeAt = (path: string, obj: any) => {
      const type = rlsRoot().lookupType(path);
      return Buffer.from(type.encode(type.fromObject(obj)).finish());
    };
    const field = (n: number, payload: Uint8Array) => Buffer.concat([Buffer.from([(n << 3) | 2]), varint(payload.length), payload]);
    const S = "envoy.service.ratelimit.v3.RateLimitResponse";
    const status = (s: any) => {
      const { current_limit, duration_until_reset, ...rest } = s;
      return Buffer.concat([
        encodeAt(`${S}.DescriptorStatus`, rest),
        ...(current_limit ? [field(2, t(current_limit, `${S}.RateLimit`))] : []),
        UNKNOWN,
        ...(duration_until_reset ? [field(4, t(duration_until_reset, "google.protobuf.Duration"))] : []),
      ]);
    };
    const { statuses, response_headers_to_add, request_headers_to_add, ...top } = FULL;
    const bytes = Buffer.concat([
      UNKNOWN,
      encodeAt(S, top),
      ...statuses.map((s) => field(2, status(s))),
      ...response_headers_to_add.map((h) => field(3, t(h, "envoy.config.core.v3.HeaderValue"))),
      UNKNOWN,
      ...request_headers_to_add.map((h) => field(4, t(h, "envoy.config.core.v3.HeaderValue"))),
    ]);
    expect(wasmDecode(bytes)).toEqual(want);
  });

  it("rejects malformed input", () => {
    const bad: Array<[string, string]> = [
      ["truncated varint", "08"],
      ["truncated varint in a value", "0880"],
      ["11-byte varint", "08" + "8080808080808080808001"],
      ["10-byte varint past 64 bits", "08" + "80808080808080808002"],
      ["truncated key", "80"],
      ["key beyond 32 bits", "8080808010" + "00"],
      ["field number 0", "0001"],
      ["length past the end", "2a05616263"],
      ["length past the end by a huge varint", "2affffffffffffffff7f"],
      ["fixed64 cut short", "f9ff03010203"],
      ["fixed32 cut short", "fd0701"],
      ["start group", "fb07" + "fc07"],
      ["end group", "fc07"],
      ["wire type 6", "fe07"],
      ["wire type 7", "ff07"],
      ["overall_code as len", "0a0101"],
      ["statuses as varint", "1001"],
      ["raw_body as fixed32", "2d01020304"],
      ["status code as len", "1203" + "0a0101"],
      ["current_limit as varint", "1202" + "1001"],
      ["limit name as varint", "1204" + "1202" + "1801"],
      ["requests_per_unit as len", "1205" + "1203" + "0a0101"],
      ["duration as fixed64", "1209" + "2108" + "0000000000000000"],
      ["duration seconds as len", "1205" + "2203" + "0a0101"],
      ["header key as varint", "1a02" + "0801"],
      ["header raw_value as fixed32", "2205" + "1d01020304"],
      ["nested length past its parent", "1203" + "2205" + "08011002" + "0000"],
      ["header length past its parent", "1a02" + "0a05" + "6162636465"],
      ["unknown group inside a status", "1202" + "fb07"],
    ];
    for (const [name, h] of bad) expect(wasmDecode(Buffer.from(h, "hex")), name).toBeNull();
  });

  it("reuses its objects without leaking fields from the previous decode", () => {
    wasmDecode(encodeRateLimitResponse(FULL));
    const small = encodeRateLimitResponse({ overall_code: 1, statuses: [{ code: 1 }] });
    expect(wasmDecode(small)).toEqual(oracle(small));
    expect(wasmDecode(small)!.statuses).toHaveLength(1);
    // A failed decode does not poison the next one.
    expect(wasmDecode(Buffer.from("1203" + "0a0101", "hex"))).toBeNull();
    expect(wasmDecode(encodeRateLimitResponse(FULL))).toEqual(oracle(encodeRateLimitResponse(FULL)));
  });

  const rnd = prng(0xfeed);
  const int = (n: number) => Math.floor(rnd() * n);
  const bytesOf = (max: number) => Buffer.from(Array.from({ length: int(max) }, () => int(256)));
  const pick = <T>(xs: T[]) => xs[int(xs.length)];
  const u32s = [0, 1, 127, 128, 65535, 4294967295];
  const randomResponse = () => ({
    ...(rnd() < 0.8 ? { overall_code: pick([0, 1, 2, 3, -1]) } : {}),
    statuses: Array.from({ length: int(4) }, () => ({
      ...(rnd() < 0.7 ? { code: pick([0, 1, 2, 9]) } : {}),
      ...(rnd() < 0.6 ? { current_limit: { ...(rnd() < 0.5 ? { name: pick(["", "n", "límite", "x".repeat(300)]) } : {}), requests_per_unit: pick(u32s), unit: pick([0, 1, 4, 7, 8]) } } : {}),
      ...(rnd() < 0.6 ? { limit_remaining: pick(u32s) } : {}),
      ...(rnd() < 0.6 ? { duration_until_reset: { seconds: pick(["0", "1", "-1", "3600", "9223372036854775807", "-9223372036854775808", "315576000000"]), nanos: pick([0, 1, 999999999, -999999999, 2147483647, -2147483648]) } } : {}),
      ...(rnd() < 0.2 ? { quota: { requests: pick(u32s), id: "q" } } : {}),
    })),
    response_headers_to_add: Array.from({ length: int(3) }, () => ({ key: pick(["k", "x-rl", ""]), ...(rnd() < 0.5 ? { value: "v" } : {}), ...(rnd() < 0.3 ? { raw_value: bytesOf(5) } : {}) })),
    request_headers_to_add: Array.from({ length: int(3) }, () => ({ key: "r", value: pick(["", "a", "ü"]) })),
    ...(rnd() < 0.3 ? { raw_body: bytesOf(40) } : {}),
    ...(rnd() < 0.2 ? { dynamic_metadata: { fields: { k: { bool_value: true } } } } : {}),
  });

  it("agrees with protobufjs on 500 random responses", () => {
    for (let n = 0; n < 500; n++) {
      const bytes = encodeRateLimitResponse(randomResponse());
      expect(wasmDecode(bytes), hex(bytes)).toEqual(oracle(bytes));
    }
  });

  it("on every truncation of valid responses, rejects or agrees with protobufjs", () => {
    let rejected = 0, accepted = 0;
    for (let n = 0; n < 40; n++) {
      const bytes = encodeRateLimitResponse(n === 0 ? FULL : randomResponse());
      for (let cut = 0; cut < bytes.length; cut++) {
        const part = bytes.subarray(0, cut);
        let want: Decoded | null = null;
        try { want = oracle(part); } catch { want = null; }
        const got = wasmDecode(part);
        expect(got, `${hex(bytes)} cut at ${cut}`).toEqual(want);
        if (got) accepted++; else rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThan(20);
  });

  it("never traps on random or mutated bytes, and agrees with protobufjs when both accept", () => {
    let agreed = 0;
    for (let n = 0; n < 3000; n++) {
      let bytes: Buffer;
      if (n % 2 === 0) {
        bytes = bytesOf(64);
      } else {
        bytes = Buffer.from(encodeRateLimitResponse(randomResponse()));
        for (let k = 1 + int(3); k > 0 && bytes.length > 0; k--) bytes[int(bytes.length)] = int(256);
      }
      const got = wasmDecode(bytes); // a trap would throw here
      if (got === null) continue;
      expect(wasmDecode(bytes)).toEqual(got);
      let want: Decoded | null = null;
      try { want = oracle(bytes); } catch { continue; }
      expect(got, hex(bytes)).toEqual(want);
      agreed++;
    }
    expect(agreed).toBeGreaterThan(100);
  });
});

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
  out.push(n);
  return Buffer.from(out);
}
