// The audit filter behind the whole chain on every recorded exchange: one schema-valid,
// canonical, chained record per request, with the outcome the exchange had.
import { afterAll, describe, expect, it } from "vitest";
import { allRecorded } from "./support/budget";
import { closeProbeHosts } from "./support/probe";
import { chainProblems, fullChainHost, recordLines, validateRecord } from "./support/audit";

afterAll(closeProbeHosts);

describe("audit on every recording", () => {
  it("writes exactly one schema-valid record per request, with the exchange's outcome, in one verifying chain", async () => {
    const host = await fullChainHost();
    const all = allRecorded();
    expect(all.length).toBeGreaterThan(40);
    for (const ex of all) {
      const before = recordLines(host.logs).length;
      const r = await host.exchange(ex);
      expect(r.trap, ex.name).toBeUndefined();
      const lines = recordLines(host.logs).slice(before);
      expect(lines, ex.name).toHaveLength(1);
      const rec = JSON.parse(lines[0]);
      expect(validateRecord(rec), `${ex.name}: ${JSON.stringify(validateRecord.errors)}`).toBe(true);
      expect(JSON.stringify(rec), "canonical").toBe(lines[0]);
      const status = r.downstreamResponse?.status ?? r.localReply?.status;
      expect(rec.status, ex.name).toBe(status);
      expect(rec.outcome, ex.name).toBe(status! >= 400 ? "upstream_error" : "completed");
      expect(rec.method).toBe(ex.request.method);
      expect(rec.path).toBe(ex.request.path.split("?")[0]);
      expect(rec.provider, ex.name).toBe(new TextDecoder().decode(r.filterState["tollgate.provider"]));
    }
    const lines = recordLines(host.logs);
    expect(lines).toHaveLength(all.length);
    expect(chainProblems(lines)).toEqual([]);
  });
});
