// pii-redact on streamed replies: recorded OpenAI, Anthropic, Gemini and Bedrock streams whose
// text deltas are replaced by a reply carrying personal data and secrets, cut into 1–5 byte
// deltas so entities straddle events, then re-chunked: the OpenAI stream and the restore stream
// at every single split point, the others at one-byte chunks, random splits and a sample of
// split points. No entity, nor any 4-character fragment of
// one, reaches the client; the events stay well-formed; hold-back stays within the bound.
import { afterAll, describe, expect, it } from "vitest";
import { join, resolve } from "node:path";
import type { Exchange, WasmFilterConfig } from "./harness/api";
import type { EnvoyHost } from "./harness/host";
import { applyVariant, planVariants, prng } from "./replay/split";
import { closeProbeHosts, trackedHost } from "./support/probe";
import { recorded } from "./support/budget";
import { decodeEventStream, encodeEventStreamFrame, type EventStreamFrame } from "./support/event-stream";

const WASM = join(resolve(__dirname, ".."), "dist/pii-redact.wasm");
afterAll(closeProbeHosts);

const dec = new TextDecoder();
const enc = new TextEncoder();
const BOUND = 64;
const piiFilter = (config: unknown): WasmFilterConfig => ({ name: "pii-redact", rootId: "pii-redact", vmId: `pii-s-${Math.random()}`, code: WASM, configuration: JSON.stringify(config) });

const EMAIL = "ann.lee@example.com";
const PHONE = "+1 (415) 555-0100";
const CARD = "4111 1111 1111 1111";
const TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
const ENTITIES = [EMAIL, PHONE, CARD, TOKEN];
const REPLY = `Sure. Write to ${EMAIL} or call ${PHONE}. The card on file is ${CARD}; deploy with ${TOKEN} today. Thanks!`;

/** The reply cut into 1–5 byte pieces (seeded), so entities straddle events. */
function pieces(text: string, seed: number): string[] {
  const rand = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rand() * 5);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

/** A recorded OpenAI stream with its content deltas replaced by `parts`, one event each. */
function openaiStream(parts: string[]): Exchange {
  const ex = recorded("openai/chat-stream-no-usage");
  const events = dec.decode(ex.response.body).split("\n\n").filter((e) => e.trim());
  const template = JSON.parse(events.find((e) => e.includes('"content":"Why"'))!.slice(6));
  const first = events[0];
  const tail = events.filter((e) => e.includes('"finish_reason":"stop"') || e.includes("[DONE]"));
  const deltas = parts.map((p) => `data: ${JSON.stringify({ ...template, choices: [{ ...template.choices[0], delta: { content: p } }] })}`);
  const body = [first, ...deltas, ...tail].join("\n\n") + "\n\n";
  return { ...ex, response: { ...ex.response, body: enc.encode(body), chunks: undefined } };
}

function anthropicStream(parts: string[]): Exchange {
  const ex = recorded("anthropic/messages-stream-text");
  const events = dec.decode(ex.response.body).split("\n\n").filter((e) => e.trim());
  const head = events.filter((e) => !e.startsWith("event: content_block_delta") && !e.includes("content_block_stop") && !e.includes("message_delta") && !e.includes("message_stop"));
  const end = events.filter((e) => e.includes("content_block_stop") || e.includes("message_delta") || e.includes("message_stop"));
  const deltas = parts.map((p) => `event: content_block_delta\ndata: ${JSON.stringify({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: p } })}`);
  const body = [...head, ...deltas, ...end].join("\n\n") + "\n\n";
  return { ...ex, response: { ...ex.response, body: enc.encode(body), chunks: undefined } };
}

/** A recorded Gemini SSE stream (CRLF) with its text in `parts`, finishReason on the last event. */
function geminiStream(parts: string[]): Exchange {
  const ex = recorded("gemini/stream-sse");
  const events = dec.decode(ex.response.body).split("\r\n\r\n").filter((e) => e.trim());
  const first = JSON.parse(events[0].slice(6));
  const last = JSON.parse(events.at(-1)!.slice(6));
  const deltas = parts.map((p) => `data: ${JSON.stringify({ ...first, candidates: [{ ...first.candidates[0], content: { parts: [{ text: p }], role: "model" } }] })}`);
  last.candidates[0].content.parts[0].text = "";
  const body = [...deltas, `data: ${JSON.stringify(last)}`].join("\r\n\r\n") + "\r\n\r\n";
  return { ...ex, response: { ...ex.response, body: enc.encode(body), chunks: undefined } };
}

/** Gemini's JSON-array stream (no alt=sse): one element per piece, finishReason on the last. */
function geminiArrayStream(parts: string[]): Exchange {
  const ex = recorded("gemini/stream-json-array.decoded");
  const elements = JSON.parse(dec.decode(ex.response.body));
  const first = elements[0];
  const last = elements.at(-1);
  const items = parts.map((p) => ({ ...first, candidates: [{ ...first.candidates[0], finishReason: undefined, content: { parts: [{ text: p }], role: "model" } }] }));
  last.candidates[0].content.parts = [{ text: "" }];
  const body = "[" + [...items, last].map((e) => JSON.stringify(e, null, 2)).join("\n,\r\n") + "]";
  return { ...ex, response: { ...ex.response, body: enc.encode(body), chunks: undefined } };
}

// ---- AWS event-stream (Bedrock ConverseStream) ---------------------------------------------
type Frame = EventStreamFrame;

function decodeFrames(b: Uint8Array): Frame[] {
  const { frames, errors } = decodeEventStream(b);
  expect(errors).toEqual([]);
  return frames;
}

function encodeFrame(eventType: string, payload: Uint8Array): Uint8Array {
  return encodeEventStreamFrame([[":event-type", eventType], [":content-type", "application/json"], [":message-type", "event"]], payload);
}

function bedrockStream(parts: string[]): Exchange {
  const ex = recorded("bedrock/converse-stream-nova");
  const frames = decodeFrames(ex.response.body);
  const head = frames.filter((f) => f.headers[":event-type"] === "messageStart");
  const tail = frames.filter((f) => ["contentBlockStop", "messageStop", "metadata"].includes(f.headers[":event-type"]));
  const deltas = parts.map((p) => encodeFrame("contentBlockDelta", enc.encode(JSON.stringify({ contentBlockIndex: 0, delta: { text: p }, p: "abc" }))));
  const frame = (f: Frame) => encodeFrame(f.headers[":event-type"], f.payload);
  const body = Buffer.concat([...head.map(frame), ...deltas, ...tail.map(frame)]);
  return { ...ex, response: { ...ex.response, body: new Uint8Array(body), chunks: undefined } };
}

type Kind = "openai" | "anthropic" | "gemini";

/** The text the client assembles from the deltas, and whether the stream is well-formed. */
function clientText(body: string, kind: Kind): { text: string; events: any[] } {
  const events = body.split(/\r?\n\r?\n/).filter((e) => e.trim()).map((e) => {
    const data = e.split(/\r?\n/).filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
    return data === "[DONE]" ? "[DONE]" : JSON.parse(data);
  });
  const text = kind === "openai"
    ? events.filter((e) => e !== "[DONE]").map((e) => e.choices?.[0]?.delta?.content ?? "").join("")
    : kind === "gemini"
      ? events.map((e) => e.candidates?.[0]?.content?.parts?.map((p: any) => p.text ?? "").join("") ?? "").join("")
      : events.filter((e) => e.type === "content_block_delta").map((e) => e.delta.text).join("");
  return { text, events };
}

function leaks(text: string): string[] {
  const found: string[] = [];
  for (const entity of ENTITIES) {
    const compact = entity.replace(/[\s()+-]/g, "");
    for (let i = 0; i + 4 <= compact.length; i++) {
      const frag = compact.slice(i, i + 4);
      if (text.replace(/[\s()+-]/g, "").includes(frag) && !/^(1111)$/.test(frag)) found.push(frag);
    }
  }
  return found;
}

const CONFIG = { entities: { CREDIT_CARD: { action: "redact" }, SECRET: { action: "redact" } }, stream: { hold_back_bytes: BOUND } };
const EXPECTED = "Sure. Write to [EMAIL] or call [PHONE]. The card on file is [CREDIT_CARD]; deploy with [SECRET] today. Thanks!";

/** Replays `ex` under one-byte chunks, random splits, and `everyByte` of all single split points. */
async function replayAll(host: EnvoyHost, ex: Exchange, kind: Kind, variants: number, everyByte = 0.15) {
  const plan = [...planVariants({ kind: "size", size: 1 }, ex), ...planVariants({ kind: "random", count: variants, seed: 9 }, ex)];
  const every = planVariants({ kind: "every-byte" }, ex).filter((v) => v.label.startsWith("response@"));
  const rand = prng(3);
  for (const v of every) if (everyByte >= 1 || rand() < everyByte) plan.push(v);
  for (const v of plan) {
    const r = await host.exchange(applyVariant(ex, v));
    expect(r.trap, v.label).toBeUndefined();
    const { text } = clientText(dec.decode(r.downstreamResponse!.body), kind);
    expect(text, v.label).toBe(EXPECTED);
    expect(leaks(text), v.label).toEqual([]);
    const state = JSON.parse(dec.decode(r.filterState["tollgate.pii"]));
    expect(state.stream_max_held_bytes, v.label).toBeLessThanOrEqual(BOUND);
  }
  return plan.length;
}

// The every-split tests replay the exchange thousands of times: ~25 s on an idle 2-core machine,
// several times that when other work shares it. Their limit is only there to end a hung run;
// they check what reaches the client, never how fast (speed is the bench's business).
const EVERY_SPLIT_TIMEOUT = 300_000;

describe("streamed replies", () => {
  it("OpenAI chat: every entity replaced across event and chunk splits; [DONE] still last", async () => {
    const host = await trackedHost([piiFilter(CONFIG)]);
    const ex = openaiStream(pieces(REPLY, 1));
    const r = await host.exchange(ex);
    const { events } = clientText(dec.decode(r.downstreamResponse!.body), "openai");
    expect(events.at(-1)).toBe("[DONE]");
    expect(events.at(-2).choices[0].finish_reason).toBe("stop");
    // Every single split point of the body (thousands of replays), not a sample.
    expect(await replayAll(host, ex, "openai", 20, 1)).toBeGreaterThan(ex.response.body.length);
  }, EVERY_SPLIT_TIMEOUT);

  it("Anthropic messages: the same, and message_stop still last", async () => {
    const host = await trackedHost([piiFilter(CONFIG)]);
    const ex = anthropicStream(pieces(REPLY, 2));
    const r = await host.exchange(ex);
    const { events } = clientText(dec.decode(r.downstreamResponse!.body), "anthropic");
    expect(events.at(-1).type).toBe("message_stop");
    expect(await replayAll(host, ex, "anthropic", 20)).toBeGreaterThan(100);
  });

  it("Gemini SSE (CRLF): the same; the finishReason event stays last and line endings stay CRLF", async () => {
    const host = await trackedHost([piiFilter(CONFIG)]);
    const ex = geminiStream(pieces(REPLY, 6));
    const r = await host.exchange(ex);
    const body = dec.decode(r.downstreamResponse!.body);
    expect(body.replace(/\r\n/g, "")).not.toContain("\n");
    const { events } = clientText(body, "gemini");
    expect(events.at(-1).candidates[0].finishReason).toBe("STOP");
    expect(await replayAll(host, ex, "gemini", 10)).toBeGreaterThan(50);
  });

  it("Gemini JSON-array stream: the same, and the body stays one JSON array", async () => {
    const host = await trackedHost([piiFilter(CONFIG)]);
    const ex = geminiArrayStream(pieces(REPLY, 8));
    const plan = [...planVariants({ kind: "size", size: 1 }, ex), ...planVariants({ kind: "random", count: 30, seed: 2 }, ex)];
    for (const v of plan) {
      const r = await host.exchange(applyVariant(ex, v));
      const elements = JSON.parse(dec.decode(r.downstreamResponse!.body));
      const text = elements.map((e: any) => e.candidates[0].content.parts.map((p: any) => p.text).join("")).join("");
      expect(text, v.label).toBe(EXPECTED);
      expect(elements.at(-1).candidates[0].finishReason).toBe("STOP");
      const state = JSON.parse(dec.decode(r.filterState["tollgate.pii"]));
      expect(state.response_streamed_unscanned).toBe(false);
      expect(state.stream_max_held_bytes).toBeLessThanOrEqual(BOUND);
    }
  });

  it("a gzip reply (sent although accept-encoding was dropped) is decompressed, rewritten and sent uncompressed", async () => {
    const { gzipSync } = await import("node:zlib");
    const host = await trackedHost([piiFilter(CONFIG)]);
    const plainEx = geminiArrayStream(pieces(REPLY, 8));
    const gz = gzipSync(plainEx.response.body);
    const ex: Exchange = { ...plainEx, response: { ...plainEx.response, headers: [...plainEx.response.headers.filter(([k]) => k !== "content-encoding"), ["content-encoding", "gzip"]], body: new Uint8Array(gz) } };
    for (const v of [...planVariants({ kind: "recorded" }, ex), ...planVariants({ kind: "random", count: 10, seed: 4 }, ex)]) {
      const r = await host.exchange(applyVariant(ex, v));
      expect(r.downstreamResponse!.headers.find(([k]) => k === "content-encoding"), v.label).toBeUndefined();
      const elements = JSON.parse(dec.decode(r.downstreamResponse!.body));
      expect(elements.map((e: any) => e.candidates[0].content.parts.map((p: any) => p.text).join("")).join(""), v.label).toBe(EXPECTED);
    }
  });

  it("Bedrock ConverseStream (AWS event-stream): frames re-encoded with valid CRCs, the same guarantees", async () => {
    const host = await trackedHost([piiFilter(CONFIG)]);
    const ex = bedrockStream(pieces(REPLY, 10));
    const plan = [...planVariants({ kind: "size", size: 1 }, ex), ...planVariants({ kind: "random", count: 30, seed: 6 }, ex)];
    for (const v of plan) {
      const r = await host.exchange(applyVariant(ex, v));
      const frames = decodeFrames(r.downstreamResponse!.body);
      const text = frames.filter((f) => f.headers[":event-type"] === "contentBlockDelta").map((f) => JSON.parse(dec.decode(f.payload)).delta.text).join("");
      expect(text, v.label).toBe(EXPECTED);
      expect(frames.at(-1)!.headers[":event-type"]).toBe("metadata");
      expect(JSON.parse(dec.decode(r.filterState["tollgate.pii"])).stream_max_held_bytes).toBeLessThanOrEqual(BOUND);
    }
  });

  it("tokenise-and-restore through a stream: placeholders split across events and chunks come back whole", async () => {
    const host = await trackedHost([piiFilter({ entities: { EMAIL: { action: "tokenise" }, PHONE: { action: "tokenise" } } })]);
    const reply = "I will email <EMAIL_1> and call <PHONE_1> tomorrow.";
    const base = openaiStream(pieces(reply, 4));
    const body = JSON.parse(dec.decode(base.request.body));
    body.messages = [{ role: "user", content: `Contact ${EMAIL}, phone ${PHONE}.` }];
    const ex: Exchange = { ...base, request: { ...base.request, body: enc.encode(JSON.stringify(body)), chunks: undefined } };
    // Every split point of the reply, plus one-byte chunks and random splits of both bodies.
    const plan = [
      ...planVariants({ kind: "size", size: 1 }, ex),
      ...planVariants({ kind: "random", count: 30, seed: 5 }, ex),
      ...planVariants({ kind: "every-byte" }, ex).filter((v) => v.label.startsWith("response@")),
    ];
    for (const v of plan) {
      const r = await host.exchange(applyVariant(ex, v));
      expect(dec.decode(r.upstreamRequest!.body)).not.toContain(EMAIL);
      const { text } = clientText(dec.decode(r.downstreamResponse!.body), "openai");
      expect(text, v.label).toBe(`I will email ${EMAIL} and call ${PHONE} tomorrow.`);
    }
  }, EVERY_SPLIT_TIMEOUT);
});
