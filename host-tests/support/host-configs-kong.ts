// The filter chains of examples/kong/kong.yaml as harness filter configs: one per filter, in
// chain order, the module being dist/<filter name>.wasm (Kong finds a filter by its file name
// in wasm_filters_path) and the root id the filter name (see the Kong profile's plugin_root_id).
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { load } from "js-yaml";
import type { WasmFilterConfig } from "../harness/api";

// import.meta.url, not __dirname: the CLI (scripts/tollgate.mjs) loads this file as an ES module.
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const KONG_EXAMPLE = join(ROOT, "examples/kong/kong.yaml");

export interface KongChain {
  service: string;
  chain: string;
  filters: Array<{ name: string; config: unknown }>;
}

interface KongFilter { name: string; config?: string; enabled?: boolean }
interface KongDoc { services?: Array<{ name: string; filter_chains?: Array<{ name: string; enabled?: boolean; filters: KongFilter[] }> }> }

/** Every enabled filter chain of the file, its filters' configs parsed from their JSON strings. */
export function kongChains(file = KONG_EXAMPLE): KongChain[] {
  const doc = load(readFileSync(file, "utf8")) as KongDoc;
  const out: KongChain[] = [];
  for (const s of doc.services ?? []) {
    for (const c of s.filter_chains ?? []) {
      if (c.enabled === false) continue;
      const filters = c.filters.filter((f) => f.enabled !== false).map((f) => ({ name: f.name, config: f.config === undefined ? {} : JSON.parse(f.config) }));
      out.push({ service: s.name, chain: c.name, filters });
    }
  }
  return out;
}

export function kongHarnessFilters(chain: KongChain): WasmFilterConfig[] {
  return chain.filters.map((f) => ({
    name: f.name,
    rootId: f.name,
    vmId: f.name,
    code: join(ROOT, "dist", `${f.name}.wasm`),
    configuration: JSON.stringify(f.config),
  }));
}
