// Test support for the budget filter: a host with the token meter then the budget filter (the
// intended order: the budget reads the meter's filter state), recorded exchanges re-addressed
// to a tenant, and readers for what the client and the filter state say.
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Exchange, ExchangeResult, HeaderList, HostOptions, WasmFilterConfig } from "../harness/api";
import type { EnvoyHost } from "../harness/host";
import { loadCassette } from "../replay/cassette";
import { trackedHost } from "./probe";

const ROOT = resolve(__dirname, "../..");
export const BUDGET_WASM = join(ROOT, "dist/budget.wasm");
export const METER_WASM = join(ROOT, "dist/token-meter.wasm");
const CASSETTES = join(ROOT, "host-tests/recordings/cassettes");

export function meterFilter(configuration: unknown = {}, vmId = "tollgate"): WasmFilterConfig {
  return { name: "token-meter", rootId: "token-meter", vmId, code: METER_WASM, configuration: JSON.stringify(configuration) };
}

export function budgetFilter(configuration: unknown, vmId = "tollgate"): WasmFilterConfig {
  return { name: "budget", rootId: "budget", vmId, code: BUDGET_WASM, configuration: JSON.stringify(configuration) };
}

let hostSeq = 0;

/**
 * token-meter → budget, as envoy/envoy.yaml chains them. Shared data is process-wide per vm_id
 * (as in Envoy), so each host gets its own vm_id unless `vmId` asks to share one (a reload).
 */
export function budgetHost(config: unknown, options: HostOptions = {}, meter: unknown = {}, vmId = `tollgate-${++hostSeq}`): Promise<EnvoyHost> {
  return trackedHost([meterFilter(meter, vmId), budgetFilter(config, vmId)], options);
}

let all: Exchange[] | null = null;

/** Every recorded exchange of the bundled cassettes, by name. */
export function recorded(name: string): Exchange {
  all ??= readdirSync(CASSETTES)
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((f) => loadCassette(join(CASSETTES, f)).exchanges.map((e) => e.exchange));
  const ex = all.find((e) => e.name === name);
  if (!ex) throw new Error(`no recorded exchange ${name}`);
  return ex;
}

export function allRecorded(): Exchange[] {
  recorded("openai/chat-basic");
  return all!;
}

/** A copy of `ex` whose request carries extra headers (e.g. the tenant) and attributes. */
export function as(ex: Exchange, headers: HeaderList, attributes: Exchange["attributes"] = {}): Exchange {
  return {
    ...ex,
    request: { ...ex.request, headers: [...ex.request.headers.filter(([k]) => !headers.some(([h]) => h === k.toLowerCase())), ...headers] },
    attributes: { ...ex.attributes, ...attributes },
  };
}

/** A copy of `ex` with a JSON request body edited (e.g. max_tokens). */
export function withBody(ex: Exchange, edit: (body: any) => void): Exchange {
  const body = JSON.parse(new TextDecoder().decode(ex.request.body));
  edit(body);
  return { ...ex, request: { ...ex.request, body: new TextEncoder().encode(JSON.stringify(body)), chunks: undefined } };
}

export function budgetState(r: ExchangeResult): any {
  const v = r.filterState["tollgate.budget"];
  return v === undefined ? undefined : JSON.parse(new TextDecoder().decode(v));
}

export function statusOf(r: ExchangeResult): number | undefined {
  return r.downstreamResponse?.status ?? r.localReply?.status;
}

export function headerOf(r: ExchangeResult, name: string): string | undefined {
  const h = r.downstreamResponse?.headers ?? r.localReply?.headers ?? [];
  return h.find(([k]) => k.toLowerCase() === name)?.[1];
}

export function bodyJson(r: ExchangeResult): any {
  const b = r.downstreamResponse?.body ?? r.localReply?.body;
  return b === undefined ? undefined : JSON.parse(new TextDecoder().decode(b));
}
