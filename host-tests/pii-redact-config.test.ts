// filters/pii-redact/config.schema.json against CONFIG.md and against the filter itself: the YAML
// example is read out of the document, and every configuration below is given both to ajv and
// to the real pii-redact.wasm (readPiiConfig through on_configure), so the schema, the doc and
// the filter cannot drift apart unnoticed.
import { afterAll, describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { load as loadYaml } from "js-yaml";
import type { Exchange, WasmFilterConfig } from "./harness/api";
import { expectRejectedByBoth, filterVerdicts, schemaErrorPaths } from "./support/config-check";
import { closeProbeHosts, trackedHost } from "./support/probe";
import { bodyJson, recorded, statusOf } from "./support/budget";

const dir = resolve(__dirname, "../filters/pii-redact");
const schema = JSON.parse(readFileSync(resolve(dir, "config.schema.json"), "utf8"));
const doc = readFileSync(resolve(dir, "CONFIG.md"), "utf8");
const exampleText = (() => {
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)];
  expect(blocks).toHaveLength(1);
  return blocks[0][1];
})();
const example = loadYaml(exampleText) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const { ajv, validate, errorPaths } = schemaErrorPaths(schema);

// Read once: a concurrent `npm run build` rewriting dist/pii-redact.wasm mid-run must not fail a case.
const WASM = new Uint8Array(readFileSync(join(resolve(__dirname, ".."), "dist/pii-redact.wasm")));
let vmSeq = 0;
const piiFilter = (config: unknown): WasmFilterConfig => ({
  name: "pii-redact", rootId: "pii-redact", vmId: `pii-config-${++vmSeq}`, code: WASM,
  configuration: typeof config === "string" ? config : JSON.stringify(config),
});
const PREFIX = "pii-redact configuration: ";

afterAll(closeProbeHosts);

const { filterVerdict, filterErrorPath } = filterVerdicts(piiFilter, PREFIX);

const KEY = "k".repeat(16);
const TYPES = ["EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "US_SSN", "IP_ADDRESS", "URL_CREDENTIALS", "SECRET"];
const ACTIONS = ["redact", "mask", "pseudonymise", "tokenise", "block", "detect"];
// DEFAULT_ACTIONS in filters/pii-redact/config.ts.
const DEFAULT_ACTIONS: Record<string, string> = {
  EMAIL: "redact", PHONE: "redact", CREDIT_CARD: "mask", IBAN: "redact", US_SSN: "redact", IP_ADDRESS: "redact", URL_CREDENTIALS: "redact", SECRET: "block",
};
const entity = (type: string, settings: unknown) => ({ entities: { [type]: settings } });
const pattern = (p: Record<string, unknown>, i = 0) => ({ custom_patterns: [...Array(i).fill({ name: "ok", pattern: "x" }), p] });
const list = (l: Record<string, unknown>) => ({ word_lists: [l] });

describe("pii-redact config schema", () => {
  it("is a valid draft 2020-12 schema", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(ajv.validateSchema(schema)).toBe(true);
  });

  it("says additionalProperties: false on every object schema (the pseudonymise condition only reads)", () => {
    const open: string[] = [];
    const walk = (s: unknown, path: string) => {
      if (s === null || typeof s !== "object") return;
      if (Array.isArray(s)) return s.forEach((v, i) => walk(v, `${path}/${i}`));
      const o = s as Record<string, unknown>;
      if (o.type === "object" && o.additionalProperties !== false && !path.startsWith("#/if")) open.push(path);
      for (const [k, v] of Object.entries(o)) walk(v, `${path}/${k}`);
    };
    walk(schema, "#");
    expect(open).toEqual([]);
  });

  it("lists exactly the filter's entity types and actions, with config.ts's default actions", () => {
    expect(Object.keys(schema.properties.entities.properties)).toEqual(TYPES);
    expect(schema.$defs.action.enum).toEqual(ACTIONS);
    for (const t of TYPES) expect(schema.properties.entities.properties[t].properties.action.default, t).toBe(DEFAULT_ACTIONS[t]);
  });

  it("accepts the CONFIG.md example", () => {
    expect(errorPaths(example)).toEqual([]);
  });

  it("names every top-level field in the CONFIG.md example, and no other", () => {
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(example).sort());
  });

  it("shows what the brief asks of the example", () => {
    const e = example.entities;
    expect(e.EMAIL.action).toBe("tokenise");
    expect(e.PHONE.action).toBe("mask");
    expect(e.CREDIT_CARD.action).toBe("mask");
    expect(e.SECRET.action).toBe("block");
    expect(e.IBAN.action).toBe("pseudonymise");
    expect(example.pseudonym.key.length).toBeGreaterThanOrEqual(16);
    expect(example.pseudonym.tenant_header).toBeTruthy();
    expect(example.custom_patterns[0].name).toBe("employee_id");
    expect(example.word_lists[0].words.length).toBeGreaterThan(1);
    expect(example.stream.hold_back_bytes).toBeGreaterThan(0);
  });

  it("documents every field of the schema in CONFIG.md", () => {
    const fields = new Set<string>();
    const walk = (s: Record<string, any>) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      for (const [k, v] of Object.entries(s.properties ?? {})) {
        if (!TYPES.includes(k)) fields.add(k);
        walk(v as Record<string, any>); // eslint-disable-line @typescript-eslint/no-explicit-any
      }
      if (s.items) walk(s.items);
    };
    walk(schema);
    for (const f of fields) expect(doc, f).toContain("`" + f + "`");
    for (const t of TYPES) expect(doc, t).toMatch(new RegExp("\\| `" + t + "` \\| `" + DEFAULT_ACTIONS[t] + "` \\|"));
    for (const a of ACTIONS) expect(doc, a).toContain("| `" + a + "` |");
  });

  it("fills defaults into an empty configuration", () => {
    const v = new Ajv2020({ useDefaults: true, strict: true }).compile(schema);
    const config: Record<string, any> = { custom_patterns: [{ name: "p", pattern: "x" }], word_lists: [{ name: "w", words: "y" }] }; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(v(config)).toBe(true);
    for (const t of TYPES) expect(config.entities[t], t).toEqual({ enabled: true, action: DEFAULT_ACTIONS[t], threshold: 50 });
    expect(config.generic_secrets).toBe(false);
    expect(config.custom_patterns[0].action).toBe("redact");
    expect(config.word_lists[0]).toMatchObject({ case_insensitive: true, action: "redact" });
    expect(config.pseudonym).toBeUndefined();
    expect(config.directions).toEqual({ request: true, response: true });
    expect(config.stream).toEqual({ hold_back_bytes: 64 });
    expect(config.max_body_bytes).toBe(8 << 20);
    expect(config.on_bad_input).toBe("pass");
    expect(config.metrics).toEqual({ enabled: true, prefix: "tollgate" });
    expect(errorPaths(config)).toEqual([]);
  });
});

describe("pii-redact config: the filter agrees", () => {
  it("accepts the CONFIG.md example", async () => {
    expect(await filterVerdict(example)).toBeNull();
  });

  it("does what the CONFIG.md example says to a prompt", async () => {
    const host = await trackedHost([piiFilter(example)]);
    const dec = new TextDecoder();
    const withPrompt = (prompt: string, tenant: string): Exchange => {
      const ex = recorded("openai/chat-basic");
      const body = JSON.parse(dec.decode(ex.request.body));
      body.messages[0].content = prompt;
      return { ...ex, request: { ...ex.request, headers: [...ex.request.headers, ["x-tenant-id", tenant]], body: new TextEncoder().encode(JSON.stringify(body)), chunks: undefined } };
    };
    const prompt = "Mail ann.lee@example.com, call +1 (415) 555-0100, card 4111 1111 1111 1111, IBAN DE89 3704 0044 0532 0130 00.";
    const sent = async (tenant: string) => JSON.parse(dec.decode((await host.exchange(withPrompt(prompt, tenant))).upstreamRequest!.body)).messages[0].content as string;
    const a = await sent("acme");
    expect(a).toMatch(/^Mail <EMAIL_1>, call \+\* \(\*\*\*\) \*\*\*-0100, card \*\*\*\* \*\*\*\* \*\*\*\* 1111, IBAN \[IBAN_[0-9a-f]{8}\]\.$/);
    expect(await sent("acme")).toBe(a); // stable per key and tenant
    expect(await sent("globex")).not.toBe(a);
    const custom = JSON.parse(dec.decode((await host.exchange(withPrompt("EMP-123456 at acme corporation", "acme"))).upstreamRequest!.body)).messages[0].content;
    expect(custom).toBe("[CUSTOM] at [WORD]");
    const blocked = await host.exchange(withPrompt("deploy with ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8", "acme"));
    expect(statusOf(blocked)).toBe(400);
    expect(bodyJson(blocked).error.message).toContain("SECRET");
  });

  it("accepts an empty configuration (all defaults)", async () => {
    expect(await filterVerdict("")).toBeNull();
  });

  // [what, configuration, JSON path the filter names, ajv instance path if it differs]
  const bad: Array<[string, unknown, string, string?]> = [
    ["not an object", [], "$"],
    ["unknown top-level field", { redact: {} }, "$.redact"],
    ["entities not an object", { entities: ["EMAIL"] }, "$.entities"],
    ["entities null", { entities: null }, "$.entities"],
    ["an unknown entity type", entity("PASSPORT", {}), "$.entities.PASSPORT"],
    ["a lower-case entity type", entity("email", {}), "$.entities.email"],
    ["CUSTOM in entities", entity("CUSTOM", {}), "$.entities.CUSTOM"],
    ["WORD in entities", entity("WORD", {}), "$.entities.WORD"],
    ["entity settings as a string", entity("EMAIL", "redact"), "$.entities.EMAIL"],
    ["an unknown entity field", entity("EMAIL", { score: 60 }), "$.entities.EMAIL.score"],
    ["enabled as a string", entity("PHONE", { enabled: "no" }), "$.entities.PHONE.enabled"],
    ["an unknown action", entity("EMAIL", { action: "hash" }), "$.entities.EMAIL.action"],
    ["pseudonymize (US spelling)", { ...entity("EMAIL", { action: "pseudonymize" }), pseudonym: { key: KEY } }, "$.entities.EMAIL.action"],
    ["an upper-case action", entity("EMAIL", { action: "REDACT" }), "$.entities.EMAIL.action"],
    ["threshold over 100", entity("PHONE", { threshold: 101 }), "$.entities.PHONE.threshold"],
    ["a negative threshold", entity("PHONE", { threshold: -1 }), "$.entities.PHONE.threshold"],
    ["a fractional threshold", entity("PHONE", { threshold: 50.5 }), "$.entities.PHONE.threshold"],
    ["a threshold as a fraction of 1", entity("PHONE", { threshold: 0.5 }), "$.entities.PHONE.threshold"],
    ["a threshold as a string", entity("PHONE", { threshold: "60" }), "$.entities.PHONE.threshold"],
    ["generic_secrets as a string", { generic_secrets: "yes" }, "$.generic_secrets"],
    ["custom_patterns not an array", { custom_patterns: { name: "a", pattern: "b" } }, "$.custom_patterns"],
    ["a custom pattern as a string", { custom_patterns: ["EMP-\\d+"] }, "$.custom_patterns[0]"],
    ["a custom pattern without a name", pattern({ pattern: "EMP-\\d+" }), "$.custom_patterns[0].name"],
    ["a custom pattern with an empty name", pattern({ name: "", pattern: "EMP-\\d+" }), "$.custom_patterns[0].name"],
    ["a custom pattern without a pattern", pattern({ name: "employee_id" }), "$.custom_patterns[0].pattern"],
    ["a custom pattern with an empty pattern", pattern({ name: "employee_id", pattern: "" }), "$.custom_patterns[0].pattern"],
    ["a second custom pattern without a pattern", pattern({ name: "b" }, 1), "$.custom_patterns[1].pattern"],
    ["a custom pattern as a number", pattern({ name: "n", pattern: 7 }), "$.custom_patterns[0].pattern"],
    ["an unknown custom pattern field", pattern({ name: "e", pattern: "x", flags: "i" }), "$.custom_patterns[0].flags"],
    ["a custom pattern's unknown action", pattern({ name: "e", pattern: "x", action: "drop" }), "$.custom_patterns[0].action"],
    ["word_lists not an array", { word_lists: { name: "customers", words: ["Globex"] } }, "$.word_lists"],
    ["a word list without a name", list({ words: ["Globex"] }), "$.word_lists[0].name"],
    ["a word list with an empty name", list({ name: "", words: ["Globex"] }), "$.word_lists[0].name"],
    ["a word list without words", list({ name: "customers" }), "$.word_lists[0].words"],
    ["a word list with no words", list({ name: "customers", words: [] }), "$.word_lists[0].words"],
    ["an empty word in a list", list({ name: "customers", words: ["Globex", ""] }), "$.word_lists[0].words[1]", "/word_lists/0/words/1"],
    ["a single empty word", list({ name: "customers", words: "" }), "$.word_lists[0].words[0]", "/word_lists/0/words"],
    ["a word as a number", list({ name: "customers", words: ["Globex", 7] }), "$.word_lists[0].words[1]", "/word_lists/0/words/1"],
    ["words as an object", list({ name: "customers", words: { Globex: true } }), "$.word_lists[0].words"],
    ["case_insensitive as a string", list({ name: "c", words: "Globex", case_insensitive: "yes" }), "$.word_lists[0].case_insensitive"],
    ["an unknown word list field", list({ name: "c", words: "Globex", whole_words: true }), "$.word_lists[0].whole_words"],
    ["a word list's unknown action", list({ name: "c", words: "Globex", action: "hide" }), "$.word_lists[0].action"],
    ["pseudonymise without a pseudonym section", entity("IBAN", { action: "pseudonymise" }), "$.pseudonym.key", "/pseudonym"],
    ["a custom pattern pseudonymised without a key", pattern({ name: "e", pattern: "x", action: "pseudonymise" }), "$.pseudonym.key", "/pseudonym"],
    ["a word list pseudonymised without a key", list({ name: "c", words: "Globex", action: "pseudonymise" }), "$.pseudonym.key", "/pseudonym"],
    ["a 15-character key", { ...entity("IBAN", { action: "pseudonymise" }), pseudonym: { key: "k".repeat(15) } }, "$.pseudonym.key"],
    ["a short key even without pseudonymise", { pseudonym: { key: "secret" } }, "$.pseudonym.key"],
    ["a pseudonym section without a key", { pseudonym: { tenant_header: "x-tenant-id" } }, "$.pseudonym.key"],
    ["a key as a number", { pseudonym: { key: 1234567890123456 } }, "$.pseudonym.key"],
    ["pseudonym as a string", { pseudonym: KEY }, "$.pseudonym"],
    ["an unknown pseudonym field", { pseudonym: { key: KEY, salt: "s" } }, "$.pseudonym.salt"],
    ["tenant_header as a list", { pseudonym: { key: KEY, tenant_header: ["x-tenant-id"] } }, "$.pseudonym.tenant_header"],
    ["directions not an object", { directions: "request" }, "$.directions"],
    ["directions.request as a string", { directions: { request: "true" } }, "$.directions.request"],
    ["an unknown direction", { directions: { both: true } }, "$.directions.both"],
    ["hold_back_bytes under 16", { stream: { hold_back_bytes: 15 } }, "$.stream.hold_back_bytes"],
    ["hold_back_bytes over 4096", { stream: { hold_back_bytes: 4097 } }, "$.stream.hold_back_bytes"],
    ["hold_back_bytes as a string", { stream: { hold_back_bytes: "64" } }, "$.stream.hold_back_bytes"],
    ["an unknown stream field", { stream: { max_event_bytes: 1 << 20 } }, "$.stream.max_event_bytes"],
    ["max_body_bytes under 1 KiB", { max_body_bytes: 1023 }, "$.max_body_bytes"],
    ["max_body_bytes over 256 MiB", { max_body_bytes: (256 << 20) + 1 }, "$.max_body_bytes"],
    ["a fractional max_body_bytes", { max_body_bytes: 4096.5 }, "$.max_body_bytes"],
    ["on_bad_input value", { on_bad_input: "drop" }, "$.on_bad_input"],
    ["metrics.enabled as a string", { metrics: { enabled: "true" } }, "$.metrics.enabled"],
    ["metrics.prefix as a number", { metrics: { prefix: 1 } }, "$.metrics.prefix"],
    ["an unknown metrics field", { metrics: { tags: [] } }, "$.metrics.tags"],
  ];

  it("has at least 20 bad configurations", () => {
    expect(bad.length).toBeGreaterThanOrEqual(20);
  });

  it.each(bad)("rejects %s (schema and filter, at %s)", async (_, config, path, schemaPath) => {
    await expectRejectedByBoth(errorPaths, filterErrorPath, config, path, schemaPath);
  });

  // Configurations at the edges of what is allowed.
  const good: Array<[string, unknown]> = [
    ["an empty object", {}],
    ["empty sections", { entities: {}, custom_patterns: [], word_lists: [], directions: {}, stream: {}, metrics: {} }],
    ["every type with empty settings", { entities: Object.fromEntries(TYPES.map((t) => [t, {}])) }],
    ["every type with every action (and a key)", { entities: Object.fromEntries(TYPES.map((t, i) => [t, { action: ACTIONS[i % ACTIONS.length] }])), pseudonym: { key: KEY } }],
    ["every action on one type", { entities: { EMAIL: { action: "detect" }, SECRET: { action: "redact" }, CREDIT_CARD: { action: "tokenise" }, PHONE: { action: "block" } } }],
    ["thresholds 0 and 100, detectors off", { entities: { PHONE: { threshold: 0 }, US_SSN: { threshold: 100, enabled: false }, SECRET: { enabled: false, action: "detect", threshold: 0 } } }],
    ["generic secrets on", { generic_secrets: true }],
    ["a 16-character key with no pseudonymise action and an empty tenant header", { pseudonym: { key: KEY, tenant_header: "" } }],
    ["a mixed-case tenant header", { entities: { EMAIL: { action: "pseudonymise" } }, pseudonym: { key: "a much longer pseudonym key, with spaces", tenant_header: "X-Tenant-Id" } }],
    ["a minimal custom pattern (action defaulted)", { custom_patterns: [{ name: "employee_id", pattern: "EMP-[0-9]{6}" }] }],
    ["custom patterns with every action", { custom_patterns: ACTIONS.map((a) => ({ name: a, pattern: "x", action: a })), pseudonym: { key: KEY } }],
    ["a one-character custom pattern name", { custom_patterns: [{ name: "x", pattern: "\\bT-\\d{4}\\b", action: "tokenise" }] }],
    ["a word list with a single string", { word_lists: [{ name: "customers", words: "Acme Corporation" }] }],
    ["a case-sensitive word list with non-ASCII words", { word_lists: [{ name: "customers", words: ["Müller GmbH", "Żabka"], case_insensitive: false, action: "mask" }] }],
    ["a pseudonymised word list with a key", { word_lists: [{ name: "customers", words: ["Globex"], action: "pseudonymise" }], pseudonym: { key: KEY } }],
    ["both directions off", { directions: { request: false, response: false } }],
    ["requests only", { directions: { response: false } }],
    ["hold_back_bytes and max_body_bytes at their lower bounds", { stream: { hold_back_bytes: 16 }, max_body_bytes: 1024 }],
    ["hold_back_bytes and max_body_bytes at their upper bounds", { stream: { hold_back_bytes: 4096 }, max_body_bytes: 256 << 20 }],
    ["on_bad_input reject", { on_bad_input: "reject" }],
    ["metrics off, an empty prefix", { metrics: { enabled: false, prefix: "" } }],
    ["metrics with a custom prefix", { metrics: { prefix: "gw" } }],
  ];

  it.each(good)("accepts %s (schema and filter)", async (_, config) => {
    expect(errorPaths(config)).toEqual([]);
    expect(await filterVerdict(config)).toBeNull();
  });

  // Names become one subtype id each and the root keys pattern/list actions by it, so a name may
  // not repeat across custom_patterns and word_lists (JSON Schema cannot say so: the filter does).
  it("the filter alone rejects a name repeated across custom_patterns and word_lists", async () => {
    const config = { custom_patterns: [{ name: "ids", pattern: "EMP-[0-9]{6}" }], word_lists: [{ name: "ids", words: ["x"] }] };
    expect(errorPaths(config)).toEqual([]);
    expect(await filterErrorPath(config)).toBe("$.word_lists[0].name");
    expect(await filterErrorPath({ custom_patterns: [{ name: "a", pattern: "x" }, { name: "a", pattern: "y" }] })).toBe("$.custom_patterns[1].name");
  });

  // Both count characters (code points), not UTF-16 units.
  it("rejects a pseudonym.key of 8 astral characters (schema and filter)", async () => {
    const config = { pseudonym: { key: "😀".repeat(8) } };
    expect(errorPaths(config).length).toBeGreaterThan(0);
    expect(await filterErrorPath(config)).toBe("$.pseudonym.key");
    expect(await filterVerdict({ pseudonym: { key: "😀".repeat(16) } })).toBeNull();
  });
});
