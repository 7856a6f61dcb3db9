// From command-line choices (an Envoy bootstrap, or single .wasm files) to the host's inputs.
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { HostOptions, WasmFilterConfig } from "../harness/api";
import { loadBootstrap, type Bootstrap } from "../harness/bootstrap";
import type { CreateHost } from "./run";

export interface FilterArg {
  file: string;
  rootId?: string;
  vmId?: string;
  /** Passed verbatim as the plugin configuration, as Envoy passes a StringValue. */
  config?: string;
}

export interface ChainChoice {
  chain?: string;
  listener?: string;
  filters?: FilterArg[];
  /** NAME=URL overrides (and additions) for callout clusters. */
  clusters?: Record<string, string>;
  workers?: number;
  logLevel?: number;
}

export interface Chain {
  filters: WasmFilterConfig[];
  hostOptions: HostOptions;
  bootstrap?: Bootstrap;
  /** Human-readable description of the chain for report headers. */
  description: string;
}

export function buildChain(c: ChainChoice): Chain {
  if (c.chain && c.filters?.length) throw new Error("give either --chain or --filter, not both");
  const hostOptions: HostOptions = {};
  if (c.workers !== undefined) hostOptions.workers = c.workers;
  if (c.logLevel !== undefined) hostOptions.logLevel = c.logLevel;
  let filters: WasmFilterConfig[] = [];
  let bootstrap: Bootstrap | undefined;
  let description: string;
  const clusters: Record<string, string> = {};
  if (c.chain) {
    bootstrap = loadBootstrap(c.chain, { listener: c.listener });
    filters = bootstrap.filters;
    if (bootstrap.bufferLimitBytes !== undefined) hostOptions.bufferLimitBytes = bootstrap.bufferLimitBytes;
    if (bootstrap.statsTags.length) hostOptions.statsTags = bootstrap.statsTags;
    for (const cl of Object.values(bootstrap.clusters)) clusters[cl.name] = `${cl.tls ? "https" : cl.http2 ? "h2c" : "http"}://${cl.address}`;
    // Wasm entries appear in bootstrap.filters in chain order: name them by their plugin.
    let wasmIndex = 0;
    const names = bootstrap.httpFilters.map((f) => (f.wasm ? `${filters[wasmIndex++]?.name ?? f.name} (wasm)` : `(${f.name})`));
    description = `${c.chain} listener ${bootstrap.listener}: ${names.join(" → ")}`;
  } else {
    filters = (c.filters ?? []).map((f, i) => {
      const rootId = f.rootId ?? "";
      return { name: rootId || `${basename(f.file, ".wasm")}${i ? `#${i}` : ""}`, rootId, vmId: f.vmId ?? "", code: resolve(f.file), configuration: f.config };
    });
    description = filters.length ? `${filters.map((f) => `${f.name} (${basename(String(f.code))})`).join(" → ")} → router` : "no filters (router only)";
  }
  Object.assign(clusters, c.clusters ?? {});
  if (Object.keys(clusters).length) hostOptions.clusters = clusters;
  return { filters, hostOptions, bootstrap, description };
}

export function parseClusterArg(s: string): [string, string] {
  const eq = s.indexOf("=");
  if (eq <= 0) throw new Error(`--cluster ${s}: expected NAME=URL`);
  const url = s.slice(eq + 1);
  if (!/^(https?|h2c):\/\/[^/]+/.test(url)) throw new Error(`--cluster ${s}: URL must look like http://127.0.0.1:8080 (or h2c:// for gRPC)`);
  return [s.slice(0, eq), url];
}

/**
 * The host implementation. TOLLGATE_HOST_MODULE names another module exporting `createHost`
 * (tests use it to run the CLI against a stand-in while the real host is being written).
 */
export async function loadCreateHost(): Promise<CreateHost> {
  const override = process.env.TOLLGATE_HOST_MODULE;
  const url = override ? pathToFileURL(resolve(override)).href : new URL("../harness/index.ts", import.meta.url).href;
  let mod: { createHost?: CreateHost };
  try {
    mod = await import(url);
  } catch (e) {
    throw new Error(`cannot load the host from ${url}: ${(e as Error).message}`);
  }
  if (typeof mod.createHost !== "function") throw new Error(`${url} does not export createHost`);
  return mod.createHost;
}
