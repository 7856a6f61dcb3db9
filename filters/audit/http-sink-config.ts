// STUB (owned by the http-sink work): configuration of the `sinks.http` block.
import { ConfigReader, JsonValue } from "../lib/json";

export class HttpSinkConfig {
  cluster: string = "";
}

/** Reads `sinks.http` at `path` (e.g. "$.sinks.http"); null when absent; errors go to `r`. */
export function readHttpSinkConfig(r: ConfigReader, v: JsonValue | null, path: string): HttpSinkConfig | null {
  if (v === null) return null;
  r.fail(path, "is not supported yet");
  return null;
}
