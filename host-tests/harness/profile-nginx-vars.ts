// The nginx variables both nginx-based hosts read properties from ($request_uri, $http_<name>,
// $status ...), computed from what the harness knows about the stream. Values are text, as nginx
// keeps them; an unknown variable or one with no value is undefined.
import type { HostContext } from "./context";
import type { HeaderMap } from "./header-map";

export interface NginxRequestView {
  request: HeaderMap | null;
  response: HeaderMap | null;
  connection: Record<string, unknown>;
  protocol: string;
  connectionNumber: number;
}

export function requestView(ctx: HostContext): NginxRequestView | null {
  const s = ctx.stream();
  if (!s) return null;
  const info = s.cb.stream;
  return {
    request: info.requestHeaderMap?.() ?? null,
    response: info.responseHeaderMap?.() ?? null,
    connection: info.attributes.connection ?? {},
    protocol: info.attributes.protocol ?? "HTTP/1.1",
    connectionNumber: info.id,
  };
}

function splitAddress(a: unknown): [string, string] | undefined {
  if (typeof a !== "string") return undefined;
  const i = a.lastIndexOf(":");
  return i < 0 ? [a, ""] : [a.slice(0, i), a.slice(i + 1)];
}

/** $name as nginx would expand it for this request; `name` is already lowercase. */
export function nginxVariable(v: NginxRequestView, name: string): string | undefined {
  const req = v.request;
  const path = req?.get(":path");
  if (name.startsWith("http_")) return req?.get(name.slice(5).replace(/_/g, "-"));
  if (name.startsWith("sent_http_")) return v.response?.get(name.slice(10).replace(/_/g, "-"));
  switch (name) {
    case "request_uri":
      return path;
    case "uri":
      return path === undefined ? undefined : path.split("?")[0];
    case "args":
    case "query_string": {
      const q = path?.indexOf("?") ?? -1;
      return q < 0 ? "" : path!.slice(q + 1);
    }
    case "request_method":
      return req?.get(":method");
    case "scheme":
      return req?.get(":scheme");
    case "host":
      return (req?.get(":authority") ?? req?.get("host"))?.split(":")[0];
    case "server_protocol":
      return v.protocol;
    case "status":
      return v.response?.get(":status") ?? "000";
    case "remote_addr":
      return splitAddress(v.connection["source.address"])?.[0];
    case "remote_port":
      return splitAddress(v.connection["source.address"])?.[1];
    case "connection":
      return String(v.connectionNumber);
    case "content_length":
      return req?.get("content-length");
    case "content_type":
      return req?.get("content-type");
    default:
      return undefined;
  }
}
