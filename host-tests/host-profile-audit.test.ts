// The audit filter (filters/audit) on the host profiles: tested only, as the brief asks.
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import type { ExchangeResult, HostOptions, WasmFilterConfig } from "./harness/api";
import { allRecorded } from "./support/budget";
import { closeProbeHosts, trackedHost } from "./support/probe";

afterEach(closeProbeHosts);

const AUDIT_WASM = join(__dirname, "../dist/audit.wasm");
let seq = 0;
const audit = (config: unknown = {}): WasmFilterConfig => ({ name: "audit", rootId: "audit", vmId: `audit-${++seq}`, code: AUDIT_WASM, configuration: JSON.stringify(config) });
const records = (r: ExchangeResult) => r.logs.filter((l) => l.message.startsWith("TOLLGATE_AUDIT ")).map((l) => JSON.parse(l.message.slice("TOLLGATE_AUDIT ".length)));

async function run(options: HostOptions): Promise<ExchangeResult[]> {
  const h = await trackedHost([audit()], options);
  const out: ExchangeResult[] = [];
  for (const ex of allRecorded()) out.push(await h.exchange(ex));
  return out;
}

describe("audit on the host profiles", () => {
  it("Envoy and Kong: one record per request, chained; no trap", async () => {
    for (const host of ["envoy", "kong"] as const) {
      const results = await run({ host });
      expect(results.every((r) => r.trap === undefined), host).toBe(true);
      const all = results.flatMap(records);
      expect(results.length, host).toBeGreaterThan(40);
      expect(all, host).toHaveLength(results.length);
      expect(all.map((r) => r.seq), host).toEqual(all.map((_, i) => all[0].seq + i));
    }
  }, 120_000);

  it("APISIX: the module links and never traps, but APISIX never calls on_log, so no record is written", async () => {
    const results = await run({ host: "apisix" });
    expect(results.every((r) => r.trap === undefined)).toBe(true);
    expect(results.flatMap(records)).toEqual([]);
  }, 120_000);
});
