// The audit filter behind the whole chain on every recorded exchange: one schema-valid,
// canonical, chained record per request, with the outcome the exchange had.
import { afterAll, describe, expect, it } from "vitest";
import { allRecorded } from "./support/budget";
import { closeProbeHosts } from "./support/probe";
import { chainProblems, exchangeRecord, fullChainHost, recordLines } from "./support/audit";

afterAll(closeProbeHosts);

describe("audit on every recording", () => {
  it("writes exactly one schema-valid record per request, with the exchange's outcome, in one verifying chain", async () => {
    const host = await fullChainHost();
    const all = allRecorded();
    expect(all.length).toBeGreaterThan(40);
    for (const ex of all) {
      const { r, line, rec } = await exchangeRecord(host, ex);
      expect(JSON.stringify(rec), "canonical").toBe(line);
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
