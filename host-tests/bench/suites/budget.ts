// The budget suite: what budgets add per request on top of the token meter, on the same recorded
// exchanges. Both chains run the meter (the budget reads its filter state); the budget chain
// adds two local rules (a per-tenant and a per-model hour), so every request does two
// shared-data compare-and-swap reservations at admission and two settlements in on_log. The
// limits never bind, so every iteration takes the same admitted path.
import { chainsByWorkload, defineSuite, wasmFilter } from "../framework";
import { recorded } from "../workloads";

const METER = "{}";
const BUDGET = {
  rules: [
    { name: "tenant-hourly", key: [{ header: "x-tenant" }], limit: { tokens: 1e15 }, window: { calendar: "hour" } },
    { name: "model-hourly", key: ["model"], limit: { tokens: 1e15 }, window: { rolling: "1h", slots: 60 } },
  ],
};

function withTenant(name: string, as: string) {
  const w = recorded(name, { as });
  for (const ex of w.exchanges) ex.request.headers = [...ex.request.headers, ["x-tenant", "acme"]];
  return w;
}

/** Same VM id for both filters of a chain, as envoy.yaml runs them. */
function inOneVm(...filters: ReturnType<typeof wasmFilter>[]) {
  return filters.map((f) => ({ ...f, vmId: "tollgate" }));
}

export const suite = defineSuite({
  name: "budget",
  description: "token-meter + budget (2 local rules: reserve by CAS at admission, settle in on_log) vs token-meter alone, per request",
  ...chainsByWorkload({
    baseline: "meter",
    chains: {
      meter: inOneVm(wasmFilter("token-meter", "token-meter.wasm", "token-meter", METER)),
      "meter+budget": inOneVm(wasmFilter("token-meter", "token-meter.wasm", "token-meter", METER), wasmFilter("budget", "budget.wasm", "budget", BUDGET)),
    },
    workloads: [
      withTenant("openai/chat-basic", "openai-json"),
      withTenant("openai/chat-stream-tool-calls", "openai-sse"),
      withTenant("anthropic/messages-tool-use", "anthropic-json"),
    ],
  }),
});
