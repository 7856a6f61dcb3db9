// The hard cut-off: a streamed completion whose output passes what its budget allows is ended
// for the client with the provider's own terminal event, the rest of the upstream stream is
// dropped, and the budget is still charged for everything the provider generated.
import { afterAll, describe, expect, it } from "vitest";
import type { Exchange } from "./harness/api";
import { applyVariant, planVariants } from "./replay/split";
import { closeProbeHosts } from "./support/probe";
import { budgetHost, budgetState, recorded, statusOf, withBody } from "./support/budget";

afterAll(closeProbeHosts);

const CAP = 4;
const rule = (tokens: number) => ({ name: "tight", limit: { tokens }, window: { calendar: "hour" } });
const dec = new TextDecoder();

/** Reservation and settlement of `ex` under a budget that never binds. */
async function baseline(ex: Exchange) {
  const host = await budgetHost({ rules: [rule(1e9)], default_output_cap: CAP, cutoff: { enabled: true } });
  const r = await host.exchange(ex);
  return { state: budgetState(r).rules[0], body: dec.decode(r.downstreamResponse!.body) };
}

const dataEvents = (sse: string) => sse.split(/\r?\n/).filter((l) => l.startsWith("data: ")).map((l) => l.slice(6));

describe("hard cut-off", () => {
  it("OpenAI chat stream: finish_reason length then [DONE] after the allowance; charged for the whole generation", async () => {
    const ex = recorded("openai/chat-stream-tool-calls");
    const base = await baseline(ex);
    // A limit equal to the reservation leaves this stream exactly its default cap of output.
    const host = await budgetHost({ rules: [rule(base.state.reserved)], default_output_cap: CAP, cutoff: { enabled: true } });
    const r = await host.exchange(ex);
    expect(statusOf(r)).toBe(200);
    const body = dec.decode(r.downstreamResponse!.body);
    expect(body.length).toBeLessThan(base.body.length);
    const events = dataEvents(body);
    expect(events.at(-1)).toBe("[DONE]");
    const closing = JSON.parse(events.at(-2)!);
    expect(closing.choices[0].finish_reason).toBe("length");
    // What the client got is the original up to an event boundary, then the terminal.
    const prefix = body.slice(0, body.lastIndexOf("data: ", body.lastIndexOf("data: [DONE]") - 1));
    expect(base.body.startsWith(prefix)).toBe(true);
    expect(host.metrics()["tollgate.budget.cut_off.rule=.tight;"]).toBe(1);
    // The provider kept generating after the cut: the ledger charges all of it.
    expect(budgetState(r).rules[0].settled).toBeGreaterThanOrEqual(base.state.settled);
  });

  it("Anthropic stream: message_delta stop_reason max_tokens and message_stop", async () => {
    // Anthropic requires max_tokens and stops there itself; a cap below the recorded output makes
    // the stream overrun its reservation, as a tokenizer that counts higher than Anthropic's would.
    const ex = withBody(recorded("anthropic/messages-stream-text"), (b) => (b.max_tokens = 3));
    const base = await baseline(ex);
    const host = await budgetHost({ rules: [rule(base.state.reserved)], default_output_cap: CAP, cutoff: { enabled: true } });
    const r = await host.exchange(ex);
    const events = dataEvents(dec.decode(r.downstreamResponse!.body)).map((d) => JSON.parse(d));
    expect(events.at(-1).type).toBe("message_stop");
    expect(events.at(-2)).toMatchObject({ type: "message_delta", delta: { stop_reason: "max_tokens" } });
    expect(budgetState(r).rules[0].settled).toBeGreaterThanOrEqual(base.state.settled);
  });

  it("cuts at the same byte however the response is chunked", async () => {
    const ex = recorded("openai/chat-stream-tool-calls");
    const base = await baseline(ex);
    const host = await budgetHost({ rules: [{ ...rule(base.state.reserved), key: [{ header: "x-run" }] }], default_output_cap: CAP, cutoff: { enabled: true } });
    let first: string | undefined;
    const variants = [...planVariants({ kind: "size", size: 1 }, ex), ...planVariants({ kind: "random", count: 6, seed: 3 }, ex)];
    for (const [i, v] of variants.entries()) {
      const run = applyVariant(ex, v);
      const r = await host.exchange({ ...run, request: { ...run.request, headers: [...run.request.headers, ["x-run", `r${i}`]] } });
      const body = dec.decode(r.downstreamResponse!.body);
      first ??= body;
      expect(body, v.label).toBe(first);
    }
  });

  it("is off unless enabled: the stream passes whole", async () => {
    const ex = recorded("openai/chat-stream-tool-calls");
    const base = await baseline(ex);
    const host = await budgetHost({ rules: [rule(base.state.reserved)], default_output_cap: CAP });
    const r = await host.exchange(ex);
    expect(dec.decode(r.downstreamResponse!.body)).toBe(base.body);
  });
});
