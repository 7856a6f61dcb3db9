// Turning outcomes into what people and programs read: one line (or JSON object) per exchange
// and a summary.
import { relative } from "node:path";
import type { HeaderList } from "../harness/api";
import { encodeBytes, formatSize, type EncodedBytes } from "./bytes";
import { clientStatus } from "./expect";
import type { Outcome } from "./run";
import { formatSplit, type SplitMode } from "./split";

export interface JsonBody {
  headers: HeaderList;
  body: EncodedBytes;
}

/** The `--json` record for one exchange. Bodies and filter state: text, or {base64} if not UTF-8. */
export function outcomeJson(o: Outcome, split: SplitMode): Record<string, unknown> {
  const r = o.result;
  const out: Record<string, unknown> = { name: o.item.name, cassette: o.item.cassette };
  if (o.error) out.error = o.error;
  if (r) {
    out.worker = r.worker;
    out.localReply = r.localReply ? { status: r.localReply.status, headers: r.localReply.headers, body: encodeBytes(r.localReply.body), details: r.localReply.details } : null;
    out.upstreamRequest = r.upstreamRequest ? { headers: r.upstreamRequest.headers, body: encodeBytes(r.upstreamRequest.body), trailers: r.upstreamRequest.trailers } : null;
    out.downstreamResponse = r.downstreamResponse
      ? { status: r.downstreamResponse.status, headers: r.downstreamResponse.headers, body: encodeBytes(r.downstreamResponse.body), trailers: r.downstreamResponse.trailers, chunks: r.downstreamResponse.chunks }
      : null;
    out.reset = r.reset ?? null;
    out.filterState = Object.fromEntries(Object.entries(r.filterState).map(([k, v]) => [k, encodeBytes(v)]));
    out.logs = r.logs.map((l) => ({ level: l.level, message: l.message, ...(l.filter ? { filter: l.filter } : {}) }));
    out.metrics = r.metrics;
    out.trap = r.trap ?? null;
  }
  out.expectations = o.item.expect ? { passed: o.failures.length === 0 && !o.error, failures: o.failures } : null;
  out.split = { mode: formatSplit(split), replays: o.replays, mismatches: o.mismatchCount, examples: o.mismatches };
  return out;
}

export interface Summary {
  cassettes: number;
  exchanges: number;
  replays: number;
  expectationsPassed: number;
  expectationsFailed: number;
  withoutExpectations: number;
  splitMismatches: number;
  localReplies: number;
  traps: number;
  resets: number;
  hostErrors: number;
}

export function summarize(outcomes: Outcome[]): Summary {
  const s: Summary = { cassettes: new Set(outcomes.map((o) => o.item.cassette)).size, exchanges: outcomes.length, replays: 0, expectationsPassed: 0, expectationsFailed: 0, withoutExpectations: 0, splitMismatches: 0, localReplies: 0, traps: 0, resets: 0, hostErrors: 0 };
  for (const o of outcomes) {
    s.replays += o.replays;
    if (!o.item.expect) s.withoutExpectations++;
    else if (o.failures.length || o.error) s.expectationsFailed++;
    else s.expectationsPassed++;
    if (o.mismatchCount) s.splitMismatches++;
    if (o.error) s.hostErrors++;
    if (o.result?.localReply) s.localReplies++;
    if (o.result?.trap) s.traps++;
    if (o.result?.reset) s.resets++;
  }
  return s;
}

export function failed(s: Summary): boolean {
  return s.expectationsFailed > 0 || s.splitMismatches > 0 || s.hostErrors > 0;
}

const METER_KEYS = new Set(["tollgate.provider", "tollgate.operation", "tollgate.stream", "tollgate.request_tokens", "tollgate.model", "tollgate.usage", "tollgate.cost_micro_usd"]);

/** The token meter's verdict in a few words: provider/model, tokens in/out with their sources, cost. */
function meteredText(state: Record<string, Uint8Array>): string | null {
  const text = (k: string) => (state[k] ? new TextDecoder().decode(state[k]) : undefined);
  const usageText = text("tollgate.usage");
  if (!usageText) return null;
  try {
    const u = JSON.parse(usageText);
    const model = JSON.parse(text("tollgate.model") ?? "{}");
    const cost = text("tollgate.cost_micro_usd");
    const src = (s: string) => (s === "reported" ? "" : ` ${s}`);
    const name = model.served ?? model.requested ?? "?";
    return `${text("tollgate.provider")}/${name}  tokens in ${u.input}${src(u.source.input)} out ${u.output}${src(u.source.output)}${cost ? `  $${(Number(cost) / 1e6).toFixed(6)}` : ""}`;
  } catch {
    return null;
  }
}

/** The budget filter's verdict: decision, deciding rule and what is left of it. */
function budgetText(state: Record<string, Uint8Array>): string | null {
  const raw = state["tollgate.budget"];
  if (!raw) return null;
  try {
    const b = JSON.parse(new TextDecoder().decode(raw));
    if (!b.rule) return `budget ${b.decision}`;
    const left = b.remaining === null ? "" : ` ${b.remaining} ${b.unit} left`;
    const degraded = b.degraded ? ` (degraded: ${b.degraded})` : "";
    return `budget ${b.decision} by ${b.rule}${left}${degraded}`;
  } catch {
    return null;
  }
}

/**
 * pii-redact's verdict (its `tollgate.pii` state: counts only, never values): `pii: none`, or per
 * entity type its action and count, replies' findings after `reply`, then restored / blocked.
 */
export function piiText(state: Record<string, Uint8Array>): string | null {
  const raw = state["tollgate.pii"];
  if (!raw) return null;
  let p: { request?: Record<string, Record<string, number>>; response?: Record<string, Record<string, number>>; restored?: number; blocked?: string | null; unreadable?: number; response_streamed_unscanned?: boolean };
  try {
    p = JSON.parse(new TextDecoder().decode(raw));
  } catch {
    return "pii: (unreadable state)";
  }
  const found = (dir: Record<string, Record<string, number>> | undefined) =>
    Object.entries(dir ?? {}).flatMap(([type, actions]) => Object.entries(actions ?? {}).map(([action, n]) => `${type} ${action} ${n}`));
  const parts = found(p.request);
  const reply = found(p.response);
  if (reply.length) parts.push(`reply ${reply.join(", ")}`);
  if (p.restored) parts.push(`restored ${p.restored}`);
  if (p.blocked) parts.push(`blocked ${p.blocked}`);
  if (p.unreadable) parts.push(`unreadable ${p.unreadable}`);
  if (p.response_streamed_unscanned) parts.push("reply unscanned");
  return `pii: ${parts.length ? parts.join(", ") : "none"}`;
}

/** What else a line can say about an exchange, from the stand-ins (outcome → text or null). */
export type OutcomeNote = (o: Outcome) => string | null;

/** One readable line per exchange, with indented detail lines for anything that went wrong. */
export function outcomeText(o: Outcome, notes: OutcomeNote[] = []): string {
  const r = o.result;
  const bad = o.error || o.failures.length || o.mismatchCount;
  const mark = bad ? "✗" : "✓";
  const parts: string[] = [`${mark} ${o.item.name}`];
  if (r) {
    parts.push(String(clientStatus(r) ?? "---"));
    const up = r.upstreamRequest ? formatSize(r.upstreamRequest.body.length) : "not sent";
    const down = formatSize((r.downstreamResponse?.body ?? r.localReply?.body)?.length ?? 0);
    parts.push(`up ${up} down ${down}`);
    const inChunks = o.item.exchange.response.chunks?.length ?? (o.item.exchange.response.body.length ? 1 : 0);
    if (r.downstreamResponse) parts.push(`chunks ${inChunks}→${r.downstreamResponse.chunks.length}`);
    if (r.localReply) parts.push(`local reply ${r.localReply.status}${r.localReply.details ? ` (${r.localReply.details})` : ""}`);
    if (r.reset) parts.push(`reset: ${r.reset}`);
    if (r.trap) parts.push(`TRAP in ${r.trap.filter} ${r.trap.function}: ${r.trap.message}`);
    const metered = meteredText(r.filterState);
    const budget = budgetText(r.filterState);
    const pii = piiText(r.filterState);
    const keys = Object.keys(r.filterState).filter((k) => (!metered || !METER_KEYS.has(k)) && (!budget || k !== "tollgate.budget") && (!pii || k !== "tollgate.pii"));
    if (metered) parts.push(metered);
    if (budget) parts.push(budget);
    if (pii) parts.push(pii);
    if (keys.length) parts.push(`state: ${keys.join(", ")}`);
  }
  for (const note of notes) {
    const text = note(o);
    if (text) parts.push(text);
  }
  if (o.replays > 1) parts.push(`splits ${o.replays - o.mismatchCount}/${o.replays} same`);
  const lines = [parts.join("  ")];
  if (o.error) lines.push(`    host error: ${o.error.split("\n")[0]}`);
  for (const f of o.failures) lines.push(`    expected ${f}`);
  for (const m of o.mismatches) lines.push(`    split ${m.label} differs: ${m.differences.join("; ")}`);
  if (o.mismatchCount > o.mismatches.length) lines.push(`    … and ${o.mismatchCount - o.mismatches.length} more differing splits`);
  return lines.join("\n");
}

/** `extra`: lines about the stand-ins; `extraFailed`: whether they found a problem. */
export function summaryText(s: Summary, split: SplitMode, ms: number, extra: string[] = [], extraFailed = false): string {
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? "" : "s"}`;
  return [
    "",
    `${plural(s.exchanges, "exchange")} from ${plural(s.cassettes, "cassette")}, ${plural(s.replays, "replay")} (split ${formatSplit(split)}) in ${(ms / 1000).toFixed(2)}s`,
    `expectations: ${s.expectationsPassed} passed, ${s.expectationsFailed} failed, ${s.withoutExpectations} exchanges without`,
    `split mismatches: ${s.splitMismatches}   local replies: ${s.localReplies}   traps: ${s.traps}   resets: ${s.resets}   host errors: ${s.hostErrors}`,
    ...extra,
    failed(s) || extraFailed ? "FAILED" : "OK",
  ].join("\n");
}

export function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  return rel.startsWith("..") ? p : rel;
}
