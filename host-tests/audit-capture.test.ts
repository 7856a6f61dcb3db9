// Content capture on every recording: with capture on, each record is schema-valid and its
// captured text is the recording's text — the request's text parts as forwarded, the reply's
// text parts or, for a stream, each channel's deltas joined — with only `[TYPE]` redactions;
// the chain over records that carry text still verifies. Off: `capture` is null.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "./cli/main";
import { allRecorded } from "./support/budget";
import { closeProbeHosts } from "./support/probe";
import {
  chainProblems, expectedRequestCapture, expectedResponseCapture, fullChainHost, isRedactionOf, recordLines, redactions,
  exchangeRecord, type CapturedEntry,
} from "./support/audit";

afterAll(closeProbeHosts);

function sameCapture(got: CapturedEntry[] | null, want: CapturedEntry[], what: string): void {
  expect(got, `${what}: captured`).not.toBeNull();
  if (got === null) return;
  expect(got.map((e) => ({ ...e, text: "" })), what).toEqual(want.map((e) => ({ ...e, text: "" })));
  got.forEach((e, i) => expect(isRedactionOf(e.text, want[i].text), `${what} entry ${i}: ${JSON.stringify(e.text).slice(0, 200)}`).toBe(true));
}

describe("audit capture on every recording", () => {
  it("captures the request as forwarded and the reply (streams joined per channel), redacted, in a verifying chain", async () => {
    const host = await fullChainHost({ audit: { capture: { request: true, response: true, max_bytes: 128 << 10 }, max_record_bytes: 1 << 20 } });
    const all = allRecorded();
    let requests = 0, replies = 0, streams = 0, exact = 0, entries = 0, redacted = 0;
    for (const ex of all) {
      const { r, rec } = await exchangeRecord(host, ex);
      const keys = Object.keys(rec);
      expect(keys.indexOf("capture"), "capture before the chain members").toBe(keys.indexOf("chain") - 1);
      const cap = rec.capture;
      expect(cap, ex.name).not.toBeNull();
      if (rec.provider === null) {
        expect(cap.request, ex.name).toBeNull();
        continue;
      }
      const wantReq = expectedRequestCapture(rec.provider, rec.operation, r.upstreamRequest?.body ?? new Uint8Array());
      expect(wantReq, ex.name).not.toBeNull();
      sameCapture(cap.request, wantReq!, `${ex.name} request`);
      if (cap.request.length > 0) requests++;
      const wantRes = expectedResponseCapture(rec.provider, rec.operation, ex.response.headers, ex.response.body);
      if (wantRes === null) {
        expect(cap.response, `${ex.name}: unreadable reply`).toBeNull();
      } else {
        sameCapture(cap.response, wantRes, `${ex.name} response`);
        if (cap.response.length > 0) replies++;
        if (rec.stream === true && cap.response.length > 0) streams++;
      }
      expect(cap.truncated, ex.name).toBe(false);
      for (const e of [...cap.request, ...(cap.response ?? [])]) {
        entries++;
        const n = redactions(e.text);
        redacted += n;
        if (n === 0) exact++;
      }
    }
    // The recordings cover every dialect: most have text both ways, many are streams.
    expect(requests).toBeGreaterThan(all.length / 2);
    expect(replies).toBeGreaterThan(all.length / 3);
    expect(streams).toBeGreaterThan(10);
    // Ordinary traffic is captured as it is: redactions are rare.
    expect(exact).toBeGreaterThan(entries * 0.9);
    console.log(`capture: ${all.length} exchanges, ${requests} requests and ${replies} replies (${streams} streamed) with text, ${entries} entries, ${redacted} redactions`);
    const lines = recordLines(host.logs);
    expect(lines).toHaveLength(all.length);
    expect(chainProblems(lines)).toEqual([]);
    // `tollgate audit verify` reads them too (schema, sequence, chain), and finds an edited text.
    const dir = mkdtempSync(join(tmpdir(), "audit-capture-"));
    const file = join(dir, "records.ndjson");
    writeFileSync(file, lines.join("\n") + "\n");
    const quiet = { stdout: { write: () => true }, stderr: { write: () => true }, env: {} };
    expect(await main(["audit", "verify", file], quiet)).toBe(0);
    const k = lines.findIndex((l) => JSON.parse(l).capture.request?.length > 0);
    const edited = JSON.parse(lines[k]);
    edited.capture.request[0].text += "!";
    writeFileSync(file, [...lines.slice(0, k), JSON.stringify(edited), ...lines.slice(k + 1)].join("\n") + "\n");
    expect(await main(["audit", "verify", file], quiet)).not.toBe(0);
  });

  it("off by default: capture is null in every record", async () => {
    const host = await fullChainHost();
    for (const ex of allRecorded().slice(0, 5)) await host.exchange(ex);
    const recs = recordLines(host.logs).map((l) => JSON.parse(l));
    expect(recs).toHaveLength(5);
    for (const rec of recs) expect(rec.capture).toBeNull();
  });
});
