// `tollgate record`: a plain recording proxy (no filters). Every exchange is written to the
// cassette as soon as it completes, bodies byte-exact in sidecar files, with the chunk sizes and
// the gaps between them as the upstream delivered them, so `replay --split recorded` and
// `serve --cassette` reproduce the stream's timing.
import http from "node:http";
import https from "node:https";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import type { AddressInfo } from "node:net";
import { dump, visit, COLLECTION_STYLE_FLOW } from "js-yaml";
import type { HeaderList } from "../harness/api";
import { pairs, stripHopByHop, type Server } from "./serve";

export interface RecordOptions {
  upstream: string;
  /** Cassette path: .json writes JSON, anything else YAML. */
  out: string;
  port?: number;
  bind?: string;
  /** Keep credentials in the cassette (default: replaced by "REDACTED"). */
  keepSecrets?: boolean;
  log?: (line: string) => void;
}

export interface Recorder extends Server {
  /** Exchanges written so far. */
  readonly count: number;
}

const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "x-api-key", "api-key", "x-goog-api-key", "cookie", "set-cookie", "openai-organization", "openai-project", "x-amz-security-token"]);
const SECRET_QUERY = /([?&](?:key|api_key|api-key|access_token)=)[^&]*/gi;

export function redactHeaders(h: HeaderList): HeaderList {
  return h.map(([k, v]) => (SECRET_HEADERS.has(k.toLowerCase()) ? [k, "REDACTED"] : [k, v]));
}

export function bodyExtension(contentType: string | undefined): string {
  const ct = (contentType ?? "").toLowerCase();
  if (ct.includes("text/event-stream")) return ".sse";
  if (ct.includes("vnd.amazon.eventstream")) return ".eventstream";
  if (ct.includes("ndjson") || ct.includes("jsonl")) return ".ndjson";
  if (ct.includes("json")) return ".json";
  if (ct.startsWith("text/")) return ".txt";
  return ".bin";
}

interface Recorded {
  index: number;
  doc: Record<string, unknown>;
}

export async function startRecord(opts: RecordOptions): Promise<Recorder> {
  const upstream = new URL(opts.upstream);
  const out = resolve(opts.out);
  const stem = basename(out, extname(out));
  const bodiesDir = join(dirname(out), `${stem}.bodies`);
  const log = opts.log ?? (() => {});
  const done: Recorded[] = [];
  let arrivals = 0;

  const writeBody = (name: string, bytes: Buffer): string => {
    mkdirSync(bodiesDir, { recursive: true });
    const file = join(bodiesDir, name);
    writeFileSync(file, bytes);
    return relative(dirname(out), file).split("\\").join("/");
  };

  const save = () => {
    const exchanges = [...done].sort((a, b) => a.index - b.index).map((r) => r.doc);
    const doc = { exchanges };
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, extname(out) === ".json" ? JSON.stringify(doc, null, 2) + "\n" : dumpYaml(doc));
  };

  const server = http.createServer((req, res) => {
    const index = ++arrivals;
    const method = req.method ?? "GET";
    const path = req.url ?? "/";
    const target = new URL(path, upstream);
    const reqHeaders = stripHopByHop(pairs(req.rawHeaders)).filter(([k]) => k !== "host");
    const reqChunks: Buffer[] = [];

    const ureq = (target.protocol === "https:" ? https : http).request(target, {
      method,
      headers: [...reqHeaders, ["host", target.host]].flat() as unknown as http.OutgoingHttpHeaders,
    });
    req.on("data", (c: Buffer) => {
      reqChunks.push(c);
      ureq.write(c);
    });
    req.on("end", () => ureq.end());
    ureq.on("error", (e) => {
      log(`${method} ${path}: upstream error: ${e.message}`);
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end(`upstream error: ${e.message}\n`);
    });
    ureq.on("response", (ures) => {
      const resHeaders = stripHopByHop(pairs(ures.rawHeaders));
      res.writeHead(ures.statusCode ?? 502, resHeaders.flat() as unknown as http.OutgoingHttpHeaders);
      res.flushHeaders();
      let last = performance.now();
      const chunks: Buffer[] = [];
      const gaps: number[] = [];
      ures.on("data", (c: Buffer) => {
        const now = performance.now();
        gaps.push(Math.round(now - last));
        last = now;
        chunks.push(c);
        res.write(c);
      });
      ures.on("end", () => {
        res.end();
        const ctReq = reqHeaders.find(([k]) => k === "content-type")?.[1];
        const ctRes = resHeaders.find(([k]) => k === "content-type")?.[1];
        const slug = `${String(index).padStart(3, "0")}-${method.toLowerCase()}${target.pathname.replace(/[^A-Za-z0-9]+/g, "-").replace(/-+$/, "")}`;
        const request: Record<string, unknown> = {
          method,
          path: opts.keepSecrets ? path : path.replace(SECRET_QUERY, "$1REDACTED"),
          authority: target.host,
          headers: opts.keepSecrets ? reqHeaders : redactHeaders(reqHeaders),
        };
        const reqBody = Buffer.concat(reqChunks);
        if (reqBody.length) {
          request.body_file = writeBody(`${slug}.request${bodyExtension(ctReq)}`, reqBody);
          if (reqChunks.length > 1) request.chunks = reqChunks.map((c) => c.length);
        }
        const response: Record<string, unknown> = { status: ures.statusCode, headers: opts.keepSecrets ? resHeaders : redactHeaders(resHeaders) };
        const resBody = Buffer.concat(chunks);
        if (resBody.length) {
          response.body_file = writeBody(`${slug}.response${bodyExtension(ctRes)}`, resBody);
          response.chunks = chunks.map((c) => c.length);
          response.gaps_ms = gaps;
        }
        const trailers = pairs(ures.rawTrailers);
        if (trailers.length) response.trailers = trailers;
        done.push({ index, doc: { name: `${String(index).padStart(3, "0")} ${method} ${target.pathname}`, request, response } });
        save();
        log(`${method} ${path} -> ${ures.statusCode}, ${resBody.length} bytes in ${chunks.length} chunks`);
      });
    });
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.bind ?? "127.0.0.1", () => resolvePromise());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.bind ?? "127.0.0.1"}:${port}`,
    port,
    get count() {
      return done.length;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** YAML with header pairs and chunk lists on one line each, and no line folding. */
export function dumpYaml(doc: unknown): string {
  return dump(doc, {
    lineWidth: -1,
    transform: (docs) =>
      visit(docs, (node) => {
        if (node.kind === "sequence" && node.items.every((i) => i.kind === "scalar")) node.style = COLLECTION_STYLE_FLOW;
      }),
  });
}
