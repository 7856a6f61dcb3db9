// Cassette loading: YAML or JSON files of recorded exchanges, turned into the host's Exchange.
// The format is documented in CASSETTES.md; keep the two in step.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { load as loadYaml } from "js-yaml";
import type { Exchange, HeaderList, StreamAttributes } from "../harness/api";
import { parseExpectations, type Expectations } from "./expect";

export class CassetteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CassetteError";
  }
}

export interface CassetteExchange {
  /** Display name: the exchange's `name`, else `<cassette stem>#<index>`. */
  name: string;
  cassette: string;
  index: number;
  exchange: Exchange;
  expect?: Expectations;
  note?: string;
}

export interface Cassette {
  file: string;
  exchanges: CassetteExchange[];
}

type Obj = Record<string, unknown>;

const CASSETTE_EXTS = [".yaml", ".yml"];

/** Expands folders (recursively) to the cassettes inside: *.yaml, *.yml, *.cassette.json. */
export function findCassetteFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new CassetteError(`${p}: no such file or folder`);
    }
    if (!st.isDirectory()) {
      out.push(p);
      continue;
    }
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) walk(full);
        // Plain *.json in a folder are usually bodies (body_file), so JSON cassettes need the suffix.
        else if (CASSETTE_EXTS.includes(extname(entry.name)) || entry.name.endsWith(".cassette.json")) out.push(full);
      }
    };
    walk(p);
  }
  return out;
}

export function loadCassette(file: string): Cassette {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new CassetteError(`${file}: cannot read: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    // JSON is YAML 1.2, so one parser serves both.
    doc = loadYaml(text);
  } catch (e) {
    throw new CassetteError(`${file}: not valid ${extname(file) === ".json" ? "JSON" : "YAML"}: ${(e as Error).message}`);
  }
  return parseCassette(doc, file);
}

export function loadCassettes(paths: string[]): Cassette[] {
  return findCassetteFiles(paths).map(loadCassette);
}

/** `file` names the cassette in errors and anchors relative body_file paths. */
export function parseCassette(doc: unknown, file: string): Cassette {
  if (!isObj(doc)) throw new CassetteError(`${file}: expected a mapping with "exchanges", got ${kind(doc)}`);
  checkKeys(doc, ["exchanges", "note"], (k) => `${file}: unknown top-level key "${k}" (expected "exchanges")`);
  if (!Array.isArray(doc.exchanges)) throw new CassetteError(`${file}: "exchanges" must be a list, got ${kind(doc.exchanges)}`);
  const dir = dirname(resolve(file));
  const stem = basename(file).replace(/\.(ya?ml|json)$/, "").replace(/\.cassette$/, "");
  const exchanges = doc.exchanges.map((raw, i) => {
    const where = isObj(raw) && typeof raw.name === "string" ? `exchanges[${i}] (${raw.name})` : `exchanges[${i}]`;
    const ctx = new Ctx(file, where, dir);
    return parseExchange(ctx, raw, i, stem, file);
  });
  return { file, exchanges };
}

const EXCHANGE_KEYS = ["name", "note", "request", "response", "metadata", "connection", "worker", "protocol", "buffer_limit_bytes", "expect"];
const REQUEST_KEYS = ["method", "path", "authority", "scheme", "headers", "trailers", "chunks", ...bodyKeys()];
const RESPONSE_KEYS = ["status", "headers", "trailers", "chunks", "gaps_ms", ...bodyKeys()];

function bodyKeys() {
  return ["body", "body_json", "body_file", "body_base64"];
}

function parseExchange(ctx: Ctx, raw: unknown, index: number, stem: string, file: string): CassetteExchange {
  const ex = ctx.obj(raw, "");
  ctx.keys(ex, "", EXCHANGE_KEYS);
  const name = ex.name === undefined ? `${stem}#${index}` : ctx.str(ex.name, "name");

  const rq = ctx.obj(ex.request, "request");
  ctx.keys(rq, "request", REQUEST_KEYS);
  const method = ctx.str(rq.method, "request.method");
  if (!/^[A-Z][A-Z0-9_-]*$/i.test(method)) ctx.fail("request.method", `not an HTTP method: ${JSON.stringify(method)}`);
  const path = ctx.str(rq.path, "request.path");
  if (!path.startsWith("/") && path !== "*") ctx.fail("request.path", `must start with "/": ${JSON.stringify(path)}`);
  const reqHeaders = rq.headers === undefined ? [] : ctx.headers(rq.headers, "request.headers");
  const reqBody = ctx.body(rq, "request");
  const request: Exchange["request"] = { method: method.toUpperCase(), path, headers: reqHeaders, body: reqBody };
  const host = reqHeaders.find(([k]) => k.toLowerCase() === "host" || k === ":authority");
  if (rq.authority !== undefined) request.authority = ctx.str(rq.authority, "request.authority");
  else if (host) request.authority = host[1];
  if (rq.scheme !== undefined) request.scheme = ctx.str(rq.scheme, "request.scheme");
  if (rq.chunks !== undefined) request.chunks = ctx.chunks(rq.chunks, "request.chunks", reqBody.length);
  if (rq.trailers !== undefined) request.trailers = ctx.headers(rq.trailers, "request.trailers");

  const rs = ctx.obj(ex.response, "response");
  ctx.keys(rs, "response", RESPONSE_KEYS);
  const status = rs.status;
  if (typeof status !== "number" || !Number.isInteger(status) || status < 100 || status > 999) ctx.fail("response.status", `expected an HTTP status code (100..999), got ${kind(status)}`);
  const resBody = ctx.body(rs, "response");
  const response: Exchange["response"] = { status: status as number, headers: rs.headers === undefined ? [] : ctx.headers(rs.headers, "response.headers"), body: resBody };
  if (rs.chunks !== undefined) response.chunks = ctx.chunks(rs.chunks, "response.chunks", resBody.length);
  if (rs.gaps_ms !== undefined) {
    if (!response.chunks) ctx.fail("response.gaps_ms", "needs response.chunks (one gap before each chunk)");
    const gaps = ctx.arr(rs.gaps_ms, "response.gaps_ms").map((g, i) => {
      if (typeof g !== "number" || !(g >= 0)) ctx.fail(`response.gaps_ms[${i}]`, `expected milliseconds >= 0, got ${kind(g)}`);
      return g as number;
    });
    if (gaps.length !== response.chunks!.length) ctx.fail("response.gaps_ms", `has ${gaps.length} entries for ${response.chunks!.length} chunks`);
    response.gapsMs = gaps;
  }
  if (rs.trailers !== undefined) response.trailers = ctx.headers(rs.trailers, "response.trailers");

  const attributes: StreamAttributes = {};
  if (ex.metadata !== undefined) {
    const md = ctx.obj(ex.metadata, "metadata");
    attributes.metadata = {};
    for (const [ns, v] of Object.entries(md)) attributes.metadata[ns] = ctx.obj(v, `metadata.${ns}`);
  }
  if (ex.connection !== undefined) attributes.connection = flattenAttributes(ctx.obj(ex.connection, "connection"));
  if (ex.worker !== undefined) attributes.worker = ctx.uint(ex.worker, "worker");
  if (ex.protocol !== undefined) attributes.protocol = ctx.str(ex.protocol, "protocol");
  if (ex.buffer_limit_bytes !== undefined) attributes.bufferLimitBytes = ctx.uint(ex.buffer_limit_bytes, "buffer_limit_bytes");

  const exchange: Exchange = { name, request, response };
  if (Object.keys(attributes).length) exchange.attributes = attributes;
  const out: CassetteExchange = { name, cassette: file, index, exchange };
  if (ex.note !== undefined) out.note = ctx.str(ex.note, "note");
  if (ex.expect !== undefined) {
    try {
      out.expect = parseExpectations(ex.expect);
    } catch (e) {
      ctx.fail("expect", (e as Error).message);
    }
  }
  return out;
}

/** The host takes dotted property paths; nested mappings are accepted as a friendlier spelling. */
function flattenAttributes(o: Obj, prefix = ""): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isObj(v)) Object.assign(out, flattenAttributes(v, key));
    else out[key] = v;
  }
  return out;
}

class Ctx {
  constructor(
    readonly file: string,
    readonly where: string,
    readonly dir: string,
  ) {}

  fail(field: string, detail: string): never {
    throw new CassetteError(`${this.file}: ${this.where}${field ? ": " + field : ""}: ${detail}`);
  }
  obj(v: unknown, field: string): Obj {
    if (!isObj(v)) this.fail(field, v === undefined ? "missing" : `expected a mapping, got ${kind(v)}`);
    return v as Obj;
  }
  arr(v: unknown, field: string): unknown[] {
    if (!Array.isArray(v)) this.fail(field, v === undefined ? "missing" : `expected a list, got ${kind(v)}`);
    return v as unknown[];
  }
  str(v: unknown, field: string): string {
    if (typeof v !== "string") this.fail(field, v === undefined ? "missing" : `expected a string, got ${kind(v)}`);
    return v as string;
  }
  uint(v: unknown, field: string): number {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) this.fail(field, `expected a non-negative integer, got ${kind(v)}`);
    return v as number;
  }
  keys(o: Obj, field: string, allowed: string[]) {
    checkKeys(o, allowed, (k) => `${this.file}: ${this.where}: ${field ? field + "." : ""}${k}: unknown key (expected one of ${allowed.join(", ")})`);
  }

  /** A map {name: value | [values]} or a list of [name, value] pairs; order is kept. */
  headers(v: unknown, field: string): HeaderList {
    const out: HeaderList = [];
    const value = (x: unknown, at: string): string => {
      if (typeof x === "string") return x;
      if (typeof x === "number" || typeof x === "boolean") return String(x);
      this.fail(at, `expected a string header value, got ${kind(x)}`);
    };
    if (Array.isArray(v)) {
      v.forEach((pair, i) => {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string") this.fail(`${field}[${i}]`, `expected a [name, value] pair, got ${kind(pair)}`);
        out.push([pair[0] as string, value(pair[1], `${field}[${i}]`)]);
      });
      return out;
    }
    if (!isObj(v)) this.fail(field, `expected a mapping or a list of [name, value] pairs, got ${kind(v)}`);
    for (const [k, x] of Object.entries(v as Obj)) {
      if (Array.isArray(x)) x.forEach((y, i) => out.push([k, value(y, `${field}.${k}[${i}]`)]));
      else out.push([k, value(x, `${field}.${k}`)]);
    }
    return out;
  }

  body(o: Obj, field: string): Uint8Array {
    const given = bodyKeys().filter((k) => o[k] !== undefined);
    if (given.length > 1) this.fail(field, `give one of ${given.join(", ")}, not several`);
    if (given.length === 0) return new Uint8Array(0);
    const k = given[0];
    const at = `${field}.${k}`;
    switch (k) {
      case "body":
        return new TextEncoder().encode(this.str(o.body, at));
      case "body_json":
        return new TextEncoder().encode(JSON.stringify(o.body_json));
      case "body_base64": {
        const s = this.str(o.body_base64, at).replace(/\s+/g, "");
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) this.fail(at, "not valid base64");
        return new Uint8Array(Buffer.from(s, "base64"));
      }
      default: {
        const rel = this.str(o.body_file, at);
        const full = resolve(this.dir, rel);
        try {
          const b = readFileSync(full);
          return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          this.fail(at, `cannot read ${rel} (${full}): ${code === "ENOENT" ? "no such file" : (e as Error).message}`);
        }
      }
    }
  }

  chunks(v: unknown, field: string, total: number): number[] {
    const sizes = this.arr(v, field).map((n, i) => {
      if (typeof n !== "number" || !Number.isInteger(n) || n < 0) this.fail(`${field}[${i}]`, `expected a chunk size in bytes, got ${kind(n)}`);
      return n as number;
    });
    const sum = sizes.reduce((a, b) => a + b, 0);
    if (sum !== total) this.fail(field, `chunk sizes add up to ${sum} bytes but the body has ${total}`);
    return sizes;
  }
}

function checkKeys(o: Obj, allowed: string[], message: (k: string) => string) {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) throw new CassetteError(message(k));
}

export function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

export function kind(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  const s = JSON.stringify(v);
  return `${typeof v} ${s.length > 40 ? s.slice(0, 40) + "…" : s}`;
}
