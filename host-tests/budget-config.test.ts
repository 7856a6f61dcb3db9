// filters/budget/config.schema.json against CONFIG.md and against the filter itself: the YAML
// example is read out of the document, and every configuration below is given both to ajv and
// to the real budget.wasm (readBudgetConfig through on_configure), so the schema, the doc and
// the filter cannot drift apart unnoticed.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { load as loadYaml } from "js-yaml";
import { BUDGET_WASM, budgetFilter } from "./support/budget";
import { expectRejectedByBoth, filterVerdicts, schemaErrorPaths } from "./support/config-check";

const dir = resolve(__dirname, "../filters/budget");
const schema = JSON.parse(readFileSync(resolve(dir, "config.schema.json"), "utf8"));
const meterSchema = JSON.parse(readFileSync(resolve(__dirname, "../filters/token-meter/config.schema.json"), "utf8"));
const doc = readFileSync(resolve(dir, "CONFIG.md"), "utf8");
const exampleText = (() => {
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)];
  expect(blocks).toHaveLength(1);
  return blocks[0][1];
})();
const example = loadYaml(exampleText) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The example's commented-out `global:` section, uncommented. */
const exampleGlobal = (() => {
  const lines = exampleText.split("\n");
  const start = lines.findIndex((l) => /^# global:/.test(l));
  expect(start).toBeGreaterThan(0);
  const block: string[] = [];
  for (let i = start; i < lines.length && lines[i].startsWith("#"); i++) block.push(lines[i].replace(/^# ?/, ""));
  return (loadYaml(block.join("\n")) as { global: Record<string, unknown> }).global;
})();

const { ajv, validate, errorPaths } = schemaErrorPaths(schema);

let vmSeq = 0;
// Read once: a concurrent `npm run build` rewriting dist/budget.wasm mid-run must not fail a case.
const BUDGET_BYTES = new Uint8Array(readFileSync(BUDGET_WASM));
const { filterVerdict, filterErrorPath } = filterVerdicts(
  (config) => ({ ...budgetFilter(config, `budget-config-${++vmSeq}`), code: BUDGET_BYTES }),
  "budget configuration: ",
);

// A minimal valid rule, edited per case.
const rule = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name: "r",
  limit: { tokens: 1000 },
  window: { calendar: "hour" },
  ...extra,
});
const one = (extra: Record<string, unknown> = {}, top: Record<string, unknown> = {}) => ({ rules: [rule(extra)], ...top });

describe("budget config schema", () => {
  it("is a valid draft 2020-12 schema", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(ajv.validateSchema(schema)).toBe(true);
  });

  it("says additionalProperties: false on every object schema (overrides is a map of integers)", () => {
    const open: string[] = [];
    const walk = (s: unknown, path: string) => {
      if (s === null || typeof s !== "object") return;
      if (Array.isArray(s)) return s.forEach((v, i) => walk(v, `${path}/${i}`));
      const o = s as Record<string, unknown>;
      if (o.type === "object" && o.additionalProperties !== false && path !== "#/$defs/rule/properties/overrides" && !path.startsWith("#/then")) open.push(path);
      for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
    };
    walk(schema, "#");
    expect(open).toEqual([]);
    expect(schema.$defs.rule.properties.overrides.additionalProperties).toEqual({ $ref: "#/$defs/count" });
  });

  it("copies the token meter's pricing subschema exactly, with the $defs it refers to", () => {
    expect(JSON.stringify(schema.properties.pricing)).toBe(JSON.stringify(meterSchema.properties.pricing));
    expect(JSON.stringify(schema.$defs.provider)).toBe(JSON.stringify(meterSchema.$defs.provider));
    expect(JSON.stringify(schema.$defs.price)).toBe(JSON.stringify(meterSchema.$defs.price));
  });

  it("accepts the CONFIG.md example", () => {
    expect(example.rules.length).toBeGreaterThanOrEqual(4);
    expect(errorPaths(example)).toEqual([]);
  });

  it("accepts the CONFIG.md example with its global section uncommented", () => {
    expect(exampleGlobal.cluster).toBe("ratelimit");
    expect(errorPaths({ ...example, global: exampleGlobal })).toEqual([]);
  });

  it("names every top-level field in the CONFIG.md example (global commented out), and no other", () => {
    expect(Object.keys(schema.properties).sort()).toEqual([...Object.keys(example), "global"].sort());
  });

  it("shows what the brief asks of the example", () => {
    const rules = example.rules as Array<Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(rules.some((r) => r.key?.some((p: any) => p.jwt_claim !== undefined))).toBe(true); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(rules.some((r) => r.key?.length === 1 && r.key[0] === "model")).toBe(true);
    expect(rules.some((r) => r.money_status === 402 && r.window.calendar === "month" && (r.limit.cost_usd ?? r.limit.cost_micro_usd) !== undefined)).toBe(true);
    expect(rules.some((r) => r.action === "shadow")).toBe(true);
    expect(rules.some((r) => r.soft_threshold !== undefined && r.overrides !== undefined && r.limit_from !== undefined)).toBe(true);
  });

  // The example's comments describe its top-level scalar values as the defaults.
  it("has the defaults the CONFIG.md example shows at top level", () => {
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
    const { rules: _rules, ...top } = example;
    walk(top, schema, "$");
  });

  it("fills defaults into a minimal configuration", () => {
    // Fields allowed only with another (count, utc_offset, slots, payload_in_metadata) state their
    // default in the description: filled in, it would break the exclusion.
    const v = new Ajv2020({ useDefaults: true, strict: true }).compile(schema);
    const config: Record<string, any> = { // eslint-disable-line @typescript-eslint/no-explicit-any
      rules: [rule({ limit: { tokens: 1, count: "weighted", weights: {} } }), rule({ name: "q", limit: { requests: 1 }, window: { rolling: "1h" }, key: [{ jwt_claim: "sub" }, { header: "x-a" }] })],
    };
    expect(v(config)).toBe(true);
    expect(config.default_output_cap).toBe(4096);
    expect(config.max_body_bytes).toBe(8 << 20);
    expect(config.on_bad_input).toBe("pass");
    expect(config.headers).toEqual({ remaining: true, warning: "x-tollgate-budget-warning" });
    expect(config.cutoff).toEqual({ enabled: false, max_event_bytes: 1 << 20 });
    expect(config.metrics).toEqual({ enabled: true, prefix: "tollgate" });
    expect(config.rules[0]).toMatchObject({ on_missing_key: "shared", action: "reject", soft_threshold: 0, money_status: 429, overrides: {} });
    expect(config.rules[0].limit.weights).toEqual({ input: 1, output: 1 });
    expect(config.rules[0].window).toEqual({ calendar: "hour" });
    expect(config.rules[1].limit).toEqual({ requests: 1 });
    expect(config.rules[1].window).toEqual({ rolling: "1h" });
    expect(errorPaths(config)).toEqual([]);
  });
});

describe("budget config: the filter agrees", () => {
  it("accepts the CONFIG.md example", async () => {
    expect(await filterVerdict(example)).toBeNull();
  });

  it("accepts the CONFIG.md example with its global section uncommented", async () => {
    expect(await filterVerdict({ ...example, global: exampleGlobal })).toBeNull();
  });

  // [what, configuration, JSON path the filter names, ajv instance path if it differs]
  const bad: Array<[string, unknown, string, string?]> = [
    ["not an object", [], "$"],
    ["no rules", {}, "$.rules"],
    ["rules not an array", { rules: {} }, "$.rules"],
    ["unknown top-level field", { rules: [], budgets: [] }, "$.budgets"],
    ["default_output_cap 0", { rules: [], default_output_cap: 0 }, "$.default_output_cap"],
    ["fractional default_output_cap", { rules: [], default_output_cap: 1.5 }, "$.default_output_cap"],
    ["default_output_cap over 10M", { rules: [], default_output_cap: 10_000_001 }, "$.default_output_cap"],
    ["max_body_bytes under 1 KiB", { rules: [], max_body_bytes: 1023 }, "$.max_body_bytes"],
    ["max_body_bytes over 256 MiB", { rules: [], max_body_bytes: (256 << 20) + 1 }, "$.max_body_bytes"],
    ["on_bad_input value", { rules: [], on_bad_input: "drop" }, "$.on_bad_input"],
    ["global without cluster", { rules: [], global: { domain: "x" } }, "$.global.cluster"],
    ["global with empty cluster", { rules: [], global: { cluster: "" } }, "$.global.cluster"],
    ["global with empty domain", { rules: [], global: { cluster: "rl", domain: "" } }, "$.global.domain"],
    ["global timeout_ms 0", { rules: [], global: { cluster: "rl", timeout_ms: 0 } }, "$.global.timeout_ms"],
    ["global timeout_ms over a minute", { rules: [], global: { cluster: "rl", timeout_ms: 60_001 } }, "$.global.timeout_ms"],
    ["global failure_mode value", { rules: [], global: { cluster: "rl", failure_mode: "retry" } }, "$.global.failure_mode"],
    ["global charge_at_admission value", { rules: [], global: { cluster: "rl", charge_at_admission: "output" } }, "$.global.charge_at_admission"],
    ["unknown global field", { rules: [], global: { cluster: "rl", port: 8081 } }, "$.global.port"],
    ["tiny cutoff max_event_bytes", { rules: [], cutoff: { max_event_bytes: 100 } }, "$.cutoff.max_event_bytes"],
    ["cutoff enabled not boolean", { rules: [], cutoff: { enabled: "yes" } }, "$.cutoff.enabled"],
    ["headers remaining not boolean", { rules: [], headers: { remaining: 1 } }, "$.headers.remaining"],
    ["headers warning not a string", { rules: [], headers: { warning: true } }, "$.headers.warning"],
    ["pricing not an object", { rules: [], pricing: [] }, "$.pricing"],
    ["metrics prefix not a string", { rules: [], metrics: { prefix: 1 } }, "$.metrics.prefix"],
    ["metrics enabled not boolean", { rules: [], metrics: { enabled: "no" } }, "$.metrics.enabled"],
    ["rule not an object", { rules: ["r"] }, "$.rules[0]"],
    ["rule without name", { rules: [{ limit: { tokens: 1 }, window: { calendar: "hour" } }] }, "$.rules[0].name"],
    ["empty rule name", one({ name: "" }), "$.rules[0].name"],
    ["rule name over 128 characters", one({ name: "n".repeat(129) }), "$.rules[0].name"],
    ["unknown rule field", one({ priority: 1 }), "$.rules[0].priority"],
    ["second rule's error", { rules: [rule(), rule({ name: "s", action: "log" })] }, "$.rules[1].action"],
    ["match not an object", one({ match: "/v1/" }), "$.rules[0].match"],
    ["relative path_prefix", one({ match: { path_prefix: "v1/" } }), "$.rules[0].match.path_prefix"],
    ["unknown provider", one({ match: { providers: ["openai", "cohere"] } }), "$.rules[0].match.providers[1]", "/rules/0/match/providers"],
    ["models not strings", one({ match: { models: [1] } }), "$.rules[0].match.models[0]", "/rules/0/match/models"],
    ["unknown match field", one({ match: { method: "POST" } }), "$.rules[0].match.method"],
    ["key not an array", one({ key: { header: "x-tenant" } }), "$.rules[0].key"],
    ["unknown key word", one({ key: ["user"] }), "$.rules[0].key[0]"],
    ["key part a number", one({ key: [1] }), "$.rules[0].key[0]"],
    ["key part with two kinds", one({ key: [{ header: "x-a", constant: "b" }] }), "$.rules[0].key[0]"],
    ["key part with no kind", one({ key: [{}] }), "$.rules[0].key[0]"],
    ["unknown key part field", one({ key: [{ cookie: "session" }] }), "$.rules[0].key[0].cookie"],
    ["payload_in_metadata without jwt_claim", one({ key: [{ header: "x-a", payload_in_metadata: "p" }] }), "$.rules[0].key[0].payload_in_metadata"],
    ["empty header name", one({ key: [{ header: "" }] }), "$.rules[0].key[0].header"],
    ["empty jwt_claim list", one({ key: [{ jwt_claim: [] }] }), "$.rules[0].key[0].jwt_claim"],
    ["jwt_claim a number", one({ key: [{ jwt_claim: 7 }] }), "$.rules[0].key[0].jwt_claim"],
    ["metadata without namespace", one({ key: [{ metadata: { path: "team" } }] }), "$.rules[0].key[0].metadata.namespace"],
    ["metadata without path", one({ key: [{ metadata: { namespace: "envoy.filters.http.ext_authz" } }] }), "$.rules[0].key[0].metadata.path"],
    ["unknown metadata field", one({ key: [{ metadata: { namespace: "n", path: "p", default: "x" } }] }), "$.rules[0].key[0].metadata.default"],
    ["empty property list", one({ key: [{ property: [] }] }), "$.rules[0].key[0].property"],
    ["constant a number", one({ key: [{ constant: 1 }] }), "$.rules[0].key[0].constant"],
    ["on_missing_key value", one({ on_missing_key: "deny" }), "$.rules[0].on_missing_key"],
    ["no limit", { rules: [{ name: "r", window: { calendar: "hour" } }] }, "$.rules[0].limit"],
    ["empty limit", one({ limit: {} }), "$.rules[0].limit"],
    ["two limit kinds", one({ limit: { tokens: 1, requests: 1 } }), "$.rules[0].limit"],
    ["cost_usd and cost_micro_usd", one({ limit: { cost_usd: 1, cost_micro_usd: 1 } }), "$.rules[0].limit"],
    ["negative tokens", one({ limit: { tokens: -1 } }), "$.rules[0].limit.tokens"],
    ["fractional tokens", one({ limit: { tokens: 1.5 } }), "$.rules[0].limit.tokens"],
    ["tokens over 2^53", one({ limit: { tokens: 2 ** 54 } }), "$.rules[0].limit.tokens"],
    ["tokens as a string", one({ limit: { tokens: "1000" } }), "$.rules[0].limit.tokens"],
    ["count value", one({ limit: { tokens: 1, count: "cached" } }), "$.rules[0].limit.count"],
    ["weighted without weights", one({ limit: { tokens: 1, count: "weighted" } }), "$.rules[0].limit.weights"],
    ["weights with count total", one({ limit: { tokens: 1, count: "total", weights: {} } }), "$.rules[0].limit.weights", "/rules/0/limit/count"],
    ["weights without count", one({ limit: { tokens: 1, weights: {} } }), "$.rules[0].limit.weights", "/rules/0/limit/count"],
    ["count on a request limit", one({ limit: { requests: 1, count: "input" } }), "$.rules[0].limit.count"],
    ["weights on a money limit", one({ limit: { cost_usd: 1, weights: { output: 2 } } }), "$.rules[0].limit.count", "/rules/0/limit/weights"],
    ["weight over 1000", one({ limit: { tokens: 1, count: "weighted", weights: { output: 1001 } } }), "$.rules[0].limit.weights.output"],
    ["negative weight", one({ limit: { tokens: 1, count: "weighted", weights: { cached_input: -0.1 } } }), "$.rules[0].limit.weights.cached_input"],
    ["unknown weight", one({ limit: { tokens: 1, count: "weighted", weights: { reasoning: 2 } } }), "$.rules[0].limit.weights.reasoning"],
    ["negative cost_usd", one({ limit: { cost_usd: -1 } }), "$.rules[0].limit.cost_usd"],
    ["cost_usd over 9e9", one({ limit: { cost_usd: 9.5e9 } }), "$.rules[0].limit.cost_usd"],
    ["fractional cost_micro_usd", one({ limit: { cost_micro_usd: 0.5 } }), "$.rules[0].limit.cost_micro_usd"],
    ["unknown limit field", one({ limit: { tokens: 1, burst: 2 } }), "$.rules[0].limit.burst"],
    ["no window", { rules: [{ name: "r", limit: { tokens: 1 } }] }, "$.rules[0].window"],
    ["empty window", one({ window: {} }), "$.rules[0].window"],
    ["calendar and rolling", one({ window: { calendar: "hour", rolling: "1h" } }), "$.rules[0].window"],
    ["calendar unit", one({ window: { calendar: "year" } }), "$.rules[0].window.calendar"],
    ["utc_offset without a leading zero", one({ window: { calendar: "day", utc_offset: "+5:30" } }), "$.rules[0].window.utc_offset"],
    ["utc_offset past +14:00", one({ window: { calendar: "day", utc_offset: "+14:30" } }), "$.rules[0].window.utc_offset"],
    ["utc_offset with 60 minutes", one({ window: { calendar: "day", utc_offset: "-03:60" } }), "$.rules[0].window.utc_offset"],
    ["utc_offset as a zone name", one({ window: { calendar: "day", utc_offset: "Europe/Paris" } }), "$.rules[0].window.utc_offset"],
    ["slots on a calendar window", one({ window: { calendar: "hour", slots: 60 } }), "$.rules[0].window.slots"],
    ["rolling 0s", one({ window: { rolling: "0s" } }), "$.rules[0].window.rolling"],
    ["rolling 367d", one({ window: { rolling: "367d" } }), "$.rules[0].window.rolling"],
    ["rolling 8785h", one({ window: { rolling: "8785h" } }), "$.rules[0].window.rolling"],
    ["rolling 527041m", one({ window: { rolling: "527041m" } }), "$.rules[0].window.rolling"],
    ["rolling 31622401s", one({ window: { rolling: "31622401s" } }), "$.rules[0].window.rolling"],
    ["rolling in weeks", one({ window: { rolling: "1w" } }), "$.rules[0].window.rolling"],
    ["rolling without a unit", one({ window: { rolling: "90" } }), "$.rules[0].window.rolling"],
    ["rolling with a fraction", one({ window: { rolling: "1.5h" } }), "$.rules[0].window.rolling"],
    ["rolling 0 seconds", one({ window: { rolling: 0 } }), "$.rules[0].window.rolling"],
    ["rolling over 366 days in seconds", one({ window: { rolling: 31_622_401 } }), "$.rules[0].window.rolling"],
    ["rolling fractional seconds", one({ window: { rolling: 1.5 } }), "$.rules[0].window.rolling"],
    ["slots 0", one({ window: { rolling: "1h", slots: 0 } }), "$.rules[0].window.slots"],
    ["slots over 1440", one({ window: { rolling: "1d", slots: 1441 } }), "$.rules[0].window.slots"],
    ["unknown window field", one({ window: { calendar: "day", timezone: "UTC" } }), "$.rules[0].window.timezone"],
    ["action value", one({ action: "log" }), "$.rules[0].action"],
    ["soft_threshold over 1", one({ soft_threshold: 1.5 }), "$.rules[0].soft_threshold"],
    ["soft_threshold as percent string", one({ soft_threshold: "80%" }), "$.rules[0].soft_threshold"],
    ["money_status 403", one({ money_status: 403 }), "$.rules[0].money_status"],
    ["money_status 500", one({ money_status: 500 }), "$.rules[0].money_status"],
    ["overrides not an object", one({ overrides: [] }), "$.rules[0].overrides"],
    ["negative override", one({ overrides: { acme: -1 } }), "$.rules[0].overrides.acme"],
    ["override as a string", one({ overrides: { acme: "5000" } }), "$.rules[0].overrides.acme"],
    ["empty limit_from list", one({ limit_from: [] }), "$.rules[0].limit_from"],
    ["limit_from a number", one({ limit_from: 5 }), "$.rules[0].limit_from"],
    ["state global without the global section", one({ state: "global" }), "$.rules[0].state"],
    ["state value", one({ state: "remote" }, { global: { cluster: "rl" } }), "$.rules[0].state"],
  ];

  it("has at least 25 bad configurations", () => {
    expect(bad.length).toBeGreaterThanOrEqual(25);
  });

  it.each(bad)("rejects %s (schema and filter, at %s)", async (_, config, path, schemaPath) => {
    await expectRejectedByBoth(errorPaths, filterErrorPath, config, path, schemaPath);
  });

  // Configurations at the edges of what is allowed.
  const good: Array<[string, unknown]> = [
    ["no rules", { rules: [] }],
    ["a minimal rule", one()],
    ["every top-level field at its bounds", { rules: [], default_output_cap: 1, max_body_bytes: 1024, on_bad_input: "reject", cutoff: { enabled: true, max_event_bytes: 1024 }, headers: { remaining: false, warning: "X-Budget-Warning" }, pricing: {}, metrics: { enabled: false, prefix: "gw" } }],
    ["upper bounds", { rules: [], default_output_cap: 10_000_000, max_body_bytes: 256 << 20, cutoff: { max_event_bytes: 64 << 20 } }],
    ["a 128-character name", one({ name: "n".repeat(128) })],
    ["an empty key", one({ key: [] })],
    ["the word key parts", one({ key: ["model", "route", "provider"] })],
    ["a nested jwt_claim with its own payload name", one({ key: [{ jwt_claim: ["org", "id"], payload_in_metadata: "claims" }] })],
    ["a dotted jwt_claim name", one({ key: [{ jwt_claim: "https://example.com/tenant" }] })],
    ["metadata with a string path and a list path", one({ key: [{ metadata: { namespace: "envoy.filters.http.ext_authz", path: "team" } }, { metadata: { namespace: "n", path: ["a", "b"] } }] })],
    ["property dotted and as a list", one({ key: [{ property: "source.address" }, { property: ["xds", "cluster_name"] }] })],
    ["an empty constant", one({ key: [{ constant: "" }, { header: "X-Tenant" }] })],
    ["match with single strings", one({ match: { path_prefix: "/", host: "API.example.com", models: "gpt-4o*", providers: "openai" } })],
    ["match with an empty path_prefix and lists", one({ match: { path_prefix: "", models: [], providers: ["ollama", "vertex-ai", "openai-compatible"] } })],
    ["limit 0 (suspended)", one({ limit: { requests: 0 } })],
    ["tokens at 2^53", one({ limit: { tokens: 2 ** 53 } })],
    ["weighted with empty weights", one({ limit: { tokens: 1, count: "weighted", weights: {} } })],
    ["weights at their bounds", one({ limit: { tokens: 1, count: "weighted", weights: { input: 0, cached_input: 0.001, cache_write: 1000, output: 1000 } } })],
    ["count output", one({ limit: { tokens: 1, count: "output" } })],
    ["a micro-dollar cost_usd", one({ limit: { cost_usd: 0.000001 }, money_status: 402 })],
    ["cost_usd at 9e9", one({ limit: { cost_usd: 9e9 } })],
    ["cost_micro_usd", one({ limit: { cost_micro_usd: 1 } })],
    ["every calendar unit", { rules: ["minute", "hour", "day", "week", "month"].map((u) => rule({ name: u, window: { calendar: u } })) }],
    ["offsets Z, UTC, ±14:00, -00:00, +05:45", { rules: ["Z", "UTC", "+14:00", "-14:00", "-00:00", "+05:45", "+13:59"].map((o, i) => rule({ name: `o${i}`, window: { calendar: "day", utc_offset: o } })) }],
    ["rolling at 1s with 1000 slots", one({ window: { rolling: "1s", slots: 1000 } })],
    ["rolling at the 366-day bound in every unit", { rules: ["366d", "8784h", "527040m", "31622400s", 31_622_400].map((d, i) => rule({ name: `d${i}`, window: { rolling: d, slots: 1440 } })) }],
    ["rolling with a leading zero and default slots", one({ window: { rolling: "01h" } })],
    ["rolling 90s in 1 slot, integer seconds", { rules: [rule({ window: { rolling: "90s", slots: 1 } }), rule({ name: "s", window: { rolling: 1, slots: 1 } })] }],
    ["shadow, soft_threshold 1, overrides, limit_from", one({ action: "shadow", soft_threshold: 1, overrides: { "acme|gpt-4o": 0, "": 5 }, limit_from: "metadata.filter_metadata.plans.quota" })],
    ["limit_from as a list", one({ limit_from: ["metadata", "filter_metadata", "tollgate.plans", "hourly_tokens"] })],
    ["soft_threshold 0", one({ soft_threshold: 0 })],
    ["global with only a cluster, default state", one({}, { global: { cluster: "ratelimit" } })],
    ["global at its bounds with a local rule", one({ state: "local" }, { global: { cluster: "rl", domain: "d", timeout_ms: 1, failure_mode: "closed", charge_at_admission: "prompt" } })],
    ["global timeout 60s, explicit global state", one({ state: "global" }, { global: { cluster: "rl", timeout_ms: 60_000, failure_mode: "local" } })],
    ["pricing with a model", { rules: [], pricing: { use_default_table: false, models: [{ match: "acme-*", provider: "openai", input: 1.5, output: 2 }] } }],
  ];

  it.each(good)("accepts %s (schema and filter)", async (_, config) => {
    expect(errorPaths(config)).toEqual([]);
    expect(await filterVerdict(config)).toBeNull();
  });

  // What JSON Schema cannot express: the filter alone rejects these.
  const filterOnly: Array<[string, unknown, string]> = [
    ["repeated rule names", { rules: [rule(), rule({ window: { rolling: "1h" } })] }, "$.rules[1].name"],
    ["slots that do not divide the window into whole milliseconds", one({ window: { rolling: "90s", slots: 7 } }), "$.rules[0].window.slots"],
    ["1 s in 1440 slots", one({ window: { rolling: 1, slots: 1440 } }), "$.rules[0].window.slots"],
    ["1 s in the default 60 slots", one({ window: { rolling: "1s" } }), "$.rules[0].window.slots"],
  ];
  it.each(filterOnly)("the filter alone rejects %s", async (_, config, path) => {
    expect(errorPaths(config)).toEqual([]);
    expect(await filterErrorPath(config)).toBe(path);
  });

  // The price table is read by lib/pricing after readBudgetConfig: both reject a bad entry.
  it("rejects a bad pricing entry (schema and filter)", async () => {
    const config = { rules: [], pricing: { models: [{ match: "a", input: 1 }] } };
    expect(errorPaths(config)).toContain("/pricing/models/0/output");
    expect(await filterErrorPath(config)).toBe("$.pricing.models[0].output");
  });

  // Found by this table and fixed in config.ts: the schema and the filter now agree on them.
  const fixed: Array<[string, unknown, string]> = [
    ["an empty warning header name", { rules: [], headers: { warning: "" } }, "$.headers.warning"],
    ["an empty jwt_claim", one({ key: [{ jwt_claim: "" }] }), "$.rules[0].key[0].jwt_claim"],
    ["an empty payload_in_metadata", one({ key: [{ jwt_claim: "sub", payload_in_metadata: "" }] }), "$.rules[0].key[0].payload_in_metadata"],
    ["an empty metadata path", one({ key: [{ metadata: { namespace: "n", path: "" } }] }), "$.rules[0].key[0].metadata.path"],
    ["an empty property segment", one({ key: [{ property: "a..b" }] }), "$.rules[0].key[0].property"],
    ["an empty limit_from", one({ limit_from: "" }), "$.rules[0].limit_from"],
    ["utc_offset on a rolling window", one({ window: { rolling: "1h", utc_offset: "+01:00" } }), "$.rules[0].window.utc_offset"],
  ];
  it.each(fixed)("rejects %s (schema and filter)", async (_, config, path) => {
    expect(errorPaths(config).length).toBeGreaterThan(0);
    expect(await filterErrorPath(config)).toBe(path);
  });
});
