// The official SDKs pointed at `tollgate serve`: what a user gets when they set base_url to the
// local proxy. Bodies come from real recordings served through the shipped envoy.yaml chain.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cassetteFile, serveChain } from "./support/serve";

const rec = (p: string) => resolve(__dirname, "recordings", p);
const chain = resolve(__dirname, "../envoy/envoy.yaml");
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

const serve = (cassetteYaml: string) => serveChain(chain, cassetteYaml, stops);
const cassette = cassetteFile;

describe("official SDK clients through tollgate serve", () => {
  it("openai: a chat completion and a streamed one with include_usage arrive as the SDK's own objects", async () => {
    const url = await serve(
      cassette(`  - name: basic
    request: { method: POST, path: /v1/chat/completions }
    response: { status: 200, headers: [[content-type, application/json]], body_file: ${rec("openai/chat-basic.json")} }
  - name: stream
    request: { method: POST, path: /v1/chat/completions }
    response: { status: 200, headers: [[content-type, text/event-stream]], body_file: ${rec("openai/chat-stream-usage-cached.sse")} }
`),
    );
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-test", maxRetries: 0 });
    const basic = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello" }] });
    const recorded = JSON.parse(readFileSync(rec("openai/chat-basic.json"), "utf8"));
    expect(basic.choices[0].message.content).toBe(recorded.choices[0].message.content);
    expect(basic.usage).toEqual(recorded.usage);

    const stream = await client.chat.completions.create({ model: "gpt-4o-mini", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "Hi" }] });
    let text = "";
    let usage: unknown = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    const sse = readFileSync(rec("openai/chat-stream-usage-cached.sse"), "utf8");
    const events = sse.split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6)));
    expect(text).toBe(events.map((e) => e.choices[0]?.delta?.content ?? "").join(""));
    expect(usage).toEqual(events.at(-1).usage);
  });

  it("anthropic: a tool-use message and a streamed text message arrive intact", async () => {
    const url = await serve(
      cassette(`  - name: tool
    request: { method: POST, path: /v1/messages }
    response: { status: 200, headers: [[content-type, application/json]], body_file: ${rec("anthropic/messages-tool-use.json")} }
  - name: stream
    request: { method: POST, path: /v1/messages }
    response: { status: 200, headers: [[content-type, text/event-stream]], body_file: ${rec("anthropic/messages-stream-text.sse")} }
`),
    );
    const client = new Anthropic({ baseURL: url, apiKey: "sk-ant-test", maxRetries: 0 });
    const msg = await client.messages.create({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "weather in Tokyo?" }] });
    const recorded = JSON.parse(readFileSync(rec("anthropic/messages-tool-use.json"), "utf8"));
    expect(msg.content).toEqual(recorded.content);
    expect(msg.usage.output_tokens).toBe(recorded.usage.output_tokens);

    const stream = client.messages.stream({ model: "claude-sonnet-4-5", max_tokens: 64, messages: [{ role: "user", content: "hi" }] });
    const final = await stream.finalMessage();
    const sse = readFileSync(rec("anthropic/messages-stream-text.sse"), "utf8");
    const deltas = sse.split("\n").filter((l) => l.startsWith("data: {")).map((l) => JSON.parse(l.slice(6))).filter((e) => e.type === "content_block_delta");
    expect(final.content.map((b) => (b.type === "text" ? b.text : "")).join("")).toBe(deltas.map((d) => d.delta.text ?? "").join(""));
  });
});
