// Where a request's tenant and API key come from: a header, a query parameter, a JWT claim
// (jwt_authn's payload_in_metadata), dynamic metadata or any property. The first source
// present wins. Config shapes follow the budget filter's key parts (filters/budget/CONFIG.md).
import { ConfigReader, JsonKind, JsonValue } from "../lib/json";
import { HostBytes, PairsView, PropertyPath, getPropertyAt } from "../sdk";

export const enum SourceKind {
  Header = 0,
  Query = 1,
  Property = 2,
}

export class Source {
  kind: SourceKind = SourceKind.Header;
  /** Header name (lower case) or query parameter name. */
  name: string = "";
  nameBytes: ArrayBuffer = new ArrayBuffer(0);
  path: PropertyPath | null = null;
}

const JWT_NAMESPACE = "envoy.filters.http.jwt_authn";
const FIELDS = ["header", "query", "jwt_claim", "payload_in_metadata", "metadata", "property"];

/** A source object or an array of them; absent → none. */
export function readSources(r: ConfigReader, v: JsonValue | null, path: string): Source[] {
  const out: Source[] = [];
  if (v === null) return out;
  if (v.kind == JsonKind.Array) {
    if (v.length == 0) r.fail(path, "must list at least one source");
    for (let i = 0; i < v.length && r.ok; i++) {
      const s = readSource(r, v.at(i), path + "[" + i.toString() + "]");
      if (s !== null) out.push(s);
    }
    return out;
  }
  const s = readSource(r, v, path);
  if (s !== null) out.push(s);
  return out;
}

function readSource(r: ConfigReader, e: JsonValue | null, p: string): Source | null {
  if (e === null || e.kind != JsonKind.Object) {
    r.fail(p, "must be an object with one of header, query, jwt_claim, metadata, property");
    return null;
  }
  if (!r.object(e, p, FIELDS)) return null;
  const kinds = (e.has("header") ? 1 : 0) + (e.has("query") ? 1 : 0) + (e.has("jwt_claim") ? 1 : 0) + (e.has("metadata") ? 1 : 0) + (e.has("property") ? 1 : 0);
  if (kinds != 1) {
    r.fail(p, "must have exactly one of header, query, jwt_claim, metadata, property");
    return null;
  }
  if (e.has("payload_in_metadata") && !e.has("jwt_claim")) {
    r.fail(p + ".payload_in_metadata", "applies only to jwt_claim");
    return null;
  }
  const s = new Source();
  if (e.has("header") || e.has("query")) {
    const isHeader = e.has("header");
    const field = isHeader ? "header" : "query";
    s.kind = isHeader ? SourceKind.Header : SourceKind.Query;
    s.name = r.str(e.get(field), p + "." + field, "");
    if (isHeader) s.name = s.name.toLowerCase();
    if (s.name.length == 0 || s.name.length > 256) r.fail(p + "." + field, "must be a name of 1 to 256 characters");
    s.nameBytes = String.UTF8.encode(s.name);
    return s;
  }
  const segments: string[] = [];
  if (e.has("jwt_claim")) {
    const claim = r.strings(e.get("jwt_claim"), p + ".jwt_claim");
    if (claim.length == 0) r.fail(p + ".jwt_claim", "must name a claim");
    const payload = r.str(e.get("payload_in_metadata"), p + ".payload_in_metadata", "jwt_payload");
    if (payload.length == 0) r.fail(p + ".payload_in_metadata", "must not be empty");
    segments.push("metadata");
    segments.push("filter_metadata");
    segments.push(JWT_NAMESPACE);
    segments.push(payload);
    for (let j = 0; j < claim.length; j++) segments.push(claim[j]);
  } else if (e.has("metadata")) {
    const md = e.get("metadata")!;
    if (!r.object(md, p + ".metadata", ["namespace", "path"])) return null;
    if (md.kind != JsonKind.Object) return null;
    const ns = r.str(md.get("namespace"), p + ".metadata.namespace", "");
    if (ns.length == 0) r.fail(p + ".metadata.namespace", "is required");
    const rest = r.strings(md.get("path"), p + ".metadata.path");
    if (rest.length == 0) r.fail(p + ".metadata.path", "must name at least one key");
    segments.push("metadata");
    segments.push("filter_metadata");
    segments.push(ns);
    for (let j = 0; j < rest.length; j++) segments.push(rest[j]);
  } else {
    const v = e.get("property")!;
    const parts = v.kind == JsonKind.String ? v.str.split(".") : r.strings(v, p + ".property");
    if (parts.length == 0) r.fail(p + ".property", "must be a property path (\"source.address\" or [\"metadata\", ...])");
    for (let j = 0; j < parts.length; j++) segments.push(parts[j]);
  }
  for (let j = 0; j < segments.length; j++) {
    if (segments[j].length == 0) {
      r.fail(p, "must not have empty path segments");
      return null;
    }
  }
  s.kind = SourceKind.Property;
  s.path = new PropertyPath(segments);
  return s;
}

/**
 * The first source with a non-empty value, as host bytes the caller frees; null when none.
 * `headers`: the request headers; `queryPtr/queryLen`: the request's query string (after '?'), for query sources.
 */
export function readSourceValue(sources: Source[], headers: PairsView, queryPtr: usize, queryLen: usize): HostBytes | null {
  for (let i = 0; i < sources.length; i++) {
    const s = unchecked(sources[i]);
    let b: HostBytes | null = null;
    if (s.kind == SourceKind.Header) {
      const at = headers.find(s.name);
      if (at >= 0) b = copyOut(headers.valuePtr(at), headers.valueLen(at));
    } else if (s.kind == SourceKind.Property) b = getPropertyAt(s.path!);
    else b = queryValue(queryPtr, queryLen, s.nameBytes);
    if (b === null) continue;
    if (b.len > 0) return b;
    b.free();
  }
  return null;
}

/** A copy the caller frees like host bytes. */
function copyOut(ptr: usize, len: usize): HostBytes {
  const out = heap.alloc(len == 0 ? 1 : len);
  memory.copy(out, ptr, len);
  return new HostBytes(out, len);
}

/** The raw (still percent-encoded) value of parameter `name` in a query string, copied out. */
function queryValue(ptr: usize, len: usize, name: ArrayBuffer): HostBytes | null {
  const n = <usize>name.byteLength;
  const np = changetype<usize>(name);
  let i: usize = 0;
  while (i < len) {
    let end = i;
    while (end < len && load<u8>(ptr + end) != 0x26) end++;
    if (end - i > n && load<u8>(ptr + i + n) == 0x3D && memory.compare(ptr + i, np, n) == 0) {
      return copyOut(ptr + i + n + 1, end - i - n - 1);
    }
    i = end + 1;
  }
  return null;
}
