// The record's published JSON Schema, loaded at run time so the verifier checks what the filter
// of the same checkout promises (filters/audit/record.schema.json).
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv, { type ErrorObject } from "ajv";
import Ajv2020 from "ajv/dist/2020";

export const DEFAULT_SCHEMA = join(resolve(dirname(fileURLToPath(import.meta.url)), "../.."), "filters/audit/record.schema.json");

export type Validate = (record: unknown) => string | null;

/** A validator returning null for a valid record, else ajv's first complaint as text. */
export function loadRecordSchema(file = DEFAULT_SCHEMA): Validate {
  const schema = JSON.parse(readFileSync(file, "utf8")) as { $schema?: string };
  // Formats such as date-time need ajv-formats, which this repository does not use; the
  // record's own patterns carry the constraints that matter. Unknown keywords are annotations.
  const options = { strict: false, allErrors: false, validateFormats: false, logger: false as const };
  const ajv = String(schema.$schema ?? "").includes("2020-12") ? new Ajv2020(options) : new Ajv(options);
  const validate = ajv.compile(schema);
  return (record) => (validate(record) ? null : describe(validate.errors?.[0]));
}

function describe(e: ErrorObject | undefined): string {
  if (!e) return "does not match the schema";
  const p = e.params as { additionalProperty?: string; missingProperty?: string };
  const where = e.instancePath || "/";
  if (e.keyword === "additionalProperties") return `${where}: unknown member ${JSON.stringify(p.additionalProperty)}`;
  if (e.keyword === "required") return `${where}: missing member ${JSON.stringify(p.missingProperty)}`;
  return `${where}: ${e.message ?? e.keyword}`;
}
