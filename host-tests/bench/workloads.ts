// Workloads from the recorded provider traffic, through the replay's cassette loader so bench
// and replay read recordings the same way.
import { join } from "node:path";
import type { Exchange } from "../harness/api";
import { findCassetteFiles, loadCassette } from "../replay/cassette";
import { repoRoot, type Workload } from "./framework";

export const cassettesDir = join(repoRoot, "host-tests/recordings/cassettes");

let byName: Map<string, Exchange> | null = null;

/** A recorded exchange by its cassette name, e.g. `anthropic/messages-stream-thinking`. */
export function recordedExchange(name: string): Exchange {
  if (!byName) {
    byName = new Map();
    for (const file of findCassetteFiles([cassettesDir])) for (const e of loadCassette(file).exchanges) byName.set(e.name, e.exchange);
  }
  const ex = byName.get(name);
  if (!ex) throw new Error(`no recorded exchange "${name}" under ${cassettesDir}`);
  return ex;
}

/** Sizes that cut `length` bytes into `size`-byte chunks (the last one shorter). */
export function evenChunks(length: number, size: number): number[] {
  const out: number[] = [];
  for (let p = 0; p < length; p += size) out.push(Math.min(size, length - p));
  return out;
}

export interface RecordedOptions {
  /** Workload name in reports; default the exchange name. */
  as?: string;
  /** Re-split the response body into chunks of this many bytes (default: as recorded). */
  responseChunk?: number;
  requestChunk?: number;
}

/**
 * One recorded exchange as a workload. Recorded pacing (gaps_ms) is dropped: waiting between
 * chunks only adds wall time, never wasm time.
 */
export function recorded(name: string, opts: RecordedOptions = {}): Workload {
  const src = recordedExchange(name);
  const request = { ...src.request };
  const response = { ...src.response };
  delete response.gapsMs;
  if (opts.requestChunk) request.chunks = evenChunks(request.body.length, opts.requestChunk);
  if (opts.responseChunk) response.chunks = evenChunks(response.body.length, opts.responseChunk);
  return { name: opts.as ?? name, exchanges: [{ ...src, name, request, response }] };
}
