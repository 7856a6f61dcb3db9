// The token-meter suite: what metering costs per streamed event and per request, against the
// pass-through filter on the same recorded exchanges.
//
// Responses are cut one SSE event (or one AWS event-stream frame) per chunk, the finest split an
// upstream sends in practice, so the on_response_body row reads as ns per event: the meter's
// framing, JSON scan, usage pick-up and fallback counting of each delta. The OpenAI exchange
// carries a ~6 KB request, so its on_request_headers + on_request_body rows are the per-request
// side, prompt counting included.
import { chainsByWorkload, defineSuite, passthroughChain, wasmFilter, type Workload } from "../framework";
import { recorded } from "../workloads";

/** Chunk sizes that end each chunk after an SSE event's blank line (LF or CRLF). */
export function sseEventChunks(body: Uint8Array): number[] {
  const out: number[] = [];
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== 0x0a) continue;
    const lf = i + 1 < body.length && body[i + 1] === 0x0a;
    const crlf = i + 2 < body.length && body[i + 1] === 0x0d && body[i + 2] === 0x0a;
    if (!lf && !crlf) continue;
    const end = i + (lf ? 2 : 3);
    out.push(end - start);
    start = end;
    i = end - 1;
  }
  if (start < body.length) out.push(body.length - start);
  return out;
}

/** Chunk sizes of whole event-stream frames: each starts with its total length, big-endian. */
export function eventStreamChunks(body: Uint8Array): number[] {
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const out: number[] = [];
  let p = 0;
  while (p + 4 <= body.length) {
    const len = view.getUint32(p);
    if (len < 16 || p + len > body.length) throw new Error(`token-meter suite: bad event-stream frame length ${len} at ${p}`);
    out.push(len);
    p += len;
  }
  if (p !== body.length) throw new Error(`token-meter suite: ${body.length - p} trailing bytes after the last event-stream frame`);
  return out;
}

function perEvent(name: string, as: string, frames: "sse" | "eventstream"): Workload {
  const w = recorded(name, { as });
  for (const ex of w.exchanges) {
    ex.response.chunks = frames === "sse" ? sseEventChunks(ex.response.body) : eventStreamChunks(ex.response.body);
    if (ex.response.chunks.length < 2) throw new Error(`token-meter suite: ${name} split into ${ex.response.chunks.length} events; not a stream?`);
  }
  return w;
}

export const suite = defineSuite({
  name: "token-meter",
  description: "token-meter vs passthrough on recorded streams, one SSE event / event-stream frame per on_response_body call; the openai request is ~6 KB (prompt counting)",
  ...chainsByWorkload({
    baseline: "passthrough",
    chains: {
      passthrough: passthroughChain(),
      meter: [wasmFilter("token-meter", "token-meter.wasm", "token-meter", "{}")],
    },
    workloads: [
      // include_usage stream with cached prompt tokens; 5.9 KB request of chat messages.
      perEvent("openai/chat-stream-usage-cached", "openai-sse", "sse"),
      // 16.6 KB of thinking and text deltas.
      perEvent("anthropic/messages-stream-thinking", "anthropic-sse", "sse"),
      // Two events, CRLF-separated: usageMetadata in each.
      perEvent("gemini/stream-sse", "gemini-sse", "sse"),
      // Binary AWS event-stream frames (Nova), base64-free JSON payloads.
      perEvent("bedrock/converse-stream-nova", "bedrock-eventstream", "eventstream"),
    ],
  }),
});
