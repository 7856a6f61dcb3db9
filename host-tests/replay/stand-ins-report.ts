// The report's view of the stand-ins: per exchange, the audit record that arrived for it; in the
// summary, what the collector received and whether it verifies, and what the rate-limit service
// was asked.
import type { AuditInbox } from "./audit-inbox";
import type { OutcomeNote } from "./report";
import type { StandIns } from "./stand-ins";
import { Code } from "../support/ratelimit-service-proto";

/** `audit: completed #17` (outcome, seq in its chain), or `audit: no record` once the replay is over. */
export function auditNote(inbox: AuditInbox): OutcomeNote {
  return (o) => {
    if (!o.result) return null;
    const seen = inbox.recordsFor(o.requestId);
    if (seen.length === 0) return "audit: no record";
    // Requests that came with the same x-request-id cannot be told apart in the records.
    if (seen.length > 1) return `audit: ${seen.length} records share x-request-id ${o.requestId}`;
    return `audit: ${seen[0].outcome} #${seen[0].seq}`;
  };
}

export interface StandInSummary {
  lines: string[];
  failed: boolean;
}

export function standInSummary(standIns: StandIns, inbox: AuditInbox | undefined): StandInSummary {
  const lines: string[] = [];
  let failed = false;
  if (inbox) {
    const c = inbox.check();
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
    const missing = c.expected - c.received;
    const verdict = c.received === 0 ? "nothing to verify" : c.failure ? `verify FAILED: ${c.failure}` : `${plural(c.chains.length, "chain")} verified (tollgate audit verify)`;
    lines.push(`audit: ${c.received} of ${c.expected} records received${missing > 0 ? `, ${missing} MISSING` : missing < 0 ? `, ${-missing} more than written` : ""}; ${verdict}`);
    if (c.waitedMs > 0) lines[lines.length - 1] += `; waited ${c.waitedMs} ms for the sink's last batches`;
    for (const p of c.undecodable) lines.push(`    undecodable: ${p}`);
    failed = missing !== 0 || c.failure !== null || c.undecodable.length > 0;
  }
  if (standIns.rateLimit) {
    const calls = standIns.rateLimit.service.calls;
    const over = calls.filter((x) => x.response?.overall_code === Code.OVER_LIMIT).length;
    const errors = calls.filter((x) => x.grpcStatus !== undefined && x.grpcStatus !== 0).length;
    lines.push(`rate-limit service (${standIns.rateLimit.role.cluster}): ${calls.length} calls, ${over} over limit, ${errors} errors`);
  }
  return { lines, failed };
}
