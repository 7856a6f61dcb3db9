// How a request ended, from what the stream, Envoy's stream info and the other filters say.
// README.md "Outcome" documents the rules and their order.
export const OUTCOME_COMPLETED: i32 = 0;
export const OUTCOME_REJECTED: i32 = 1;
export const OUTCOME_BLOCKED: i32 = 2;
export const OUTCOME_UPSTREAM_ERROR: i32 = 3;
export const OUTCOME_CLIENT_ABORT: i32 = 4;
export const OUTCOME_TRAPPED_OPEN: i32 = 5;
export const OUTCOME_COUNT: i32 = 6;

export function outcomeName(o: i32): string {
  switch (o) {
    case OUTCOME_REJECTED: return "rejected";
    case OUTCOME_BLOCKED: return "blocked";
    case OUTCOME_UPSTREAM_ERROR: return "upstream_error";
    case OUTCOME_CLIENT_ABORT: return "client_abort";
    case OUTCOME_TRAPPED_OPEN: return "trapped_open";
    default: return "completed";
  }
}

// response.flags is StreamInfo::legacyResponseFlags(): one bit per CoreResponseFlag in
// declaration order (source/common/stream_info, envoy/stream_info/stream_info.h).
const NO_HEALTHY_UPSTREAM: u64 = 1 << 1;
const UPSTREAM_REQUEST_TIMEOUT: u64 = 1 << 2;
const UPSTREAM_REMOTE_RESET: u64 = 1 << 4;
const UPSTREAM_CONNECTION_FAILURE: u64 = 1 << 5;
const UPSTREAM_CONNECTION_TERMINATION: u64 = 1 << 6;
const UPSTREAM_OVERFLOW: u64 = 1 << 7;
const DOWNSTREAM_CONNECTION_TERMINATION: u64 = 1 << 14;
const UPSTREAM_RETRY_LIMIT_EXCEEDED: u64 = 1 << 15;
const UPSTREAM_FLAGS: u64 = NO_HEALTHY_UPSTREAM | UPSTREAM_REQUEST_TIMEOUT | UPSTREAM_REMOTE_RESET | UPSTREAM_CONNECTION_FAILURE
  | UPSTREAM_CONNECTION_TERMINATION | UPSTREAM_OVERFLOW | UPSTREAM_RETRY_LIMIT_EXCEEDED;

export class OutcomeFacts {
  /** tollgate.pii says a finding blocked the request. */
  piiBlocked: bool = false;
  /** tollgate.budget decision "rejected". */
  budgetRejected: bool = false;
  /** A recognised LLM call the token meter or pii-redact (deployed: policy entry present) published nothing for. */
  filterSilent: bool = false;
  /** response.code, or -1 when Envoy has none (no response at all). */
  status: i32 = -1;
  flags: u64 = 0;
  /** response.code_details ("" when unset). */
  details: string = "";
  /** This filter saw the response end (end of stream on headers, body or trailers). */
  responseEnded: bool = false;
}

export function decideOutcome(f: OutcomeFacts): i32 {
  if (f.piiBlocked) return OUTCOME_BLOCKED;
  if (f.budgetRejected) return OUTCOME_REJECTED;
  if (f.filterSilent) return OUTCOME_TRAPPED_OPEN;
  const d = f.details;
  if ((f.flags & UPSTREAM_FLAGS) != 0 || d.startsWith("upstream_reset") || d.startsWith("upstream_")) return OUTCOME_UPSTREAM_ERROR;
  // A local reply (a filter or the router answered; details name who) ended the stream even
  // when this filter, sitting after the one that answered, never saw a response callback.
  const local = f.status > 0 && d.length > 0 && d != "via_upstream" && d != "downstream_remote_disconnect";
  if ((f.flags & DOWNSTREAM_CONNECTION_TERMINATION) != 0 || d == "downstream_remote_disconnect" || (!f.responseEnded && !local)) {
    return OUTCOME_CLIENT_ABORT;
  }
  if (f.status >= 400) return local ? OUTCOME_REJECTED : OUTCOME_UPSTREAM_ERROR;
  return OUTCOME_COMPLETED;
}
