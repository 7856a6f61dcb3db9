// filters/audit/config.schema.json against CONFIG.md and the filter itself: every configuration
// below goes to ajv and to the real audit.wasm (readAuditConfig through on_configure), so the
// schema, the document and the filter cannot drift apart unnoticed.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { load as loadYaml } from "js-yaml";
import { AUDIT_WASM, auditFilter } from "./support/audit";
import { expectRejectedByBoth, filterVerdicts, schemaErrorPaths } from "./support/config-check";

const dir = resolve(__dirname, "../filters/audit");
const schema = JSON.parse(readFileSync(resolve(dir, "config.schema.json"), "utf8"));
const doc = readFileSync(resolve(dir, "CONFIG.md"), "utf8");
const example = (() => {
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)];
  expect(blocks).toHaveLength(1);
  return loadYaml(blocks[0][1]) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
})();

const { ajv, errorPaths } = schemaErrorPaths(schema);
let vmSeq = 0;
const AUDIT_BYTES = new Uint8Array(readFileSync(AUDIT_WASM));
const { filterVerdict, filterErrorPath } = filterVerdicts(
  (config) => auditFilter(config, `audit-config-${++vmSeq}`, AUDIT_BYTES),
  "audit configuration: ",
);

describe("audit config schema", () => {
  it("is a valid draft 2020-12 schema with additionalProperties: false on every fixed object", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(ajv.validateSchema(schema)).toBe(true);
    const open: string[] = [];
    const walk = (s: unknown, path: string) => {
      if (s === null || typeof s !== "object") return;
      if (Array.isArray(s)) return s.forEach((v, i) => walk(v, `${path}/${i}`));
      const o = s as Record<string, unknown>;
      // headers and resource_attributes are maps: their values are typed instead.
      if (o.type === "object" && o.additionalProperties !== false && typeof o.additionalProperties !== "object") open.push(path);
      for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
    };
    walk(schema, "#");
    expect(open).toEqual([]);
  });

  it("accepts the CONFIG.md example, and the example names every top-level field", () => {
    expect(errorPaths(example)).toEqual([]);
    expect(Object.keys(example).sort()).toEqual(Object.keys(schema.properties).sort());
  });
});

describe("audit config: the filter agrees with the schema", () => {
  it("accepts the CONFIG.md example and the CONFIG.md example with its http sink", async () => {
    expect(await filterVerdict(example)).toBeNull();
    const withHttp = { ...example, sinks: { ...example.sinks, http: { cluster: "audit-collector", format: "otlp" } } };
    expect(errorPaths(withHttp)).toEqual([]);
    expect(await filterVerdict(withHttp)).toBeNull();
  });

  const bad: Array<[string, unknown, string, string?]> = [
    ["not an object", [], "$"],
    ["unknown top-level field", { capture: true }, "$.capture"],
    ["chain not an object", { chain: "tollgate" }, "$.chain"],
    ["empty chain name", { chain: { name: "" } }, "$.chain.name"],
    ["chain name with a slash", { chain: { name: "a/b" } }, "$.chain.name"],
    ["chain name over 64", { chain: { name: "n".repeat(65) } }, "$.chain.name"],
    ["short hmac_key", { chain: { hmac_key: "short", key_id: "k" } }, "$.chain.hmac_key"],
    ["hmac_key not a string", { chain: { hmac_key: 12345678901234567, key_id: "k" } }, "$.chain.hmac_key"],
    ["hmac_key without key_id", { chain: { hmac_key: "0123456789abcdef" } }, "$.chain.hmac_key"],
    ["key_id without hmac_key", { chain: { key_id: "k1" } }, "$.chain.key_id"],
    ["key_id with a space", { chain: { hmac_key: "0123456789abcdef", key_id: "k 1" } }, "$.chain.key_id"],
    ["unknown chain field", { chain: { seed: 1 } }, "$.chain.seed"],
    ["tenant a string", { tenant: "x-tenant" }, "$.tenant"],
    ["tenant empty list", { tenant: [] }, "$.tenant"],
    ["tenant source with two kinds", { tenant: { header: "a", query: "b" } }, "$.tenant"],
    ["tenant source with no kind", { tenant: [{}] }, "$.tenant[0]"],
    ["unknown source field", { tenant: { cookie: "s" } }, "$.tenant.cookie"],
    ["empty header name", { key: { header: "" } }, "$.key.header"],
    ["query a number", { key: { query: 1 } }, "$.key.query"],
    ["empty jwt_claim list", { tenant: { jwt_claim: [] } }, "$.tenant.jwt_claim"],
    ["payload_in_metadata without jwt_claim", { tenant: { header: "x", payload_in_metadata: "p" } }, "$.tenant.payload_in_metadata"],
    ["metadata without namespace", { tenant: { metadata: { path: "team" } } }, "$.tenant.metadata.namespace"],
    ["metadata without path", { tenant: { metadata: { namespace: "ns" } } }, "$.tenant.metadata.path"],
    ["unknown metadata field", { tenant: { metadata: { namespace: "n", path: "p", x: 1 } } }, "$.tenant.metadata.x"],
    ["empty property list", { tenant: { property: [] } }, "$.tenant.property"],
    ["second source's error", { key: [{ header: "a" }, { header: "" }] }, "$.key[1].header"],
    ["digests request not boolean", { digests: { request: "yes" } }, "$.digests.request"],
    ["unknown digests field", { digests: { md5: true } }, "$.digests.md5"],
    ["no sinks", { sinks: {} }, "$.sinks"],
    ["unknown sink", { sinks: { kafka: {} } }, "$.sinks.kafka"],
    ["log sink prefix over 64", { sinks: { log: { prefix: "p".repeat(65) } } }, "$.sinks.log.prefix"],
    ["log sink level value", { sinks: { log: { level: "notice" } } }, "$.sinks.log.level"],
    ["unknown log sink field", { sinks: { log: { stream: "stdout" } } }, "$.sinks.log.stream"],
    ["http sink without cluster", { sinks: { http: {} } }, "$.sinks.http.cluster"],
    ["max_record_bytes under 2048", { max_record_bytes: 2047 }, "$.max_record_bytes"],
    ["fractional max_record_bytes", { max_record_bytes: 4096.5 }, "$.max_record_bytes"],
    ["max_record_bytes over 1 MiB", { max_record_bytes: (1 << 20) + 1 }, "$.max_record_bytes"],
    ["metrics enabled not boolean", { metrics: { enabled: "no" } }, "$.metrics.enabled"],
    ["empty metrics prefix", { metrics: { prefix: "" } }, "$.metrics.prefix"],
  ];

  it.each(bad)("rejects %s (schema and filter, at %s)", async (_, config, path, schemaPath) => {
    await expectRejectedByBoth(errorPaths, filterErrorPath, config, path, schemaPath);
  });

  const good: Array<[string, unknown]> = [
    ["an empty configuration", {}],
    ["every field at its bounds", { chain: { name: "a", hmac_key: "k".repeat(16), key_id: "~" }, tenant: { header: "X-Tenant" }, key: { query: "key" }, digests: { request: true, response: true }, sinks: { log: { prefix: "", level: "critical" } }, max_record_bytes: 2048, metrics: { enabled: false, prefix: "gw" } }],
    ["upper bounds", { chain: { name: "n".repeat(64), hmac_key: "k".repeat(1024), key_id: "i".repeat(64) }, max_record_bytes: 1 << 20 }],
    ["every source kind", { tenant: [{ header: "x-t" }, { query: "t" }, { jwt_claim: ["org", "id"], payload_in_metadata: "claims" }, { metadata: { namespace: "ns", path: ["a", "b"] } }, { property: "source.address" }, { property: ["xds", "cluster_name"] }] }],
    ["only the http sink", { sinks: { http: { cluster: "c" } } }],
  ];

  it.each(good)("accepts %s (schema and filter)", async (_, config) => {
    expect(errorPaths(config)).toEqual([]);
    expect(await filterVerdict(config)).toBeNull();
  });
});
