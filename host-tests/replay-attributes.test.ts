import { describe, it, expect } from "vitest";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "./cli/main";
import { testCreateHost } from "./replay/testing/hosts";

const probe = resolve(__dirname, "../dist/probe.wasm");

// What Envoy holds for a stream (dynamic metadata, connection attributes) comes from the cassette
// and is what a filter reads through properties; what the filter sets is checked by expectations.
describe.skipIf(!existsSync(probe))("cassette stream attributes through a filter", () => {
  it("metadata and connection attributes reach the filter; its filter state meets the expectations", async () => {
    const script = {
      log_callbacks: false,
      on_request_headers: [
        { op: "get_property", path: ["source", "address"] },
        { op: "get_property", path: ["connection", "mtls"], as: "bool" },
        { op: "get_property", path: ["metadata", "filter_metadata", "envoy.filters.http.jwt_authn", "payload", "sub"] },
        { op: "set_property", path: ["tollgate.usage"], text: '{"prompt_tokens":12,"source":"counted","extra":1}' },
        { op: "set_property", path: ["tollgate.model"], text: "gpt-4o-mini" },
      ],
    };
    const dir = mkdtempSync(join(tmpdir(), "tollgate-attrs-"));
    const cassette = join(dir, "attrs.yaml");
    const exchange = (name: string, expectYaml: string) => `  - name: ${name}
    request: { method: POST, path: /v1/chat/completions, body_json: { model: gpt-4o-mini } }
    response: { status: 200, body: ok }
    metadata: { envoy.filters.http.jwt_authn: { payload: { sub: alice } } }
    connection: { source.address: "10.0.0.7:51234", connection.mtls: true }
    expect: ${expectYaml}
`;
    writeFileSync(
      cassette,
      "exchanges:\n" +
        exchange("holds", '{ logContains: ["10.0.0.7:51234", alice], filterState: { tollgate.usage: { prompt_tokens: 12, source: counted }, wasm.tollgate.model: gpt-4o-mini } }') +
        exchange("fails", "{ filterState: { tollgate.usage: { prompt_tokens: 13 }, tollgate.cost: null, tollgate.model: gpt-4o } }"),
    );
    let stdout = "";
    const code = await main(["replay", cassette, "--filter", probe, "--root-id", "probe", "--config", JSON.stringify(script), "--json"], {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: () => true },
      createHost: await testCreateHost(),
    });
    const [holds, fails] = stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(holds.logs.map((l: { message: string }) => l.message).join("\n")).toMatch(/"alice"/);
    expect(holds.filterState).toEqual({ "tollgate.usage": '{"prompt_tokens":12,"source":"counted","extra":1}', "tollgate.model": "gpt-4o-mini" });
    expect(holds.expectations).toEqual({ passed: true, failures: [] });
    expect(fails.expectations.failures).toEqual([
      "filterState.tollgate.usage: prompt_tokens: expected 13, got 12",
      'filterState.tollgate.model: expected "gpt-4o", got "gpt-4o-mini"',
    ]);
    expect(code).toBe(1);
  });
});
