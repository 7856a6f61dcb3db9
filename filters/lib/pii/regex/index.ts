// The engine's one entry point: pattern text → a Regex ready to scan bytes, or the reason it
// was refused. Called at configure time; nothing here runs per request.
import { Node, nullable } from "./ast";
import { compileNode } from "./compiler";
import { Regex } from "./matcher";
import { parse } from "./parser";
import { Program } from "./program";

export { Regex } from "./matcher";
export { MAX_PROGRAM } from "./program";
export { MAX_REPEAT, MAX_DEPTH } from "./parser";

/** Longer pattern texts are refused before parsing (no useful PII pattern comes close). */
export const MAX_PATTERN_LENGTH: i32 = 20000;

export class CompileResult {
  pattern: Regex | null = null;
  /** Why the pattern was refused ("" when it compiled). */
  error: string = "";
}

export function compileRegex(source: string, caseInsensitive: bool = false): CompileResult {
  const r = new CompileResult();
  if (source.length > MAX_PATTERN_LENGTH) {
    r.error = "pattern too long: " + source.length.toString() + " characters (limit " + MAX_PATTERN_LENGTH.toString() + ")";
    return r;
  }
  const parsed = parse(source, caseInsensitive);
  if (parsed.node === null) {
    r.error = parsed.error;
    return r;
  }
  const node = changetype<Node>(parsed.node);
  // A pattern that matches "" would report an empty finding at every offset and redact nothing.
  if (nullable(node)) {
    r.error = "pattern can match the empty string (it would match everywhere); make at least one part mandatory";
    return r;
  }
  const c = compileNode(node);
  if (c.program === null) {
    r.error = c.error;
    return r;
  }
  r.pattern = new Regex(changetype<Program>(c.program));
  return r;
}

