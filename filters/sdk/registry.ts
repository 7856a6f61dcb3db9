// Which root class serves which root_id. Envoy does not dispatch on root_id: several plugins
// can share one VM, each gets a root context, and the SDK picks the class by reading
// `plugin_root_id` when the root is created.
import { RootContext } from "./context";

export type RootFactory = (contextId: u32) => RootContext;

const factories = new Map<string, RootFactory>();

/** Call at module top level (runs in _initialize): registerRootContext("x", (id) => new X(id)). */
export function registerRootContext(rootId: string, factory: RootFactory): void {
  factories.set(rootId, factory);
}

export function findRootFactory(rootId: string): RootFactory | null {
  if (factories.has(rootId)) return factories.get(rootId);
  // Kong's ngx_wasm_module answers plugin_root_id with its numeric root context id
  // (ngx_proxy_wasm_properties.c get_filter_root_id), which can name no registered root: a
  // module with a single root serves it. A name Envoy was given stays an error.
  if (factories.size == 1 && isDecimal(rootId)) return factories.values()[0];
  return null;
}

function isDecimal(s: string): bool {
  if (s.length == 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

export function registeredRootIds(): string {
  const keys = factories.keys();
  let out = "";
  for (let i = 0; i < keys.length; i++) {
    if (i > 0) out += ", ";
    out += "\"" + unchecked(keys[i]) + "\"";
  }
  return out;
}
