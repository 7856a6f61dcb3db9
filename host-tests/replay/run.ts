// Replays cassette exchanges through a host, once per split variant, and checks expectations.
import { randomUUID } from "node:crypto";
import type { Exchange, ExchangeResult, Host, HostOptions, WasmFilterConfig } from "../harness/api";
import type { CassetteExchange } from "./cassette";
import { checkExpectations } from "./expect";
import { applyVariant, countVariants, planVariants, type SplitMode } from "./split";
import { bytesEqual, firstDifference, utf8OrUndefined } from "./bytes";

export type CreateHost = (filters: WasmFilterConfig[], options?: HostOptions) => Host | Promise<Host>;

export interface Mismatch {
  label: string;
  differences: string[];
}

export interface Outcome {
  item: CassetteExchange;
  /** The baseline replay (recorded split, or the only one). */
  result?: ExchangeResult;
  /** The host threw (not a filter trap: those are in result.trap). */
  error?: string;
  replays: number;
  /** Variants whose result differs from the baseline; at most MAX_KEPT_MISMATCHES are kept. */
  mismatches: Mismatch[];
  mismatchCount: number;
  /** Failed expectations of the baseline replay. */
  failures: string[];
  /** The baseline replay's x-request-id, with RunOptions.requestIds (the audit record's request_id). */
  requestId?: string;
}

export interface RunOptions {
  /** Builds a host for the chain. Called once, or once per replay with freshHost. */
  newHost: () => Promise<Host>;
  split: SplitMode;
  /** Exchanges in flight at once. Default 1. */
  concurrency?: number;
  /** A new host for every replay, so state a filter keeps (budgets) cannot leak between splits. */
  freshHost?: boolean;
  /** Called with each outcome, in cassette order, as soon as it and all before it are done. */
  onOutcome?: (o: Outcome) => void;
  onProgress?: (replaysDone: number, replaysTotal: number) => void;
  /**
   * Give each replay's request an x-request-id when it has none, as Envoy's HCM would, but known
   * here: it names the request in the audit record. Default false (the host makes one up).
   */
  requestIds?: boolean;
}

/** The exchange with an x-request-id (its own if it has one) and that id. */
function withRequestId(ex: Exchange): [Exchange, string] {
  const own = ex.request.headers.find(([k]) => k.toLowerCase() === "x-request-id");
  if (own) return [ex, own[1]];
  const id = randomUUID();
  // Appended to the client's headers (the host then adds x-forwarded-proto after it).
  return [{ ...ex, request: { ...ex.request, headers: [...ex.request.headers, ["x-request-id", id]] } }, id];
}

const MAX_KEPT_MISMATCHES = 10;

export async function runExchanges(items: CassetteExchange[], opts: RunOptions): Promise<Outcome[]> {
  const total = items.reduce((n, it) => n + countVariants(opts.split, it.exchange), 0);
  let done = 0;
  const tick = () => opts.onProgress?.(++done, total);
  let shared: Host | undefined;
  const hostFor = async () => (opts.freshHost ? opts.newHost() : (shared ??= await opts.newHost()));

  const outcomes: Outcome[] = new Array(items.length);
  let emitted = 0;
  const emit = () => {
    while (emitted < items.length && outcomes[emitted]) {
      const o = outcomes[emitted++];
      opts.onOutcome?.(o);
    }
  };

  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      outcomes[i] = await runOne(items[i], opts, hostFor, tick);
      emit();
    }
  };
  try {
    // The shared host is built before the workers start, so a load error surfaces once.
    if (!opts.freshHost) await hostFor();
    await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 1, items.length)) }, worker));
  } finally {
    await shared?.close();
  }
  return outcomes;
}

async function runOne(item: CassetteExchange, opts: RunOptions, hostFor: () => Promise<Host>, tick: () => void): Promise<Outcome> {
  const out: Outcome = { item, replays: 0, mismatches: [], mismatchCount: 0, failures: [] };
  const variants = planVariants(opts.split, item.exchange);
  for (const v of variants) {
    let result: ExchangeResult;
    const host = await hostFor();
    let ex = applyVariant(item.exchange, v);
    let requestId: string | undefined;
    if (opts.requestIds) [ex, requestId] = withRequestId(ex);
    try {
      result = await host.exchange(ex);
    } catch (e) {
      const msg = (e as Error).stack ?? String(e);
      if (!out.result) {
        out.error = msg;
        // Without a baseline there is nothing to compare the other splits with; the finally
        // block below counts this replay, the loop the ones skipped.
        for (let k = out.replays + 1; k < variants.length; k++) tick();
        return out;
      }
      out.mismatchCount++;
      if (out.mismatches.length < MAX_KEPT_MISMATCHES) out.mismatches.push({ label: v.label, differences: [`host error: ${(e as Error).message}`] });
      continue;
    } finally {
      if (opts.freshHost) await host.close();
      out.replays++;
      tick();
    }
    if (!out.result) {
      out.result = result;
      out.requestId = requestId;
      if (item.expect) out.failures = checkExpectations(item.expect, result);
      continue;
    }
    const differences = diffResults(out.result, result);
    if (differences.length) {
      out.mismatchCount++;
      if (out.mismatches.length < MAX_KEPT_MISMATCHES) out.mismatches.push({ label: v.label, differences });
    }
  }
  return out;
}

/** Headers whose value is new on every stream (Envoy generates x-request-id per request). */
const VOLATILE_HEADERS = new Set(["x-request-id"]);

/**
 * What a client, the upstream or the access log could notice. Logs, metrics and the downstream
 * chunk sizes are left out: they legitimately depend on how the bytes were split.
 */
export function diffResults(a: ExchangeResult, b: ExchangeResult): string[] {
  const d: string[] = [];
  const bodies = (label: string, x: Uint8Array | undefined, y: Uint8Array | undefined) => {
    if (!x || !y) {
      if (x || y) d.push(`${label}: ${x ? "present" : "absent"} vs ${y ? "present" : "absent"}`);
      return;
    }
    if (!bytesEqual(x, y)) d.push(`${label}: ${x.length} vs ${y.length} bytes, first difference at byte ${firstDifference(x, y)}`);
  };
  const headers = (label: string, x: Array<[string, string]> | undefined, y: Array<[string, string]> | undefined) => {
    if (!x || !y) {
      if (x || y) d.push(`${label}: ${x ? "present" : "absent"} vs ${y ? "present" : "absent"}`);
      return;
    }
    const n = Math.max(x.length, y.length);
    for (let i = 0; i < n; i++) {
      const [kx, vx] = x[i] ?? [];
      const [ky, vy] = y[i] ?? [];
      if (kx === ky && (vx === vy || VOLATILE_HEADERS.has(kx!))) continue;
      d.push(`${label}[${i}]: ${JSON.stringify(x[i] ?? null)} vs ${JSON.stringify(y[i] ?? null)}`);
      return;
    }
  };
  const presence = (label: string, x: unknown, y: unknown) => {
    if (!!x !== !!y) d.push(`${label}: ${x ? "present" : "absent"} vs ${y ? "present" : "absent"}`);
    return !!x && !!y;
  };

  if (presence("localReply", a.localReply, b.localReply)) {
    if (a.localReply!.status !== b.localReply!.status) d.push(`localReply.status: ${a.localReply!.status} vs ${b.localReply!.status}`);
    headers("localReply.headers", a.localReply!.headers, b.localReply!.headers);
    bodies("localReply.body", a.localReply!.body, b.localReply!.body);
  }
  if (presence("upstreamRequest", a.upstreamRequest, b.upstreamRequest)) {
    headers("upstreamRequest.headers", a.upstreamRequest!.headers, b.upstreamRequest!.headers);
    bodies("upstreamRequest.body", a.upstreamRequest!.body, b.upstreamRequest!.body);
    headers("upstreamRequest.trailers", a.upstreamRequest!.trailers, b.upstreamRequest!.trailers);
  }
  if (presence("downstreamResponse", a.downstreamResponse, b.downstreamResponse)) {
    if (a.downstreamResponse!.status !== b.downstreamResponse!.status) d.push(`downstreamResponse.status: ${a.downstreamResponse!.status} vs ${b.downstreamResponse!.status}`);
    headers("downstreamResponse.headers", a.downstreamResponse!.headers, b.downstreamResponse!.headers);
    bodies("downstreamResponse.body", a.downstreamResponse!.body, b.downstreamResponse!.body);
    headers("downstreamResponse.trailers", a.downstreamResponse!.trailers, b.downstreamResponse!.trailers);
  }
  if (a.reset !== b.reset) d.push(`reset: ${a.reset ?? "none"} vs ${b.reset ?? "none"}`);
  if (presence("trap", a.trap, b.trap) && a.trap!.message !== b.trap!.message) d.push(`trap: ${a.trap!.message} vs ${b.trap!.message}`);
  const keys = new Set([...Object.keys(a.filterState), ...Object.keys(b.filterState)]);
  for (const k of [...keys].sort()) {
    const x = a.filterState[k];
    const y = b.filterState[k];
    if (x && y && bytesEqual(x, y)) continue;
    const show = (v: Uint8Array | undefined) => (v === undefined ? "unset" : JSON.stringify(utf8OrUndefined(v) ?? `<${v.length} bytes>`));
    d.push(`filterState.${k}: ${show(x)} vs ${show(y)}`);
  }
  return d;
}
