#!/usr/bin/env node
// Builds the foreign-toolchain test fixtures (host-tests/fixtures/foreign/*.c) into
// host-tests/fixtures/foreign/out/*.wasm with Debian's clang + lld + wasi-libc.
//
// The point of these fixtures is their exact import/export surface (what emscripten and Go
// emit), so after each build the surface is checked against what the fixture claims to be;
// a toolchain that quietly adds `malloc` or `_initialize` would make the tests prove nothing.
//
// Usage: node scripts/build-fixtures.mjs [--force]
// Env:   CLANG (default "clang"), WASI_SYSROOT (default: detected).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(root, "host-tests/fixtures/foreign");
const outDir = join(srcDir, "out");
const force = process.argv.includes("--force");

const INSTALL_HINT =
  "run `apt-get install -y clang lld wasi-libc libclang-rt-dev-wasm32` " +
  "(libclang-rt-dev-wasm32 provides libclang_rt.builtins-wasm32.a, which clang links into every wasm32-wasi binary)";

const FIXTURES = [
  {
    name: "emscripten-style",
    // A command with our own `_start`: without crt1-command, wasm-ld does not wrap every export
    // in ctor/dtor calls, which emscripten's STANDALONE_WASM output does not do either.
    flags: ["-nostartfiles", "-Wl,--no-entry", "-Wl,--export=malloc"],
    exports: {
      required: ["memory", "malloc", "_start", "proxy_abi_version_0_2_1"],
      forbidden: ["_initialize", "main", "proxy_on_memory_allocate", "proxy_abi_version_0_2_0"],
    },
    imports: {
      required: [
        "wasi_snapshot_preview1.fd_write",
        "wasi_snapshot_preview1.clock_time_get",
        "wasi_snapshot_preview1.random_get",
        "wasi_snapshot_preview1.environ_sizes_get",
        "wasi_snapshot_preview1.environ_get",
        "env.emscripten_notify_memory_growth",
      ],
    },
  },
  {
    name: "go-style",
    flags: ["-mexec-model=reactor"],
    exports: {
      required: ["memory", "_initialize", "proxy_on_memory_allocate", "proxy_abi_version_0_2_0"],
      forbidden: ["malloc", "_start", "main", "proxy_abi_version_0_2_1"],
    },
    imports: {
      required: [
        "wasi_snapshot_preview1.sched_yield",
        "wasi_snapshot_preview1.poll_oneoff",
        "wasi_snapshot_preview1.fd_fdstat_get",
        "wasi_snapshot_preview1.fd_prestat_get",
        "wasi_snapshot_preview1.fd_prestat_dir_name",
        "wasi_snapshot_preview1.fd_close",
      ],
      // Not linkable on ABI 0.2.0 in Envoy.
      forbidden: ["env.proxy_get_log_level"],
    },
  },
];

// Hosts Envoy links at all (digest section 8); anything else would be a "missing import".
const ENVOY_WASI = new Set([
  "fd_write", "fd_read", "fd_seek", "fd_close", "fd_fdstat_get", "fd_fdstat_set_flags",
  "fd_prestat_get", "fd_prestat_dir_name", "path_open", "fd_filestat_get", "path_filestat_get",
  "environ_sizes_get", "environ_get", "args_sizes_get", "args_get", "clock_time_get",
  "clock_res_get", "random_get", "sched_yield", "poll_oneoff", "proc_exit",
]);

function fail(msg) {
  console.error(`build-fixtures: ${msg}`);
  process.exit(1);
}

function findClang() {
  const clang = process.env.CLANG || "clang";
  const r = spawnSync(clang, ["--version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) fail(`\`${clang}\` not found; ${INSTALL_HINT}`);
  return clang;
}

// Debian's wasi-libc is not a self-contained sysroot: headers live in /usr/include/wasm32-wasi
// and libraries in /usr/lib/wasm32-wasi, i.e. sysroot /usr. wasi-sdk and some other distros
// ship /usr/share/wasi-sysroot instead.
function findSysroot() {
  const candidates = [process.env.WASI_SYSROOT, "/usr/share/wasi-sysroot", "/usr"].filter(Boolean);
  for (const dir of candidates) {
    if (existsSync(join(dir, "lib/wasm32-wasi/libc.a")) && existsSync(join(dir, "include/wasm32-wasi/stdio.h"))) {
      return dir;
    }
  }
  fail(`no wasi-libc sysroot found (looked in ${candidates.join(", ")}); ${INSTALL_HINT}`);
}

function mtime(p) {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -Infinity;
  }
}

function checkSurface(fixture, wasmPath) {
  const mod = new WebAssembly.Module(readFileSync(wasmPath));
  const exports = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
  const imports = WebAssembly.Module.imports(mod);
  const importNames = new Set(imports.map((i) => `${i.module}.${i.name}`));
  const problems = [];
  for (const e of fixture.exports.required) if (!exports.has(e)) problems.push(`missing export ${e}`);
  for (const e of fixture.exports.forbidden ?? []) if (exports.has(e)) problems.push(`unexpected export ${e}`);
  for (const i of fixture.imports.required) if (!importNames.has(i)) problems.push(`missing import ${i}`);
  for (const i of fixture.imports.forbidden ?? []) if (importNames.has(i)) problems.push(`unexpected import ${i}`);
  for (const i of imports) {
    if (i.kind !== "function") problems.push(`non-function import ${i.module}.${i.name}`);
    if (i.module === "wasi_snapshot_preview1" && !ENVOY_WASI.has(i.name)) {
      problems.push(`import ${i.module}.${i.name} is not provided by Envoy`);
    }
  }
  if (problems.length) fail(`${fixture.name}.wasm has the wrong surface:\n  ${problems.join("\n  ")}`);
}

function main() {
  mkdirSync(outDir, { recursive: true });
  const shared = [join(srcDir, "proxy_wasm.h"), fileURLToPath(import.meta.url)];
  let clang;
  let sysroot;
  for (const fixture of FIXTURES) {
    const src = join(srcDir, `${fixture.name}.c`);
    const out = join(outDir, `${fixture.name}.wasm`);
    const newestInput = Math.max(...[src, ...shared].map(mtime));
    if (!force && mtime(out) > newestInput) {
      checkSurface(fixture, out);
      continue;
    }
    clang ??= findClang();
    sysroot ??= findSysroot();
    const args = [
      "--target=wasm32-wasi",
      `--sysroot=${sysroot}`,
      "-O2",
      "-Wall",
      "-Werror",
      ...fixture.flags,
      "-o",
      out,
      src,
    ];
    const r = spawnSync(clang, args, { encoding: "utf8" });
    if (r.status !== 0) {
      const output = `${r.stdout}${r.stderr}`;
      const hint = /builtins-wasm32|wasi|stdio\.h|crt1/.test(output) ? `\n${INSTALL_HINT}` : "";
      fail(`${clang} ${args.join(" ")}\n${output}${hint}`);
    }
    checkSurface(fixture, out);
    console.log(`build-fixtures: built ${join("host-tests/fixtures/foreign/out", `${fixture.name}.wasm`)}`);
  }
}

main();
