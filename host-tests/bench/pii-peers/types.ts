// What every scanner in the pii bench looks like, Tollgate's own included: a name, the types it
// can express at all (the others are "n/a" for it, not zero), the scan mapped onto our types, and
// the peer's own call as a user of it would make it (the timed part: our span mapping is not
// theirs to pay for).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../framework";

/** The types issue 5 scores, as host-tests/pii/eval.ts names them. */
export const PII_TYPES = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "URL_CREDENTIALS", "SECRET"] as const;
export type PiiType = (typeof PII_TYPES)[number];

/** One finding on our types; offsets are JS string indices (UTF-16), end exclusive, as in the eval. */
export interface Span {
  start: number;
  end: number;
  type: PiiType;
}

export interface PiiPeer {
  /** The npm package (or "tollgate"). */
  name: string;
  version: string;
  /** How it is called, for the report. */
  api: string;
  /** What it can express; scoring reports the other types as "n/a". */
  types: readonly PiiType[];
  /** Findings on our types (peers' own kinds outside them are dropped). Async: two peers are. */
  scan(text: string): Promise<Span[]>;
  /** The peer's own call on `text`, result unused: what the bench times. */
  run(text: string): unknown;
}

/** A dependency's version as installed (read from its package.json: `exports` may hide it from require). */
export function installedVersion(pkg: string): string {
  return (JSON.parse(readFileSync(join(repoRoot, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
}
