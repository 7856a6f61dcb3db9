import { Capture } from "./capture";

// What the audit stream itself observed, kept until on_log writes the record.
export class StreamFacts {
  /** Our clock at the first callback (a fallback when request.time is unreadable). */
  firstNs: u64 = 0;
  /** Our clock when the response headers reached this filter (time to first byte). */
  responseHeadersNs: u64 = 0;
  responseEnded: bool = false;
  /** Hex SHA-256 of the request / response body, set when the body ended and digests are on. */
  requestDigest: string | null = null;
  responseDigest: string | null = null;
  /** Content capture of this request (null when `capture` is off). */
  capture: Capture | null = null;
}
