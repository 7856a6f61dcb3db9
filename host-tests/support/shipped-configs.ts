// Every Tollgate filter configuration the repository ships, read the way each host reads it, so
// host-tests/shipped-configs.test.ts can validate and replay them all. Three shapes are known:
//
//   - an Envoy bootstrap (static_resources): its wasm http_filters, read by the harness's own
//     bootstrap loader (the same code `npm start` uses);
//   - Envoy Gateway's EnvoyExtensionPolicy (gateway.envoyproxy.io/v1alpha1): spec.wasm[], in list
//     order. Envoy Gateway passes `config` as the JSON text of the object in a StringValue,
//     `failOpen` as fail_open (default false), `rootID` as root_id, and sets vm_id to the
//     extension's generated name ("Do not share VMs across different filters",
//     internal/xds/translator/wasm.go), so each entry gets a VM of its own here too. Its listeners
//     buffer 32 KiB per connection (tcpListenerPerConnectionBufferLimitBytes,
//     internal/xds/translator/listener.go) unless a ClientTrafficPolicy next to the policy sets
//     connection.bufferLimit;
//   - Istio's WasmPlugin (extensions.istio.io/v1alpha1): one filter per resource, ordered by
//     phase (AUTHN, AUTHZ, STATS, then unspecified just before the router) and, within a phase, by
//     priority, highest first (extensions/v1alpha1/wasm.proto). pluginConfig (a Struct) reaches the
//     filter as its JSON text; pluginName is the root id. Istio sets no vm_id of its own choosing
//     for users, so no VM sharing is assumed. Istio has no setting for the listener buffer, so
//     Envoy's default (1 MiB) applies.
//
// The code a shipped config names is mapped to this repo's dist/ module: an Envoy filename under
// /etc/envoy/dist/ (the harness's path map), or the last segment of an HTTP URL or OCI image
// name ("…/tollgate.wasm", "oci://…/tollgate:0.1.0" → dist/tollgate.wasm; a "tollgate-" prefix
// is dropped, so "…/tollgate-audit:0.1.0" → dist/audit.wasm).
//
// Anything that looks like a wasm filter but is not understood is a problem, not skipped: the
// test must fail when a shipped config carries a filter it does not check.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { loadAll } from "js-yaml";
import type { FailurePolicy, HostOptions, WasmFilterConfig } from "../harness/api";
import { buildChain } from "../replay/chain";

export const REPO = resolve(__dirname, "../..");

/** Root ids Tollgate's modules register, and the module files that register them. */
export const MODULE_ROOTS: Record<string, string[]> = {
  tollgate: ["pii-redact", "token-meter", "budget"],
  "pii-redact": ["pii-redact"],
  "token-meter": ["token-meter"],
  budget: ["budget"],
  audit: ["audit"],
};
export const KNOWN_ROOTS = ["pii-redact", "token-meter", "budget", "audit"];

/** Folders whose YAML another test loads with its own host profile (Kong, APISIX). */
const SKIPPED_DIRS = ["examples/kong", "examples/apisix"];
const SEARCHED_DIRS = ["envoy", "examples"];

export type HostKind = "envoy" | "envoy-gateway" | "istio";

export interface ShippedFilter {
  /** Where it is declared, for messages: "file: what". */
  where: string;
  name: string;
  rootId: string;
  /** The dist module it names ("tollgate", "audit", …). */
  module: string;
  /** The plugin configuration as the filter receives it. */
  configuration: string;
  failurePolicy: FailurePolicy;
  config: WasmFilterConfig;
}

export interface ShippedChain {
  /** Repo-relative file. */
  file: string;
  kind: HostKind;
  /** "envoy/envoy.yaml" or "examples/istio/wasmplugins.yaml (WasmPlugin x, y)". */
  label: string;
  filters: ShippedFilter[];
  hostOptions: HostOptions;
}

export interface ShippedFile {
  file: string;
  /** The kinds of document in it: "envoy-bootstrap", "EnvoyExtensionPolicy", "Gateway", "compose", … */
  kinds: string[];
}

export interface Shipped {
  files: ShippedFile[];
  chains: ShippedChain[];
  /** Filters or documents that could not be read as a known shape. */
  problems: string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

export function findShippedYaml(root = REPO): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const rel = relative(root, abs);
      if (name === "node_modules" || name.startsWith(".")) continue;
      if (SKIPPED_DIRS.some((d) => rel === d || rel.startsWith(d + "/"))) continue;
      if (statSync(abs).isDirectory()) walk(abs);
      else if (/\.ya?ml$/.test(name)) out.push(rel);
    }
  };
  for (const d of SEARCHED_DIRS) if (existsSync(join(root, d))) walk(join(root, d));
  return out;
}

/** dist module named by a URL or image reference, or undefined. */
export function moduleOfUrl(url: string): string | undefined {
  let last = url.replace(/[?#].*$/, "").replace(/\/+$/, "").split("/").pop() ?? "";
  last = last.replace(/@sha256:[0-9a-f]+$/, "").replace(/:[^:]*$/, "").replace(/\.wasm$/, "");
  if (last.startsWith("tollgate-")) last = last.slice("tollgate-".length);
  return last in MODULE_ROOTS ? last : undefined;
}

const EG_DEFAULT_BUFFER_LIMIT = 32768;
const ENVOY_DEFAULT_BUFFER_LIMIT = 1 << 20;

/** Kubernetes quantity ("8Mi", "32Ki", "1048576") in bytes, or undefined. */
export function quantityBytes(q: unknown): number | undefined {
  const m = /^(\d+)(Ki|Mi|Gi|k|M|G)?$/.exec(String(q));
  if (!m) return undefined;
  const unit: Record<string, number> = { Ki: 1024, Mi: 1 << 20, Gi: 1 << 30, k: 1e3, M: 1e6, G: 1e9 };
  return Number(m[1]) * (m[2] ? unit[m[2]] : 1);
}

export function loadShipped(root = REPO): Shipped {
  const shipped: Shipped = { files: [], chains: [], problems: [] };
  const bufferLimits = new Map<string, number>();
  for (const file of findShippedYaml(root)) readFile(root, file, shipped, bufferLimits);
  for (const c of shipped.chains) {
    if (c.kind === "envoy-gateway") c.hostOptions.bufferLimitBytes = bufferLimits.get(dirname(c.file)) ?? EG_DEFAULT_BUFFER_LIMIT;
    if (c.kind === "istio") c.hostOptions.bufferLimitBytes = ENVOY_DEFAULT_BUFFER_LIMIT;
  }
  return shipped;
}

function readFile(root: string, file: string, shipped: Shipped, bufferLimits: Map<string, number>) {
  const text = readFileSync(join(root, file), "utf8");
  let docs: unknown[];
  try {
    docs = loadAll(text).filter((d) => d !== null && d !== undefined);
  } catch (e) {
    shipped.problems.push(`${file}: not valid YAML: ${(e as Error).message.split("\n")[0]}`);
    shipped.files.push({ file, kinds: [] });
    return;
  }
  const kinds: string[] = [];
  const eep: Obj[] = [];
  const plugins: Obj[] = [];
  docs.forEach((doc, i) => {
    if (!isObj(doc)) {
      shipped.problems.push(`${file}: document ${i} is not a mapping`);
      return;
    }
    if (isObj(doc.static_resources)) {
      kinds.push("envoy-bootstrap");
      readBootstrap(root, file, shipped);
    } else if (doc.kind === "EnvoyExtensionPolicy") {
      kinds.push("EnvoyExtensionPolicy");
      eep.push(doc);
    } else if (doc.kind === "ClientTrafficPolicy") {
      kinds.push("ClientTrafficPolicy");
      const spec = isObj(doc.spec) ? doc.spec : {};
      const limit = isObj(spec.connection) ? quantityBytes(spec.connection.bufferLimit) : undefined;
      if (limit !== undefined) bufferLimits.set(dirname(file), limit);
    } else if (doc.kind === "WasmPlugin") {
      kinds.push("WasmPlugin");
      plugins.push(doc);
    } else if (typeof doc.kind === "string") {
      kinds.push(String(doc.kind));
      // A resource of another kind must not smuggle in a wasm filter the test would not check
      // (an EnvoyFilter with a wasm patch, an EnvoyPatchPolicy …).
      if (/wasm/i.test(JSON.stringify(doc))) shipped.problems.push(`${file}: ${doc.kind} ${name(doc)} mentions wasm but is not a shape this test reads`);
    } else if (isObj(doc.services)) {
      kinds.push("compose");
    } else {
      kinds.push("other");
      if (/\.wasm\b|envoy\.filters\.http\.wasm/.test(JSON.stringify(doc))) shipped.problems.push(`${file}: document ${i} mentions a wasm filter but is not a shape this test reads`);
    }
  });
  for (const p of eep) readExtensionPolicy(root, file, p, shipped);
  if (plugins.length) readWasmPlugins(root, file, plugins, shipped);
  shipped.files.push({ file, kinds });
}

function name(doc: Obj): string {
  return isObj(doc.metadata) && typeof doc.metadata.name === "string" ? doc.metadata.name : "(unnamed)";
}

function distPath(root: string, module: string): string {
  return join(root, "dist", `${module}.wasm`);
}

function checkRoot(where: string, rootId: string, module: string | undefined, shipped: Shipped): module is string {
  if (!KNOWN_ROOTS.includes(rootId)) {
    shipped.problems.push(`${where}: root id ${JSON.stringify(rootId)} is not a Tollgate filter this test knows (${KNOWN_ROOTS.join(", ")})`);
    return false;
  }
  if (!module) {
    shipped.problems.push(`${where}: the code does not name a Tollgate module (${Object.keys(MODULE_ROOTS).join(", ")})`);
    return false;
  }
  if (!MODULE_ROOTS[module].includes(rootId)) {
    shipped.problems.push(`${where}: module ${module} does not register root id ${rootId} (it has ${MODULE_ROOTS[module].join(", ")})`);
    return false;
  }
  return true;
}

function readBootstrap(root: string, file: string, shipped: Shipped) {
  let chain;
  try {
    chain = buildChain({ chain: join(root, file) });
  } catch (e) {
    shipped.problems.push(`${file}: ${(e as Error).message}`);
    return;
  }
  const filters: ShippedFilter[] = [];
  const dist = join(root, "dist") + "/";
  for (const f of chain.filters) {
    const where = `${file}: wasm filter ${f.name}`;
    const code = typeof f.code === "string" ? f.code : "";
    const module = code.startsWith(dist) ? basename(code, ".wasm") : undefined;
    if (!checkRoot(where, f.rootId, module && module in MODULE_ROOTS ? module : undefined, shipped)) continue;
    if (typeof f.configuration !== "string") {
      shipped.problems.push(`${where}: configuration is not a StringValue`);
      continue;
    }
    filters.push({ where, name: f.name, rootId: f.rootId, module: module!, configuration: f.configuration, failurePolicy: f.failurePolicy ?? "FAIL_CLOSED", config: f });
  }
  shipped.chains.push({ file, kind: "envoy", label: file, filters, hostOptions: chain.hostOptions });
}

function readExtensionPolicy(root: string, file: string, doc: Obj, shipped: Shipped) {
  const policy = `EnvoyExtensionPolicy ${name(doc)}`;
  const spec = isObj(doc.spec) ? doc.spec : {};
  if (!Array.isArray(spec.wasm)) {
    if (spec.wasm !== undefined) shipped.problems.push(`${file}: ${policy}: spec.wasm is not a list`);
    return;
  }
  const filters: ShippedFilter[] = [];
  spec.wasm.forEach((w: unknown, i: number) => {
    const where = `${file}: ${policy} spec.wasm[${i}]`;
    if (!isObj(w)) return void shipped.problems.push(`${where}: not a mapping`);
    const rootId = typeof w.rootID === "string" ? w.rootID : "";
    const code = isObj(w.code) ? w.code : {};
    const src = code.type === "HTTP" ? code.http : code.type === "Image" ? code.image : undefined;
    const url = isObj(src) && typeof src.url === "string" ? src.url : "";
    if (!url) return void shipped.problems.push(`${where}: code.type must be HTTP (code.http.url) or Image (code.image.url)`);
    const module = moduleOfUrl(url);
    if (!checkRoot(where, rootId, module, shipped)) return;
    // Envoy Gateway's CRD pattern for a checksum; anything else is refused at apply time.
    if (isObj(src) && src.sha256 !== undefined && !/^[a-f0-9]{64}$/.test(String(src.sha256))) shipped.problems.push(`${where}: sha256 must be 64 lowercase hex characters`);
    const wasmName = typeof w.name === "string" ? w.name : `${name(doc)}-${i}`;
    const configuration = w.config === undefined ? "" : JSON.stringify(w.config);
    const failurePolicy: FailurePolicy = w.failOpen === true ? "FAIL_OPEN" : "FAIL_CLOSED";
    const config: WasmFilterConfig = { name: wasmName, rootId, vmId: wasmName, code: distPath(root, module!), configuration, failurePolicy };
    filters.push({ where, name: wasmName, rootId, module: module!, configuration, failurePolicy, config });
  });
  shipped.chains.push({ file, kind: "envoy-gateway", label: `${file} (${policy})`, filters, hostOptions: {} });
}

const PHASES = ["AUTHN", "AUTHZ", "STATS", "UNSPECIFIED_PHASE"];
const FAIL: Record<string, FailurePolicy> = { FAIL_CLOSE: "FAIL_CLOSED", FAIL_OPEN: "FAIL_OPEN", FAIL_RELOAD: "FAIL_RELOAD" };

function readWasmPlugins(root: string, file: string, docs: Obj[], shipped: Shipped) {
  const entries: Array<{ phase: number; priority: number; name: string; filter: ShippedFilter }> = [];
  for (const doc of docs) {
    const where = `${file}: WasmPlugin ${name(doc)}`;
    const spec = isObj(doc.spec) ? doc.spec : {};
    const url = typeof spec.url === "string" ? spec.url : "";
    const rootId = typeof spec.pluginName === "string" ? spec.pluginName : "";
    const module = moduleOfUrl(url);
    if (!checkRoot(where, rootId, module, shipped)) continue;
    if (spec.sha256 !== undefined && !/^[a-f0-9]{64}$/.test(String(spec.sha256))) shipped.problems.push(`${where}: sha256 must be 64 lowercase hex characters`);
    const phase = PHASES.indexOf(typeof spec.phase === "string" ? spec.phase : "UNSPECIFIED_PHASE");
    if (phase < 0) {
      shipped.problems.push(`${where}: unknown phase ${JSON.stringify(spec.phase)}`);
      continue;
    }
    const failurePolicy = FAIL[typeof spec.failStrategy === "string" ? spec.failStrategy : "FAIL_CLOSE"];
    if (!failurePolicy) {
      shipped.problems.push(`${where}: unknown failStrategy ${JSON.stringify(spec.failStrategy)}`);
      continue;
    }
    const configuration = spec.pluginConfig === undefined ? "" : JSON.stringify(spec.pluginConfig);
    const config: WasmFilterConfig = { name: name(doc), rootId, vmId: name(doc), code: distPath(root, module!), configuration, failurePolicy };
    entries.push({ phase, priority: typeof spec.priority === "number" ? spec.priority : 0, name: name(doc), filter: { where, name: name(doc), rootId, module: module!, configuration, failurePolicy, config } });
  }
  entries.sort((a, b) => a.phase - b.phase || b.priority - a.priority || a.name.localeCompare(b.name));
  const filters = entries.map((e) => e.filter);
  shipped.chains.push({ file, kind: "istio", label: `${file} (WasmPlugin ${filters.map((f) => f.name).join(", ")})`, filters, hostOptions: {} });
}
