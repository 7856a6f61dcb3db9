// No personal data or secret reaches the audit trail: every labelled value of the PII dev set
// is injected into replayed prompts, into the authorization header and into query strings,
// and none may appear in a record, in any log line of the chain, or in a metric name.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Exchange } from "./harness/api";
import { allRecorded } from "./support/budget";
import { closeProbeHosts } from "./support/probe";
import { chainProblems, fullChainHost, recordLines, validateRecord } from "./support/audit";

afterAll(closeProbeHosts);

const dec = new TextDecoder();
const enc = new TextEncoder();

const allValues: string[] = readFileSync(resolve(__dirname, "pii/data/pii-dev.jsonl"), "utf8").trim().split("\n")
  .flatMap((l) => (JSON.parse(l).spans as Array<{ value: string }>).map((s) => s.value));
// Values so short or so number-like that they occur by chance in hashes, ids and timestamps
// are left out of the search (not out of the injection); their count is asserted below.
const tooPlain = (v: string) => v.length < 6 || /^[0-9a-f]{0,15}$/i.test(v) || /^[0-9 ]{0,9}$/.test(v);
const searched = [...new Set(allValues.filter((v) => !tooPlain(v)))];

/** Replaces the first prompt-like string of a JSON body (content / text / prompt / input). */
function inject(body: Uint8Array, text: string): Uint8Array | null {
  let json: unknown;
  try { json = JSON.parse(dec.decode(body)); } catch { return null; }
  let done = false;
  const walk = (o: any): void => { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (done || o === null || typeof o !== "object") return;
    for (const k of Object.keys(o)) {
      if (done) return;
      if (typeof o[k] === "string" && ["content", "text", "prompt", "input"].includes(k)) {
        o[k] = text;
        done = true;
      } else {
        walk(o[k]);
      }
    }
  };
  walk(json);
  return done ? enc.encode(JSON.stringify(json)) : null;
}

describe("audit and the PII dev set", () => {
  it("no injected value appears in a record, a log line or a metric name", async () => {
    expect(searched.length).toBeGreaterThan(800);
    const host = await fullChainHost({
      audit: { key: [{ header: "authorization" }, { query: "key" }], digests: { request: true, response: true } },
    });
    const exchanges = allRecorded();
    // Values the recordings themselves carry outside any prompt (Ollama's authority is
    // 127.0.0.1:11434, an IP the dev set also labels) are not evidence of a leak.
    const recordedMeta = exchanges.map((e) => `${e.request.authority} ${e.request.path} ${JSON.stringify(e.request.headers)} ${JSON.stringify(e.response.headers)}`).join("\n");
    const inRecordings = searched.filter((v) => recordedMeta.includes(v));
    expect(inRecordings.length).toBeLessThan(5);
    const per = Math.ceil(allValues.length / exchanges.length);
    let injectedBodies = 0;
    let forwardedRaw = 0;
    let sent = 0;
    for (const [i, ex] of exchanges.entries()) {
      const vals = allValues.slice(i * per, (i + 1) * per);
      if (vals.length === 0) break;
      const body = inject(ex.request.body, `Please summarise: ${vals.join(" | ")}`);
      if (body) injectedBodies++;
      const sep = ex.request.path.includes("?") ? "&" : "?";
      const path = `${ex.request.path}${sep}key=${encodeURIComponent(vals[0])}&note=${encodeURIComponent(vals[1] ?? vals[0])}`;
      const headers: Exchange["request"]["headers"] = [...ex.request.headers.filter(([k]) => k.toLowerCase() !== "authorization"), ["authorization", `Bearer ${vals[0].replace(/[\r\n]/g, " ")}`]];
      const r = await host.exchange({ ...ex, request: { ...ex.request, path, headers, body: body ?? ex.request.body, chunks: undefined } });
      expect(r.trap, ex.name).toBeUndefined();
      sent++;
      const up = r.upstreamRequest ? dec.decode(r.upstreamRequest.body) : "";
      if (vals.some((v) => !tooPlain(v) && up.includes(v))) forwardedRaw++;
    }
    // The values really went through the chain: most bodies took them, and context types that
    // pii-redact does not look for (names, places) reached the provider as they were.
    expect(injectedBodies).toBeGreaterThan(exchanges.length / 2);
    expect(forwardedRaw).toBeGreaterThan(5);

    const lines = recordLines(host.logs);
    expect(lines).toHaveLength(sent);
    expect(sent).toBeGreaterThan(40);
    for (const line of lines) expect(validateRecord(JSON.parse(line))).toBe(true);
    expect(lines.some((l) => JSON.parse(l).key_hash !== null)).toBe(true);
    expect(chainProblems(lines)).toEqual([]);

    const logText = host.logs.map((l) => `${l.line}\n${l.message}`).join("\n");
    const metricText = Object.keys(host.metrics()).join("\n") + "\n" + host.prometheus();
    const leaks: string[] = [];
    for (const v of searched.filter((x) => !inRecordings.includes(x))) {
      for (const form of new Set([v, encodeURIComponent(v), JSON.stringify(v).slice(1, -1)])) {
        if (logText.includes(form)) leaks.push(`log: ${v}`);
        if (metricText.includes(form)) leaks.push(`metric: ${v}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
