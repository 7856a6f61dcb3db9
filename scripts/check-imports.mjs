#!/usr/bin/env node
// Does a module link in Envoy? Envoy (proxy-wasm-cpp-host on V8) requires every function
// import to exist under that exact module/name with an identical signature, rejects imported
// globals, needs an ABI marker export, malloc and memory, and checks the signature of every
// proxy_on_* export it knows. WebAssembly.Module.imports() gives names only, so the type,
// import, function and export sections are read here directly.
//
//   node scripts/check-imports.mjs [file.wasm ...]   # default: dist/*.wasm
//   import { checkModule, readModule } from "./check-imports.mjs"
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const I32 = "i32";
const I64 = "i64";
const sig = (params, results = [I32]) => ({ params, results });
const i32s = (n) => Array(n).fill(I32);

/** env.* host functions of ABI 0.2.1 as Envoy registers them (digest §1), plus Envoy extras. */
export const ENVOY_ENV = {
  proxy_log: sig(i32s(3)),
  proxy_get_log_level: sig(i32s(1)),
  proxy_get_current_time_nanoseconds: sig(i32s(1)),
  proxy_set_tick_period_milliseconds: sig(i32s(1)),
  proxy_get_buffer_bytes: sig(i32s(5)),
  proxy_get_buffer_status: sig(i32s(3)),
  proxy_set_buffer_bytes: sig(i32s(5)),
  proxy_get_header_map_pairs: sig(i32s(3)),
  proxy_set_header_map_pairs: sig(i32s(3)),
  proxy_get_header_map_size: sig(i32s(2)),
  proxy_get_header_map_value: sig(i32s(5)),
  proxy_add_header_map_value: sig(i32s(5)),
  proxy_replace_header_map_value: sig(i32s(5)),
  proxy_remove_header_map_value: sig(i32s(3)),
  proxy_get_property: sig(i32s(4)),
  proxy_set_property: sig(i32s(4)),
  proxy_continue_stream: sig(i32s(1)),
  proxy_close_stream: sig(i32s(1)),
  proxy_send_local_response: sig(i32s(8)),
  proxy_http_call: sig(i32s(10)),
  proxy_grpc_call: sig(i32s(12)),
  proxy_grpc_stream: sig(i32s(9)),
  proxy_grpc_send: sig(i32s(4)),
  proxy_grpc_cancel: sig(i32s(1)),
  proxy_grpc_close: sig(i32s(1)),
  proxy_get_status: sig(i32s(3)),
  proxy_set_shared_data: sig(i32s(5)),
  proxy_get_shared_data: sig(i32s(5)),
  proxy_register_shared_queue: sig(i32s(3)),
  proxy_resolve_shared_queue: sig(i32s(5)),
  proxy_enqueue_shared_queue: sig(i32s(3)),
  proxy_dequeue_shared_queue: sig(i32s(3)),
  proxy_define_metric: sig(i32s(4)),
  proxy_increment_metric: sig([I32, I64]),
  proxy_record_metric: sig([I32, I64]),
  proxy_get_metric: sig(i32s(2)),
  proxy_set_effective_context: sig(i32s(1)),
  proxy_done: sig([]),
  proxy_call_foreign_function: sig(i32s(6)),
  // Envoy extras
  envoy_resolve_dns: sig(i32s(3)),
  pthread_equal: sig(i32s(2)),
  emscripten_notify_memory_growth: sig(i32s(1), []),
};

/** Known to exist only under ABI 0.1.0: importing one fails to link a 0.2.x module. */
const ABI_0_1_0_ONLY = new Set([
  "proxy_get_configuration", "proxy_continue_request", "proxy_continue_response", "proxy_clear_route_cache",
]);

/** WASI functions Envoy registers under both wasi_snapshot_preview1 and wasi_unstable (§8). */
export const ENVOY_WASI = {
  fd_write: sig(i32s(4)),
  fd_read: sig(i32s(4)),
  fd_seek: sig([I32, I64, I32, I32]),
  fd_close: sig(i32s(1)),
  fd_fdstat_get: sig(i32s(2)),
  fd_fdstat_set_flags: sig(i32s(2)),
  fd_prestat_get: sig(i32s(2)),
  fd_prestat_dir_name: sig(i32s(3)),
  path_open: sig([I32, I32, I32, I32, I32, I64, I64, I32, I32]),
  fd_filestat_get: sig(i32s(2)),
  path_filestat_get: sig(i32s(5)),
  environ_sizes_get: sig(i32s(2)),
  environ_get: sig(i32s(2)),
  args_sizes_get: sig(i32s(2)),
  args_get: sig(i32s(2)),
  clock_time_get: sig([I32, I64, I32]),
  clock_res_get: sig(i32s(2)),
  random_get: sig(i32s(2)),
  sched_yield: sig([]),
  poll_oneoff: sig(i32s(4)),
  proc_exit: sig(i32s(1), []),
};

/** Callbacks Envoy looks up; a wrong signature fails the load ("Bad function signature"). */
export const ENVOY_CALLBACKS = {
  _initialize: sig([], []),
  _start: sig([], []),
  malloc: sig(i32s(1)),
  proxy_on_memory_allocate: sig(i32s(1)),
  proxy_abi_version_0_1_0: sig([], []),
  proxy_abi_version_0_2_0: sig([], []),
  proxy_abi_version_0_2_1: sig([], []),
  proxy_on_context_create: sig(i32s(2), []),
  proxy_on_vm_start: sig(i32s(2)),
  proxy_on_configure: sig(i32s(2)),
  proxy_on_tick: sig(i32s(1), []),
  proxy_on_queue_ready: sig(i32s(2), []),
  proxy_on_foreign_function: sig(i32s(3), []),
  proxy_on_new_connection: sig(i32s(1)),
  proxy_on_downstream_data: sig(i32s(3)),
  proxy_on_upstream_data: sig(i32s(3)),
  proxy_on_downstream_connection_close: sig(i32s(2), []),
  proxy_on_upstream_connection_close: sig(i32s(2), []),
  proxy_on_request_headers: sig(i32s(3)),
  proxy_on_request_body: sig(i32s(3)),
  proxy_on_request_trailers: sig(i32s(2)),
  proxy_on_request_metadata: sig(i32s(2)),
  proxy_on_response_headers: sig(i32s(3)),
  proxy_on_response_body: sig(i32s(3)),
  proxy_on_response_trailers: sig(i32s(2)),
  proxy_on_response_metadata: sig(i32s(2)),
  proxy_on_http_call_response: sig(i32s(5), []),
  proxy_on_grpc_receive_initial_metadata: sig(i32s(3), []),
  proxy_on_grpc_receive: sig(i32s(3), []),
  proxy_on_grpc_receive_trailing_metadata: sig(i32s(3), []),
  proxy_on_grpc_close: sig(i32s(3), []),
  proxy_on_log: sig(i32s(1), []),
  proxy_on_done: sig(i32s(1)),
  proxy_on_delete: sig(i32s(1), []),
  envoy_on_resolve_dns: sig(i32s(3), []),
  envoy_on_stats_update: sig(i32s(2), []),
};

const VALTYPES = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };
const KINDS = ["func", "table", "memory", "global", "tag"];

class Reader {
  constructor(bytes, pos = 0, end = bytes.length) { this.b = bytes; this.pos = pos; this.end = end; }
  byte() {
    if (this.pos >= this.end) throw new Error("truncated module");
    return this.b[this.pos++];
  }
  u32() {
    let result = 0, shift = 0, byte;
    do {
      byte = this.byte();
      result |= (byte & 0x7f) << shift;
      shift += 7;
    } while (byte & 0x80 && shift < 35);
    return result >>> 0;
  }
  name() {
    const len = this.u32();
    if (this.pos + len > this.end) throw new Error("truncated name");
    const s = new TextDecoder().decode(this.b.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }
  limits() {
    const flags = this.byte();
    this.u32();
    if (flags & 1) this.u32();
  }
  valtype() {
    const t = this.byte();
    return VALTYPES[t] ?? `0x${t.toString(16)}`;
  }
}

/** Reads imports and exports with their function signatures. Throws on a malformed module. */
export function readModule(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const r = new Reader(b);
  const magic = [r.byte(), r.byte(), r.byte(), r.byte()];
  if (magic.join() !== "0,97,115,109") throw new Error("not a wasm module");
  r.pos += 4; // version
  const types = [];
  const imports = [];
  const exports = [];
  const funcTypes = []; // type index per function index (imports first)
  let hasStart = false;
  while (r.pos < b.length) {
    const id = r.byte();
    const size = r.u32();
    if (r.pos + size > b.length) throw new Error(`section ${id} runs past the end of the module`);
    const s = new Reader(b, r.pos, r.pos + size);
    if (id === 1) {
      for (let n = s.u32(); n > 0; n--) {
        const form = s.byte();
        if (form !== 0x60) throw new Error(`unsupported type form 0x${form.toString(16)}`);
        const params = [];
        for (let k = s.u32(); k > 0; k--) params.push(s.valtype());
        const results = [];
        for (let k = s.u32(); k > 0; k--) results.push(s.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.u32(); n > 0; n--) {
        const module = s.name();
        const name = s.name();
        const kind = s.byte();
        const imp = { module, name, kind: KINDS[kind] ?? `kind${kind}` };
        if (kind === 0) {
          const t = s.u32();
          imp.type = types[t];
          funcTypes.push(t);
        } else if (kind === 1) { s.byte(); s.limits(); }
        else if (kind === 2) { s.limits(); }
        else if (kind === 3) { s.byte(); s.byte(); }
        else if (kind === 4) { s.byte(); s.u32(); }
        imports.push(imp);
      }
    } else if (id === 3) {
      for (let n = s.u32(); n > 0; n--) funcTypes.push(s.u32());
    } else if (id === 7) {
      for (let n = s.u32(); n > 0; n--) {
        const name = s.name();
        const kind = s.byte();
        const index = s.u32();
        const exp = { name, kind: KINDS[kind] ?? `kind${kind}`, index };
        exports.push(exp);
      }
    } else if (id === 8) {
      hasStart = true;
    }
    r.pos += size;
  }
  for (const e of exports) if (e.kind === "func") e.type = types[funcTypes[e.index]];
  return { imports, exports, hasStart };
}

export function formatSig(t) {
  if (!t) return "(?)";
  return `(${t.params.join(", ")}) -> ${t.results.length ? t.results.join(", ") : "()"}`;
}

const sameSig = (a, b) => a && b && a.params.join() === b.params.join() && a.results.join() === b.results.join();

/** Everything that would stop Envoy from loading these module bytes; [] when it links. */
export function checkModule(bytes) {
  const problems = [];
  let mod;
  try {
    mod = readModule(bytes);
  } catch (e) {
    return [`cannot read module: ${e.message}`];
  }
  for (const imp of mod.imports) {
    const where = `${imp.module}.${imp.name}`;
    if (imp.kind !== "func") {
      problems.push(`import ${where}: a ${imp.kind} import (Envoy links functions only)`);
      continue;
    }
    let expected;
    if (imp.module === "env") {
      expected = ENVOY_ENV[imp.name];
      if (!expected && ABI_0_1_0_ONLY.has(imp.name)) {
        problems.push(`import ${where}: exists only in ABI 0.1.0; fails to link under 0.2.1`);
        continue;
      }
    } else if (imp.module === "wasi_snapshot_preview1" || imp.module === "wasi_unstable") {
      expected = ENVOY_WASI[imp.name];
    }
    if (!expected) {
      problems.push(`import ${where} ${formatSig(imp.type)}: Envoy provides no such function ("missing import")`);
    } else if (!sameSig(expected, imp.type)) {
      problems.push(`import ${where}: signature ${formatSig(imp.type)}, Envoy's is ${formatSig(expected)} ("import type mismatch")`);
    }
  }
  const byName = new Map(mod.exports.map((e) => [e.name, e]));
  const requireFunc = (name) => {
    const e = byName.get(name);
    if (!e) problems.push(`export ${name}: missing`);
    else if (e.kind !== "func") problems.push(`export ${name}: is a ${e.kind}, not a function`);
  };
  requireFunc("proxy_abi_version_0_2_1");
  requireFunc("malloc");
  requireFunc("_initialize");
  const memory = byName.get("memory");
  if (!memory || memory.kind !== "memory") problems.push("export memory: missing");
  for (const e of mod.exports) {
    const expected = ENVOY_CALLBACKS[e.name];
    if (!expected) continue;
    if (e.kind !== "func") problems.push(`export ${e.name}: is a ${e.kind}, not a function`);
    else if (!sameSig(expected, e.type)) {
      problems.push(`export ${e.name}: signature ${formatSig(e.type)}, Envoy expects ${formatSig(expected)} ("Bad function signature")`);
    }
  }
  if (mod.hasStart) problems.push("start section: runs before Envoy has a context; build with --exportStart _initialize");
  return problems;
}

function main(files) {
  const root = join(dirname(fileURLToPath(import.meta.url)), "..");
  if (files.length === 0) {
    const dist = join(root, "dist");
    if (existsSync(dist)) files = readdirSync(dist).filter((f) => f.endsWith(".wasm")).sort().map((f) => join(dist, f));
  }
  if (files.length === 0) {
    console.error("no modules to check (build first: node scripts/build.mjs)");
    process.exit(2);
  }
  let failed = false;
  for (const file of files) {
    const bytes = readFileSync(file);
    const problems = checkModule(bytes);
    console.log(`${problems.length ? "✗" : "✓"} ${file}`);
    try {
      for (const imp of readModule(bytes).imports) console.log(`    import ${imp.module}.${imp.name} ${formatSig(imp.type)}`);
    } catch {}
    for (const p of problems) console.log(`    PROBLEM ${p}`);
    failed ||= problems.length > 0;
  }
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
