// From lines to candidate records, for each input format of `tollgate audit verify`.
import { recordFromLogLine } from "./audit-envoy-log";
import type { Line } from "./audit-lines";
import { otlpBodies } from "./audit-otlp";

export type Format = "ndjson" | "log" | "otlp";
export const FORMATS = ["auto", "ndjson", "log", "otlp"] as const;

export interface Candidate {
  line: number;
  /** 1-based position of the log record within an OTLP document. */
  index?: number;
  /** The record as written (ndjson, log, an OTLP string body): its canonical form is checked. */
  text?: string;
  /** The record rebuilt from an OTLP kvlist body: canonical by construction. */
  value?: unknown;
  /** Why the line or body cannot be read as a record at all. */
  problem?: string;
}

/**
 * The format of a file from its first non-empty line: an OTLP document, a bare record, or
 * anything else (an Envoy log, plain or as JSON lines), read as a log.
 */
export function detectFormat(first: string, prefix: string): Format {
  if (!first.startsWith("{")) return "log";
  let doc: unknown;
  try {
    doc = JSON.parse(first);
  } catch {
    return first.includes(prefix) ? "log" : "ndjson";
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return "ndjson";
  if ("resourceLogs" in doc) return "otlp";
  // Every record has `schema`; any other object is a line of a JSON application log.
  return "schema" in doc ? "ndjson" : "log";
}

/** The candidates one line holds: none (a blank or foreign log line), one, or an OTLP batch. */
export function candidatesOf(line: Line, format: Format, prefix: string): Candidate[] {
  if (line.text === null) {
    // A log line we cannot decode is foreign unless it could carry a record; we cannot tell, so
    // only record formats report it.
    return format === "log" ? [] : [{ line: line.no, problem: line.problem }];
  }
  if (line.text === "") return [];
  switch (format) {
    case "ndjson":
      // CRLF is a line ending, never record content (a canonical record has no raw CR).
      return [{ line: line.no, text: line.text.endsWith("\r") ? line.text.slice(0, -1) : line.text }];
    case "log": {
      const text = recordFromLogLine(line.text, prefix);
      return text === null ? [] : [{ line: line.no, text }];
    }
    case "otlp":
      return otlpCandidates(line.no, line.text.replace(/\r$/, ""));
  }
}

function otlpCandidates(no: number, text: string): Candidate[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return [{ line: no, problem: `not JSON: ${(e as Error).message}` }];
  }
  const bodies = otlpBodies(doc);
  if (typeof bodies === "string") return [{ line: no, problem: bodies }];
  return bodies.map((b, i) => ({ line: no, index: i + 1, ...b }));
}
