// The audit filter's `capture` section (CONFIG.md): which directions' text is kept, redacted,
// in the record, and how many bytes of it per direction. Off unless configured.
import { ConfigReader, JsonValue } from "../lib/json";

export const CAPTURE_DEFAULT_MAX_BYTES: u32 = 4096;
export const CAPTURE_MIN_MAX_BYTES: u32 = 64;
export const CAPTURE_MAX_MAX_BYTES: u32 = 1 << 20;

export class CaptureConfig {
  request: bool = false;
  response: bool = false;
  /** Redacted text bytes kept per direction (UTF-8, after redaction). */
  maxBytes: u32 = CAPTURE_DEFAULT_MAX_BYTES;

  get on(): bool { return this.request || this.response; }
}

export function readCaptureConfig(r: ConfigReader, v: JsonValue | null, path: string): CaptureConfig {
  const c = new CaptureConfig();
  if (v === null || !r.object(v, path, ["request", "response", "max_bytes"])) return c;
  c.request = r.bool(v.get("request"), path + ".request", false);
  c.response = r.bool(v.get("response"), path + ".response", false);
  c.maxBytes = r.u32(v.get("max_bytes"), path + ".max_bytes", CAPTURE_DEFAULT_MAX_BYTES, CAPTURE_MIN_MAX_BYTES, CAPTURE_MAX_MAX_BYTES);
  return c;
}
