// host-tests/recordings/index.json as tests read it: each recording's files, request and
// response metadata, and the usage paths found in its body.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { recognise, type Recognition } from "./usage-oracle";

export const RECORDINGS = resolve(dirname(fileURLToPath(import.meta.url)), "../recordings");

export interface IndexEntry {
  name: string;
  provider: string;
  files: { response: string; request?: string };
  request?: { method: string; uri: string; headers: Record<string, string[]> };
  response: { status: number; content_type: string; headers: Record<string, string[]> };
  inspect: { usage_paths: string[] };
}

export const index: IndexEntry[] = JSON.parse(readFileSync(resolve(RECORDINGS, "index.json"), "utf8"));

export const bytesOf = (f: string): Uint8Array => new Uint8Array(readFileSync(resolve(RECORDINGS, f)));
export const textOf = (f: string): string => readFileSync(resolve(RECORDINGS, f), "utf8");

/**
 * The recorded response headers with :status. Bodies recorded gzip on the wire are stored
 * decompressed; their recorded content-encoding would describe bytes we do not have.
 */
export function responseHeaders(e: IndexEntry): Array<[string, string]> {
  const h: Array<[string, string]> = [[":status", String(e.response.status)]];
  for (const [k, vs] of Object.entries(e.response.headers ?? {})) if (k !== "content-encoding") for (const v of vs) h.push([k, v]);
  return h;
}

/** The oracle's recognition of the recorded request (authority from the recorded URI). */
export function recogniseEntry(e: IndexEntry): Recognition {
  const url = new URL(e.request!.uri);
  const headers: Array<[string, string]> = [[":authority", url.host]];
  for (const [k, vs] of Object.entries(e.request!.headers)) for (const v of vs) headers.push([k, v]);
  return recognise(e.request!.method, url.pathname + url.search, headers, e.files.request ? bytesOf(e.files.request) : null);
}
