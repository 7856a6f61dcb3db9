// What an application sees when its budget is spent: the official openai and @anthropic-ai/sdk
// clients pointed at `tollgate serve` (the shipped envoy.yaml chain with a small budget) get
// their own RateLimitError, and with retries on they wait as retry-after says and succeed once
// the rolling window has freed room.
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { dump, load } from "js-yaml";
import { afterEach, describe, expect, it } from "vitest";
import { cassetteFile, serveChain } from "./support/serve";

const ROOT = resolve(__dirname, "..");
const rec = (p: string) => resolve(__dirname, "recordings", p);
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length) await stops.pop()!();
});

/** envoy/envoy.yaml with the budget filter's configuration replaced, code paths made absolute. */
function chainWithBudget(budget: unknown): string {
  const doc = load(readFileSync(join(ROOT, "envoy/envoy.yaml"), "utf8")) as any;
  const filters = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters;
  for (const f of filters) {
    const cfg = f.typed_config?.config;
    if (!cfg) continue;
    cfg.vm_config.code.local.filename = cfg.vm_config.code.local.filename.replace("/etc/envoy/dist/", `${ROOT}/dist/`);
    if (cfg.root_id === "budget") cfg.configuration.value = JSON.stringify(budget);
  }
  const dir = mkdtempSync(join(tmpdir(), "tollgate-budget-sdk-"));
  writeFileSync(join(dir, "envoy.yaml"), dump(doc));
  return join(dir, "envoy.yaml");
}

const serve = (chain: string, cassette: string) => serveChain(chain, cassette, stops);
const cassette = cassetteFile;

// 250 tokens per tenant over a rolling 3 s (3 one-second slots). A 9-token prompt with
// max_tokens 230 reserves 239 and settles at 18 (chat-basic's usage): the first call fits, the
// second (18 + 239 > 250) does not until the first call's slot leaves the window.
const budget = {
  rules: [{ name: "tenant-burst", key: [{ header: "x-tenant" }], limit: { tokens: 250 }, window: { rolling: "3s", slots: 3 } }],
};

describe("official SDKs against a spent budget", () => {
  it("openai: RateLimitError without retries; with retries it waits for retry-after and gets through", async () => {
    const url = await serve(
      chainWithBudget(budget),
      cassette(`  - name: basic
    request: { method: POST, path: /v1/chat/completions }
    response: { status: 200, headers: [[content-type, application/json]], body_file: ${rec("openai/chat-basic.json")} }
`),
    );
    const ask = (client: OpenAI) => client.chat.completions.create({ model: "gpt-4o-mini", max_tokens: 230, messages: [{ role: "user", content: "Hello" }] });
    const noRetry = new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-test", maxRetries: 0, defaultHeaders: { "x-tenant": "acme" } });
    await ask(noRetry);
    const err = await ask(noRetry).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.code).toBe("rate_limit_exceeded");
    expect(e.type).toBe("rate_limit_error");
    const waitMs = Number(e.headers?.get("retry-after-ms"));
    expect(waitMs).toBeGreaterThan(0);
    expect(waitMs).toBeLessThanOrEqual(3000);
    expect(e.headers?.get("x-ratelimit-limit-tokens")).toBe("250");

    const retrying = new OpenAI({ baseURL: `${url}/v1`, apiKey: "sk-test", maxRetries: 3, defaultHeaders: { "x-tenant": "acme" } });
    const started = Date.now();
    const ok = await ask(retrying);
    expect(ok.choices[0].message.content).toBeTruthy();
    // It did wait (the budget only frees as the window moves), and not for much longer than asked.
    expect(Date.now() - started).toBeGreaterThanOrEqual(Math.min(waitMs, 500));
  });

  it("anthropic: RateLimitError in Anthropic's shape, then a retried success", async () => {
    const url = await serve(
      chainWithBudget(budget),
      cassette(`  - name: tool
    request: { method: POST, path: /v1/messages }
    response: { status: 200, headers: [[content-type, application/json]], body_file: ${rec("anthropic/messages-tool-use.json")} }
`),
    );
    // messages-tool-use: the prompt is estimated, so leave room: max_tokens 1 keeps the first call small.
    const noRetry = new Anthropic({ baseURL: url, apiKey: "sk-ant-test", maxRetries: 0, defaultHeaders: { "x-tenant": "acme" } });
    const ask = (client: Anthropic, maxTokens: number) =>
      client.messages.create({ model: "claude-sonnet-4-5", max_tokens: maxTokens, messages: [{ role: "user", content: "weather in Tokyo?" }] });
    let refused: unknown = null;
    for (let i = 0; i < 5 && !refused; i++) refused = await ask(noRetry, 200).then(() => null, (e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.RateLimitError);
    const e = refused as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.status).toBe(429);
    expect((e.error as any)?.error?.type).toBe("rate_limit_error");
    expect(Number(e.headers?.get("retry-after"))).toBeGreaterThan(0);

    const retrying = new Anthropic({ baseURL: url, apiKey: "sk-ant-test", maxRetries: 4, defaultHeaders: { "x-tenant": "acme" } });
    const msg = await ask(retrying, 1);
    expect(msg.content.length).toBeGreaterThan(0);
  });
});
