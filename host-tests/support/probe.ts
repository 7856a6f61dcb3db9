// Shared helpers for host tests driven by the probe filter (dist/probe.wasm, root id `probe`):
// start a host with a script, drive a stream step by step while recording what each side
// received, and read back the `probe <callback> <op> <json>` log lines.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Exchange, HeaderList, HostOptions, LogRecord, StreamAttributes, WasmFilterConfig } from "../harness/api";
import { createHost } from "../harness/index";
import type { EnvoyHost } from "../harness/host";
import type { HttpStreamImpl } from "../harness/stream";

export const PROBE_WASM = join(dirname(fileURLToPath(import.meta.url)), "../../dist/probe.wasm");

const live: EnvoyHost[] = [];
let seq = 0;

/** A host running the probe with `script` as plugin configuration. Close with closeProbeHosts(). */
export async function probeHost(
  script: unknown,
  options: { host?: HostOptions; filter?: Partial<WasmFilterConfig> } = {},
): Promise<EnvoyHost> {
  seq += 1;
  const host = await createHost(
    [
      {
        name: "probe",
        rootId: "probe",
        vmId: `probe-${seq}`,
        code: PROBE_WASM,
        configuration: typeof script === "string" ? script : JSON.stringify(script),
        ...options.filter,
      },
    ],
    options.host ?? {},
  );
  live.push(host);
  return host;
}

/** A host for an explicit chain, closed with the others by closeProbeHosts(). */
export async function trackedHost(filters: WasmFilterConfig[], options: HostOptions = {}): Promise<EnvoyHost> {
  const host = await createHost(filters, options);
  live.push(host);
  return host;
}

/** One probe entry of a chain: `script` becomes its plugin configuration. */
export function probeFilter(name: string, vmId: string, script: unknown, extra: Partial<WasmFilterConfig> = {}): WasmFilterConfig {
  return { name, rootId: "probe", vmId, code: PROBE_WASM, configuration: JSON.stringify(script), ...extra };
}

/** A bodiless GET answered 200 with no body, optionally pinned to a worker. */
export function emptyExchange(path: string, worker?: number): Exchange {
  return {
    request: { method: "GET", path, authority: "api.example.com", headers: [], body: new Uint8Array() },
    response: { status: 200, headers: [], body: new Uint8Array() },
    attributes: worker === undefined ? undefined : { worker },
  };
}

/** For afterEach: closes every host probeHost() or trackedHost() started. */
export async function closeProbeHosts(): Promise<void> {
  const hosts = live.splice(0);
  await Promise.all(hosts.map((h) => h.close()));
}

export interface ProbeLine {
  callback: string;
  op: string;
  /** The parsed JSON the probe logged for the op (or the callback's arguments for `enter`). */
  value: any;
  stream?: number;
}

const LINE = /^probe (\S+) (\S+) (.*)$/s;

/** Parsed probe lines, optionally only those of one callback and/or op. */
export function probeLines(logs: LogRecord[], callback?: string, op?: string): ProbeLine[] {
  const out: ProbeLine[] = [];
  for (const l of logs) {
    const m = LINE.exec(l.message);
    if (!m) continue;
    if (callback !== undefined && m[1] !== callback) continue;
    if (op !== undefined && m[2] !== op) continue;
    let value: unknown;
    try {
      value = JSON.parse(m[3]);
    } catch {
      value = m[3];
    }
    out.push({ callback: m[1], op: m[2], value, stream: l.stream });
  }
  return out;
}

/** The values logged for `callback` `op`, in order. */
export function probeValues(logs: LogRecord[], callback: string, op: string): any[] {
  return probeLines(logs, callback, op).map((l) => l.value);
}

/** `callback op` labels in log order: a compact view of what ran when. */
export function probeTrace(logs: LogRecord[]): string[] {
  return probeLines(logs).map((l) => `${l.callback} ${l.op}`);
}

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
export const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b ?? new Uint8Array());

/** What a step-driven stream delivered to each side. */
export interface Recorded {
  upstream: { headers?: HeaderList; headersEos?: boolean; data: Array<{ text: string; eos: boolean }>; trailers?: HeaderList };
  downstream: { headers?: HeaderList; headersEos?: boolean; data: Array<{ text: string; eos: boolean }>; trailers?: HeaderList };
  reset?: string;
  complete: boolean;
}

/** A new stream whose events are recorded; drive it with send* calls. */
export function recordedStream(host: EnvoyHost, attributes: StreamAttributes = {}): { stream: HttpStreamImpl; rec: Recorded } {
  const rec: Recorded = { upstream: { data: [] }, downstream: { data: [] }, complete: false };
  const stream = host.newStream(
    {
      onUpstreamHeaders: (h, eos) => {
        rec.upstream.headers = h;
        rec.upstream.headersEos = eos;
      },
      onUpstreamData: (d, eos) => rec.upstream.data.push({ text: text(d), eos }),
      onUpstreamTrailers: (t) => (rec.upstream.trailers = t),
      onDownstreamHeaders: (h, eos) => {
        rec.downstream.headers = h;
        rec.downstream.headersEos = eos;
      },
      onDownstreamData: (d, eos) => rec.downstream.data.push({ text: text(d), eos }),
      onDownstreamTrailers: (t) => (rec.downstream.trailers = t),
      onReset: (r) => (rec.reset = r),
      onComplete: () => (rec.complete = true),
    },
    attributes,
  );
  return { stream, rec };
}

/** Request headers as the connection manager would hand them to the filters. */
export function requestHeaders(path = "/", extra: HeaderList = [], method = "POST"): HeaderList {
  return [[":method", method], [":path", path], [":authority", "example.test"], [":scheme", "http"], ...extra, ["x-request-id", "req-1"]];
}

/** First value of a header in a recorded list. */
export function header(h: HeaderList | undefined, name: string): string | undefined {
  return h?.find(([k]) => k === name)?.[1];
}

// ---- Exports another engineer's tests use (startProbe/exchangeOf/closeHosts/dec). ----

/** A host running the probe with `script`; same as probeHost. */
export function startProbe(
  script: unknown,
  options: { host?: HostOptions; filter?: Partial<WasmFilterConfig> } = {},
): Promise<EnvoyHost> {
  return probeHost(script, options);
}

/** Closes every host started here (probeHost or startProbe). */
export const closeHosts = closeProbeHosts;

export const enc = utf8;
export const dec = text;

/** A plain exchange: POST / with a small body and a 200 answer; fields override. */
export function exchangeOf(over: { request?: Partial<Exchange["request"]>; response?: Partial<Exchange["response"]>; attributes?: StreamAttributes; name?: string } = {}): Exchange {
  return {
    name: over.name,
    request: { method: "POST", path: "/", headers: [["content-type", "text/plain"]], body: utf8("hello"), ...over.request },
    response: { status: 200, headers: [["content-type", "text/plain"]], body: utf8("world"), ...over.response },
    attributes: over.attributes,
  };
}

// ---- A chain of several probe filters (lifecycle / chain-order tests). ----

/** One chain entry: a probe named `name` running `script`; other PluginConfig fields override. */
export interface ProbeFilterSpec extends Partial<WasmFilterConfig> {
  name: string;
  script: unknown;
}

/**
 * A host whose chain is the given probes, in order (decode order). Each gets its own vm_id
 * unless `vmId` is given (equal vm_id + code + vm configuration share one VM per worker).
 */
export async function probeChainHost(filters: ProbeFilterSpec[], host: HostOptions = {}): Promise<EnvoyHost> {
  seq += 1;
  const configs: WasmFilterConfig[] = filters.map(({ script, ...f }) => ({
    rootId: "probe",
    vmId: `probe-${seq}-${f.name}`,
    code: PROBE_WASM,
    configuration: typeof script === "string" ? script : JSON.stringify(script),
    ...f,
  }));
  const h = await createHost(configs, host);
  live.push(h);
  return h;
}

/** Probe lines of one filter (LogRecord.filter is the PluginConfig name). */
export function probeLinesOf(logs: LogRecord[], filter: string, callback?: string, op?: string): ProbeLine[] {
  return probeLines(logs.filter((l) => l.filter === filter), callback, op);
}

/** `filter:callback` for every callback the probes entered, in log order. */
export function callbackTrace(logs: LogRecord[], stream?: number): string[] {
  const out: string[] = [];
  for (const l of logs) {
    if (stream !== undefined && l.stream !== stream) continue;
    const m = /^probe (\S+) enter /.exec(l.message);
    if (m) out.push(`${l.filter}:${m[1]}`);
  }
  return out;
}
