import { describe, it, expect } from "vitest";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { findCassetteFiles, loadCassette, loadCassettes, parseCassette, CassetteError } from "./replay/cassette";

const recordings = resolve(__dirname, "recordings");
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

function tmpCassette(name: string, text: string, files: Record<string, Uint8Array | string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-cassette-"));
  for (const [f, content] of Object.entries(files)) writeFileSync(join(dir, f), content);
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

describe("cassette loader", () => {
  it("accepts the issue's JSON shape: header map and pair list, body / body_json / body_file", () => {
    const sse = "data: {\"a\":1}\r\n\r\ndata: [DONE]\r\n\r\n";
    const file = tmpCassette(
      "c.cassette.json",
      JSON.stringify({
        exchanges: [
          {
            name: "one",
            request: { method: "post", path: "/v1/chat/completions", headers: { "Content-Type": "application/json", host: "api.openai.com", "x-multi": ["a", "b"] }, body_json: { model: "gpt-4o", stream: true } },
            response: { status: 200, headers: [["content-type", "text/event-stream"], ["x-n", 5]], body_file: "body.sse", chunks: [3, sse.length - 3] },
          },
          { request: { method: "GET", path: "/v1/models", body: "héllo" }, response: { status: 204 } },
        ],
      }),
      { "body.sse": sse },
    );
    const c = loadCassette(file);
    expect(c.exchanges).toHaveLength(2);
    const [a, b] = c.exchanges;
    expect(a.name).toBe("one");
    expect(a.exchange.request.method).toBe("POST");
    expect(a.exchange.request.headers).toEqual([
      ["Content-Type", "application/json"],
      ["host", "api.openai.com"],
      ["x-multi", "a"],
      ["x-multi", "b"],
    ]);
    expect(a.exchange.request.authority).toBe("api.openai.com");
    expect(new TextDecoder().decode(a.exchange.request.body)).toBe('{"model":"gpt-4o","stream":true}');
    expect(a.exchange.response.headers).toEqual([
      ["content-type", "text/event-stream"],
      ["x-n", "5"],
    ]);
    expect(new TextDecoder().decode(a.exchange.response.body)).toBe(sse);
    expect(a.exchange.response.chunks).toEqual([3, sse.length - 3]);
    // Unnamed exchanges are named after the cassette and their position.
    expect(b.name).toBe("c#1");
    expect(Array.from(b.exchange.request.body)).toEqual(Array.from(new TextEncoder().encode("héllo")));
    expect(b.exchange.response.body.length).toBe(0);
  });

  it("reads YAML with metadata, connection attributes, gaps, base64 bodies and expectations", () => {
    const file = tmpCassette(
      "c.yaml",
      `exchanges:
  - name: with-attrs
    request: { method: GET, path: /x, authority: gw.local, body_base64: AAEC/w== }
    response: { status: 200, body: abcdef, chunks: [2, 4], gaps_ms: [0, 15] }
    metadata:
      envoy.filters.http.jwt_authn: { payload: { sub: alice, tenant: acme } }
    connection:
      source.address: "10.0.0.7:51234"
      connection: { mtls: true }
    worker: 1
    expect: { status: 200, headers: { x-a: null }, filterState: { tollgate.model: { name: gpt } } }
`,
    );
    const [e] = loadCassette(file).exchanges;
    expect(Array.from(e.exchange.request.body)).toEqual([0, 1, 2, 255]);
    expect(e.exchange.request.authority).toBe("gw.local");
    expect(e.exchange.response.gapsMs).toEqual([0, 15]);
    expect(e.exchange.attributes).toEqual({
      metadata: { "envoy.filters.http.jwt_authn": { payload: { sub: "alice", tenant: "acme" } } },
      connection: { "source.address": "10.0.0.7:51234", "connection.mtls": true },
      worker: 1,
    });
    expect(e.expect).toEqual({ status: 200, headers: { "x-a": null }, filterState: { "tollgate.model": { name: "gpt" } } });
  });

  it("keeps SSE (CRLF) and AWS eventstream bodies byte-exact through the generated cassettes", () => {
    const cassettes = loadCassettes([join(recordings, "cassettes")]);
    const index = JSON.parse(readFileSync(join(recordings, "index.json"), "utf8")) as Array<{ provider: string; name: string; sha256: string; bytes: number; files: Record<string, string> }>;
    const byName = new Map(cassettes.flatMap((c) => c.exchanges).map((e) => [e.name, e]));
    for (const entry of index) {
      const e = byName.get(`${entry.provider}/${entry.name}${entry.files.response_wire_gzip ? ".decoded" : ""}`);
      expect(e, entry.name).toBeDefined();
      expect(sha(e!.exchange.response.body), entry.name).toBe(entry.sha256);
      if (entry.files.request) expect(sha(e!.exchange.request.body)).toBe(sha(readFileSync(join(recordings, entry.files.request))));
    }
    const gemini = byName.get("gemini/stream-sse")!;
    expect(new TextDecoder().decode(gemini.exchange.response.body)).toContain("\r\n\r\n");
    const bedrock = byName.get("bedrock/converse-stream-nova")!;
    // An eventstream frame starts with its 4-byte big-endian total length.
    const b = bedrock.exchange.response.body;
    expect(new DataView(b.buffer, b.byteOffset).getUint32(0)).toBeLessThan(b.length);
    expect(bedrock.exchange.response.headers).toContainEqual(["content-type", "application/vnd.amazon.eventstream"]);
    const gz = byName.get("gemini/stream-json-array")!;
    expect(Array.from(gz.exchange.response.body.subarray(0, 2))).toEqual([0x1f, 0x8b]);
    expect(gz.exchange.response.headers).toContainEqual(["content-encoding", "gzip"]);
    expect(byName.get("gemini/stream-json-array.decoded")!.exchange.response.headers.some(([k]) => k === "content-encoding")).toBe(false);
  });

  it("finds *.yaml, *.yml and *.cassette.json in folders, not body files", () => {
    const files = findCassetteFiles([join(recordings, "cassettes")]);
    expect(files.length).toBe(10);
    expect(files.every((f) => f.endsWith(".yaml"))).toBe(true);
    expect(findCassetteFiles([recordings]).some((f) => f.endsWith(".request.json"))).toBe(false);
  });
});

describe("cassette errors name the file, the exchange and the field", () => {
  const bad = (doc: unknown) => () => parseCassette(doc, "/tmp/x.yaml");
  const ok = { method: "GET", path: "/" };

  it.each([
    [{ exchanges: {} }, '/tmp/x.yaml: "exchanges" must be a list, got a mapping'],
    [{ exchange: [] }, '/tmp/x.yaml: unknown top-level key "exchange" (expected "exchanges")'],
    [{ exchanges: [{ name: "a", response: { status: 200 } }] }, "/tmp/x.yaml: exchanges[0] (a): request: missing"],
    [{ exchanges: [{ name: "a", request: { path: "/" }, response: { status: 200 } }] }, "exchanges[0] (a): request.method: missing"],
    [{ exchanges: [{ name: "a", request: { method: "GET", path: "v1" }, response: { status: 200 } }] }, 'exchanges[0] (a): request.path: must start with "/": "v1"'],
    [{ exchanges: [{ name: "a", request: ok, response: { status: "200" } }] }, 'exchanges[0] (a): response.status: expected an HTTP status code (100..999), got string "200"'],
    [{ exchanges: [{ request: ok, response: { status: 200, body: "x", body_file: "y" } }] }, "exchanges[0]: response: give one of body, body_file, not several"],
    [{ exchanges: [{ name: "b", request: ok, response: { status: 200, body_file: "missing.sse" } }] }, "exchanges[0] (b): response.body_file: cannot read missing.sse (/tmp/missing.sse): no such file"],
    [{ exchanges: [{ name: "b", request: ok, response: { status: 200, body: "abc", chunks: [1, 1] } }] }, "exchanges[0] (b): response.chunks: chunk sizes add up to 2 bytes but the body has 3"],
    [{ exchanges: [{ name: "b", request: ok, response: { status: 200, body: "abc", chunks: [3], gaps_ms: [1, 2] } }] }, "exchanges[0] (b): response.gaps_ms: has 2 entries for 1 chunks"],
    [{ exchanges: [{ name: "b", request: { ...ok, headers: [["a"]] }, response: { status: 200 } }] }, "exchanges[0] (b): request.headers[0]: expected a [name, value] pair, got a list"],
    [{ exchanges: [{ name: "b", request: { ...ok, headers: { a: { b: 1 } } }, response: { status: 200 } }] }, "exchanges[0] (b): request.headers.a: expected a string header value, got a mapping"],
    [{ exchanges: [{ name: "b", request: { ...ok, bodyfile: "x" }, response: { status: 200 } }] }, "exchanges[0] (b): request.bodyfile: unknown key"],
    [{ exchanges: [{ name: "b", request: ok, response: { status: 200 }, expect: { staus: 1 } }] }, "exchanges[0] (b): expect: staus: unknown expectation"],
    [{ exchanges: [{ name: "b", request: ok, response: { status: 200 }, metadata: { ns: 3 } }] }, "exchanges[0] (b): metadata.ns: expected a mapping, got number 3"],
  ])("%j", (doc, message) => {
    expect(bad(doc)).toThrow(CassetteError);
    expect(bad(doc)).toThrow(message);
  });

  it("reports unreadable and malformed files", () => {
    expect(() => loadCassette("/nonexistent/c.yaml")).toThrow(/^\/nonexistent\/c\.yaml: cannot read/);
    expect(() => loadCassette(tmpCassette("bad.yaml", "exchanges: [\n"))).toThrow(/bad\.yaml: not valid YAML/);
    expect(() => loadCassette(tmpCassette("bad.cassette.json", "{"))).toThrow(/bad\.cassette\.json: not valid JSON/);
    expect(() => loadCassettes(["/nonexistent/folder"])).toThrow("/nonexistent/folder: no such file or folder");
  });
});
