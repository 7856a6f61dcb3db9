// The checks of `tollgate audit verify` (filters/audit/CHAIN.md), one candidate record at a
// time in input order, with per-chain state only: a 1 GB export streams through in constant
// memory (plus a little per chain).
import { createHash, createHmac } from "node:crypto";
import type { Candidate } from "./audit-input";
import type { Validate } from "./audit-schema";

export type FailureKind = "unreadable" | "not canonical" | "schema" | "deleted" | "reordered" | "duplicated" | "modified" | "bad hash";

export interface Place {
  file: string;
  line: number;
  /** 1-based position of the record within an OTLP document line. */
  index?: number;
}

export interface Failure extends Place {
  kind: FailureKind;
  chain?: string;
  seq?: number;
  message: string;
}

export interface ChainSummary {
  chain: string;
  records: number;
  firstSeq: number;
  lastSeq: number;
  lastHash: string;
  alg: string;
  keyId: string | null;
}

/** Thrown when records cannot be checked at all (an HMAC chain and no key): exit status 2. */
export class CannotVerify extends Error {}

export interface VerifyOptions {
  validate: Validate;
  /** The HMAC key; when given, every record must be hmac-sha256. */
  key?: Buffer;
  /** Trust the first record seen of each chain instead of requiring seq 1. */
  partial?: boolean;
  /**
   * Records that arrive early, up to this many per chain, wait for their turn instead of
   * counting as a gap: for stores that do not keep write order. 0 (default): input order.
   */
  window?: number;
}

const ZERO_HASH = "0".repeat(64);
/** `,"hash":"` + 64 hex + `"}`: what is cut from a record's canonical text to get its hash body. */
const HASH_TAIL = 9 + 64 + 2;
/** Recent seq → hash per chain, to tell a duplicated record from a reordered one. */
const RECENT = 256;

interface ChainState {
  records: number;
  firstSeq: number;
  lastSeq: number;
  lastHash: string;
  lastPlace: Place;
  alg: string;
  keyId: string | null;
  recent: Map<number, string>;
}

/** A gap in seq: a deletion, unless a missing seq shows up later (then a reordering). */
interface PendingGap {
  failure: Failure;
  chain: string;
  from: number;
  to: number;
}

interface Held {
  r: Fields;
  text: string;
  place: Place;
  /** Input position, to name the earliest of several gaps. */
  order: number;
}

interface Fields {
  chain: string;
  seq: number;
  prev: string;
  alg: string;
  key_id: string | null;
  hash: string;
}

export class ChainVerifier {
  private chains = new Map<string, ChainState>();
  /** Early records per chain (--window), by seq. */
  private held = new Map<string, Map<number, Held>>();
  private pending: PendingGap | null = null;
  private failure: Failure | null = null;
  records = 0;

  constructor(private opts: VerifyOptions) {}

  /** False once the outcome is known and no further input can change it. */
  get wantsMore(): boolean {
    return this.failure === null;
  }

  add(file: string, c: Candidate): void {
    if (this.failure) return;
    const place: Place = { file, line: c.line, ...(c.index !== undefined ? { index: c.index } : {}) };
    if (this.pending) return this.resolvePending(c, place);
    this.records++;
    const checked = this.readRecord(c, place);
    if ("kind" in checked) return this.fail(checked);
    if (this.holdEarly(checked.fields, checked.text, place)) return;
    this.checkChain(checked.fields, checked.text, place);
    this.release(checked.fields.chain);
  }

  /** The first failure (a pending gap becomes a deletion), or null when everything verified. */
  finish(): Failure | null {
    if (this.pending && !this.failure) this.failure = this.pending.failure;
    if (!this.failure) {
      // Records still held at the end wait for ones that never came.
      const waiting = [...this.held].filter(([, h]) => h.size > 0);
      const order = (h: Map<number, Held>) => h.get(Math.min(...h.keys()))!.order;
      waiting.sort(([, a], [, b]) => order(a) - order(b));
      if (waiting.length) this.failure = this.gapBefore(...waiting[0]);
    }
    return this.failure;
  }

  summaries(): ChainSummary[] {
    return [...this.chains].map(([chain, s]) => ({ chain, records: s.records, firstSeq: s.firstSeq, lastSeq: s.lastSeq, lastHash: s.lastHash, alg: s.alg, keyId: s.keyId }));
  }

  private fail(f: Failure) {
    this.failure = f;
  }

  /** Steps 1 (parses, canonical form) and schema. */
  private readRecord(c: Candidate, place: Place): { fields: Fields; text: string } | Failure {
    if (c.problem !== undefined) return { ...place, kind: "unreadable", message: c.problem };
    let value: unknown;
    let text: string;
    if (c.text !== undefined) {
      try {
        value = JSON.parse(c.text);
      } catch (e) {
        return { ...place, kind: "unreadable", message: `not JSON: ${(e as Error).message}` };
      }
      text = JSON.stringify(value);
      if (text !== c.text) return { ...place, ...ids(value), kind: "not canonical", message: firstDifference(c.text, text) };
    } else {
      value = c.value;
      text = JSON.stringify(value);
    }
    const complaint = this.opts.validate(value);
    if (complaint !== null) return { ...place, ...ids(value), kind: "schema", message: complaint };
    const fields = value as Fields;
    if (!text.endsWith(`,"hash":"${fields.hash}"}`)) return { ...place, ...ids(value), kind: "not canonical", message: "hash is not the record's last member" };
    return { fields, text };
  }

  /** Steps 2-4: seq continuity, prev linkage, the hash. */
  private checkChain(r: Fields, text: string, place: Place) {
    const at = { ...place, chain: r.chain, seq: r.seq };
    const st = this.chains.get(r.chain);
    if (!st) {
      if (r.seq !== 1 && !this.opts.partial) {
        this.pending = { chain: r.chain, from: 1, to: r.seq - 1, failure: { ...at, kind: "deleted", message: `the chain's first record is seq ${r.seq}: seq 1..${r.seq - 1} are missing (--partial accepts an export that starts mid-chain)` } };
        return;
      }
      if (r.seq === 1 && r.prev !== ZERO_HASH) return this.fail({ ...at, kind: "modified", message: "seq 1 must have prev = 64 zeros" });
    } else {
      const expected = st.lastSeq + 1;
      if (r.seq > expected) {
        const missing = r.seq - 1 === expected ? `seq ${expected} is missing` : `seq ${expected}..${r.seq - 1} are missing`;
        this.pending = { chain: r.chain, from: expected, to: r.seq - 1, failure: { ...at, kind: "deleted", message: `follows seq ${st.lastSeq} (${where(st.lastPlace)}): ${missing}` } };
        return;
      }
      if (r.seq < expected) {
        const same = st.recent.get(r.seq) === r.hash;
        return this.fail({ ...at, kind: same ? "duplicated" : "reordered", message: same ? `a second copy of seq ${r.seq}, after seq ${st.lastSeq}` : `seq ${r.seq} after seq ${st.lastSeq} (${where(st.lastPlace)})` });
      }
      if (r.prev !== st.lastHash) return this.fail({ ...at, kind: "modified", message: `prev is not the hash of seq ${st.lastSeq} (${where(st.lastPlace)}): that record, or this one, was changed and re-hashed` });
      if (r.alg !== st.alg || r.key_id !== st.keyId) return this.fail({ ...at, kind: "bad hash", message: `alg/key_id changed within the chain (${st.alg}/${st.keyId} before, ${r.alg}/${r.key_id} here)` });
    }
    const hashFailure = this.checkHash(r, text, !st);
    if (hashFailure) return this.fail({ ...at, ...hashFailure });
    this.accept(r, place, st);
  }

  private checkHash(r: Fields, text: string, firstOfChain: boolean): { kind: FailureKind; message: string } | null {
    const message = Buffer.from(`${r.prev}\n${text.slice(0, text.length - HASH_TAIL)}}`, "utf8");
    const { key } = this.opts;
    if (r.alg === "sha256") {
      if (key) return { kind: "bad hash", message: "alg is sha256 although a key was given: a chain written without the key" };
      return sha256(message) === r.hash ? null : { kind: "modified", message: "hash does not recompute: the record was changed after it was written" };
    }
    if (r.alg !== "hmac-sha256") return { kind: "bad hash", message: `unknown alg ${JSON.stringify(r.alg)}` };
    if (!key) throw new CannotVerify(`chain ${r.chain} is hmac-sha256 (key_id ${JSON.stringify(r.key_id)}): give its key with --key-file or --key-env`);
    if (createHmac("sha256", key).update(message).digest("hex") === r.hash) return null;
    if (sha256(message) === r.hash) return { kind: "bad hash", message: "hash is plain SHA-256, not HMAC with the key: written (forged) without the key" };
    return { kind: "modified", message: `hash does not recompute with the key: the record was changed after it was written${firstOfChain ? " (or the key is not this chain's)" : ""}` };
  }

  /** --window: keeps a record that came before its turn; true when it was kept (or failed). */
  private holdEarly(r: Fields, text: string, place: Place): boolean {
    const window = this.opts.window ?? 0;
    const st = this.chains.get(r.chain);
    if (window === 0 || (!st && this.opts.partial)) return false;
    const expected = st ? st.lastSeq + 1 : 1;
    if (r.seq <= expected) return false;
    let held = this.held.get(r.chain);
    if (!held) this.held.set(r.chain, (held = new Map()));
    const twin = held.get(r.seq);
    if (twin) {
      const at = { ...place, chain: r.chain, seq: r.seq };
      this.fail(twin.r.hash === r.hash
        ? { ...at, kind: "duplicated", message: `a second copy of seq ${r.seq} (${where(twin.place)})` }
        : { ...at, kind: "modified", message: `a different record with seq ${r.seq} came first (${where(twin.place)})` });
      return true;
    }
    held.set(r.seq, { r, text, place, order: this.records });
    if (held.size > window) {
      const failure = this.gapBefore(r.chain, held);
      const first = Math.min(...held.keys());
      this.pending = { chain: r.chain, from: expected, to: first - 1, failure: { ...failure, message: `${failure.message}, and ${window} later records came first (--window ${window})` } };
    }
    return true;
  }

  /** After a record is accepted: the held records whose turn has come, in seq order. */
  private release(chain: string) {
    const held = this.held.get(chain);
    while (held?.size && !this.failure) {
      const st = this.chains.get(chain);
      const next = st && held.get(st.lastSeq + 1);
      if (!next) return;
      held.delete(next.r.seq);
      this.checkChain(next.r, next.text, next.place);
    }
  }

  /** The deletion a chain's held records point at: the first record after the missing ones. */
  private gapBefore(chain: string, held: Map<number, Held>): Failure {
    const first = held.get(Math.min(...held.keys()))!;
    const st = this.chains.get(chain);
    const expected = st ? st.lastSeq + 1 : 1;
    const missing = first.r.seq - 1 === expected ? `seq ${expected} is missing` : `seq ${expected}..${first.r.seq - 1} are missing`;
    return { ...first.place, chain, seq: first.r.seq, kind: "deleted", message: st ? `follows seq ${st.lastSeq} (${where(st.lastPlace)}): ${missing}` : `the chain's first record is seq ${first.r.seq}: ${missing}` };
  }

  private accept(r: Fields, place: Place, st: ChainState | undefined) {
    if (!st) {
      st = { records: 0, firstSeq: r.seq, lastSeq: 0, lastHash: "", lastPlace: place, alg: r.alg, keyId: r.key_id, recent: new Map() };
      this.chains.set(r.chain, st);
    }
    st.records++;
    st.lastSeq = r.seq;
    st.lastHash = r.hash;
    st.lastPlace = place;
    st.recent.set(r.seq, r.hash);
    if (st.recent.size > RECENT) st.recent.delete(r.seq - RECENT);
  }

  /** After a gap: read on (seq and chain only) until a missing seq shows up, or the input ends. */
  private resolvePending(c: Candidate, place: Place) {
    const p = this.pending!;
    let v: unknown = c.value;
    if (c.text !== undefined) {
      try {
        v = JSON.parse(c.text);
      } catch {
        return;
      }
    }
    const { chain, seq } = ids(v);
    if (chain !== p.chain || seq === undefined || seq < p.from || seq > p.to) return;
    this.fail({ ...p.failure, kind: "reordered", message: `seq ${p.failure.seq} comes before seq ${seq} (${where(place)})` });
  }
}

function sha256(b: Buffer): string {
  return createHash("sha256").update(b).digest("hex");
}

function ids(v: unknown): { chain?: string; seq?: number } {
  if (typeof v !== "object" || v === null) return {};
  const o = v as { chain?: unknown; seq?: unknown };
  return { ...(typeof o.chain === "string" ? { chain: o.chain } : {}), ...(typeof o.seq === "number" ? { seq: o.seq } : {}) };
}

export function where(p: Place): string {
  return `${p.file}:${p.line}${p.index !== undefined ? ` record ${p.index}` : ""}`;
}

/** Where the written text and its canonical form part, for the failure message. */
function firstDifference(written: string, canonical: string): string {
  let i = 0;
  while (i < written.length && written[i] === canonical[i]) i++;
  const show = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 12), i + 12));
  return `differs from its canonical form at character ${i + 1}: ${show(written)} written, ${show(canonical)} canonical`;
}
