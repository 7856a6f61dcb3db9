// Re-chunking: the same bytes delivered in other chunk boundaries. A filter that is correct for
// one split and wrong for another has a chunk-boundary bug (an SSE event, a UTF-8 sequence or
// an eventstream frame cut in two), and every-byte / random splits find it.
import type { Exchange } from "../harness/api";

export type SplitMode =
  | { kind: "recorded" }
  | { kind: "size"; size: number }
  | { kind: "every-byte" }
  | { kind: "random"; count: number; seed: number };

export function parseSplit(s: string): SplitMode {
  if (s === "recorded") return { kind: "recorded" };
  if (s === "every-byte") return { kind: "every-byte" };
  let m = /^size:(\d+)$/.exec(s);
  if (m) {
    const size = Number(m[1]);
    if (size < 1) throw new Error(`--split ${s}: the size must be at least 1`);
    return { kind: "size", size };
  }
  m = /^random:(\d+)(?::(\d+))?$/.exec(s);
  if (m) {
    const count = Number(m[1]);
    if (count < 1) throw new Error(`--split ${s}: the count must be at least 1`);
    // Without a seed, pick one and let the report print it, so any failure can be replayed.
    const seed = m[2] !== undefined ? Number(m[2]) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
    return { kind: "random", count, seed };
  }
  throw new Error(`--split ${JSON.stringify(s)}: expected recorded, size:N, every-byte or random:N[:SEED]`);
}

export function formatSplit(m: SplitMode): string {
  switch (m.kind) {
    case "size":
      return `size:${m.size}`;
    case "random":
      return `random:${m.count}:${m.seed}`;
    default:
      return m.kind;
  }
}

/** One way to deliver an exchange's bodies. The first variant of a plan is the baseline. */
export interface Variant {
  label: string;
  requestChunks?: number[];
  responseChunks?: number[];
  /** Only the recorded split keeps the recorded gaps. */
  gapsMs?: number[];
}

export function fixedChunks(total: number, size: number): number[] {
  const out: number[] = [];
  for (let off = 0; off < total; off += size) out.push(Math.min(size, total - off));
  return out;
}

function recorded(ex: Exchange): Variant {
  return { label: "recorded", requestChunks: ex.request.chunks, responseChunks: ex.response.chunks, gapsMs: ex.response.gapsMs };
}

/**
 * The variants to replay for a mode. `recorded` and `size:N` give one variant. `every-byte` gives
 * the recorded baseline, then one variant per cut offset 1..len-1 of the response body (request
 * as recorded), then the same for the request body: len-1 two-chunk splits per body.
 * `random:N` gives the baseline, then N variants that cut both bodies at random offsets.
 */
export function planVariants(mode: SplitMode, ex: Exchange): Variant[] {
  const req = ex.request.body.length;
  const res = ex.response.body.length;
  switch (mode.kind) {
    case "recorded":
      return [recorded(ex)];
    case "size":
      return [{ label: `size:${mode.size}`, requestChunks: fixedChunks(req, mode.size), responseChunks: fixedChunks(res, mode.size) }];
    case "every-byte": {
      const out = [recorded(ex)];
      for (let k = 1; k < res; k++) out.push({ label: `response@${k}`, requestChunks: ex.request.chunks, responseChunks: [k, res - k] });
      for (let k = 1; k < req; k++) out.push({ label: `request@${k}`, requestChunks: [k, req - k], responseChunks: ex.response.chunks });
      return out;
    }
    case "random": {
      const out = [recorded(ex)];
      // Seeded per exchange name, so adding an exchange to a cassette does not move the others' splits.
      const rnd = prng(mode.seed ^ hash32(ex.name ?? ""));
      for (let i = 0; i < mode.count; i++) {
        out.push({ label: `random#${i}`, requestChunks: randomChunks(req, rnd), responseChunks: randomChunks(res, rnd) });
      }
      return out;
    }
  }
}

/** How many replays a plan takes without building it (every-byte plans can be large). */
export function countVariants(mode: SplitMode, ex: Exchange): number {
  switch (mode.kind) {
    case "recorded":
    case "size":
      return 1;
    case "every-byte":
      return 1 + Math.max(0, ex.response.body.length - 1) + Math.max(0, ex.request.body.length - 1);
    case "random":
      return 1 + mode.count;
  }
}

/** Random cut points: between 1 and 32 cuts, distinct, sorted; short bodies get fewer. */
export function randomChunks(total: number, rnd: () => number): number[] {
  if (total <= 1) return total ? [total] : [];
  const maxCuts = Math.min(total - 1, 32);
  const cuts = new Set<number>();
  const want = 1 + Math.floor(rnd() * maxCuts);
  while (cuts.size < want) cuts.add(1 + Math.floor(rnd() * (total - 1)));
  const sorted = [...cuts].sort((a, b) => a - b);
  const out: number[] = [];
  let prev = 0;
  for (const c of sorted) {
    out.push(c - prev);
    prev = c;
  }
  out.push(total - prev);
  return out;
}

/** mulberry32: small, fast, and the same sequence on every platform for a seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The exchange as a variant delivers it. */
export function applyVariant(ex: Exchange, v: Variant): Exchange {
  return {
    ...ex,
    request: { ...ex.request, chunks: v.requestChunks },
    response: { ...ex.response, chunks: v.responseChunks, gapsMs: v.gapsMs },
  };
}
