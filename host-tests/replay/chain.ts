// From command-line choices (an Envoy bootstrap, or single .wasm files) to the host's inputs.
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { HostOptions, WasmFilterConfig } from "../harness/api";
import { loadBootstrap, type Bootstrap } from "../harness/bootstrap";
import type { CreateHost } from "./run";
import { apisixHarnessFilters, apisixRoutes } from "../support/host-configs-apisix";
import { kongChains, kongHarnessFilters } from "../support/host-configs-kong";

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
  /** The proxy-wasm host to reproduce; with kong/apisix, --chain is that gateway's own file. */
  host?: "envoy" | "kong" | "apisix";
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
  if (c.host && c.host !== "envoy") {
    hostOptions.host = c.host;
    if (c.chain) return gatewayChain(c, hostOptions);
  }
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
  if (hostOptions.host) description += ` on the ${hostOptions.host} profile`;
  Object.assign(clusters, c.clusters ?? {});
  if (Object.keys(clusters).length) hostOptions.clusters = clusters;
  return { filters, hostOptions, bootstrap, description };
}

/**
 * --chain with --host kong: a Kong declarative file's filter chain (--listener picks one by name);
 * with --host apisix: an APISIX routes file, its wasm plugins read from config.yaml beside it
 * (--listener picks a route by id). host-tests/support/host-configs-*.ts do the reading.
 */
function gatewayChain(c: ChainChoice, hostOptions: HostOptions): Chain {
  const file = resolve(c.chain!);
  let names: string[];
  let filters: WasmFilterConfig[];
  if (c.host === "kong") {
    const chains = kongChains(file);
    const chain = c.listener ? chains.find((x) => x.chain === c.listener) : chains[0];
    if (!chain) throw new Error(`${c.chain}: no filter chain${c.listener ? ` named ${c.listener}` : ""} (have: ${chains.map((x) => x.chain).join(", ")})`);
    filters = kongHarnessFilters(chain);
    names = [`service ${chain.service}, chain ${chain.chain}`];
  } else {
    const routes = apisixRoutes(file, join(dirname(file), "config.yaml"));
    const route = c.listener ? routes.find((x) => x.id === c.listener) : routes[0];
    if (!route) throw new Error(`${c.chain}: no route${c.listener ? ` with id ${c.listener}` : ""} (have: ${routes.map((x) => x.id).join(", ")})`);
    filters = apisixHarnessFilters(route);
    names = [`route ${route.id}`];
  }
  if (c.clusters && Object.keys(c.clusters).length) hostOptions.clusters = { ...c.clusters };
  const description = `${c.chain} (${c.host}) ${names.join("")}: ${filters.map((f) => f.name).join(" → ")} → upstream`;
  return { filters, hostOptions, description };
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
