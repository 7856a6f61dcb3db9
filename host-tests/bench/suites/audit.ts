// The audit suite: what one audit record per request costs, on top of the chain it closes. The
// baseline is token-meter + budget (two local rules that never bind, as in the budget suite);
// the other chains add the audit filter last, in its own module but the same vm_id, as
// envoy/envoy.yaml runs it: plain SHA-256 chain, HMAC-SHA256 chain, and SHA-256 digests of
// both bodies on top. The log sink writes each record through proxy_log at info; the bench host
// keeps error lines only, so what is timed is building, hashing and handing over the record,
// not the host's log buffer.
import { chainsByWorkload, defineSuite, wasmFilter } from "../framework";
import { recorded } from "../workloads";
import type { WasmFilterConfig } from "../../harness/api";

const METER = "{}";
const BUDGET = {
  rules: [
    { name: "tenant-hourly", key: [{ header: "x-tenant" }], limit: { tokens: 1e15 }, window: { calendar: "hour" } },
    { name: "model-hourly", key: ["model"], limit: { tokens: 1e15 }, window: { rolling: "1h", slots: 60 } },
  ],
};
const AUDIT = { tenant: [{ header: "x-tenant" }], sinks: { log: { level: "info" } } };
const AUDIT_HMAC = { ...AUDIT, chain: { hmac_key: "bench-key-0123456789abcdef", key_id: "bench-1" } };
const AUDIT_DIGESTS = { ...AUDIT, digests: { request: true, response: true } };
const AUDIT_CAPTURE = { ...AUDIT, capture: { request: true, response: true, max_bytes: 16384 }, max_record_bytes: 131072 };

function withTenant(name: string, as: string) {
  const w = recorded(name, { as });
  for (const ex of w.exchanges) ex.request.headers = [...ex.request.headers, ["x-tenant", "acme"]];
  return w;
}

/** Same VM id for every filter of a chain, as envoy.yaml runs them. */
function inOneVm(...filters: ReturnType<typeof wasmFilter>[]) {
  return filters.map((f) => ({ ...f, vmId: "tollgate" }));
}

const base = () => [wasmFilter("token-meter", "token-meter.wasm", "token-meter", METER), wasmFilter("budget", "budget.wasm", "budget", BUDGET)];
const audit = (config: object) => wasmFilter("audit", "audit.wasm", "audit", config);

/**
 * AUDIT_BENCH_BEFORE=<path of another audit build> adds a `chain+audit-before` chain: the plain
 * sha256 configuration with that build, in the same rounds, so a change to the record is measured
 * before/after (compare its ratio with chain+audit's).
 */
const BEFORE_WASM = process.env.AUDIT_BENCH_BEFORE;
const before = (): Record<string, WasmFilterConfig[]> =>
  BEFORE_WASM ? { "chain+audit-before": inOneVm(...base(), { ...audit(AUDIT), code: BEFORE_WASM }) } : {};

export const suite = defineSuite({
  name: "audit",
  description: "token-meter + budget + audit (one record per request: sha256 chain, hmac-sha256 chain, sha256 body digests, redacted content capture) vs token-meter + budget, per request",
  ...chainsByWorkload({
    baseline: "chain",
    chains: {
      chain: inOneVm(...base()),
      ...before(),
      "chain+audit": inOneVm(...base(), audit(AUDIT)),
      "chain+audit-hmac": inOneVm(...base(), audit(AUDIT_HMAC)),
      "chain+audit-digests": inOneVm(...base(), audit(AUDIT_DIGESTS)),
      "chain+audit-capture": inOneVm(...base(), audit(AUDIT_CAPTURE)),
    },
    workloads: [
      withTenant("openai/chat-basic", "openai-json"),
      withTenant("openai/chat-stream-tool-calls", "openai-sse"),
      withTenant("anthropic/messages-tool-use", "anthropic-json"),
    ],
  }),
});
