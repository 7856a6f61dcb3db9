// The one place the replay/CLI tests choose their host: the real one (host-tests/harness/index.ts).
// The router-only stand-in stays for runner tests that wrap a host to inject faults, and is the
// fallback to flip to (USE_REAL_HOST = false) if the real host is broken and replay work must go on.
import { fileURLToPath } from "node:url";
import type { CreateHost } from "../run";
import { createHost as routerOnly } from "./router-only-host";

export const USE_REAL_HOST = true;

export async function testCreateHost(): Promise<CreateHost> {
  if (!USE_REAL_HOST) return routerOnly;
  const spec = "../../harness/index";
  return ((await import(/* @vite-ignore */ spec)) as { createHost: CreateHost }).createHost;
}

/** TOLLGATE_HOST_MODULE for CLI child processes: unset means the real host. */
export function hostModuleEnv(): Record<string, string> {
  return USE_REAL_HOST ? {} : { TOLLGATE_HOST_MODULE: fileURLToPath(new URL("./router-only-host.ts", import.meta.url)) };
}
