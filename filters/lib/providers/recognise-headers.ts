// Recognises the provider call from the current request's headers (:method, :path, and
// :authority or, from HTTP/1.0 clients, host), for filters that only need to know which call
// this is. A missing :method or :path leaves `rec` unrecognised.
import { getHeaderMapValueBytes, HostBytes, MapType } from "../../sdk";
import { Recognition, recognisePath } from "./recognise";

export function recogniseRequestHeaders(rec: Recognition): void {
  const method = getHeaderMapValueBytes(MapType.HttpRequestHeaders, ":method");
  const path = getHeaderMapValueBytes(MapType.HttpRequestHeaders, ":path");
  let authority = getHeaderMapValueBytes(MapType.HttpRequestHeaders, ":authority");
  if (authority === null) authority = getHeaderMapValueBytes(MapType.HttpRequestHeaders, "host");
  if (method !== null && path !== null) {
    recognisePath(rec, method.ptr, method.len, path.ptr, path.len, authority === null ? 0 : authority.ptr, authority === null ? 0 : authority.len, false);
  }
  release(method);
  release(path);
  release(authority);
}

function release(b: HostBytes | null): void {
  if (b !== null) b.free();
}
