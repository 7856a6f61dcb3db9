// A stand-in for the real host with an empty chain: Envoy with only the router forwards the
// request to the upstream and the response to the client unchanged. Used by the replay, serve
// and record tests (and by the CLI through TOLLGATE_HOST_MODULE) until host-tests/harness/index.ts
// exists; see testing/hosts.ts for the switch.
import type { Exchange, ExchangeResult, HeaderList, Host, HostOptions, HttpStream, LogRecord, StreamAttributes, StreamEvents, WasmFilterConfig } from "../../harness/api";

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function slices(body: Uint8Array, chunks: number[] | undefined): Uint8Array[] {
  if (!chunks) return body.length ? [body] : [];
  const out: Uint8Array[] = [];
  let off = 0;
  for (const n of chunks) {
    out.push(body.subarray(off, off + n));
    off += n;
  }
  return out;
}

export function createHost(filters: WasmFilterConfig[], options: HostOptions = {}): Host {
  if (filters.length) throw new Error("router-only stand-in host: it cannot run wasm filters");
  const workers = options.workers ?? 1;
  let nextId = 1;
  let rr = 0;
  const logs: LogRecord[] = [];

  const newStream = (events: StreamEvents, attributes: StreamAttributes = {}): HttpStream => {
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    let requestEnded = false;
    let responseEnded = false;
    const check = () => {
      if (requestEnded && responseEnded) {
        events.onComplete?.();
        finish();
      }
    };
    const worker = attributes.worker ?? rr++ % workers;
    return {
      id: nextId++,
      worker,
      sendRequestHeaders(h, end) {
        events.onUpstreamHeaders?.(h, end);
        if (end) requestEnded = true;
      },
      sendRequestData(d, end) {
        events.onUpstreamData?.(d, end);
        if (end) requestEnded = true;
      },
      sendRequestTrailers(t) {
        events.onUpstreamTrailers?.(t);
        requestEnded = true;
      },
      sendResponseHeaders(h, end) {
        events.onDownstreamHeaders?.(h, end);
        if (end) (responseEnded = true), check();
      },
      sendResponseData(d, end) {
        events.onDownstreamData?.(d, end);
        if (end) (responseEnded = true), check();
      },
      sendResponseTrailers(t) {
        events.onDownstreamTrailers?.(t);
        responseEnded = true;
        check();
      },
      resetFromDownstream(reason = "downstream reset") {
        events.onReset?.(reason);
        finish();
      },
      resetFromUpstream(reason = "upstream reset") {
        events.onReset?.(reason);
        finish();
      },
      done,
      idle: true,
      filterState: () => new Map(),
      responseCodeDetails: () => undefined,
    };
  };

  const exchange = async (ex: Exchange): Promise<ExchangeResult> => {
    const up: { headers?: HeaderList; body: Uint8Array[]; trailers?: HeaderList } = { body: [] };
    const down: { status?: number; headers?: HeaderList; body: Uint8Array[]; chunks: number[]; trailers?: HeaderList } = { body: [], chunks: [] };
    const s = newStream(
      {
        onUpstreamHeaders: (h) => (up.headers = h),
        onUpstreamData: (d) => up.body.push(d),
        onUpstreamTrailers: (t) => (up.trailers = t),
        onDownstreamHeaders: (h) => {
          down.status = Number(h.find(([k]) => k === ":status")?.[1]);
          down.headers = h.filter(([k]) => k !== ":status");
        },
        onDownstreamData: (d) => {
          down.body.push(d);
          if (d.length) down.chunks.push(d.length);
        },
        onDownstreamTrailers: (t) => (down.trailers = t),
      },
      ex.attributes,
    );
    const rq = ex.request;
    const authority = rq.authority ?? rq.headers.find(([k]) => k.toLowerCase() === "host")?.[1] ?? "localhost";
    const reqHeaders: HeaderList = [[":authority", authority], [":path", rq.path], [":method", rq.method], [":scheme", rq.scheme ?? "http"], ...rq.headers.filter(([k]) => k.toLowerCase() !== "host").map(([k, v]) => [k.toLowerCase(), v] as [string, string])];
    const reqParts = slices(rq.body, rq.chunks);
    s.sendRequestHeaders(reqHeaders, reqParts.length === 0 && !rq.trailers);
    reqParts.forEach((p, i) => s.sendRequestData(p, i === reqParts.length - 1 && !rq.trailers));
    if (rq.trailers) s.sendRequestTrailers(rq.trailers);
    const rs = ex.response;
    const resParts = slices(rs.body, rs.chunks);
    s.sendResponseHeaders([[":status", String(rs.status)], ...rs.headers.map(([k, v]) => [k.toLowerCase(), v] as [string, string])], resParts.length === 0 && !rs.trailers);
    resParts.forEach((p, i) => s.sendResponseData(p, i === resParts.length - 1 && !rs.trailers));
    if (rs.trailers) s.sendResponseTrailers(rs.trailers);
    await s.done;
    return {
      name: ex.name,
      worker: s.worker,
      upstreamRequest: { headers: up.headers ?? [], body: concat(up.body), trailers: up.trailers },
      downstreamResponse: { status: down.status ?? 0, headers: down.headers ?? [], body: concat(down.body), trailers: down.trailers, chunks: down.chunks },
      filterState: {},
      logs: [],
      metrics: {},
    };
  };

  return {
    workers,
    newStream,
    exchange,
    logs,
    metrics: () => ({}),
    prometheus: () => "",
    close: async () => {},
  };
}
