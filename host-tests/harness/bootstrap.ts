// Reads an Envoy v3 bootstrap and returns what the harness needs to run the same chain:
// the wasm entries of one listener's http_filters, the clusters callouts may name, and the
// buffer limit. The config that is tested is the config that ships (DESIGN.md, principle 6).
//
// Paths of `vm_config.code.local.filename`:
//   - relative paths are resolved against the directory of the YAML file (Envoy itself would use
//     its working directory, which is not known here; the YAML's folder is the stable choice);
//   - absolute paths are rewritten by `pathMap` (longest prefix first); the default maps Envoy's
//     container path `/etc/envoy/dist/` to `<repo>/dist/`, where <repo> is the nearest folder
//     above the YAML that holds a package.json (above the working directory if the YAML is
//     outside any package);
//   - the result is not required to exist (the module may not be built yet); `createHost` reports
//     a missing file when it loads it.
//
// Configuration Anys: a StringValue gives its string and a BytesValue its (base64) bytes, as in
// Envoy. Any other type gives its raw `value`: a string value is used as is, anything else as
// its JSON text, and a warning is added, because Envoy would hand the filter the protobuf
// encoding of Any.value, which cannot be reproduced here (put JSON in a StringValue instead).
import { readFileSync, existsSync } from "node:fs";
import { dirname, resolve, join } from "node:path";
import { load as loadYaml } from "js-yaml";
import type { FailurePolicy, WasmFilterConfig } from "./api";

const HCM_TYPE = "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const WASM_TYPE = "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm";
const STRING_VALUE = "type.googleapis.com/google.protobuf.StringValue";
const BYTES_VALUE = "type.googleapis.com/google.protobuf.BytesValue";
const ROUTER = "envoy.filters.http.router";
const ROUTER_TYPE = "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router";

export class BootstrapError extends Error {
  constructor(
    readonly file: string,
    readonly yamlPath: string,
    detail: string,
  ) {
    super(`${file}: ${yamlPath ? yamlPath + ": " : ""}${detail}`);
    this.name = "BootstrapError";
  }
}

export interface BootstrapOptions {
  /** Listener name; default the first listener that has an HTTP connection manager. */
  listener?: string;
  /** Absolute path prefix -> local folder, for code filenames. Replaces the default map. */
  pathMap?: Record<string, string>;
  /** Environment used for `host_env_keys`; default process.env. */
  env?: Record<string, string | undefined>;
}

export interface HttpFilterEntry {
  name: string;
  /** typed_config @type, if any. */
  type?: string;
  /** True for envoy.filters.http.wasm entries (run by the harness); others are reported only. */
  wasm: boolean;
}

export interface Cluster {
  name: string;
  /** "host:port" of the first endpoint. */
  address: string;
  /** The cluster has a TLS transport socket. */
  tls: boolean;
  /** The cluster speaks HTTP/2 upstream (gRPC services). */
  http2: boolean;
}

export interface Bootstrap {
  file: string;
  listener: string;
  /** The wasm filters, in chain order. */
  filters: WasmFilterConfig[];
  /** Every http_filter in order, wasm or not. */
  httpFilters: HttpFilterEntry[];
  /** Names of the non-wasm filters (not run by the harness), router included. */
  skipped: string[];
  clusters: Record<string, Cluster>;
  /** stats_config.stats_tags: how Envoy turns `key=.value;` parts of stat names into labels. */
  statsTags: Array<{ tagName: string; regex: string }>;
  /** Listener per_connection_buffer_limit_bytes, if set. */
  bufferLimitBytes?: number;
  warnings: string[];
}

type Obj = Record<string, unknown>;

export function findRepoRoot(from: string): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export function defaultPathMap(yamlFile: string): Record<string, string> {
  const root = findRepoRoot(dirname(resolve(yamlFile))) ?? findRepoRoot(process.cwd());
  return root ? { "/etc/envoy/dist/": join(root, "dist") + "/" } : {};
}

export function loadBootstrap(file: string, options: BootstrapOptions = {}): Bootstrap {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new BootstrapError(file, "", `cannot read: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = loadYaml(text);
  } catch (e) {
    throw new BootstrapError(file, "", `not valid YAML: ${(e as Error).message}`);
  }
  return parseBootstrap(doc, file, options);
}

export function parseBootstrap(doc: unknown, file: string, options: BootstrapOptions = {}): Bootstrap {
  const p = new Parser(file);
  const root = p.obj(doc, "");
  const sr = p.obj(root.static_resources, "static_resources");
  const listeners = p.arr(sr.listeners, "static_resources.listeners");
  const warnings: string[] = [];

  let chosen: { l: Obj; at: string; hcm: Obj; hcmAt: string } | undefined;
  const names: string[] = [];
  listeners.forEach((raw, i) => {
    const at = `static_resources.listeners[${i}]`;
    const l = p.obj(raw, at);
    const name = typeof l.name === "string" ? l.name : `#${i}`;
    names.push(name);
    if (chosen || (options.listener !== undefined && name !== options.listener)) return;
    const hcm = findHcm(p, l, at);
    if (hcm) chosen = { l, at, ...hcm };
  });
  if (!chosen) {
    const what = options.listener !== undefined ? `listener "${options.listener}" with an HTTP connection manager` : "listener with an HTTP connection manager";
    throw new BootstrapError(file, "static_resources.listeners", `no ${what} (listeners: ${names.join(", ") || "none"})`);
  }

  const { l, at, hcm, hcmAt } = chosen;
  const filtersAt = `${hcmAt}.http_filters`;
  const list = p.arr(hcm.http_filters, filtersAt);
  const httpFilters: HttpFilterEntry[] = [];
  const filters: WasmFilterConfig[] = [];
  const skipped: string[] = [];
  const pathMap = options.pathMap ?? defaultPathMap(file);
  const env = options.env ?? process.env;

  list.forEach((raw, i) => {
    const fAt = `${filtersAt}[${i}]`;
    const f = p.obj(raw, fAt);
    const name = p.str(f.name, `${fAt}.name`);
    const tc = f.typed_config === undefined ? undefined : p.obj(f.typed_config, `${fAt}.typed_config`);
    const type = tc && typeof tc["@type"] === "string" ? (tc["@type"] as string) : undefined;
    const isWasm = type === WASM_TYPE || (type === undefined && name === "envoy.filters.http.wasm");
    httpFilters.push({ name, type, wasm: isWasm });
    if (!isWasm) {
      skipped.push(name);
      return;
    }
    if (!tc) throw new BootstrapError(file, `${fAt}.typed_config`, "a wasm filter needs a typed_config with a config");
    filters.push(wasmFilter(p, tc, `${fAt}.typed_config`, dirname(resolve(file)), pathMap, env, warnings));
  });

  const isRouter = (e: HttpFilterEntry) => e.name === ROUTER || e.type === ROUTER_TYPE;
  const routerIdx = httpFilters.findIndex(isRouter);
  if (routerIdx < 0) throw new BootstrapError(file, filtersAt, `the chain must end with ${ROUTER}`);
  if (routerIdx !== httpFilters.length - 1)
    throw new BootstrapError(file, `${filtersAt}[${routerIdx}]`, `${ROUTER} must be the last http filter (found ${httpFilters.slice(routerIdx + 1).map((e) => e.name).join(", ")} after it)`);

  const seen = new Set<string>();
  for (const f of filters) {
    if (seen.has(f.name)) warnings.push(`two wasm filters are named "${f.name}": their logs and stats will be indistinguishable`);
    seen.add(f.name);
  }

  let bufferLimitBytes: number | undefined;
  if (l.per_connection_buffer_limit_bytes !== undefined) bufferLimitBytes = p.uint(l.per_connection_buffer_limit_bytes, `${at}.per_connection_buffer_limit_bytes`);

  const clusters: Record<string, Cluster> = {};
  if (sr.clusters !== undefined) {
    p.arr(sr.clusters, "static_resources.clusters").forEach((raw, i) => {
      const cAt = `static_resources.clusters[${i}]`;
      const c = p.obj(raw, cAt);
      const name = p.str(c.name, `${cAt}.name`);
      const address = clusterAddress(p, c, cAt);
      if (address === undefined) {
        warnings.push(`${cAt} (${name}): no socket_address endpoint; callouts to it cannot be mapped`);
        return;
      }
      const tls = isObj(c.transport_socket) && /tls/.test(String(c.transport_socket.name ?? (c.transport_socket.typed_config as Obj | undefined)?.["@type"] ?? ""));
      const http2 = c.http2_protocol_options !== undefined || JSON.stringify(c.typed_extension_protocol_options ?? {}).includes("http2_protocol_options");
      clusters[name] = { name, address, tls, http2 };
    });
  }

  const statsTags: Array<{ tagName: string; regex: string }> = [];
  const sc = (doc as Record<string, any>).stats_config;
  if (sc?.stats_tags !== undefined) {
    p.arr(sc.stats_tags, "stats_config.stats_tags").forEach((t, i) => {
      const tAt = `stats_config.stats_tags[${i}]`;
      const tag = t as Record<string, unknown>;
      // Tags with fixed_value carry no regex; they label every stat alike and are not modelled.
      if (typeof tag?.regex !== "string") return;
      if (typeof tag.tag_name !== "string") throw new BootstrapError(file, `${tAt}.tag_name`, "expected a string");
      statsTags.push({ tagName: tag.tag_name, regex: tag.regex });
    });
  }
  return { file, listener: String(l.name ?? names[0]), filters, httpFilters, skipped, clusters, statsTags, bufferLimitBytes, warnings };
}

function findHcm(p: Parser, l: Obj, at: string): { hcm: Obj; hcmAt: string } | undefined {
  if (l.filter_chains === undefined) return undefined;
  const chains = p.arr(l.filter_chains, `${at}.filter_chains`);
  for (let c = 0; c < chains.length; c++) {
    const chain = p.obj(chains[c], `${at}.filter_chains[${c}]`);
    if (chain.filters === undefined) continue;
    const nf = p.arr(chain.filters, `${at}.filter_chains[${c}].filters`);
    for (let i = 0; i < nf.length; i++) {
      const fAt = `${at}.filter_chains[${c}].filters[${i}]`;
      const f = p.obj(nf[i], fAt);
      const tc = isObj(f.typed_config) ? f.typed_config : undefined;
      if (f.name === "envoy.filters.network.http_connection_manager" || tc?.["@type"] === HCM_TYPE) {
        return { hcm: p.obj(f.typed_config, `${fAt}.typed_config`), hcmAt: `${fAt}.typed_config` };
      }
    }
  }
  return undefined;
}

function wasmFilter(p: Parser, tc: Obj, at: string, baseDir: string, pathMap: Record<string, string>, env: Record<string, string | undefined>, warnings: string[]): WasmFilterConfig {
  const cAt = `${at}.config`;
  const config = p.obj(tc.config, cAt);
  const vmAt = `${cAt}.vm_config`;
  const vm = p.obj(config.vm_config, vmAt);
  const rootId = config.root_id === undefined ? "" : p.str(config.root_id, `${cAt}.root_id`);
  const name = config.name === undefined ? rootId : p.str(config.name, `${cAt}.name`);
  const vmId = vm.vm_id === undefined ? "" : p.str(vm.vm_id, `${vmAt}.vm_id`);
  if (vm.runtime !== undefined) {
    const runtime = p.str(vm.runtime, `${vmAt}.runtime`);
    if (runtime !== "envoy.wasm.runtime.v8") warnings.push(`${vmAt}.runtime: ${runtime}; the harness runs every module on V8`);
  }

  const codeAt = `${vmAt}.code`;
  const code = p.obj(vm.code, codeAt);
  if (code.remote !== undefined) throw new BootstrapError(p.file, `${codeAt}.remote`, "remote code is not supported by the harness; use code.local");
  const local = p.obj(code.local, `${codeAt}.local`);
  let bytesOrPath: Uint8Array | string;
  if (typeof local.filename === "string") bytesOrPath = mapPath(local.filename, baseDir, pathMap);
  else if (typeof local.inline_string === "string") bytesOrPath = new TextEncoder().encode(local.inline_string);
  else if (typeof local.inline_bytes === "string") bytesOrPath = base64(p, local.inline_bytes, `${codeAt}.local.inline_bytes`);
  else throw new BootstrapError(p.file, `${codeAt}.local`, "expected one of filename, inline_string, inline_bytes");

  const out: WasmFilterConfig = { name, rootId, vmId, code: bytesOrPath };
  if (config.configuration !== undefined) out.configuration = anyValue(p, config.configuration, `${cAt}.configuration`, warnings);
  if (vm.configuration !== undefined) out.vmConfiguration = anyValue(p, vm.configuration, `${vmAt}.configuration`, warnings);

  if (config.fail_open !== undefined && config.failure_policy !== undefined)
    throw new BootstrapError(p.file, cAt, "fail_open and failure_policy are mutually exclusive");
  if (config.fail_open !== undefined) {
    if (typeof config.fail_open !== "boolean") throw new BootstrapError(p.file, `${cAt}.fail_open`, "expected a boolean");
    out.failurePolicy = config.fail_open ? "FAIL_OPEN" : "FAIL_CLOSED";
  } else if (config.failure_policy !== undefined) {
    const fp = p.str(config.failure_policy, `${cAt}.failure_policy`);
    const allowed: FailurePolicy[] = ["FAIL_CLOSED", "FAIL_OPEN", "FAIL_RELOAD"];
    if (fp === "UNSPECIFIED") out.failurePolicy = "FAIL_CLOSED";
    else if ((allowed as string[]).includes(fp)) out.failurePolicy = fp as FailurePolicy;
    else throw new BootstrapError(p.file, `${cAt}.failure_policy`, `expected one of ${allowed.join(", ")}, got "${fp}"`);
  }
  if (config.allow_on_headers_stop_iteration !== undefined) {
    if (typeof config.allow_on_headers_stop_iteration !== "boolean") throw new BootstrapError(p.file, `${cAt}.allow_on_headers_stop_iteration`, "expected a boolean");
    out.allowOnHeadersStopIteration = config.allow_on_headers_stop_iteration;
  }

  if (vm.environment_variables !== undefined) {
    const evAt = `${vmAt}.environment_variables`;
    const ev = p.obj(vm.environment_variables, evAt);
    const vars: Record<string, string> = {};
    if (ev.host_env_keys !== undefined) {
      for (const [i, k] of p.arr(ev.host_env_keys, `${evAt}.host_env_keys`).entries()) {
        const key = p.str(k, `${evAt}.host_env_keys[${i}]`);
        // Envoy skips keys absent from its own environment.
        if (env[key] !== undefined) vars[key] = env[key] as string;
      }
    }
    if (ev.key_values !== undefined) {
      for (const [k, v] of Object.entries(p.obj(ev.key_values, `${evAt}.key_values`))) {
        vars[k] = typeof v === "string" ? v : String(v);
      }
    }
    out.environmentVariables = vars;
  }
  return out;
}

function anyValue(p: Parser, raw: unknown, at: string, warnings: string[]): string | Uint8Array {
  const any = p.obj(raw, at);
  const type = p.str(any["@type"], `${at}.@type`);
  if (type === STRING_VALUE) {
    if (any.value === undefined) return "";
    return p.str(any.value, `${at}.value`);
  }
  if (type === BYTES_VALUE) return any.value === undefined ? new Uint8Array(0) : base64(p, any.value, `${at}.value`);
  warnings.push(`${at}: @type ${type} is not a StringValue; Envoy passes the protobuf bytes of Any.value, the harness passes ${typeof any.value === "string" ? "the value string" : "the value as JSON"}`);
  if (typeof any.value === "string") return any.value;
  const { ["@type"]: _t, ...rest } = any;
  return JSON.stringify(any.value !== undefined ? any.value : rest);
}

function mapPath(filename: string, baseDir: string, pathMap: Record<string, string>): string {
  if (!filename.startsWith("/")) return resolve(baseDir, filename);
  const prefixes = Object.keys(pathMap).sort((a, b) => b.length - a.length);
  for (const prefix of prefixes) {
    if (filename.startsWith(prefix)) return resolve(pathMap[prefix], filename.slice(prefix.length));
  }
  return filename;
}

function base64(p: Parser, v: unknown, at: string): Uint8Array {
  const s = p.str(v, at);
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s.replace(/\s+/g, ""))) throw new BootstrapError(p.file, at, "expected base64 bytes");
  return new Uint8Array(Buffer.from(s, "base64"));
}

function clusterAddress(p: Parser, c: Obj, at: string): string | undefined {
  const la = c.load_assignment;
  if (!isObj(la) || !Array.isArray(la.endpoints)) return undefined;
  for (const ep of la.endpoints) {
    if (!isObj(ep) || !Array.isArray(ep.lb_endpoints)) continue;
    for (const lb of ep.lb_endpoints) {
      const sa = isObj(lb) && isObj(lb.endpoint) && isObj(lb.endpoint.address) ? lb.endpoint.address.socket_address : undefined;
      if (isObj(sa) && typeof sa.address === "string") {
        const port = sa.port_value === undefined ? 0 : p.uint(sa.port_value, `${at}.load_assignment...socket_address.port_value`);
        return sa.address.includes(":") ? `[${sa.address}]:${port}` : `${sa.address}:${port}`;
      }
    }
  }
  return undefined;
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

class Parser {
  constructor(readonly file: string) {}
  obj(v: unknown, at: string): Obj {
    if (!isObj(v)) throw new BootstrapError(this.file, at || "(document)", v === undefined ? "missing" : `expected a mapping, got ${kind(v)}`);
    return v;
  }
  arr(v: unknown, at: string): unknown[] {
    if (!Array.isArray(v)) throw new BootstrapError(this.file, at, v === undefined ? "missing" : `expected a list, got ${kind(v)}`);
    return v;
  }
  str(v: unknown, at: string): string {
    if (typeof v !== "string") throw new BootstrapError(this.file, at, v === undefined ? "missing" : `expected a string, got ${kind(v)}`);
    return v;
  }
  uint(v: unknown, at: string): number {
    // Protobuf JSON allows 64-bit integers as strings.
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0) throw new BootstrapError(this.file, at, `expected a non-negative integer, got ${kind(v)}`);
    return n;
  }
}

function kind(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `${typeof v} ${JSON.stringify(v)}`;
}
