// The host suite: what header and body access cost a filter, per callback, against the SDK's
// bare dispatch (passthrough). probe-idle is there to separate the probe's own interpreter
// (script lookup, argument strings, AS allocation) from the hostcalls probe-light adds.
import { chainsByWorkload, defineSuite, passthroughChain, wasmFilter } from "../framework";
import { recorded } from "../workloads";

const probe = (script: object) => [wasmFilter("probe", "probe.wasm", "probe", { log_callbacks: false, ...script })];

const getBody = (buffer: string) => [{ op: "get_buffer", buffer }];

export const suite = defineSuite({
  name: "host",
  description: "passthrough vs the probe with one get_header + add_header per request and one get_buffer per body chunk, over recorded exchanges",
  ...chainsByWorkload({
    baseline: "passthrough",
    chains: {
      passthrough: passthroughChain(),
      "probe-idle": probe({}),
      "probe-light": probe({
        on_request_headers: [
          { op: "get_header", map: "request_headers", key: ":path" },
          { op: "add_header", map: "request_headers", key: "x-tollgate-bench", value: "1" },
        ],
        on_request_body: getBody("request_body"),
        on_response_body: getBody("response_body"),
      }),
    },
    workloads: [
      // Streaming: 16.6 KB of Anthropic SSE (thinking deltas) in 64-byte chunks, 260 body callbacks.
      recorded("anthropic/messages-stream-thinking", { as: "sse-64", responseChunk: 64 }),
      // Non-streaming: an OpenAI chat completion, the JSON body in one chunk as recorded.
      recorded("openai/chat-basic", { as: "json" }),
      // A 9.5 KB request body (cached system prompt): what request-side filters (PII) will see.
      recorded("anthropic/messages-cache-write", { as: "json-9k-request" }),
    ],
  }),
});
