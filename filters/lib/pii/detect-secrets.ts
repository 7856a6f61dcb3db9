// SECRET detectors (provider keys and tokens, JWTs, PEM private keys, opt-in generic
// assignments). Placeholder signature: scans the whole UTF-8 text and adds what it finds.
import { Findings } from "./findings";

export function detectSecrets(ptr: usize, len: usize, out: Findings, genericAssignments: bool): void {}

/** The family a SECRET subtype belongs to ("aws", "github", "slack", ..., "other_service"). */
export function secretFamily(subtype: i32): string { return ""; }
