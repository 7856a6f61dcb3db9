// `tollgate serve`: a loopback HTTP/1.1 proxy that runs the filter chain on live traffic, the way
// Envoy's HTTP/1 codec drives its filter manager: headers, then each body chunk as it arrives.
// The upstream is a real server (--upstream) or a cassette played back with its recorded
// chunking and gaps (--cassette).
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { HeaderList, Host, HttpStream } from "../harness/api";
import type { CassetteExchange } from "./cassette";

export interface ServeOptions {
  host: Host;
  /** Base URL of the real upstream, e.g. https://api.openai.com. */
  upstream?: string;
  /** Exchanges to answer from instead (matched by method + path, in order). */
  cassette?: CassetteExchange[];
  port?: number;
  bind?: string;
  log?: (line: string) => void;
}

export interface Server {
  url: string;
  port: number;
  close(): Promise<void>;
}

// RFC 9110 §7.6.1 connection-specific headers: never forwarded by a proxy.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer", "proxy-authenticate", "proxy-authorization"]);

export function pairs(raw: string[]): HeaderList {
  const out: HeaderList = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i].toLowerCase(), raw[i + 1]]);
  return out;
}

export function stripHopByHop(h: HeaderList): HeaderList {
  const named = new Set(h.filter(([k]) => k === "connection").flatMap(([, v]) => v.split(",").map((s) => s.trim().toLowerCase())));
  return h.filter(([k]) => !HOP_BY_HOP.has(k) && !named.has(k));
}

function hasRequestBody(req: http.IncomingMessage): boolean {
  const te = req.headers["transfer-encoding"];
  const cl = req.headers["content-length"];
  return te !== undefined || (cl !== undefined && cl !== "0");
}

function plainAddress(a: string | undefined): string {
  return (a ?? "").replace(/^::ffff:/, "");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Hands out cassette exchanges per method+path in recorded order, starting over when used up. */
export class CassetteUpstream {
  private used = new Map<string, number>();
  constructor(private readonly items: CassetteExchange[]) {}

  take(method: string, path: string): CassetteExchange | undefined {
    const key = `${method} ${path}`;
    let matches = this.items.filter((it) => it.exchange.request.method === method && it.exchange.request.path === path);
    // Clients often add or reorder query parameters; fall back to the path alone.
    if (!matches.length) matches = this.items.filter((it) => it.exchange.request.method === method && it.exchange.request.path.split("?")[0] === path.split("?")[0]);
    if (!matches.length) return undefined;
    const n = this.used.get(key) ?? 0;
    this.used.set(key, n + 1);
    return matches[n % matches.length];
  }
}

export async function startServe(opts: ServeOptions): Promise<Server> {
  if (!opts.upstream === !opts.cassette) throw new Error("serve needs exactly one of --upstream URL or --cassette FILE");
  const upstreamUrl = opts.upstream ? new URL(opts.upstream) : undefined;
  const played = opts.cassette ? new CassetteUpstream(opts.cassette) : undefined;
  const log = opts.log ?? (() => {});

  const server = http.createServer((req, res) => {
    const started = Date.now();
    const url = req.url ?? "/";
    const method = req.method ?? "GET";
    let stream!: HttpStream;
    let upstreamReq: http.ClientRequest | undefined;
    let clientGone = false;
    let streamOver = false;

    // Request body bytes, for the cassette upstream that answers once the request is complete.
    let requestComplete!: () => void;
    const requestDone = new Promise<void>((r) => (requestComplete = r));

    const toUpstream = (headers: HeaderList, endStream: boolean) => {
      if (played) {
        if (endStream) requestComplete();
        void playFromCassette(headers);
        return;
      }
      const target = new URL(headers.find(([k]) => k === ":path")?.[1] ?? url, upstreamUrl);
      const out: HeaderList = headers.filter(([k]) => !k.startsWith(":"));
      // auto_host_rewrite: the upstream sees its own name, as the envoy.yaml routes configure.
      out.push(["host", target.host]);
      const lib = target.protocol === "https:" ? https : http;
      upstreamReq = lib.request(target, { method: headers.find(([k]) => k === ":method")?.[1] ?? method, headers: out.flat() as unknown as http.OutgoingHttpHeaders });
      upstreamReq.on("response", (ures) => {
        const h: HeaderList = [[":status", String(ures.statusCode ?? 502)], ...stripHopByHop(pairs(ures.rawHeaders))];
        const noBody = method === "HEAD" || ures.statusCode === 204 || ures.statusCode === 304;
        stream.sendResponseHeaders(h, noBody);
        if (noBody) return ures.resume();
        ures.on("data", (c: Buffer) => stream.sendResponseData(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), false));
        ures.on("end", () => {
          const t = pairs(ures.rawTrailers);
          if (t.length) stream.sendResponseTrailers(t);
          else stream.sendResponseData(new Uint8Array(0), true);
        });
        ures.on("error", () => stream.resetFromUpstream("upstream connection reset"));
      });
      upstreamReq.on("error", (e) => {
        if (!clientGone) stream.resetFromUpstream(`upstream connect error: ${e.message}`);
      });
      if (endStream) upstreamReq.end();
    };

    const playFromCassette = async (headers: HeaderList) => {
      await requestDone;
      const m = headers.find(([k]) => k === ":method")?.[1] ?? method;
      const p = headers.find(([k]) => k === ":path")?.[1] ?? url;
      const item = played!.take(m, p);
      if (!item) {
        const body = new TextEncoder().encode(JSON.stringify({ error: { message: `no exchange in the cassette for ${m} ${p}`, type: "tollgate_cassette_miss" } }));
        stream.sendResponseHeaders([[":status", "404"], ["content-type", "application/json"], ["content-length", String(body.length)]], false);
        stream.sendResponseData(body, true);
        return;
      }
      const rs = item.exchange.response;
      const chunks = rs.chunks ?? (rs.body.length ? [rs.body.length] : []);
      stream.sendResponseHeaders([[":status", String(rs.status)], ...rs.headers.map(([k, v]) => [k.toLowerCase(), v] as [string, string])], chunks.length === 0 && !rs.trailers);
      let off = 0;
      for (let i = 0; i < chunks.length; i++) {
        const gap = rs.gapsMs?.[i] ?? 0;
        if (gap > 0) await sleep(gap);
        if (clientGone) return;
        stream.sendResponseData(rs.body.subarray(off, off + chunks[i]), i === chunks.length - 1 && !rs.trailers);
        off += chunks[i];
      }
      if (rs.trailers) stream.sendResponseTrailers(rs.trailers);
    };

    stream = opts.host.newStream(
      {
        onUpstreamHeaders: (h, end) => toUpstream(h, end),
        onUpstreamData: (d, end) => {
          if (played) {
            if (end) requestComplete();
          } else if (upstreamReq) {
            if (d.length) upstreamReq.write(d);
            if (end) upstreamReq.end();
          }
        },
        onUpstreamTrailers: (t) => {
          if (played) requestComplete();
          else if (upstreamReq) {
            upstreamReq.addTrailers(Object.fromEntries(t));
            upstreamReq.end();
          }
        },
        onDownstreamHeaders: (h, end) => {
          const status = Number(h.find(([k]) => k === ":status")?.[1] ?? 502);
          res.writeHead(status, stripHopByHop(h.filter(([k]) => !k.startsWith(":"))).flat() as unknown as http.OutgoingHttpHeaders);
          // Streams must reach the client event by event, not when Node's buffer fills.
          res.flushHeaders();
          if (end) res.end();
        },
        onDownstreamData: (d, end) => {
          if (d.length) res.write(d);
          if (end) res.end();
        },
        onDownstreamTrailers: (t) => {
          res.addTrailers(Object.fromEntries(t));
          res.end();
        },
        onReset: (reason) => {
          streamOver = true;
          log(`${method} ${url} reset: ${reason}`);
          upstreamReq?.destroy();
          // HTTP/1.1 has no stream reset: closing the connection is how Envoy signals it.
          res.destroy();
        },
        onComplete: () => {
          streamOver = true;
          log(`${method} ${url} -> ${res.statusCode} in ${Date.now() - started} ms`);
        },
      },
      {
        protocol: `HTTP/${req.httpVersion}`,
        connection: {
          "source.address": `${plainAddress(req.socket.remoteAddress)}:${req.socket.remotePort}`,
          "source.port": req.socket.remotePort,
          "destination.address": `${plainAddress(req.socket.localAddress)}:${req.socket.localPort}`,
          "destination.port": req.socket.localPort,
          "connection.mtls": false,
        },
      },
    );

    const headers: HeaderList = [
      [":authority", req.headers.host ?? "localhost"],
      [":path", url],
      [":method", method],
      [":scheme", "http"],
      ...stripHopByHop(pairs(req.rawHeaders)).filter(([k]) => k !== "host"),
    ];
    const withBody = hasRequestBody(req);
    stream.sendRequestHeaders(headers, !withBody);
    if (!withBody) {
      requestComplete();
      req.resume();
    } else {
      req.on("data", (c: Buffer) => stream.sendRequestData(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), false));
      req.on("end", () => {
        const t = pairs(req.rawTrailers);
        if (t.length) stream.sendRequestTrailers(t);
        else stream.sendRequestData(new Uint8Array(0), true);
      });
    }
    res.on("close", () => {
      if (res.writableFinished || streamOver) return;
      clientGone = true;
      streamOver = true;
      upstreamReq?.destroy();
      stream.resetFromDownstream("client disconnected");
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.bind ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.bind ?? "127.0.0.1"}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
