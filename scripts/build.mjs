#!/usr/bin/env node
// Builds every filter entry to dist/<name>.wasm (release) and dist/<name>.debug.wasm (debug,
// names + source map), then checks that each module links against Envoy.
//
//   node scripts/build.mjs            # everything (entries already up to date are skipped)
//   node scripts/build.mjs probe ...  # only these entries
//   node scripts/build.mjs --force    # rebuild even if up to date
//
// Entries: filters/<name>/index.ts (except sdk, lib) and filters/testing/<name>/index.ts.
// Shared options live in asconfig.json. Why these:
// - --runtime incremental: an Envoy VM lives as long as the worker and sees millions of
//   streams, so garbage must be collected; `stub` never frees and would grow until the 1 GiB
//   V8 cap. `minimal` needs someone to call __collect at safe points, which no host does.
//   incremental collects during allocation only, and the host's re-entry into `malloc`
//   (heap.alloc, the raw allocator under the GC) never allocates a managed object, so a
//   collection cannot start while the guest is suspended in a hostcall.
// - --exportStart _initialize: top-level code must not run as a wasm start section, which
//   executes before Envoy has a context (hostcalls from it are unsafe); Envoy calls
//   _initialize itself.
// - --use abort=filters/sdk/abort/proxyAbort: the default abort is an `env.abort` import
//   Envoy does not provide; ours logs through proxy_log and traps.
// asc runs in-process (one compiler load for all targets) and targets build in sequence.
// -O3 at shrinkLevel 0 is Binaryen's slowest pipeline (seconds per filter), so an entry whose
// outputs are newer than every file under filters/, asconfig.json and these scripts is not
// rebuilt. That dependency set is deliberately coarse: cheap to compute, never stale.
import asc from "assemblyscript/asc";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { basename, join, relative, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { checkModule } from "./check-imports.mjs";
import { prepareVocab } from "./gen-vocab.mjs";
import { stampFile, stampForBuild } from "./version.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const filtersDir = join(root, "filters");
const distDir = join(root, "dist");
const EXCLUDED = new Set(["sdk", "lib", "testing"]);

function subdirs(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((n) => statSync(join(dir, n)).isDirectory()).sort();
}

export function findEntries() {
  const entries = [];
  for (const name of subdirs(filtersDir)) {
    if (EXCLUDED.has(name)) continue;
    const file = join(filtersDir, name, "index.ts");
    if (existsSync(file)) entries.push({ name, file });
  }
  for (const name of subdirs(join(filtersDir, "testing"))) {
    const file = join(filtersDir, "testing", name, "index.ts");
    if (!existsSync(file)) continue;
    if (entries.some((e) => e.name === name)) {
      throw new Error(`two entries would both build dist/${name}.wasm: filters/${name} and filters/testing/${name}`);
    }
    entries.push({ name, file });
  }
  return entries;
}

function newestSource() {
  let newest = 0;
  const walk = (dir) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else newest = Math.max(newest, st.mtimeMs);
    }
  };
  walk(filtersDir);
  for (const f of ["asconfig.json", "scripts/build.mjs", "scripts/check-imports.mjs", "scripts/gen-vocab.mjs", "build/vocab/tables.bin", "package-lock.json"]) {
    const p = join(root, f);
    if (existsSync(p)) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function upToDate(outFile, sourcesMtime) {
  return existsSync(outFile) && statSync(outFile).mtimeMs > sourcesMtime;
}

function kib(n) {
  return (n / 1024).toFixed(1).padStart(7) + " KiB";
}

// asc writes into a private folder and the results are renamed into dist/, so a test (or a
// second build) reading dist/ while this one runs sees the old module or the new one, never half
// of one. The source map keeps its basename, which is all the module's sourceMappingURL names.
async function compile(entry, target, outFile, vocab, stamp) {
  const staging = mkdtempSync(join(distDir, ".build-"));
  try {
    const staged = join(staging, basename(outFile));
    const error = await compileTo(entry, target, staged, vocab);
    if (error) return error;
    if (stamp) stampFile(staged, stamp);
    for (const name of readdirSync(staging)) renameSync(join(staging, name), join(dirname(outFile), name));
    return null;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function compileTo(entry, target, outFile, vocab) {
  const args = [
    relative(root, entry.file),
    "--config", join(root, "asconfig.json"),
    "--target", target,
    "--outFile", relative(root, outFile),
  ];
  // Tokenizer tables (scripts/gen-vocab.mjs): low memory reserved, then injected as data.
  const tables = vocab.uses(entry.file);
  if (tables) args.push(...vocab.ascArgs());
  const { error } = await asc.main(args, {
    stdout: process.stdout,
    stderr: process.stderr,
  });
  if (!error && tables) writeFileSync(outFile, vocab.inject(readFileSync(outFile)));
  return error;
}

// AssemblyScript compiles only reachable code, so SDK APIs no filter uses yet would go
// unchecked; this entry reaches all of them. Type-check only (--noEmit).
async function checkSdkSurface() {
  const { error } = await asc.main([
    "filters/sdk/surface-check.ts", "filters/sdk/dispatcher.ts",
    "--config", join(root, "asconfig.json"), "--target", "debug", "--noEmit",
  ], { stdout: process.stdout, stderr: process.stderr });
  return error;
}

async function main() {
  process.chdir(root); // --use names the abort function by its path from the repo root.
  const force = process.argv.includes("--force");
  const only = process.argv.slice(2).filter((a) => !a.startsWith("-"));
  let entries = findEntries();
  if (only.length > 0) {
    const unknown = only.filter((n) => !entries.some((e) => e.name === n));
    if (unknown.length > 0) {
      console.error(`unknown entries: ${unknown.join(", ")} (have: ${entries.map((e) => e.name).join(", ")})`);
      process.exit(2);
    }
    entries = entries.filter((e) => only.includes(e.name));
  }
  mkdirSync(distDir, { recursive: true });
  (await import("./gen-prices.mjs")).generatePrices(); // bundled price table → filters/lib/pricing/generated (gitignored)
  const vocab = await prepareVocab(entries.map((e) => e.file));

  let failed = false;
  const rows = [];
  const sourcesMtime = newestSource();
  const stale = force || entries.some((e) =>
    !upToDate(join(distDir, e.name + ".wasm"), sourcesMtime) || !upToDate(join(distDir, e.name + ".debug.wasm"), sourcesMtime));
  if (stale) {
    const error = await checkSdkSurface();
    if (error) {
      console.error(`✗ SDK surface check (filters/sdk/surface-check.ts): ${error.message}`);
      process.exit(1);
    }
  }
  for (const entry of entries) {
    // Release and build hash written into the module (scripts/version.mjs); null for test fixtures.
    const stamp = stampForBuild(entry);
    for (const [target, suffix] of [["release", ".wasm"], ["debug", ".debug.wasm"]]) {
      const outFile = join(distDir, entry.name + suffix);
      const started = performance.now();
      const skip = !force && upToDate(outFile, sourcesMtime);
      const error = skip ? null : await compile(entry, target, outFile, vocab, stamp);
      // A cached module is re-stamped in place when only the version changed (no recompile).
      if (skip && stamp) stampFile(outFile, stamp);
      const ms = skip ? "cached" : Math.round(performance.now() - started) + " ms";
      if (error) {
        console.error(`✗ ${entry.name} (${target}): ${error.message}`);
        failed = true;
        continue;
      }
      const bytes = readFileSync(outFile);
      const problems = checkModule(bytes);
      if (problems.length > 0) {
        failed = true;
        console.error(`✗ ${relative(root, outFile)} would not load in Envoy:`);
        for (const p of problems) console.error(`    ${p}`);
      }
      rows.push({ file: relative(root, outFile), size: bytes.length, gz: gzipSync(bytes).length, ms, ok: problems.length === 0 });
    }
  }
  for (const r of rows) {
    console.log(`${r.ok ? "✓" : "✗"} ${r.file.padEnd(32)} ${kib(r.size)}  (gzip ${kib(r.gz)})  ${String(r.ms).padStart(8)}`);
  }
  if (failed) {
    console.error("build failed");
    process.exit(1);
  }
  console.log(`built ${entries.length} entr${entries.length === 1 ? "y" : "ies"}; imports match Envoy's`);
}

await main();
