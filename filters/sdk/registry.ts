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
  return factories.has(rootId) ? factories.get(rootId) : null;
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
