#!/usr/bin/env node
// Build-time data for filters/lib/tokenizer: the BPE vocabularies of o200k_base and cl100k_base
// (from the rank files js-tiktoken ships) and the Unicode class tables its pre-tokenizer needs,
// packed into one binary image that is placed into a module's linear memory at VOCAB_BASE.
//
//   node scripts/gen-vocab.mjs          # (re)generate build/vocab/ if stale, print sizes
//   import { prepareVocab } from "./gen-vocab.mjs"   # build.mjs: generate + compile args + inject
//
// Why an injected data segment: Envoy gives a filter no files, so the tables must be inside the
// module, and asc cannot compile megabyte array literals in reasonable time. Entries that import
// filters/lib/tokenizer (directly or not) are compiled with `--memoryBase` past the image, so asc
// leaves [0, memoryBase) alone, and an active data segment holding the image is appended to the
// compiled module. Several filters in one module share the one image. The AssemblyScript side
// reads the header at VOCAB_BASE at run time (nothing generated is compiled in), so a module that
// was not patched sees no magic and reports the tokenizer unavailable instead of miscounting.
//
// Image layout (little-endian; every address absolute, i.e. already includes VOCAB_BASE):
//   header   u32 magic "TGTK", u32 version, u32 image bytes, u32 bmp classes addr,
//            u32 astral ranges addr, u32 astral range count, u32 enc[0] addr, u32 enc[1] addr
//   bmp      u8 class per code point U+0000..U+FFFF
//   astral   u32 (start << 4 | class) per range, sorted, covering U+10000..U+10FFFF
//   enc      u32 slots addr, u32 slot mask, u32 checkpoints addr, u32 blob addr,
//            u32 token count, u32 max token length, u32 byte-ranks addr (256 x u32),
//            u32 pairs addr
//   pairs    two-byte tokens, the most frequent lookup of a merge, without hashing: a bitmap
//            over (b0 << 8 | b1) (1024 x u64), the set bits before each word (1024 x u32), and
//            the ranks in key order (u32 per set bit)
//   slots    open addressing, linear probing: u32 = fp:7 | (len-1):7 | (rank+1):18, 0 = empty
//   ckpts    u32 per 16 slots: blob offset of the first token stored in that block of slots
//   blob     token bytes in slot order; a slot's bytes start at its block's checkpoint plus the
//            lengths of the occupied slots before it in the block (lengths are in the slot words,
//            so no per-token offset array: that is what keeps both vocabularies under 4 MB)
// Classes: 0 other, 1 Lu, 2 Ll, 3 Lt, 4 Lm, 5 Lo, 6 M, 7 N, 8 whitespace (JS `\s`).
// Hash: FNV-1a 32 over the bytes, then murmur3's fmix32; slot = h & mask, fp = h >>> 25.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const VOCAB_DIR = join(root, "build", "vocab");
export const IMAGE_FILE = join(VOCAB_DIR, "tables.bin");
const META_FILE = join(VOCAB_DIR, "meta.json");
/** Must equal VOCAB_BASE in filters/lib/tokenizer/tables.ts (checked at run time by the magic). */
export const VOCAB_BASE = 1024;
const MAGIC = 0x4b544754; // "TGTK"
const VERSION = 2;
const ENCODINGS = ["o200k_base", "cl100k_base"];
const TOKENIZER_DIR = join(root, "filters", "lib", "tokenizer");

const align = (n, a) => Math.ceil(n / a) * a;

export function hashBytes(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function rankFile(name) {
  return createRequire(join(root, "package.json")).resolve(`js-tiktoken/ranks/${name}`);
}

async function loadRanks(name) {
  const mod = await import(pathToFileURL(rankFile(name)).href);
  const data = mod.default;
  const tokens = []; // index = rank
  for (const line of data.bpe_ranks.split("\n")) {
    if (!line) continue;
    const [, offsetStr, ...b64] = line.split(" ");
    const offset = Number.parseInt(offsetStr, 10);
    b64.forEach((t, i) => (tokens[offset + i] = Buffer.from(t, "base64")));
  }
  return { tokens, patStr: data.pat_str, special: data.special_tokens };
}

/** Unicode classes as this Node's regex engine defines them (what js-tiktoken's regex sees). */
function unicodeClasses() {
  const tests = [
    [8, /^\s$/u], [1, /^\p{Lu}$/u], [2, /^\p{Ll}$/u], [3, /^\p{Lt}$/u], [4, /^\p{Lm}$/u],
    [5, /^\p{Lo}$/u], [6, /^\p{M}$/u], [7, /^\p{N}$/u],
  ];
  const cls = new Uint8Array(0x110000);
  for (let cp = 0; cp < 0x110000; cp++) {
    const s = String.fromCodePoint(cp);
    for (const [c, re] of tests) if (re.test(s)) { cls[cp] = c; break; }
  }
  return cls;
}

function buildEncoding(tokens) {
  const n = tokens.length;
  let cap = 1;
  while (cap < n / 0.78) cap <<= 1;
  const mask = cap - 1;
  const slots = new Uint32Array(cap);
  const slotToken = new Int32Array(cap).fill(-1);
  let maxLen = 0;
  for (let rank = 0; rank < n; rank++) {
    const t = tokens[rank];
    if (!t) throw new Error(`rank ${rank} missing`);
    if (t.length > 128) throw new Error(`token ${rank} longer than 128 bytes`);
    maxLen = Math.max(maxLen, t.length);
    const h = hashBytes(t);
    let i = h & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = ((h >>> 25) << 25) | ((t.length - 1) << 18) | (rank + 1);
    slotToken[i] = rank;
  }
  const ckpts = new Uint32Array(cap / 16);
  const parts = [];
  let off = 0;
  for (let i = 0; i < cap; i++) {
    if ((i & 15) === 0) ckpts[i >> 4] = off;
    if (slotToken[i] >= 0) {
      parts.push(tokens[slotToken[i]]);
      off += tokens[slotToken[i]].length;
    }
  }
  const byteRanks = new Uint32Array(256).fill(0xffffffff);
  tokens.forEach((t, r) => { if (t.length === 1) byteRanks[t[0]] = r; });
  if (byteRanks.includes(0xffffffff)) throw new Error("a single byte has no rank");
  const pairRank = new Map();
  tokens.forEach((t, r) => { if (t.length === 2) pairRank.set(t[0] << 8 | t[1], r); });
  const bitmap = new BigUint64Array(1024);
  const before = new Uint32Array(1024);
  const pairRanks = [];
  for (let key = 0; key < 65536; key++) {
    if ((key & 63) === 0) before[key >> 6] = pairRanks.length;
    if (pairRank.has(key)) {
      bitmap[key >> 6] |= 1n << BigInt(key & 63);
      pairRanks.push(pairRank.get(key));
    }
  }
  const pairs = Buffer.concat([Buffer.from(bitmap.buffer), Buffer.from(before.buffer), Buffer.from(new Uint32Array(pairRanks).buffer)]);
  return { n, cap, mask, slots, ckpts, blob: Buffer.concat(parts), maxLen, byteRanks, pairs };
}

function buildImage(encs, cls) {
  const astral = [];
  for (let cp = 0x10000; cp < 0x110000; cp++) {
    if (cp === 0x10000 || cls[cp] !== cls[cp - 1]) astral.push((cp << 4) | cls[cp]);
  }
  let pos = VOCAB_BASE + 64;
  const place = (size, a = 16) => { pos = align(pos, a); const at = pos; pos += size; return at; };
  const bmpAt = place(0x10000);
  const astralAt = place(astral.length * 4);
  const layout = encs.map((e) => {
    const desc = place(32);
    const byteRanks = place(1024);
    const pairs = place(e.pairs.length);
    const slots = place(e.slots.byteLength);
    const ckpts = place(e.ckpts.byteLength);
    const blob = place(e.blob.length);
    return { desc, byteRanks, pairs, slots, ckpts, blob };
  });
  const end = align(pos, 16);
  const img = Buffer.alloc(end - VOCAB_BASE);
  const at = (addr) => addr - VOCAB_BASE;
  const u32 = (addr, v) => img.writeUInt32LE(v >>> 0, at(addr));
  u32(VOCAB_BASE, MAGIC);
  u32(VOCAB_BASE + 4, VERSION);
  u32(VOCAB_BASE + 8, img.length);
  u32(VOCAB_BASE + 12, bmpAt);
  u32(VOCAB_BASE + 16, astralAt);
  u32(VOCAB_BASE + 20, astral.length);
  layout.forEach((l, k) => u32(VOCAB_BASE + 24 + 4 * k, l.desc));
  Buffer.from(cls.buffer, 0, 0x10000).copy(img, at(bmpAt));
  astral.forEach((v, k) => u32(astralAt + 4 * k, v));
  encs.forEach((e, k) => {
    const l = layout[k];
    [l.slots, e.mask, l.ckpts, l.blob, e.n, e.maxLen, l.byteRanks, l.pairs].forEach((v, j) => u32(l.desc + 4 * j, v));
    Buffer.from(e.byteRanks.buffer).copy(img, at(l.byteRanks));
    e.pairs.copy(img, at(l.pairs));
    Buffer.from(e.slots.buffer).copy(img, at(l.slots));
    Buffer.from(e.ckpts.buffer).copy(img, at(l.ckpts));
    e.blob.copy(img, at(l.blob));
  });
  const sizes = {
    header: 64, unicodeBmp: 0x10000, unicodeAstral: astral.length * 4,
    ...Object.fromEntries(encs.map((e, k) => [ENCODINGS[k], {
      tokens: e.n, slots: e.slots.byteLength, checkpoints: e.ckpts.byteLength, blob: e.blob.length,
      byteRanks: 1024, pairs: e.pairs.length, load: +(e.n / e.cap).toFixed(3),
    }])),
    total: img.length,
  };
  return { img, sizes };
}

function cacheKey() {
  const h = createHash("sha256");
  h.update(readFileSync(fileURLToPath(import.meta.url)));
  for (const name of ENCODINGS) {
    const st = statSync(rankFile(name));
    h.update(`${name} ${st.size} ${st.mtimeMs}\n`);
  }
  h.update(`unicode@${process.versions.unicode} base@${VOCAB_BASE}`);
  return h.digest("hex");
}

/** Generates build/vocab/ unless it is already current. Returns the meta record. */
export async function ensureVocab({ quiet = false } = {}) {
  const key = cacheKey();
  if (existsSync(META_FILE) && existsSync(IMAGE_FILE)) {
    const meta = JSON.parse(readFileSync(META_FILE, "utf8"));
    if (meta.key === key && statSync(IMAGE_FILE).size === meta.sizes.total) return meta;
  }
  const started = performance.now();
  const loaded = [];
  for (const name of ENCODINGS) loaded.push(await loadRanks(name));
  const encs = loaded.map((l) => buildEncoding(l.tokens));
  const { img, sizes } = buildImage(encs, unicodeClasses());
  mkdirSync(VOCAB_DIR, { recursive: true });
  writeFileSync(IMAGE_FILE, img);
  const meta = {
    key, base: VOCAB_BASE, end: VOCAB_BASE + img.length, sizes,
    encodings: Object.fromEntries(ENCODINGS.map((n, k) => [n, { index: k, patStr: loaded[k].patStr, special: loaded[k].special }])),
  };
  writeFileSync(META_FILE, JSON.stringify(meta, null, 2) + "\n");
  if (!quiet) console.log(`vocab: generated build/vocab/tables.bin (${(img.length / 1048576).toFixed(2)} MiB) in ${Math.round(performance.now() - started)} ms`);
  return meta;
}

// ---- which entries need the image --------------------------------------------------------

const IMPORT_RE = /(?:^|[;\s])(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|(?:^|[;\s])import\s*["']([^"']+)["']/g;

function resolveImport(fromFile, spec) {
  if (!spec.startsWith(".")) return null;
  const base = resolve(dirname(fromFile), spec);
  for (const c of [base + ".ts", join(base, "index.ts"), base]) if (existsSync(c) && statSync(c).isFile()) return c;
  return null;
}

/** Whether an entry's import graph reaches filters/lib/tokenizer/. */
export function usesTokenizer(entryFile) {
  const seen = new Set();
  const stack = [resolve(entryFile)];
  while (stack.length) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    if (file.startsWith(TOKENIZER_DIR + "/")) return true;
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(IMPORT_RE)) {
      const next = resolveImport(file, m[1] ?? m[2]);
      if (next) stack.push(next);
    }
  }
  return false;
}

// ---- wasm patching ------------------------------------------------------------------------

function uleb(n) {
  const out = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}
function sleb(n) {
  const out = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}
function readUleb(b, pos) {
  let result = 0, shift = 0, byte;
  do {
    byte = b[pos++];
    result += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [result, pos];
}

/**
 * Appends `image` as an active data segment at `base` to a compiled module: data section count
 * and DataCount (when present) updated, memory's initial size raised if it would not cover it.
 */
export function injectSegment(wasm, base, image) {
  const b = wasm instanceof Uint8Array ? wasm : new Uint8Array(wasm);
  const sections = [];
  let pos = 8;
  while (pos < b.length) {
    const id = b[pos];
    const [size, body] = readUleb(b, pos + 1);
    sections.push({ id, start: pos, body, end: body + size });
    pos = body + size;
  }
  const segment = Buffer.from([0x00, 0x41, ...sleb(base), 0x0b, ...uleb(image.length)]);
  const needPages = Math.ceil((base + image.length) / 65536);
  const out = [Buffer.from(b.subarray(0, 8))];
  const section = (id, body) => Buffer.concat([Buffer.from([id, ...uleb(body.length)]), body]);
  let hasData = sections.some((s) => s.id === 11);
  for (const s of sections) {
    const body = Buffer.from(b.subarray(s.body, s.end));
    if (s.id === 5) {
      // memory section: vec(limits); raise min of memory 0 if needed
      let p = 0;
      const [count, p1] = readUleb(body, p); p = p1;
      if (count !== 1) throw new Error(`expected one memory, found ${count}`);
      const flags = body[p++];
      const [min, p2] = readUleb(body, p);
      const rest = body.subarray(p2);
      if (flags & 1) {
        const [max] = readUleb(body, p2);
        if (max < needPages) throw new Error(`memory max ${max} pages < ${needPages} needed for the vocabulary`);
      }
      const newMin = Math.max(min, needPages);
      out.push(section(5, Buffer.from([...uleb(1), flags, ...uleb(newMin), ...rest])));
    } else if (s.id === 12) {
      const [count] = readUleb(body, 0);
      out.push(section(12, Buffer.from(uleb(count + 1))));
    } else if (s.id === 11) {
      const [count, p] = readUleb(body, 0);
      out.push(section(11, Buffer.concat([Buffer.from(uleb(count + 1)), body.subarray(p), segment, image])));
    } else {
      out.push(Buffer.from(b.subarray(s.start, s.end)));
      // No data section at all: it belongs right after the code section (before custom ones).
      if (s.id === 10 && !hasData) {
        out.push(section(11, Buffer.concat([Buffer.from(uleb(1)), segment, image])));
        hasData = true;
      }
    }
  }
  if (!hasData) out.push(section(11, Buffer.concat([Buffer.from(uleb(1)), segment, image])));
  return Buffer.concat(out);
}

/**
 * What build.mjs needs: which entries use the tokenizer, their asc args and the post-compile
 * patch. The image is generated only when one of `entryFiles` uses the tokenizer, so builds of
 * other entries do not depend on js-tiktoken.
 */
export async function prepareVocab(entryFiles) {
  const memo = new Map();
  const uses = (file) => {
    if (!memo.has(file)) memo.set(file, usesTokenizer(file));
    return memo.get(file);
  };
  if (!entryFiles.some(uses)) return { uses: () => false, ascArgs: () => [], inject: (w) => w };
  const meta = await ensureVocab();
  const image = readFileSync(IMAGE_FILE);
  return {
    uses,
    ascArgs: () => ["--memoryBase", String(align(meta.end, 16))],
    inject: (wasm) => injectSegment(wasm, meta.base, image),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const meta = await ensureVocab();
  console.log(JSON.stringify(meta.sizes, null, 2));
}
