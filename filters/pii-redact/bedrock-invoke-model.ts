// Whether a Bedrock InvokeModelWithResponseStream call streams Anthropic Messages events: from
// the model id in its path (percent-decoded): `anthropic.claude-…`, a cross-region inference
// profile `us.anthropic.…` / `eu.` / `apac.` / `global.` …, or an ARN whose last segment is one
// of those (`…:foundation-model/anthropic.…`, `…:inference-profile/us.anthropic.…`); otherwise
// from the stream's first event, since application inference profiles and provisioned
// throughput ARNs name no vendor. Other vendors wrap their own event shapes: not rewritten.
import { indexOfAscii, startsWithAscii } from "../lib/bytes";

/**
 * The first event of an Anthropic Messages stream is message_start. Inside a JSON string the
 * quotes would be escaped, so the literal can only be the event's own member.
 */
export function opensAnthropicStream(ptr: usize, len: usize): bool {
  return indexOfAscii(ptr, len, "\"type\":\"message_start\"") >= 0;
}

export function streamsAnthropicEvents(ptr: usize, len: usize): bool {
  // An ARN: the resource id after the last '/'.
  let s: usize = 0;
  for (let i: usize = 0; i < len; i++) if (load<u8>(ptr + i) == 0x2f) s = i + 1;
  const p = ptr + s;
  const n = len - s;
  if (startsWithAscii(p, n, "anthropic.")) return true;
  // One region-group prefix, letters and '-' only, then the vendor.
  let i: usize = 0;
  while (i < n) {
    const c = load<u8>(p + i);
    if (!((c >= 0x61 && c <= 0x7a) || c == 0x2d)) break;
    i++;
  }
  return i > 0 && i < n && load<u8>(p + i) == 0x2e && startsWithAscii(p + i + 1, n - i - 1, "anthropic.");
}
