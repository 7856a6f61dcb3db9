#!/usr/bin/env node
// Version stamps: which release (package.json "version") and which sources (the build hash) a
// module was built from. scripts/build.mjs writes the stamp into each filter module after asc;
// the module logs it at vm start and publishes it as a gauge (filters/sdk/version.ts).
//
//   node scripts/version.mjs                 # the stamp every filter entry would get now
//   node scripts/version.mjs dist/x.wasm ... # the stamp a built module carries
//
// Build hash = SHA-256 over the module's own inputs: every .ts file its import graph reaches
// (path and bytes), asconfig.json, the AssemblyScript version, and the tokenizer tables when
// it embeds them. Chosen over `git describe` because it is the same in a clean clone, a shallow
// CI clone, a source tarball and a dirty tree with the same bytes, and it changes only when the
// module's own sources change (an unrelated commit does not make every module "new").
//
// Why patch the binary instead of generating a .ts file: concurrent builds of different entries
// would race on one generated file, and a file written under filters/ would bump the mtime every
// build compares against, so every module would look stale on every build.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { IMAGE_FILE, usesTokenizer } from "./gen-vocab.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Must equal the literal in filters/sdk/version.ts: marker, then SLOT placeholder characters. */
export const MARKER = "tollgate-stamp:";
export const SLOT = 160;
const PLACEHOLDER = "#";

const IMPORT_RE = /(?:^|[;\s])(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|(?:^|[;\s])import\s*["']([^"']+)["']/g;

function resolveImport(fromFile, spec) {
  if (!spec.startsWith(".")) return null;
  const base = resolve(dirname(fromFile), spec);
  for (const c of [base + ".ts", join(base, "index.ts"), base]) if (existsSync(c) && statSync(c).isFile()) return c;
  return null;
}

/** Every source file an entry's import graph reaches, as sorted repo-relative POSIX paths. */
export function importClosure(entryFile, repoRoot = root) {
  const seen = new Set();
  const stack = [resolve(entryFile)];
  while (stack.length) {
    const file = stack.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const m of readFileSync(file, "utf8").matchAll(IMPORT_RE)) {
      const next = resolveImport(file, m[1] ?? m[2]);
      if (next) stack.push(next);
    }
  }
  return [...seen].map((f) => relative(repoRoot, f).split(sep).join("/")).sort();
}

// The lock file's version (committed, so a fresh clone knows it before `npm ci`), else the
// installed one.
function compilerVersion(repoRoot) {
  const lock = join(repoRoot, "package-lock.json");
  const locked = existsSync(lock) ? JSON.parse(readFileSync(lock, "utf8")).packages?.["node_modules/assemblyscript"]?.version : undefined;
  if (locked) return locked;
  const p = join(repoRoot, "node_modules/assemblyscript/package.json");
  return existsSync(p) ? JSON.parse(readFileSync(p, "utf8")).version : "unknown";
}

export function packageVersion(repoRoot = root) {
  return JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version;
}

/**
 * The build hash of one entry (hex SHA-256). `extra` names further input files (e.g. the
 * tokenizer tables an entry embeds), hashed like sources.
 */
export function buildHash(entryFile, { repoRoot = root, extra = [] } = {}) {
  const h = createHash("sha256");
  const part = (label, bytes) => {
    h.update(`${label}\0${bytes.length}\0`);
    h.update(bytes);
  };
  for (const rel of importClosure(entryFile, repoRoot)) part(rel, readFileSync(join(repoRoot, rel)));
  const asconfig = join(repoRoot, "asconfig.json");
  if (existsSync(asconfig)) part("asconfig.json", readFileSync(asconfig));
  part("assemblyscript", Buffer.from(compilerVersion(repoRoot)));
  for (const f of extra) part(relative(repoRoot, f).split(sep).join("/"), readFileSync(f));
  return h.digest("hex");
}

const NOT_FILTERS = new Set(["sdk", "lib", "testing"]);

/**
 * The entries that carry a stamp: the shipped modules (filters/<name>/index.ts, the bundle
 * included). Test fixtures under filters/testing/ are left unstamped, so they stay silent at
 * vm start and the harness tests that count their log lines and stats are unaffected.
 */
export function stampedEntries(repoRoot = root) {
  const dir = join(repoRoot, "filters");
  return readdirSync(dir)
    .filter((n) => !NOT_FILTERS.has(n) && existsSync(join(dir, n, "index.ts")))
    .sort()
    .map((name) => ({ name, file: join(dir, name, "index.ts") }));
}

/** The stamp an entry gets now: { module, version, hash }. Embedded tokenizer tables count as input. */
export function stampFor(entry, repoRoot = root) {
  const extra = usesTokenizer(entry.file) ? [IMAGE_FILE] : [];
  return { module: entry.name, version: packageVersion(repoRoot), hash: buildHash(entry.file, { repoRoot, extra }) };
}

/** The stamp text: "<module> <version> <hash>". Throws if it cannot fit the slot. */
export function stampText({ module, version, hash }) {
  for (const [k, v] of Object.entries({ module, version, hash })) {
    if (!/^[A-Za-z0-9._+-]+$/.test(v)) throw new Error(`version stamp: ${k} "${v}" must be [A-Za-z0-9._+-]+`);
  }
  const text = `${module} ${version} ${hash}`;
  if (text.length > SLOT) throw new Error(`version stamp "${text}" is longer than the ${SLOT}-character slot`);
  return text;
}

// AssemblyScript keeps string literals as UTF-16LE in a data segment.
function utf16(s) {
  return Buffer.from(s, "utf16le");
}

function findAll(bytes, needle) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = [];
  for (let i = buf.indexOf(needle); i >= 0; i = buf.indexOf(needle, i + 1)) at.push(i);
  return at;
}

function slotOffset(bytes) {
  const at = findAll(bytes, utf16(MARKER));
  if (at.length !== 1) return at.length === 0 ? -1 : -2;
  return at[0] + MARKER.length * 2;
}

/**
 * A copy of `wasm` whose stamp slot holds `text` (space-padded). Throws when the module has no
 * slot (it does not import filters/sdk/version.ts) or more than one.
 */
export function writeStamp(wasm, text) {
  const out = Buffer.from(wasm);
  const off = slotOffset(out);
  if (off === -1) throw new Error("version stamp: no slot in module (filters/sdk/version.ts not linked?)");
  if (off === -2) throw new Error("version stamp: marker found more than once in module");
  utf16(text.padEnd(SLOT, " ")).copy(out, off);
  return out;
}

/** The stamp a module carries: { module, version, hash }, or null (no slot, or never stamped). */
export function readStamp(wasm) {
  const buf = Buffer.from(wasm);
  const off = slotOffset(buf);
  if (off < 0) return null;
  const text = buf.subarray(off, off + SLOT * 2).toString("utf16le").trimEnd();
  if (text.startsWith(PLACEHOLDER)) return null;
  const [module, version, hash] = text.split(" ");
  return { module, version, hash };
}

/** For scripts/build.mjs: the stamp of a build entry ({ name, file }), or null for a test fixture. */
export function stampForBuild(entry, repoRoot = root) {
  const own = join(repoRoot, "filters", entry.name, "index.ts");
  if (resolve(entry.file) !== own || NOT_FILTERS.has(entry.name)) return null;
  return stampFor(entry, repoRoot);
}

/**
 * Writes `stamp` into a module file unless it already carries it. The new bytes go to a sibling
 * file renamed over the old one, so a reader sees the old module or the stamped one.
 */
export function stampFile(file, stamp) {
  const bytes = readFileSync(file);
  const have = readStamp(bytes);
  if (have && have.module === stamp.module && have.version === stamp.version && have.hash === stamp.hash) return false;
  const tmp = `${file}.stamp-${process.pid}`;
  writeFileSync(tmp, writeStamp(bytes, stampText(stamp)));
  renameSync(tmp, file);
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const files = process.argv.slice(2);
  if (files.length > 0) {
    for (const f of files) {
      const s = readStamp(readFileSync(f));
      console.log(`${f}: ${s ? `${s.module} ${s.version} ${s.hash}` : "not stamped"}`);
    }
  } else {
    // Generated inputs, as the build makes them first (a fresh clone has neither yet): the price
    // table (written only when it changes) and the tokenizer tables.
    (await import("./gen-prices.mjs")).generatePrices();
    if (!existsSync(IMAGE_FILE)) await (await import("./gen-vocab.mjs")).ensureVocab({ quiet: true });
    for (const e of stampedEntries()) {
      const s = stampFor(e);
      console.log(`${s.module} ${s.version} ${s.hash}`);
    }
  }
}
