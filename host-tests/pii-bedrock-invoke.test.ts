// pii-redact on Bedrock InvokeModelWithResponseStream replies (application/vnd.amazon.eventstream,
// `chunk` frames whose JSON payload is {"bytes": base64 of an Anthropic Messages stream event,
// "p": padding}). There is no real recording of this stream in the cassettes: the streams here
// are synthetic, built below from the documented format (Bedrock runtime API,
// InvokeModelWithResponseStream / PayloadPart; Anthropic's streaming events; the AWS event-stream
// framing with its prelude and message CRC32). Entities are injected into text deltas and tool
// input deltas cut into 1–8 byte pieces, then the body is re-chunked at every split point (the
// every-split streams are kept short: each split point is one whole replay).
import { afterAll, describe, expect, it } from "vitest";
import { join, resolve } from "node:path";
import { decodeEventStream, encodeEventStreamFrame, type EventStreamFrame } from "./support/event-stream";
import type { Exchange, WasmFilterConfig } from "./harness/api";
import { applyVariant, planVariants, prng } from "./replay/split";
import { closeProbeHosts, trackedHost } from "./support/probe";

const WASM = join(resolve(__dirname, ".."), "dist/pii-redact.wasm");
afterAll(closeProbeHosts);

const dec = new TextDecoder();
const enc = new TextEncoder();
const BOUND = 64;
const piiFilter = (config: unknown): WasmFilterConfig => ({ name: "pii-redact", rootId: "pii-redact", vmId: `pii-bi-${Math.random()}`, code: WASM, configuration: JSON.stringify(config) });

const EMAIL = "ann.lee@example.com";
const PHONE = "+1 (415) 555-0100";
const CARD = "4111 1111 1111 1111";
const TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
const ENTITIES = [EMAIL, PHONE, CARD, TOKEN];
const REPLY = `Sure. Write to ${EMAIL} or call ${PHONE}. The card on file is ${CARD}; deploy with ${TOKEN} today.`;
const TOOL_INPUT = `{"to": "${EMAIL}", "body": "card ${CARD}"}`;
const CONFIG = { entities: { CREDIT_CARD: { action: "redact" }, SECRET: { action: "redact" } }, stream: { hold_back_bytes: BOUND } };
const EXPECTED_TEXT = "Sure. Write to [EMAIL] or call [PHONE]. The card on file is [CREDIT_CARD]; deploy with [SECRET] today.";
const EXPECTED_TOOL = `{"to": "[EMAIL]", "body": "card [CREDIT_CARD]"}`;

const ANTHROPIC_PATH = "/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/invoke-with-response-stream";
// Only there to end a hung run (each every-split test replays the exchange thousands of times).
const EVERY_SPLIT_TIMEOUT = 300_000;

/** The reply cut into 1–`most` byte pieces (seeded), so entities straddle events. */
function pieces(text: string, seed: number, most = 5): string[] {
  const rand = prng(seed);
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rand() * most);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

// ---- AWS event-stream framing (host-tests/support/event-stream.ts) --------------------------
type Frame = EventStreamFrame;

/**
 * Every frame of a body; each frame's prelude and message CRC32 must hold. (Checked in plain JS
 * and asserted once per body: the every-split tests decode thousands of bodies.)
 */
function decodeFrames(b: Uint8Array): Frame[] {
  const { frames, errors } = decodeEventStream(b);
  expect(errors).toEqual([]);
  return frames;
}

const encodeFrame = encodeEventStreamFrame;

const PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** A `chunk` frame carrying one vendor event, with a padding member of varying length. */
function chunkFrame(event: unknown, n: number): Uint8Array {
  const bytes = Buffer.from(JSON.stringify(event)).toString("base64");
  const payload = JSON.stringify({ bytes, p: PADDING.slice(0, 1 + (n * 7) % 11) });
  return encodeFrame([[":event-type", "chunk"], [":content-type", "application/json"], [":message-type", "event"]], enc.encode(payload));
}

function exceptionFrame(): Uint8Array {
  return encodeFrame([[":exception-type", "throttlingException"], [":content-type", "application/json"], [":message-type", "exception"]], enc.encode(JSON.stringify({ message: "Too many requests, please wait before trying again." })));
}

// ---- Anthropic Messages stream events, as Bedrock wraps them ------------------------------
const messageStart = { type: "message_start", message: { id: "msg_bdrk_01Xq3", type: "message", role: "assistant", model: "claude-3-5-sonnet-20240620", content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 42, output_tokens: 1 } } };
const textStart = (index: number) => ({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
const textDelta = (index: number, text: string) => ({ type: "content_block_delta", index, delta: { type: "text_delta", text } });
const toolStart = (index: number) => ({ type: "content_block_start", index, content_block: { type: "tool_use", id: "toolu_bdrk_01A", name: "send_email", input: {} } });
const toolDelta = (index: number, partial_json: string) => ({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } });
const blockStop = (index: number) => ({ type: "content_block_stop", index });
const messageDelta = { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 77 } };
const messageStop = { type: "message_stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 42, outputTokenCount: 77, invocationLatency: 1830, firstByteLatency: 412 } };

/** Events of a reply with one text block and one tool_use block. */
function events(text: string[], tool: string[]): unknown[] {
  return [
    messageStart,
    textStart(0), ...text.map((t) => textDelta(0, t)), blockStop(0),
    toolStart(1), toolDelta(1, ""), ...tool.map((t) => toolDelta(1, t)), blockStop(1),
    messageDelta, messageStop,
  ];
}

function invokeExchange(frames: Uint8Array[], opts: { path?: string; request?: unknown } = {}): Exchange {
  const request = opts.request ?? { anthropic_version: "bedrock-2023-05-31", max_tokens: 400, messages: [{ role: "user", content: "Draft the reply to the customer." }] };
  return {
    name: "bedrock/invoke-stream-synthetic",
    request: {
      method: "POST", path: opts.path ?? ANTHROPIC_PATH, authority: "bedrock-runtime.us-east-1.amazonaws.com",
      headers: [["content-type", "application/json"], ["accept", "application/vnd.amazon.eventstream"]],
      body: enc.encode(JSON.stringify(request)),
    },
    response: {
      status: 200,
      headers: [["content-type", "application/vnd.amazon.eventstream"], ["x-amzn-bedrock-content-type", "application/json"]],
      body: new Uint8Array(Buffer.concat(frames)),
    },
  };
}

const streamOf = (evs: unknown[]) => evs.map((e, i) => chunkFrame(e, i));

/** What the client reads: every frame decoded, every chunk opened to its Anthropic event. */
function clientView(body: Uint8Array) {
  const frames = decodeFrames(body);
  const inner: any[] = [];
  const bad: string[] = [];
  for (const f of frames) {
    if (f.headers[":message-type"] !== "event") continue;
    if (f.headers[":event-type"] !== "chunk" || f.headers[":content-type"] !== "application/json") bad.push(JSON.stringify(f.headers));
    const outer = JSON.parse(dec.decode(f.payload));
    if (Object.keys(outer).join() !== "bytes,p") bad.push(`members ${Object.keys(outer)}`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(outer.bytes) || outer.bytes.length % 4 !== 0) bad.push(`bytes ${outer.bytes}`);
    inner.push(JSON.parse(Buffer.from(outer.bytes, "base64").toString("utf8")));
  }
  expect(bad).toEqual([]);
  const deltas = (type: string, field: string) => inner.filter((e) => e.type === "content_block_delta" && e.delta.type === type).map((e) => e.delta[field]).join("");
  return { frames, inner, text: deltas("text_delta", "text"), tool: deltas("input_json_delta", "partial_json") };
}

function leaks(text: string): string[] {
  const found: string[] = [];
  const plain = text.replace(/[\s()+-]/g, "");
  for (const entity of ENTITIES) {
    const compact = entity.replace(/[\s()+-]/g, "");
    for (let i = 0; i + 4 <= compact.length; i++) {
      const frag = compact.slice(i, i + 4);
      if (plain.includes(frag) && frag !== "1111") found.push(frag);
    }
  }
  return found;
}

const state = (r: { filterState: Record<string, Uint8Array> }) => JSON.parse(dec.decode(r.filterState["tollgate.pii"]));

describe("Bedrock InvokeModelWithResponseStream (Anthropic models)", () => {
  it("text and tool-input deltas: no entity nor 4-byte fragment of one reaches the client under every split of the body; frames keep valid CRCs", async () => {
    const host = await trackedHost([piiFilter(CONFIG)]);
    const text = pieces(REPLY, 1, 8), tool = pieces(TOOL_INPUT, 2, 8);
    const ex = invokeExchange(streamOf(events(text, tool)));
    const first = await host.exchange(ex);
    expect(first.trap).toBeUndefined();
    const view = clientView(first.downstreamResponse!.body);
    expect(view.text).toBe(EXPECTED_TEXT);
    expect(view.tool).toBe(EXPECTED_TOOL);
    // The events around the blocks come out where they were; message_stop (with the invocation
    // metrics) is still last and byte-identical.
    expect(view.inner[0]).toEqual(messageStart);
    expect(view.inner.at(-1)).toEqual(messageStop);
    expect(Buffer.from(view.frames.at(-1)!.raw)).toEqual(Buffer.from(chunkFrame(messageStop, events(text, tool).length - 1)));
    const order = view.inner.map((e) => e.type).filter((t) => t !== "content_block_delta");
    expect(order).toEqual(["message_start", "content_block_start", "content_block_stop", "content_block_start", "content_block_stop", "message_delta", "message_stop"]);
    // What a block still held went out in a copy of its last delta, before its content_block_stop.
    for (const index of [0, 1]) {
      const stop = view.inner.findIndex((e) => e.type === "content_block_stop" && e.index === index);
      const lastDelta = view.inner.map((e, i) => (e.type === "content_block_delta" && e.index === index ? i : -1)).reduce((a, b) => Math.max(a, b), -1);
      expect(lastDelta).toBeLessThan(stop);
      expect(view.inner[lastDelta].delta.type).toBe(index === 0 ? "text_delta" : "input_json_delta");
    }
    const s = state(first);
    expect(s.response_streamed_unscanned).toBe(false);
    expect(s.unreadable).toBe(0);
    expect(s.response).toMatchObject({ EMAIL: { redact: 2 }, PHONE: { redact: 1 }, CREDIT_CARD: { redact: 2 }, SECRET: { redact: 1 } });
    expect(host.metrics()["tollgate.pii.entities.direction=.response;type=.EMAIL;action=.redact;"]).toBe(2);

    const plan = [
      ...planVariants({ kind: "size", size: 1 }, ex),
      ...planVariants({ kind: "random", count: 20, seed: 7 }, ex),
      ...planVariants({ kind: "every-byte" }, ex).filter((v) => v.label.startsWith("response@")),
    ];
    expect(plan.length).toBeGreaterThan(ex.response.body.length);
    for (const v of plan) {
      const r = await host.exchange(applyVariant(ex, v));
      expect(r.trap, v.label).toBeUndefined();
      const { text, tool, inner } = clientView(r.downstreamResponse!.body);
      expect(text, v.label).toBe(EXPECTED_TEXT);
      expect(tool, v.label).toBe(EXPECTED_TOOL);
      expect(leaks(JSON.stringify(inner)), v.label).toEqual([]);
      const st = state(r);
      expect(st.response_streamed_unscanned, v.label).toBe(false);
      expect(st.stream_max_held_bytes, v.label).toBeLessThanOrEqual(BOUND);
    }
  }, EVERY_SPLIT_TIMEOUT);

  it("tokenise and restore: placeholders split across chunks come back whole in text and tool input, under every split", async () => {
    const host = await trackedHost([piiFilter({ entities: { EMAIL: { action: "tokenise" }, PHONE: { action: "tokenise" } } })]);
    const reply = "I will email <EMAIL_1> and call <PHONE_1> tomorrow.";
    const tool = `{"to": "<EMAIL_1>", "phone": "<PHONE_1>"}`;
    const request = { anthropic_version: "bedrock-2023-05-31", max_tokens: 400, messages: [{ role: "user", content: `Contact ${EMAIL}, phone ${PHONE}.` }] };
    const ex = invokeExchange(streamOf(events(pieces(reply, 4, 8), pieces(tool, 5, 8))), { request });
    const plan = [
      ...planVariants({ kind: "size", size: 1 }, ex),
      ...planVariants({ kind: "random", count: 20, seed: 5 }, ex),
      ...planVariants({ kind: "every-byte" }, ex).filter((v) => v.label.startsWith("response@")),
    ];
    for (const v of plan) {
      const r = await host.exchange(applyVariant(ex, v));
      expect(r.trap, v.label).toBeUndefined();
      expect(dec.decode(r.upstreamRequest!.body)).not.toContain(EMAIL);
      const view = clientView(r.downstreamResponse!.body);
      expect(view.text, v.label).toBe(`I will email ${EMAIL} and call ${PHONE} tomorrow.`);
      expect(view.tool, v.label).toBe(`{"to": "${EMAIL}", "phone": "${PHONE}"}`);
      const st = state(r);
      expect(st.restored, v.label).toBe(4);
      expect(st.response_streamed_unscanned, v.label).toBe(false);
    }
  }, EVERY_SPLIT_TIMEOUT);

  it("a stream without personal data: every frame that carries no text comes out byte-identical, and the text is unchanged", async () => {
    const host = await trackedHost([piiFilter(CONFIG)]);
    const text = "The weather in Lisbon is mild today, around eighteen degrees with a light breeze from the west.";
    const tool = `{"city": "Lisbon", "unit": "celsius"}`;
    const evs = events(pieces(text, 11), pieces(tool, 12));
    const frames = streamOf(evs);
    const ex = invokeExchange(frames);
    for (const v of [...planVariants({ kind: "recorded" }, ex), ...planVariants({ kind: "random", count: 10, seed: 3 }, ex)]) {
      const r = await host.exchange(applyVariant(ex, v));
      const view = clientView(r.downstreamResponse!.body);
      expect(view.text, v.label).toBe(text);
      expect(view.tool, v.label).toBe(tool);
      const textless = frames.filter((_, i) => (evs[i] as any).type !== "content_block_delta").map((f) => Buffer.from(f));
      const outTextless = view.frames.filter((_, i) => view.inner[i].type !== "content_block_delta").map((f) => Buffer.from(f.raw));
      expect(outTextless, v.label).toEqual(textless);
      // Deltas are re-sealed only where held-back text moved: the others are the frames as sent.
      const sent = new Set(frames.map((f) => Buffer.from(f).toString("hex")));
      const resealed = view.frames.filter((f) => !sent.has(Buffer.from(f.raw).toString("hex")));
      expect(resealed.every((f) => JSON.parse(dec.decode(f.payload)).p.length > 0)).toBe(true);
      const st = state(r);
      expect(st.response_streamed_unscanned).toBe(false);
      expect(st.response).toEqual({});
    }
  });

  it("an exception frame passes through as it came; text before it is still redacted", async () => {
    const host = await trackedHost([piiFilter(CONFIG)]);
    const exc = exceptionFrame();
    const ex = invokeExchange([...streamOf([messageStart, textStart(0), ...pieces(REPLY, 3).map((t) => textDelta(0, t))]), exc]);
    for (const v of [...planVariants({ kind: "size", size: 1 }, ex), ...planVariants({ kind: "random", count: 10, seed: 8 }, ex)]) {
      const r = await host.exchange(applyVariant(ex, v));
      const view = clientView(r.downstreamResponse!.body);
      const excOut = view.frames.filter((f) => f.headers[":message-type"] === "exception");
      expect(excOut.length, v.label).toBe(1);
      expect(Buffer.from(excOut[0].raw)).toEqual(Buffer.from(exc));
      expect(leaks(JSON.stringify(view.inner)), v.label).toEqual([]);
      expect(view.text, v.label).toBe(EXPECTED_TEXT);
      expect(state(r).response_streamed_unscanned).toBe(false);
    }
  });

  it("a chunk whose bytes are not base64 passes on as it came and counts as unreadable; the rest is still rewritten", async () => {
    const host = await trackedHost([piiFilter(CONFIG)]);
    const bad = encodeFrame([[":event-type", "chunk"], [":content-type", "application/json"], [":message-type", "event"]], enc.encode(JSON.stringify({ bytes: "eyJ0eXBlIjoi*bad*", p: "ab" })));
    // '/' written as "\/" is still base64 (JSON allows the escape).
    const escaped = encodeFrame([[":event-type", "chunk"], [":content-type", "application/json"], [":message-type", "event"]],
      enc.encode(JSON.stringify({ bytes: Buffer.from(JSON.stringify(textDelta(0, `????? mail ${EMAIL} `))).toString("base64") }).replace(/\//g, "\\/")));
    expect(dec.decode(escaped)).toContain("\\/");
    const frames = streamOf([messageStart, textStart(0), ...pieces(REPLY, 13).map((t) => textDelta(0, t))]);
    const ex = invokeExchange([...frames.slice(0, 3), bad, escaped, ...frames.slice(3), ...streamOf([blockStop(0), messageDelta, messageStop])]);
    const r = await host.exchange(ex);
    const out = decodeFrames(r.downstreamResponse!.body);
    expect(out.filter((f) => Buffer.from(f.raw).equals(Buffer.from(bad))).length).toBe(1);
    const text = out.filter((f) => f.raw.length !== bad.length || !Buffer.from(f.raw).equals(Buffer.from(bad)))
      .map((f) => JSON.parse(Buffer.from(JSON.parse(dec.decode(f.payload)).bytes, "base64").toString("utf8")))
      .filter((e) => e.type === "content_block_delta").map((e) => e.delta.text).join("");
    expect(text).not.toContain(EMAIL);
    expect(leaks(text)).toEqual([]);
    expect(state(r).unreadable).toBe(1);
  });

  it("inference profiles: one naming an Anthropic model, and an application profile (no vendor in its id) whose stream opens with message_start, are scanned too", async () => {
    const host = await trackedHost([piiFilter(CONFIG)]);
    const arn = encodeURIComponent("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-7-sonnet-20250219-v1:0");
    const app = encodeURIComponent("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6");
    for (const path of [`/model/${arn}/invoke-with-response-stream`, "/model/eu.anthropic.claude-3-5-sonnet-20240620-v1:0/invoke-with-response-stream", `/model/${app}/invoke-with-response-stream`]) {
      const r = await host.exchange(invokeExchange(streamOf(events(pieces(REPLY, 9), [])), { path }));
      const view = clientView(r.downstreamResponse!.body);
      expect(view.text, path).toBe(EXPECTED_TEXT);
      expect(state(r).response_streamed_unscanned, path).toBe(false);
    }
  });

  it("other vendors' inner events are not rewritten: byte-identical, and the state says unscanned", async () => {
    const host = await trackedHost([piiFilter(CONFIG)]);
    const llama = [
      { generation: `Write to ${EMAIL}`, prompt_token_count: 12, generation_token_count: 4, stop_reason: null },
      { generation: " today.", prompt_token_count: null, generation_token_count: 6, stop_reason: "stop", "amazon-bedrock-invocationMetrics": { inputTokenCount: 12, outputTokenCount: 6, invocationLatency: 300, firstByteLatency: 100 } },
    ];
    const app = encodeURIComponent("arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6");
    for (const path of ["/model/meta.llama3-70b-instruct-v1%3A0/invoke-with-response-stream", `/model/${app}/invoke-with-response-stream`]) {
      const ex = invokeExchange(streamOf(llama), { path, request: { prompt: "hi", max_gen_len: 50 } });
      const r = await host.exchange(ex);
      expect(Buffer.from(r.downstreamResponse!.body), path).toEqual(Buffer.from(ex.response.body));
      expect(state(r).response_streamed_unscanned, path).toBe(true);
      expect(state(r).unreadable, path).toBe(0);
    }
  });
});
