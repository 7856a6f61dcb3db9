// Checking a filter's configuration two ways, for the config tests: its published JSON Schema
// (ajv, strict) and the filter itself (a rejected configuration fails the canary, and the filter
// logs "<what> configuration: <JSON path> <reason>").
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import { expect } from "vitest";
import type { WasmFilterConfig } from "../harness/api";
import { ConfigRejectedError, EnvoyHost } from "../harness/index";

/** Where ajv says a config is wrong: instance paths, plus the key for unknown, missing or dependent keys. */
export function schemaErrorPaths(schema: object): { ajv: Ajv2020; validate: ValidateFunction; errorPaths(config: unknown): string[] } {
  const ajv = new Ajv2020({ allErrors: true, strict: true });
  const validate = ajv.compile(schema);
  return {
    ajv,
    validate,
    errorPaths(config: unknown): string[] {
      if (validate(config)) return [];
      return (validate.errors ?? []).map((e) => {
        const p = e.params as { additionalProperty?: string; missingProperty?: string; property?: string };
        return e.keyword === "additionalProperties" ? `${e.instancePath}/${p.additionalProperty}`
          : e.keyword === "required" ? `${e.instancePath}/${p.missingProperty}`
          : e.keyword === "dependentRequired" ? `${e.instancePath}/${p.property}`
          : e.instancePath;
      });
    },
  };
}

/** "$.rules[0].limit.tokens" → "/rules/0/limit/tokens". */
export function pointerOf(jsonPath: string): string {
  return jsonPath.replace(/^\$/, "").replace(/\[(\d+)\]/g, ".$1").replace(/\./g, "/");
}

/**
 * The filter's own verdict on configurations: `filterVerdict` is null when accepted, else the
 * log line; `filterErrorPath` is the JSON path a rejection names. `filter(config)` builds the
 * chain entry (give it code as bytes read once, so a rebuild during a run cannot fail a case).
 */
export function filterVerdicts(filter: (config: unknown) => WasmFilterConfig, logPrefix: string) {
  async function filterVerdict(config: unknown): Promise<string | null> {
    // A rejected start leaves no host to track: this one is kept for its logs, then closed.
    const host = new EnvoyHost({});
    try {
      await host.start([filter(config)]);
      return null;
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigRejectedError);
      const line = host.logs.map((l) => l.message).find((m) => m.startsWith(logPrefix));
      expect(line, "the filter logs why it rejected the configuration").toBeDefined();
      return line!;
    } finally {
      await host.close();
    }
  }
  async function filterErrorPath(config: unknown): Promise<string> {
    const line = await filterVerdict(config);
    expect(line, "the filter rejects it").not.toBeNull();
    return line!.slice(logPrefix.length).split(" ")[0];
  }
  return { filterVerdict, filterErrorPath };
}

/**
 * The config tests' core check: the schema rejects `config` (at `schemaPath`, else at `path` as a
 * JSON pointer) and the filter rejects it naming `path`.
 */
export async function expectRejectedByBoth(
  errorPaths: (config: unknown) => string[], filterErrorPath: (config: unknown) => Promise<string>,
  config: unknown, path: string, schemaPath?: string,
): Promise<void> {
  const paths = errorPaths(config);
  expect(paths.length, "the schema rejects it").toBeGreaterThan(0);
  expect(paths).toContain(schemaPath ?? pointerOf(path));
  expect(await filterErrorPath(config)).toBe(path);
}
