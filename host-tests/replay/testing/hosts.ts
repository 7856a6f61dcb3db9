// The one place the replay/CLI tests choose their host. Switch to the real host
// (host-tests/harness/index.ts) by setting USE_REAL_HOST once it exists.
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
