// filters/token-meter/config.schema.json against CONFIG.md: the YAML example is read out of the
// document itself, so the schema and the doc cannot drift apart unnoticed.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { load as loadYaml } from "js-yaml";

const dir = resolve(__dirname, "../filters/token-meter");
const schema = JSON.parse(readFileSync(resolve(dir, "config.schema.json"), "utf8"));
const doc = readFileSync(resolve(dir, "CONFIG.md"), "utf8");
const example = (() => {
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)];
  expect(blocks).toHaveLength(1);
  return loadYaml(blocks[0][1]) as Record<string, unknown>;
})();

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validate = ajv.compile(schema);

/** Where ajv says the config is wrong: the instance path, plus the property for unknown keys. */
function errorPaths(config: unknown): string[] {
  if (validate(config)) return [];
  return (validate.errors ?? []).map((e) =>
    e.keyword === "additionalProperties" ? `${e.instancePath}/${(e.params as { additionalProperty: string }).additionalProperty}`
    : e.keyword === "required" ? `${e.instancePath}/${(e.params as { missingProperty: string }).missingProperty}`
    : e.instancePath);
}

describe("token-meter config schema", () => {
  it("is a valid draft 2020-12 schema", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(ajv.validateSchema(schema)).toBe(true);
  });

  it("accepts {}", () => {
    expect(errorPaths({})).toEqual([]);
  });

  it("accepts the CONFIG.md example", () => {
    expect(Object.keys(example).length).toBeGreaterThan(5);
    expect(errorPaths(example)).toEqual([]);
  });

  it("names every top-level field of the CONFIG.md example, and no other", () => {
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(example).sort());
  });

  // The example's comments describe its scalar values as the defaults.
  it("has the defaults the CONFIG.md example shows", () => {
    const walk = (value: unknown, s: Record<string, any>, path: string) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        expect(s.default, path).toEqual(value);
        return;
      }
      for (const [k, v] of Object.entries(value)) {
        if (Array.isArray(v)) continue;
        walk(v, s.properties[k], `${path}.${k}`);
      }
    };
    walk(example, schema, "$");
  });

  it("fills defaults into {}", () => {
    const v = new Ajv2020({ useDefaults: true }).compile(schema);
    const config: Record<string, any> = {}; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(v(config)).toBe(true);
    expect(config.on_bad_input).toBe("pass");
    expect(config.pricing.use_default_table).toBe(true);
    expect(config.limits.max_json_depth).toBe(64);
  });

  it("accepts every USAGE.md provider, and none on routes only", () => {
    for (const p of schema.$defs.provider.enum) {
      expect(errorPaths({ routes: [{ path_prefix: "/", provider: p }], pricing: { models: [{ match: "*", provider: p, input: 0, output: 0 }] } })).toEqual([]);
    }
    expect(errorPaths({ routes: [{ path_prefix: "/", provider: "none" }] })).toEqual([]);
    expect(errorPaths({ pricing: { models: [{ match: "*", provider: "none", input: 0, output: 0 }] } })).toContain("/pricing/models/0/provider");
  });

  const bad: Array<[string, unknown, string]> = [
    ["not an object", [], ""],
    ["unknown top-level field", { price: {} }, "/price"],
    ["routes not an array", { routes: {} }, "/routes"],
    ["route without path_prefix", { routes: [{ host: "a" }] }, "/routes/0/path_prefix"],
    ["relative path_prefix", { routes: [{ path_prefix: "llm/" }] }, "/routes/0/path_prefix"],
    ["unknown provider", { routes: [{ path_prefix: "/", provider: "cohere" }] }, "/routes/0/provider"],
    ["strip_prefix not boolean", { routes: [{ path_prefix: "/", strip_prefix: "yes" }] }, "/routes/0/strip_prefix"],
    ["unknown route field", { routes: [{ path_prefix: "/", prefix: "/" }] }, "/routes/0/prefix"],
    ["inject not boolean", { include_usage: { inject: 1 } }, "/include_usage/inject"],
    ["negative max_body_bytes", { prompt_counting: { max_body_bytes: -1 } }, "/prompt_counting/max_body_bytes"],
    ["fractional max_text_bytes", { completion_counting: { max_text_bytes: 1.5 } }, "/completion_counting/max_text_bytes"],
    ["tiny max_event_bytes", { limits: { max_event_bytes: 10 } }, "/limits/max_event_bytes"],
    ["huge max_json_depth", { limits: { max_json_depth: 100000 } }, "/limits/max_json_depth"],
    ["on_bad_input value", { on_bad_input: "drop" }, "/on_bad_input"],
    ["use_default_table not boolean", { pricing: { use_default_table: "true" } }, "/pricing/use_default_table"],
    ["model without output", { pricing: { models: [{ match: "a", input: 1 }] } }, "/pricing/models/0/output"],
    ["model with empty match", { pricing: { models: [{ match: "", input: 1, output: 1 }] } }, "/pricing/models/0/match"],
    ["negative price", { pricing: { models: [{ match: "a", input: -0.5, output: 1 }] } }, "/pricing/models/0/input"],
    ["price as string", { pricing: { models: [{ match: "a", input: 1, output: 1, reasoning: "1" }] } }, "/pricing/models/0/reasoning"],
    ["unknown model field", { pricing: { models: [{ match: "a", input: 1, output: 1, long_context: {} }] } }, "/pricing/models/0/long_context"],
    ["header prefix not a string", { response_headers: { prefix: 1 } }, "/response_headers/prefix"],
    ["metrics enabled not boolean", { metrics: { enabled: "no" } }, "/metrics/enabled"],
  ];
  it.each(bad)("rejects %s at %s", (_, config, path) => {
    const paths = errorPaths(config);
    expect(paths.length).toBeGreaterThan(0);
    expect(paths).toContain(path);
  });
});
