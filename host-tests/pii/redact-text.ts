// The redacted form `tollgate pii scan` prints: each entity replaced by `[TYPE]`, the filter's
// default redact action, so users see what a prompt would look like after the filter.
import type { Entity } from "./scanner";

export function redactText(text: string, entities: readonly Pick<Entity, "start" | "end" | "type">[]): string {
  // The scanner reports disjoint entities in order; sorting and skipping overlaps keeps this
  // correct for hand-made lists too.
  const sorted = [...entities].sort((a, b) => a.start - b.start || b.end - a.end);
  let out = "";
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) continue;
    out += text.slice(at, e.start) + `[${e.type}]`;
    at = e.end;
  }
  return out + text.slice(at);
}
