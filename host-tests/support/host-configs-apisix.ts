// examples/apisix as harness filter configs: the wasm plugins of config.yaml, ordered by
// priority (highest first, as APISIX runs them), each route's `conf` for them, and the module
// dist/<plugin name>.wasm. APISIX answers plugin_root_id with the plugin's name.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { load } from "js-yaml";
import type { WasmFilterConfig } from "../harness/api";

// import.meta.url, not __dirname: the CLI (scripts/tollgate.mjs) loads this file as an ES module.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const APISIX_CONFIG = join(ROOT, "examples/apisix/config.yaml");
export const APISIX_ROUTES = join(ROOT, "examples/apisix/apisix.yaml");

export interface ApisixPlugin { name: string; priority: number; file: string }
export interface ApisixRoute { id: string; uri: string; filters: Array<{ name: string; config: unknown }> }

export function apisixWasmPlugins(file = APISIX_CONFIG): ApisixPlugin[] {
  const doc = load(readFileSync(file, "utf8")) as { wasm?: { plugins?: ApisixPlugin[] } };
  return [...(doc.wasm?.plugins ?? [])].sort((a, b) => b.priority - a.priority);
}

/** Each route's wasm plugins in execution order, `conf` parsed (a string, or an object APISIX encodes). */
export function apisixRoutes(routesFile = APISIX_ROUTES, configFile = APISIX_CONFIG): ApisixRoute[] {
  const plugins = apisixWasmPlugins(configFile);
  const doc = load(readFileSync(routesFile, "utf8")) as { routes?: Array<{ id: string; uri: string; plugins?: Record<string, { conf?: unknown }> }> };
  return (doc.routes ?? []).map((r) => ({
    id: r.id,
    uri: r.uri,
    filters: plugins
      .filter((p) => r.plugins?.[p.name] !== undefined)
      .map((p) => {
        const conf = r.plugins![p.name].conf;
        return { name: p.name, config: typeof conf === "string" ? JSON.parse(conf) : (conf ?? {}) };
      }),
  }));
}

export function apisixHarnessFilters(route: ApisixRoute): WasmFilterConfig[] {
  return route.filters.map((f) => ({
    name: f.name,
    rootId: f.name,
    vmId: f.name,
    code: join(ROOT, "dist", `${f.name}.wasm`),
    configuration: JSON.stringify(f.config),
  }));
}
