// Per-exchange expectations: what a cassette says the chain must do with its traffic.
import type { ExchangeResult, HeaderList } from "../harness/api";
import { indexOfBytes, utf8OrUndefined } from "./bytes";

export interface Expectations {
  /** Status the client received (local reply or upstream). */
  status?: number;
  /** true: a filter answered locally; false: none did; object: it did, with this status / body. */
  localReply?: boolean | { status?: number; bodyContains?: string[] };
  /** Subset of the client's response headers; null means "absent". Names are case-insensitive. */
  headers?: Record<string, string | null>;
  /** Subset of the request headers the upstream received; null means "absent". */
  upstreamHeaders?: Record<string, string | null>;
  /** false: the request must not reach the upstream. */
  upstream?: boolean;
  bodyContains?: string[];
  bodyNotContains?: string[];
  upstreamBodyContains?: string[];
  upstreamBodyNotContains?: string[];
  /** Subset of filter state; keys with or without the `wasm.` prefix; JSON values compared as JSON. */
  filterState?: Record<string, unknown>;
  /** Metric name -> exact value. */
  metrics?: Record<string, number>;
  /** true: some filter trapped; false (the default when not given: not checked). */
  trap?: boolean;
  /** Expected stream reset (true, false or the reason). */
  reset?: boolean | string;
  logContains?: string[];
}

const KEYS = ["status", "localReply", "headers", "upstreamHeaders", "upstream", "bodyContains", "bodyNotContains", "upstreamBodyContains", "upstreamBodyNotContains", "filterState", "metrics", "trap", "reset", "logContains"];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Validates the `expect` mapping of a cassette exchange; throws with the offending field. */
export function parseExpectations(raw: unknown): Expectations {
  if (!isObj(raw)) throw new Error("expected a mapping");
  for (const k of Object.keys(raw)) if (!KEYS.includes(k)) throw new Error(`${k}: unknown expectation (expected one of ${KEYS.join(", ")})`);
  const e: Expectations = {};
  const strings = (v: unknown, at: string): string[] => {
    const list = Array.isArray(v) ? v : [v];
    for (const s of list) if (typeof s !== "string") throw new Error(`${at}: expected a string or a list of strings`);
    return list as string[];
  };
  const headerSubset = (v: unknown, at: string): Record<string, string | null> => {
    if (!isObj(v)) throw new Error(`${at}: expected a mapping of header name to value (or null for absent)`);
    const out: Record<string, string | null> = {};
    for (const [k, x] of Object.entries(v)) {
      if (x !== null && typeof x !== "string" && typeof x !== "number") throw new Error(`${at}.${k}: expected a string or null`);
      out[k.toLowerCase()] = x === null ? null : String(x);
    }
    return out;
  };
  if (raw.status !== undefined) {
    if (typeof raw.status !== "number") throw new Error("status: expected a number");
    e.status = raw.status;
  }
  if (raw.localReply !== undefined) {
    const v = raw.localReply;
    if (typeof v === "boolean") e.localReply = v;
    else if (isObj(v)) {
      for (const k of Object.keys(v)) if (k !== "status" && k !== "bodyContains") throw new Error(`localReply.${k}: unknown (expected status, bodyContains)`);
      if (v.status !== undefined && typeof v.status !== "number") throw new Error("localReply.status: expected a number");
      e.localReply = { status: v.status as number | undefined, bodyContains: v.bodyContains === undefined ? undefined : strings(v.bodyContains, "localReply.bodyContains") };
    } else throw new Error("localReply: expected true, false or {status, bodyContains}");
  }
  if (raw.headers !== undefined) e.headers = headerSubset(raw.headers, "headers");
  if (raw.upstreamHeaders !== undefined) e.upstreamHeaders = headerSubset(raw.upstreamHeaders, "upstreamHeaders");
  if (raw.upstream !== undefined) {
    if (typeof raw.upstream !== "boolean") throw new Error("upstream: expected true or false");
    e.upstream = raw.upstream;
  }
  for (const k of ["bodyContains", "bodyNotContains", "upstreamBodyContains", "upstreamBodyNotContains", "logContains"] as const) {
    if (raw[k] !== undefined) e[k] = strings(raw[k], k);
  }
  if (raw.filterState !== undefined) {
    if (!isObj(raw.filterState)) throw new Error("filterState: expected a mapping");
    e.filterState = raw.filterState;
  }
  if (raw.metrics !== undefined) {
    if (!isObj(raw.metrics)) throw new Error("metrics: expected a mapping of name to number");
    for (const [k, v] of Object.entries(raw.metrics)) if (typeof v !== "number") throw new Error(`metrics.${k}: expected a number`);
    e.metrics = raw.metrics as Record<string, number>;
  }
  if (raw.trap !== undefined) {
    if (typeof raw.trap !== "boolean") throw new Error("trap: expected true or false");
    e.trap = raw.trap;
  }
  if (raw.reset !== undefined) {
    if (typeof raw.reset !== "boolean" && typeof raw.reset !== "string") throw new Error("reset: expected true, false or a reason");
    e.reset = raw.reset;
  }
  return e;
}

/** The status the client saw. */
export function clientStatus(r: ExchangeResult): number | undefined {
  return r.downstreamResponse?.status ?? r.localReply?.status;
}

function headerValue(headers: HeaderList | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const values = headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);
  // Envoy joins repeated headers with "," when a filter reads them as one value.
  return values.length ? values.join(",") : undefined;
}

/** Returns one message per failed expectation; empty when all hold. */
export function checkExpectations(e: Expectations, r: ExchangeResult): string[] {
  const fails: string[] = [];
  const enc = new TextEncoder();
  const show = (s: string | undefined) => (s === undefined ? "absent" : JSON.stringify(s.length > 80 ? s.slice(0, 80) + "…" : s));

  const status = clientStatus(r);
  if (e.status !== undefined && status !== e.status) fails.push(`status: expected ${e.status}, got ${status ?? "none"}`);

  if (e.localReply !== undefined) {
    const want = e.localReply !== false;
    if (want !== !!r.localReply) fails.push(`localReply: expected ${want ? "a local reply" : "no local reply"}, got ${r.localReply ? `local reply ${r.localReply.status}` : "none"}`);
    else if (typeof e.localReply === "object" && r.localReply) {
      if (e.localReply.status !== undefined && r.localReply.status !== e.localReply.status) fails.push(`localReply.status: expected ${e.localReply.status}, got ${r.localReply.status}`);
      for (const s of e.localReply.bodyContains ?? []) if (indexOfBytes(r.localReply.body, enc.encode(s)) < 0) fails.push(`localReply.bodyContains: ${show(s)} not in the local reply body`);
    }
  }

  const subset = (label: string, want: Record<string, string | null>, got: HeaderList | undefined) => {
    for (const [k, v] of Object.entries(want)) {
      const actual = headerValue(got, k);
      if (v === null ? actual !== undefined : actual !== v) fails.push(`${label}.${k}: expected ${v === null ? "absent" : show(v)}, got ${show(actual)}`);
    }
  };
  const clientHeaders = r.downstreamResponse?.headers ?? r.localReply?.headers;
  if (e.headers) subset("headers", e.headers, clientHeaders);
  if (e.upstream !== undefined && e.upstream !== !!r.upstreamRequest) fails.push(`upstream: expected the request ${e.upstream ? "to reach" : "not to reach"} the upstream`);
  if (e.upstreamHeaders) {
    if (!r.upstreamRequest) fails.push("upstreamHeaders: the request never reached the upstream");
    else subset("upstreamHeaders", e.upstreamHeaders, r.upstreamRequest.headers);
  }

  const clientBody = r.downstreamResponse?.body ?? r.localReply?.body ?? new Uint8Array(0);
  for (const s of e.bodyContains ?? []) if (indexOfBytes(clientBody, enc.encode(s)) < 0) fails.push(`bodyContains: ${show(s)} not in the body the client received`);
  for (const s of e.bodyNotContains ?? []) if (indexOfBytes(clientBody, enc.encode(s)) >= 0) fails.push(`bodyNotContains: ${show(s)} is in the body the client received`);
  const upBody = r.upstreamRequest?.body;
  for (const s of e.upstreamBodyContains ?? []) if (!upBody || indexOfBytes(upBody, enc.encode(s)) < 0) fails.push(`upstreamBodyContains: ${show(s)} not in the body the upstream received`);
  for (const s of e.upstreamBodyNotContains ?? []) if (upBody && indexOfBytes(upBody, enc.encode(s)) >= 0) fails.push(`upstreamBodyNotContains: ${show(s)} is in the body the upstream received`);

  for (const [key, want] of Object.entries(e.filterState ?? {})) {
    // The host keys filter state by the set_property path; Envoy names it `wasm.<path>`.
    const bare = key.startsWith("wasm.") ? key.slice(5) : key;
    const raw = r.filterState[bare] ?? r.filterState[`wasm.${bare}`];
    if (raw === undefined) {
      if (want !== null) fails.push(`filterState.${key}: not set`);
      continue;
    }
    if (want === null) {
      fails.push(`filterState.${key}: expected unset, got ${show(utf8OrUndefined(raw) ?? "<binary>")}`);
      continue;
    }
    const text = utf8OrUndefined(raw);
    const why = matchState(want, text);
    if (why) fails.push(`filterState.${key}: ${why}`);
  }

  for (const [k, v] of Object.entries(e.metrics ?? {})) {
    if (r.metrics[k] !== v) fails.push(`metrics.${k}: expected ${v}, got ${r.metrics[k] ?? "absent"}`);
  }
  if (e.trap !== undefined && e.trap !== !!r.trap) fails.push(`trap: expected ${e.trap ? "a trap" : "no trap"}, got ${r.trap ? `${r.trap.filter}: ${r.trap.message}` : "none"}`);
  if (e.reset !== undefined) {
    if (typeof e.reset === "string" ? r.reset !== e.reset : e.reset !== !!r.reset) fails.push(`reset: expected ${e.reset === false ? "none" : show(String(e.reset))}, got ${show(r.reset)}`);
  }
  for (const s of e.logContains ?? []) if (!r.logs.some((l) => l.message.includes(s))) fails.push(`logContains: no log message contains ${show(s)}`);
  return fails;
}

/**
 * Filter state holds bytes. A string expectation is compared to the text; any other value
 * (number, boolean, mapping, list) is compared to the bytes parsed as JSON, mappings as a subset.
 */
function matchState(want: unknown, text: string | undefined): string | undefined {
  if (text === undefined) return "value is not UTF-8 text";
  if (typeof want === "string") return text === want ? undefined : `expected ${JSON.stringify(want)}, got ${JSON.stringify(text)}`;
  let got: unknown;
  try {
    got = JSON.parse(text);
  } catch {
    return `expected JSON ${JSON.stringify(want)}, got non-JSON ${JSON.stringify(text)}`;
  }
  return jsonSubset(want, got, "");
}

export function jsonSubset(want: unknown, got: unknown, at: string): string | undefined {
  const here = at || "value";
  if (isObj(want)) {
    if (!isObj(got)) return `${here}: expected a mapping, got ${JSON.stringify(got)}`;
    for (const [k, v] of Object.entries(want)) {
      const why = jsonSubset(v, got[k], at ? `${at}.${k}` : k);
      if (why) return why;
    }
    return undefined;
  }
  if (Array.isArray(want)) {
    if (!Array.isArray(got) || got.length !== want.length) return `${here}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
    for (let i = 0; i < want.length; i++) {
      const why = jsonSubset(want[i], got[i], `${here}[${i}]`);
      if (why) return why;
    }
    return undefined;
  }
  return want === got ? undefined : `${here}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`;
}
