// The pii-redact filter on recorded traffic with personal data and secrets injected into the
// prompts: what leaves for the provider, what the client gets back, what is refused.
import { afterAll, describe, expect, it } from "vitest";
import { join, resolve } from "node:path";
import type { Exchange, WasmFilterConfig } from "./harness/api";
import { closeProbeHosts, trackedHost } from "./support/probe";
import { recorded, statusOf, bodyJson } from "./support/budget";

const WASM = join(resolve(__dirname, ".."), "dist/pii-redact.wasm");
afterAll(closeProbeHosts);

const KEY = "test-pseudonym-key-0123456789";
const piiFilter = (config: unknown): WasmFilterConfig => ({ name: "pii-redact", rootId: "pii-redact", vmId: `pii-${Math.random()}`, code: WASM, configuration: JSON.stringify(config) });
const dec = new TextDecoder();
const enc = new TextEncoder();

const EMAIL = "ann.lee@example.com";
const CARD = "4111 1111 1111 1111";
const PHONE = "+1 (415) 555-0100";
// Built from the format facts, not a real key.
const GH_TOKEN = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";

function withPrompt(ex: Exchange, prompt: string): Exchange {
  const body = JSON.parse(dec.decode(ex.request.body));
  body.messages[0].content = prompt;
  return { ...ex, request: { ...ex.request, body: enc.encode(JSON.stringify(body)), chunks: undefined } };
}

function withReply(ex: Exchange, reply: string): Exchange {
  const body = JSON.parse(dec.decode(ex.response.body));
  body.choices[0].message.content = reply;
  return { ...ex, response: { ...ex.response, body: enc.encode(JSON.stringify(body)), chunks: undefined } };
}

const prompt = `Email ${EMAIL} or call ${PHONE}; card ${CARD}. Don't quote "this" \\ or that.`;

describe("pii-redact on requests", () => {
  it("redacts, masks and tokenises per type; the body stays valid JSON and other fields are untouched", async () => {
    const host = await trackedHost([piiFilter({ entities: { EMAIL: { action: "tokenise" }, PHONE: { action: "mask" }, CREDIT_CARD: { action: "redact" } } })]);
    const r = await host.exchange(withPrompt(recorded("openai/chat-basic"), prompt));
    expect(r.trap).toBeUndefined();
    const up = JSON.parse(dec.decode(r.upstreamRequest!.body));
    expect(up.model).toBe("gpt-4o-mini");
    expect(up.messages[0].content).toBe(`Email <EMAIL_1> or call +* (***) ***-0100; card [CREDIT_CARD]. Don't quote "this" \\ or that.`);
    const state = JSON.parse(dec.decode(r.filterState["tollgate.pii"]));
    expect(state.request).toEqual({ EMAIL: { tokenise: 1 }, PHONE: { mask: 1 }, CREDIT_CARD: { redact: 1 } });
    expect(JSON.stringify(state)).not.toContain("example.com");
    expect(host.metrics()["tollgate.pii.entities.direction=.request;type=.EMAIL;action=.tokenise;"]).toBe(1);
  });

  it("pseudonyms are keyed and stable", async () => {
    const host = await trackedHost([piiFilter({ entities: { EMAIL: { action: "pseudonymise" } }, pseudonym: { key: KEY } })]);
    const a = JSON.parse(dec.decode((await host.exchange(withPrompt(recorded("openai/chat-basic"), `to ${EMAIL}`))).upstreamRequest!.body));
    const b = JSON.parse(dec.decode((await host.exchange(withPrompt(recorded("openai/chat-basic"), `cc ${EMAIL}`))).upstreamRequest!.body));
    expect(a.messages[0].content).toMatch(/^to \[EMAIL_[0-9a-f]{8}\]$/);
    expect(b.messages[0].content.slice(3)).toBe(a.messages[0].content.slice(3));
  });

  it("a configuration that pseudonymises without a key is rejected", async () => {
    await expect(trackedHost([piiFilter({ entities: { EMAIL: { action: "pseudonymise" } } })])).rejects.toThrow();
  });

  it("block refuses with the provider's own 400 naming the type, never the value; nothing is sent", async () => {
    const host = await trackedHost([piiFilter({})]);
    const o = await host.exchange(withPrompt(recorded("openai/chat-basic"), `deploy with ${GH_TOKEN}`));
    expect(statusOf(o)).toBe(400);
    expect(o.upstreamRequest?.body?.length ?? 0).toBe(0);
    expect(bodyJson(o).error.type).toBe("invalid_request_error");
    expect(bodyJson(o).error.message).toContain("SECRET");
    expect(dec.decode(o.localReply!.body)).not.toContain(GH_TOKEN.slice(4, 12));
    const a = await host.exchange(withPrompt(recorded("anthropic/messages-tool-use"), `deploy with ${GH_TOKEN}`));
    expect(statusOf(a)).toBe(400);
    expect(bodyJson(a)).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });
});

describe("custom patterns and word lists", () => {
  it("a configured pattern and a customer list are found and acted on like built-in types", async () => {
    const host = await trackedHost([piiFilter({
      custom_patterns: [{ name: "employee_id", pattern: "\\bEMP-\\d{6}\\b", action: "redact" }],
      word_lists: [{ name: "customers", words: ["Acme Corp", "Globex"], action: "tokenise" }],
    })]);
    const r = await host.exchange(withPrompt(recorded("openai/chat-basic"), "Ticket from acme corp about EMP-123456 and Globex."));
    const up = JSON.parse(dec.decode(r.upstreamRequest!.body));
    expect(up.messages[0].content).toBe("Ticket from <WORD_1> about [CUSTOM] and <WORD_2>.");
    const state = JSON.parse(dec.decode(r.filterState["tollgate.pii"]));
    expect(state.request).toEqual({ CUSTOM: { redact: 1 }, WORD: { tokenise: 2 } });
  });

  it("a pattern the linear-time engine cannot bound (or with a backreference) rejects the configuration", async () => {
    await expect(trackedHost([piiFilter({ custom_patterns: [{ name: "x", pattern: "(a{1000}){1000}" }] })])).rejects.toThrow();
    await expect(trackedHost([piiFilter({ custom_patterns: [{ name: "x", pattern: "(a)\\1" }] })])).rejects.toThrow();
  });
});

describe("pii-redact on replies", () => {
  it("tokenise-and-restore: the model sees placeholders, the client gets its own values back", async () => {
    const host = await trackedHost([piiFilter({ entities: { EMAIL: { action: "tokenise" }, PHONE: { action: "tokenise" } } })]);
    const ex = withReply(withPrompt(recorded("openai/chat-basic"), prompt), "I will write to <EMAIL_1> and call <PHONE_1>; <EMAIL_7> is unknown.");
    const r = await host.exchange(ex);
    const up = JSON.parse(dec.decode(r.upstreamRequest!.body));
    expect(up.messages[0].content).not.toContain(EMAIL);
    const down = JSON.parse(dec.decode(r.downstreamResponse!.body));
    expect(down.choices[0].message.content).toBe(`I will write to ${EMAIL} and call ${PHONE}; <EMAIL_7> is unknown.`);
    expect(down.usage).toEqual(JSON.parse(dec.decode(ex.response.body)).usage);
  });

  it("under tokenise, an entity the model writes itself is redacted in the reply, whatever the request held", async () => {
    const host = await trackedHost([piiFilter({ entities: { EMAIL: { action: "tokenise" } } })]);
    for (const promptText of ["no personal data here", `mine is ${EMAIL}`]) {
      const r = await host.exchange(withReply(withPrompt(recorded("openai/chat-basic"), promptText), "Try bob@example.org instead."));
      expect(JSON.parse(dec.decode(r.downstreamResponse!.body)).choices[0].message.content).toBe("Try [EMAIL] instead.");
    }
  });

  it("entities the model produces itself are replaced in the reply", async () => {
    const host = await trackedHost([piiFilter({})]);
    const r = await host.exchange(withReply(recorded("openai/chat-basic"), `Her card is ${CARD}.`));
    expect(JSON.parse(dec.decode(r.downstreamResponse!.body)).choices[0].message.content).toBe("Her card is **** **** **** 1111.");
    expect(JSON.parse(dec.decode(r.filterState["tollgate.pii"])).response).toEqual({ CREDIT_CARD: { mask: 1 } });
  });
});

describe("bad input", () => {
  it("random bytes, truncated JSON and deep nesting as bodies never trap; unreadable bodies pass as they are", async () => {
    const { prng } = await import("./replay/split");
    const rand = prng(77);
    const host = await trackedHost([piiFilter({})]);
    const base = recorded("openai/chat-basic");
    const bodies: Uint8Array[] = [
      enc.encode('{"messages":[{"role":"user","content":"mail ann@example.com'),
      enc.encode("[".repeat(5000)),
      enc.encode('{"messages":' + "[".repeat(200) + "]".repeat(200) + "}"),
    ];
    for (let i = 0; i < 40; i++) bodies.push(Uint8Array.from({ length: 1 + Math.floor(rand() * 2000) }, () => Math.floor(rand() * 256)));
    for (const body of bodies) {
      const r = await host.exchange({ ...base, request: { ...base.request, body, chunks: undefined }, response: { ...base.response, body, chunks: undefined } });
      expect(r.trap).toBeUndefined();
      expect(Buffer.from(r.upstreamRequest!.body).equals(Buffer.from(body))).toBe(true);
      expect(Buffer.from(r.downstreamResponse!.body).equals(Buffer.from(body))).toBe(true);
    }
    const strict = await trackedHost([piiFilter({ on_bad_input: "reject" })]);
    const refused = await strict.exchange({ ...base, request: { ...base.request, body: bodies[0], chunks: undefined } });
    expect(statusOf(refused)).toBe(400);
  });
});
