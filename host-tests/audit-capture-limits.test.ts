// Capture's bounds and failure paths: max_bytes per direction (a cut never leaves part of an
// entity or of a `[TYPE]`), a body that cannot be read (null + a stat, the record still written),
// a record that would pass max_record_bytes with its text (written without it, counted), and
// the configuration checked alike by the schema and the filter.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Exchange } from "./harness/api";
import { recorded } from "./support/budget";
import { closeProbeHosts } from "./support/probe";
import { prng } from "./replay/split";
import { randomSplits } from "./support/parsers";
import { allRecorded } from "./support/budget";
import { filterVerdicts, pointerOf, schemaErrorPaths } from "./support/config-check";
import {
  AUDIT_WASM, auditFilter, chainProblems, expectedResponseCapture, fullChainHost, isRedactionOf, recordLines, validateRecord,
} from "./support/audit";

afterAll(closeProbeHosts);

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s).length;
const PASS_THROUGH = { directions: { request: false, response: false } };

/** openai/chat-basic with its user message replaced by `text`. */
function chatWith(text: string, body?: string): Exchange {
  const ex = recorded("openai/chat-basic");
  const doc = JSON.parse(new TextDecoder().decode(ex.request.body));
  doc.messages = [{ role: "user", content: text }];
  return { ...ex, request: { ...ex.request, body: enc.encode(body ?? JSON.stringify(doc)), chunks: undefined } };
}

/** openai/chat-stream-no-usage with its content deltas replaced by `pieces`. */
function streamWith(pieces: string[]): Exchange {
  const ex = recorded("openai/chat-stream-no-usage");
  const id = "chatcmpl-x";
  const ev = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
  const body = ev({ role: "assistant", content: "" }) + pieces.map((p) => ev({ content: p })).join("") + ev({}, "stop") + "data: [DONE]\n\n";
  const headers = ex.response.headers.filter(([k]) => !["content-encoding", "content-length"].includes(k.toLowerCase()));
  return { ...ex, response: { ...ex.response, headers, body: enc.encode(body), chunks: undefined } };
}

const lastRecord = (logs: Parameters<typeof recordLines>[0]) => JSON.parse(recordLines(logs).at(-1)!);
const captureFailures = (m: Record<string, number>) =>
  Object.fromEntries(Object.entries(m).filter(([k]) => k.includes("capture_failures")).map(([k, v]) => [k.replace(/.*reason=\.(\w+);.*/, "$1"), v]));

describe("audit capture bounds", () => {
  it("a streamed reply is kept to max_bytes, a prefix of its text, marked truncated", async () => {
    const ex = recorded("openai/chat-stream-no-usage");
    const host = await fullChainHost({ audit: { capture: { response: true, max_bytes: 64 } } });
    await host.exchange(ex);
    const rec = lastRecord(host.logs);
    expect(validateRecord(rec)).toBe(true);
    expect(rec.capture.request).toBeNull();
    const full = expectedResponseCapture(rec.provider, rec.operation, ex.response.headers, ex.response.body)!;
    const fullText = full.map((e) => e.text).join("");
    expect(bytes(fullText)).toBeGreaterThan(64);
    const got = rec.capture.response as Array<{ text: string }>;
    expect(got.length).toBeGreaterThan(0);
    expect(got.reduce((n, e) => n + bytes(e.text), 0)).toBeLessThanOrEqual(64);
    expect(isRedactionOf(got[0].text, full[0].text, true)).toBe(true);
    expect(bytes(got[0].text)).toBeGreaterThan(32);
    expect(rec.capture.truncated).toBe(true);
  });

  it("an entity at the cut is left out whole, never in part, in a prompt and across stream deltas", async () => {
    const host = await fullChainHost({ pii: PASS_THROUGH, audit: { capture: { request: true, response: true, max_bytes: 64 } } });
    const lead = "y".repeat(58) + " ";
    const text = `${lead}bob.smith@example.org and 4111 1111 1111 1111 later`;
    const pieces = text.match(/.{1,5}/gs)!;
    await host.exchange({ ...streamWith(pieces), request: chatWith(text).request });
    const rec = lastRecord(host.logs);
    expect(validateRecord(rec)).toBe(true);
    for (const side of [rec.capture.request, rec.capture.response]) {
      expect(side).toHaveLength(1);
      const t = side[0].text as string;
      expect(t).toBe(lead);
      expect(t).not.toMatch(/bob|\[EMA/);
    }
    expect(rec.capture.truncated).toBe(true);
    // With room, the same texts are redacted whole.
    const roomy = await fullChainHost({ pii: PASS_THROUGH, audit: { capture: { request: true, response: true, max_bytes: 4096 } } });
    await roomy.exchange({ ...streamWith(pieces), request: chatWith(text).request });
    const r2 = lastRecord(roomy.logs);
    expect(r2.capture.request[0].text).toBe(`${lead}[EMAIL] and [CREDIT_CARD] later`);
    expect(r2.capture.response[0].text).toBe(`${lead}[EMAIL] and [CREDIT_CARD] later`);
    expect(r2.capture.truncated).toBe(false);
  });

  it("a long stream keeps a bounded prefix of its text", async () => {
    const host = await fullChainHost({ pii: PASS_THROUGH, audit: { capture: { response: true, max_bytes: 128 } } });
    const text = "lorem ipsum dolor sit amet ".repeat(400);
    await host.exchange(streamWith(text.match(/.{1,9}/gs)!));
    const rec = lastRecord(host.logs);
    const t = rec.capture.response[0].text as string;
    expect(bytes(t)).toBeLessThanOrEqual(128);
    expect(bytes(t)).toBeGreaterThan(120);
    expect(text.startsWith(t)).toBe(true);
    expect(rec.capture.truncated).toBe(true);
  });

  it("an entity cut at the raw bound of a stream is not written in part, however much redaction shrank the text before it", async () => {
    // Private keys shrink to [SECRET]: the raw bound (max_bytes + 4096) is reached while the
    // redacted text is still short, right inside an e-mail address.
    const max = 128;
    const pem = (n: number) => `-----BEGIN RSA PRIVATE KEY-----\n${"MIIEowIBAAKCAQEA7yq".repeat(n).match(/.{1,64}/g)!.join("\n")}\n-----END RSA PRIVATE KEY-----`;
    const cutAt = max + 4096 - 7; // "bob.smi" of the address fits under the bound, the rest does not
    const keys: string[] = [];
    while (bytes(keys.join(" ")) + 1100 < cutAt) keys.push(pem(50));
    let n = 1;
    while (bytes([...keys, pem(n + 1)].join(" ")) < cutAt - 40) n++;
    keys.push(pem(n));
    let head = keys.join(" ");
    head += " ".repeat(cutAt - bytes(head)); // a few spaces: the only plain text before the address
    const text = `${head}bob.smith@example.org`;
    const host = await fullChainHost({ pii: PASS_THROUGH, audit: { capture: { response: true, max_bytes: max } } });
    await host.exchange(streamWith(text.match(/.{1,9}/gs)!));
    const rec = lastRecord(host.logs);
    const t = rec.capture.response.map((e: { text: string }) => e.text).join("");
    expect(t).toContain("[SECRET]");
    expect(t).not.toContain("MIIE");
    expect(t).not.toMatch(/bob/);
    expect(bytes(t)).toBeLessThanOrEqual(max);
    expect(rec.capture.truncated).toBe(true);
  });
});

describe("audit capture failures", () => {
  it("a request body that is not JSON: request null, counted, the record written and chained", async () => {
    const host = await fullChainHost({ pii: PASS_THROUGH, audit: { capture: { request: true, response: true } } });
    const r = await host.exchange(chatWith("", "{\"messages\": [ not json"));
    expect(r.trap).toBeUndefined();
    const rec = lastRecord(host.logs);
    expect(validateRecord(rec)).toBe(true);
    expect(rec.capture.request).toBeNull();
    expect(rec.capture.response).not.toBeNull();
    expect(captureFailures(host.metrics())).toMatchObject({ unreadable: 1 });
    await host.exchange(chatWith("hello"));
    expect(lastRecord(host.logs).capture.request).toEqual([{ kind: "text", text: "hello" }]);
    expect(chainProblems(recordLines(host.logs))).toEqual([]);
  });

  it("a request refused before its body reached audit (pii-redact blocks a secret): request null, not counted", async () => {
    const host = await fullChainHost({ audit: { capture: { request: true, response: true } } });
    const r = await host.exchange(chatWith("deploy with ghp_R8kZ2xQ7mN4vT1bY6cW9pL3sD5fH0jA2uE7g please"));
    expect(r.localReply?.status).toBe(400);
    const rec = lastRecord(host.logs);
    expect(validateRecord(rec)).toBe(true);
    expect(rec.outcome).toBe("blocked");
    expect(rec.capture.request).toBeNull();
    // The refusal (an error object, no text parts) is the only reply there was.
    expect(rec.capture.response ?? []).toEqual([]);
    expect(captureFailures(host.metrics())).toEqual({});
    expect(recordLines(host.logs).join("\n")).not.toContain("ghp_R8kZ2xQ7mN4vT1bY6cW9pL3sD5fH0jA2uE7g");
  });

  it("a record too large with its text is written without it (capture null), counted", async () => {
    const host = await fullChainHost({ audit: { capture: { request: true, max_bytes: 65536 }, max_record_bytes: 2048 } });
    await host.exchange(chatWith("word ".repeat(1000)));
    const lines = recordLines(host.logs);
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]);
    expect(validateRecord(rec)).toBe(true);
    expect(rec.capture).toEqual({ request: null, response: null, truncated: false });
    expect(captureFailures(host.metrics())).toMatchObject({ record_too_large: 1 });
    expect(Object.entries(host.metrics()).find(([k]) => k.includes("record_failures"))?.[1] ?? 0).toBe(0);
  });

  it("a compressed reply is decompressed; one in an unknown encoding is not read (null, counted)", async () => {
    const ex = recorded("gemini/stream-json-array");
    const host = await fullChainHost({ audit: { capture: { response: true } } });
    await host.exchange(ex);
    const rec = lastRecord(host.logs);
    expect(rec.capture.response.length).toBeGreaterThan(0);
    const br: Exchange = { ...ex, response: { ...ex.response, headers: ex.response.headers.map(([k, v]) => [k, k.toLowerCase() === "content-encoding" ? "br" : v]) } };
    await host.exchange(br);
    expect(lastRecord(host.logs).capture.response).toBeNull();
    expect(captureFailures(host.metrics())).toMatchObject({ unsupported: 1 });
  });
});

describe("audit capture on damaged traffic", () => {
  it("random bytes, truncated JSON and cut streams never trap: one schema-valid record each, in a verifying chain", async () => {
    const next = prng(0xc0ffee);
    const host = await fullChainHost({ pii: PASS_THROUGH, audit: { capture: { request: true, response: true, max_bytes: 256 } } });
    const stream = recorded("openai/chat-stream-tool-calls");
    const sse = stream.response.body;
    const json = chatWith("hello there").request.body;
    const random = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
    const cases: Exchange[] = [];
    for (let i = 0; i < 40; i++) {
      const cut = Math.floor(next() * sse.length);
      const noisy = sse.slice();
      for (let k = 0; k < 8; k++) noisy[Math.floor(next() * noisy.length)] = Math.floor(next() * 256);
      const reqBody = i % 3 === 0 ? random(1 + Math.floor(next() * 300)) : i % 3 === 1 ? json.slice(0, Math.floor(next() * json.length)) : json;
      const resBody = i % 2 === 0 ? sse.slice(0, cut) : noisy;
      cases.push({ ...stream, request: { ...stream.request, body: reqBody, chunks: undefined }, response: { ...stream.response, body: resBody, chunks: undefined } });
    }
    for (const ex of cases) {
      const before = recordLines(host.logs).length;
      const r = await host.exchange(ex);
      expect(r.trap).toBeUndefined();
      const lines = recordLines(host.logs).slice(before);
      expect(lines).toHaveLength(1);
      const rec = JSON.parse(lines[0]);
      expect(validateRecord(rec), JSON.stringify(validateRecord.errors)).toBe(true);
      for (const e of rec.capture.response ?? []) expect(bytes(e.text)).toBeLessThanOrEqual(256);
    }
    expect(chainProblems(recordLines(host.logs))).toEqual([]);
    expect(captureFailures(host.metrics()).unreadable).toBeGreaterThan(0);
  });
});

describe("audit capture and chunking", () => {
  it("a streamed reply's capture does not depend on how its bytes were cut into chunks", async () => {
    const next = prng(7);
    const host = await fullChainHost({ audit: { capture: { request: true, response: true, max_bytes: 1 << 16 }, max_record_bytes: 1 << 20 } });
    const streams = allRecorded().filter((ex) => /stream|sse|json-array/.test(ex.name ?? "") && ex.response.status === 200);
    let withText = 0;
    for (const ex of streams) {
      await host.exchange({ ...ex, response: { ...ex.response, chunks: undefined } });
      const whole = lastRecord(host.logs).capture;
      for (let round = 0; round < 3; round++) {
        const cuts = randomSplits(ex.response.body.length, next);
        const sizes = [...cuts, ex.response.body.length].map((c, i, a) => c - (i === 0 ? 0 : a[i - 1]));
        await host.exchange({ ...ex, response: { ...ex.response, chunks: sizes } });
        expect(lastRecord(host.logs).capture, `${ex.name} cut ${cuts.length} times`).toEqual(whole);
      }
      if ((whole.response?.length ?? 0) > 0) withText++;
    }
    expect(withText).toBeGreaterThan(10);
  });
});

describe("audit capture configuration", () => {
  const schema = JSON.parse(readFileSync(resolve(__dirname, "../filters/audit/config.schema.json"), "utf8"));
  const { errorPaths } = schemaErrorPaths(schema);
  let vm = 0;
  const wasm = new Uint8Array(readFileSync(AUDIT_WASM));
  const { filterVerdict, filterErrorPath } = filterVerdicts((c) => auditFilter(c, `audit-capture-config-${++vm}`, wasm), "audit configuration: ");

  it.each([
    ["capture not an object", { capture: true }, "$.capture"],
    ["request not boolean", { capture: { request: "yes" } }, "$.capture.request"],
    ["max_bytes under 64", { capture: { request: true, max_bytes: 63 } }, "$.capture.max_bytes"],
    ["max_bytes over 1 MiB", { capture: { response: true, max_bytes: (1 << 20) + 1 } }, "$.capture.max_bytes"],
    ["unknown capture field", { capture: { values: true } }, "$.capture.values"],
  ])("rejects %s (schema and filter)", async (_, config, path) => {
    expect(errorPaths(config)).toContain(pointerOf(path));
    expect(await filterErrorPath(config)).toBe(path);
  });

  it.each([
    ["both directions at the bounds", { capture: { request: true, response: true, max_bytes: 64 } }],
    ["the upper bound", { capture: { response: true, max_bytes: 1 << 20 } }],
  ])("accepts %s", async (_, config) => {
    expect(errorPaths(config)).toEqual([]);
    expect(await filterVerdict(config)).toBeNull();
  });
});
