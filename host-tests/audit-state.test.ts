// The other filters' state as the audit record reads it (filters/audit/state-json.ts): a document
// is taken exactly when a strict JSON parser takes it (duplicate keys compared after unescaping,
// strict UTF-8, depth 8, a leading BOM allowed), escaped text is written as its code units would
// be, and anything else makes that member null, never a trap.
import { afterAll, describe, expect, it } from "vitest";
import { recorded } from "./support/budget";
import { closeProbeHosts, probeFilter, trackedHost } from "./support/probe";
import { auditFilter, records, validateRecord } from "./support/audit";

afterAll(closeProbeHosts);

const b64 = (s: string) => Buffer.from(s, "latin1").toString("base64");
const utf8 = (s: string) => Buffer.from(s, "utf8").toString("latin1");

/** The record after a stand-in filter published `state` (raw bytes as latin1) for a metered call. */
async function recordWith(state: Record<string, string>) {
  const ops = [["tollgate.provider", "openai"], ...Object.entries(state)].map(([k, v]) => ({ op: "set_property", path: [k], base64: b64(v) }));
  const host = await trackedHost([probeFilter("state", "state-vm", { log_callbacks: false, on_request_headers: ops }), auditFilter({}, "state-audit-vm")]);
  const r = await host.exchange(recorded("openai/chat-basic"));
  expect(r.trap).toBeUndefined();
  const [rec] = records(host.logs);
  expect(validateRecord(rec), JSON.stringify(validateRecord.errors)).toBe(true);
  return rec;
}

describe("audit: other filters' state read in place", () => {
  it("escaped keys match; a leading BOM and whitespace are allowed; only exact integers within 2^53 count", async () => {
    const rec = await recordWith({
      "tollgate.usage": '\xef\xbb\xbf {"\\u0069nput":5, "output" : 12.0 ,"total":-0,"reasoning":9007199254740991,"cache_write":9007199254740992,"cached_input":1e3,"source":{"input":"r\\u00e9\\n","output":5}} ',
    });
    expect(rec.tokens).toEqual({ input: 5, output: null, cached_input: null, cache_write: null, reasoning: 9007199254740991, total: 0, source: { input: "ré\n", output: null } });
  });

  it("a duplicate key anywhere (also spelled with an escape, also in a member not read) makes the document null", async () => {
    for (const usage of ['{"input":1,"input":2}', '{"input":1,"\\u0069nput":2}', '{"input":1,"x":{"a":1,"a":2}}']) {
      expect((await recordWith({ "tollgate.usage": usage })).tokens, usage).toBeNull();
    }
    // The same key in different objects is no duplicate.
    expect((await recordWith({ "tollgate.usage": '{"input":1,"x":{"a":1,"b":{"a":2}},"a":3}' })).tokens.input).toBe(1);
  });

  it("nesting to depth 8 is read, deeper makes the document null; trailing data and invalid UTF-8 too", async () => {
    expect((await recordWith({ "tollgate.usage": '{"input":1,"x":[[[[[[[1]]]]]]]}' })).tokens.input).toBe(1);
    for (const usage of ['{"input":1,"x":[[[[[[[[1]]]]]]]]}', '{"input":1} x', '{"in\xffput":1}', "", '{"input":01}']) {
      expect((await recordWith({ "tollgate.usage": usage })).tokens, JSON.stringify(usage)).toBeNull();
    }
  });

  it("escaped surrogates: a pair is one character, each byte of a lone one's form is U+FFFD", async () => {
    const rec = await recordWith({ "tollgate.model": '{"requested":"a\\ud800b","served":"\\ud83d\\ude00\\udc00"}' });
    expect(rec.model).toEqual({ requested: "a\ufffd\ufffd\ufffdb", served: "😀\ufffd\ufffd\ufffd" });
    // Distinct lone surrogates are distinct keys; U+FFFD spelled raw and escaped is one key.
    expect((await recordWith({ "tollgate.model": '{"requested":"x","\\ud800":1,"\\udc00":2}' })).model.requested).toBe("x");
    expect((await recordWith({ "tollgate.model": utf8('{"requested":"x","\ufffd":1,"\\ufffd":2}') })).model.requested).toBeNull();
  });

  it("pii findings: request before response whatever the document order; escaped names decoded and bounded", async () => {
    const rec = await recordWith({
      "tollgate.pii": utf8('{"response":{"PHONE":{"redact":3,"mask":1.0}},"request":{"EMAIL":{"mask":2},"X":5,"\\u00fc' + "a".repeat(70) + '":{"m":1}},"restored":4,"blocked":"EM\\u0041IL"}'),
    });
    expect(rec.pii).toEqual({
      findings: [
        { direction: "request", type: "EMAIL", action: "mask", count: 2 },
        { direction: "request", type: "ü" + "a".repeat(62), action: "m", count: 1 },
        { direction: "response", type: "PHONE", action: "redact", count: 3 },
        { direction: "response", type: "PHONE", action: "mask", count: null },
      ],
      restored: 4,
      blocked: "EMAIL",
    });
    expect(rec.outcome).toBe("blocked");
  });

  it("budget: an escaped decision still decides the outcome; a valid non-object is null", async () => {
    const rec = await recordWith({ "tollgate.budget": '{"decision":"rej\\u0065cted","rule":"r","limit":5,"key":{"k":"v"}}' });
    expect(rec.outcome).toBe("rejected");
    expect(rec.budget).toMatchObject({ decision: "rejected", rule: "r", limit: 5 });
    expect((await recordWith({ "tollgate.budget": "[1]" })).budget).toBeNull();
  });
});
