// The exchange driver stands in for Envoy's codec and router: what reaches filters must be what
// Envoy's connection manager and HTTP/1 codec would hand them.
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "./harness/index";
import { closeProbeHosts, probeHost, probeValues } from "./support/probe";

const enc = new TextEncoder();
afterEach(closeProbeHosts);

describe("exchange driver", () => {
  it("adds x-request-id and x-forwarded-proto as the connection manager does, keeping a client's own id", async () => {
    const host = await probeHost({ on_request_headers: [{ op: "get_pairs", map: "request_headers" }] });
    const fresh = await host.exchange({ request: { method: "GET", path: "/a", headers: [], body: new Uint8Array() }, response: { status: 204, headers: [], body: new Uint8Array() } });
    const pairs = Object.fromEntries(probeValues(fresh.logs, "on_request_headers", "get_pairs")[0].pairs);
    expect(pairs["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(pairs["x-forwarded-proto"]).toBe("http");
    const own = await host.exchange({ request: { method: "GET", path: "/a", headers: [["x-request-id", "abc"]], body: new Uint8Array() }, response: { status: 204, headers: [], body: new Uint8Array() } });
    expect(Object.fromEntries(probeValues(own.logs, "on_request_headers", "get_pairs")[0].pairs)["x-request-id"]).toBe("abc");
  });

  it("hides hop-by-hop response headers that Envoy's HTTP/1 codec consumes", async () => {
    const host = await probeHost({ on_response_headers: [{ op: "get_pairs", map: "response_headers" }] });
    const r = await host.exchange({
      request: { method: "GET", path: "/", headers: [], body: new Uint8Array() },
      response: { status: 200, headers: [["transfer-encoding", "chunked"], ["connection", "keep-alive"], ["content-type", "text/event-stream"]], body: enc.encode("data: x\n\n") },
    });
    const keys = probeValues(r.logs, "on_response_headers", "get_pairs")[0].pairs.map(([k]: [string]) => k);
    expect(keys).toContain("content-type");
    expect(keys).not.toContain("transfer-encoding");
    expect(keys).not.toContain("connection");
    // The router's own header is visible to filters, as in Envoy.
    expect(keys).toContain("x-envoy-upstream-service-time");
  });

  it("delivers response chunks after their recorded gaps, on the host clock", async () => {
    const clock = new ManualClock();
    const host = await probeHost({ log_callbacks: false, on_response_body: [{ op: "get_current_time" }] }, { host: { clock } });
    const r = await host.exchange({
      request: { method: "GET", path: "/", headers: [], body: new Uint8Array() },
      response: { status: 200, headers: [], body: enc.encode("aaabbbccc"), chunks: [3, 3, 3], gapsMs: [10, 250, 40] },
    });
    const times = probeValues(r.logs, "on_response_body", "get_current_time").map((v) => BigInt(v.ns));
    expect(times.map((t) => Number(t - times[0]) / 1e6)).toEqual([0, 250, 290]);
    expect(r.downstreamResponse?.chunks).toEqual([3, 3, 3]);
  });
});
