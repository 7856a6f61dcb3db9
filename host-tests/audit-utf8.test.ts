// Invalid UTF-8 reaching a record (CHAIN.md: replaced by U+FFFD so every record is valid UTF-8
// and has a canonical form): one U+FFFD per maximal ill-formed subpart, exactly as JavaScript's
// TextDecoder reads the same bytes. The bytes come in as raw filter state from a stand-in filter
// (the harness carries header values as UTF-8 text, so traffic cannot carry them here).
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { recorded } from "./support/budget";
import { closeProbeHosts, probeFilter, trackedHost } from "./support/probe";
import { auditFilter, recordLines, validateRecord } from "./support/audit";

afterAll(closeProbeHosts);

const lenient = new TextDecoder("utf-8", { ignoreBOM: true });
const hex = (s: string) => Buffer.from(s.replace(/ /g, ""), "hex");

const crafted: Buffer[] = [
  "c0 80", "c1 bf", "e0 80 80", "e0 9f bf", "ed a0 80", "ed bf bf", "f0 80 80 80", "f0 8f bf bf", "f4 90 80 80", "f5 80 80 80",
  "ff", "fe", "80", "bf 80", "e2 82", "e2 82 41", "f0 9f 98", "f0 9f 98 41 80", "c3", "41 c3", "ef bb bf 41",
  "e2 82 ac", "f0 9f 98 80", "ed 9f bf", "ee 80 80", "f4 8f bf bf", "c2 80", "df bf", "00 1f 7f",
].map(hex);

let seq = 0;
async function recordFor(provider: Buffer, operation: Buffer, tenant: Buffer) {
  const set = (name: string, b: Buffer) => ({ op: "set_property", path: [name], base64: b.toString("base64") });
  const vm = `utf8-${++seq}`;
  const host = await trackedHost([
    probeFilter("raw", vm, { log_callbacks: false, on_request_headers: [set("tollgate.provider", provider), set("tollgate.operation", operation), set("tollgate.t", tenant)] }),
    auditFilter({ tenant: { property: ["tollgate.t"] } }, `${vm}-audit`),
  ]);
  await host.exchange(recorded("openai/chat-basic"));
  const lines = recordLines(host.logs);
  expect(lines).toHaveLength(1);
  const rec = JSON.parse(lines[0]);
  expect(validateRecord(rec)).toBe(true);
  expect(JSON.stringify(rec)).toBe(lines[0]);
  await host.close();
  return rec;
}

describe("audit and invalid UTF-8", () => {
  it("replaces ill-formed sequences as TextDecoder does (crafted cases and random bytes)", async () => {
    const cases = [...crafted, ...Array.from({ length: 60 }, (_, i) => randomBytes(1 + (i % 20)))];
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += 3) {
      const [a, b, c] = [cases[i], cases[i + 1] ?? Buffer.from("x"), cases[i + 2] ?? Buffer.from("y")];
      const rec = await recordFor(a, b, c);
      for (const [got, bytes] of [[rec.provider, a], [rec.operation, b], [rec.tenant, c]] as Array<[string, Buffer]>) {
        if (got !== lenient.decode(bytes)) failures.push(`${bytes.toString("hex")}: ${JSON.stringify(got)}`);
      }
    }
    expect(failures).toEqual([]);
  });
});
