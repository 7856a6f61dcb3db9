// Spans from a redactor that only returns text. The output is the input with some stretches
// replaced by known placeholders ("PHONE_NUMBER"); everything else is copied verbatim. Cutting
// the output at its placeholders leaves literal pieces that must appear in the input in order,
// so a placeholder covers the input between the literal before it and the literal after it.
//
// Ambiguity: when the literal after a placeholder also occurs inside the replaced value (a
// phone "555 123 4567" followed by " 4567 ..."), several alignments fit. We take the shortest
// value that still lets the rest of the output align, which can cut such a span short; the
// eval's match rule (overlap >= half the longer span) absorbs most of those. Two placeholders
// with nothing between them share their boundary arbitrarily (first one shortest). An input that
// itself contains a placeholder word is read as redacted there (the dev set has none).
import type { PiiType, Span } from "./types";

type Segment = { literal: string } | { placeholder: string };

/** `placeholders`: each token the redactor writes, and the type it stands for (null: not one of ours, still aligned). */
export function alignRedacted(input: string, output: string, placeholders: Record<string, PiiType | null>): Span[] {
  const tokens = Object.keys(placeholders).sort((a, b) => b.length - a.length);
  const re = new RegExp(tokens.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "g");
  const segs: Segment[] = [];
  let last = 0;
  for (const m of output.matchAll(re)) {
    if (m.index > last) segs.push({ literal: output.slice(last, m.index) });
    segs.push({ placeholder: m[0] });
    last = m.index + m[0].length;
  }
  if (last < output.length) segs.push({ literal: output.slice(last) });

  const n = input.length;
  const failed = new Set<number>(); // (segment, position) pairs known not to align
  const covered: Array<{ start: number; end: number; token: string }> = [];
  const fit = (i: number, pos: number): boolean => {
    if (i === segs.length) return pos === n;
    const key = i * (n + 1) + pos;
    if (failed.has(key)) return false;
    const s = segs[i];
    if ("literal" in s) {
      if (input.startsWith(s.literal, pos) && fit(i + 1, pos + s.literal.length)) return true;
    } else {
      const next = segs[i + 1];
      // Ends to try for this value, shortest first: where the next literal occurs, or anywhere.
      for (let end = pos + 1; end <= n; end++) {
        if (next && "literal" in next) {
          end = input.indexOf(next.literal, end);
          if (end < 0) break;
        } else if (!next) end = n;
        covered.push({ start: pos, end, token: s.placeholder });
        if (fit(i + 1, end)) return true;
        covered.pop();
      }
    }
    failed.add(key);
    return false;
  };
  if (!fit(0, 0)) throw new Error(`cannot align redacted output with its input (${JSON.stringify(output.slice(0, 80))})`);
  return covered.flatMap(({ start, end, token }) => {
    const type = placeholders[token];
    return type ? [{ start, end, type }] : [];
  });
}
