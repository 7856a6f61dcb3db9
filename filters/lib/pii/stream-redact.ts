// Redaction of text that arrives in pieces (one channel of a streamed reply, or a request body
// read in chunks), without ever emitting part of an entity and without holding more than
// `bound` bytes back:
//
//   work  = the held tail + the new text
//   cut   = work.length - bound          (everything before it is emitted now)
//   every entity found in work that starts before the cut is replaced; one that reaches past
//   the cut is replaced whole, and the tail starts after it
//
// An entity of at most `bound` bytes that starts before the cut ends inside `work`, so it is
// seen whole before any of it is emitted. Longer secrets are caught by their known prefixes
// (`eyJ`, `-----BEGIN`, `sk-`, `ghp_`…): once such a token starts before the cut and runs on,
// its replacement is emitted and the rest of the token is swallowed as it streams in (a PEM
// block up to its END line). Entities longer than `bound` without a known prefix are the
// documented limit of a bounded hold-back.
import { ByteBuffer } from "../bytes";
import { Findings, PiiType, subtypeId } from "./findings";
import { ScanConfig, scanText } from "./scan";

/** Decides each entity's replacement (actions.ts) and counts what was done. */
export abstract class ReplacementPolicy {
  /** Appends what replaces the entity [ptr, +len); the entity itself when it is only reported. */
  abstract write(type: i32, subtype: i32, ptr: usize, len: usize, out: ByteBuffer): bool;
}

const SWALLOW_NONE: i32 = 0;
/** Inside a token: swallow while the bytes can continue it. */
const SWALLOW_TOKEN: i32 = 1;
/** Inside a PEM block: swallow up to and including the `-----END …-----` line. */
const SWALLOW_PEM: i32 = 2;

const LONG_SECRET = subtypeId("long_token");
const PEM_BLOCK = subtypeId("private_key");

export class StreamRedactor {
  private tail: ByteBuffer;
  private work: ByteBuffer;
  private found: Findings = new Findings();
  private swallow: i32 = SWALLOW_NONE;
  /** PEM: how much of "-----END" has matched; then the dashes closing the END marker. */
  private pemMatch: i32 = 0;
  private pemDashes: i32 = 0;
  /** Most bytes held back after any push (for the bound's tests and metrics). */
  maxHeld: usize = 0;

  constructor(public readonly bound: usize, private cfg: ScanConfig, private policy: ReplacementPolicy) {
    this.tail = new ByteBuffer(bound + 4, bound + 4);
    this.work = new ByteBuffer(64 << 20, 4096);
  }

  get held(): usize { return this.tail.length; }

  push(ptr: usize, len: usize, out: ByteBuffer): void {
    let i: usize = 0;
    if (this.swallow != SWALLOW_NONE) i = this.swallowFrom(ptr, len);
    const w = this.work;
    w.clear();
    w.append(this.tail.ptr, this.tail.length);
    w.append(ptr + i, len - i);
    this.tail.clear();
    let cut: usize = w.length > this.bound ? w.length - this.bound : 0;
    while (cut > 0 && (load<u8>(w.ptr + cut) & 0xc0) == 0x80) cut--;
    const pos = this.emit(w, cut, out, false);
    const from = pos > cut ? pos : cut;
    this.tail.append(w.ptr + from, w.length - from);
    if (this.tail.length > this.maxHeld) this.maxHeld = this.tail.length;
  }

  /** End of the text: the tail is final, everything in it is decided and emitted. */
  flush(out: ByteBuffer): void {
    const w = this.work;
    w.clear();
    w.append(this.tail.ptr, this.tail.length);
    this.tail.clear();
    this.emit(w, w.length, out, true);
    this.swallow = SWALLOW_NONE;
  }

  /** Emits work[0, cut) with its entities replaced; returns where the held tail starts. */
  private emit(w: ByteBuffer, cut: usize, out: ByteBuffer, final: bool): usize {
    const f = this.found;
    scanText(w.ptr, w.length, this.cfg, f);
    let pos: usize = 0;
    for (let k = 0; k < f.count; k++) {
      const s = <usize>unchecked(f.start[k]);
      const e = <usize>unchecked(f.end[k]);
      if (s >= cut) break;
      if (s < pos) continue;
      // Up to and including the finding's own start: a detector may already report the head of
      // a long secret (a PEM block whose END has not arrived) that must be swallowed, not cut.
      const longStart = this.longTokenBefore(w, pos, s + 1, cut, final);
      if (longStart >= 0) return this.commitLongToken(w, pos, <usize>longStart, out);
      out.append(w.ptr + pos, s - pos);
      this.policy.write(unchecked(f.type[k]), unchecked(f.subtype[k]), w.ptr + s, e - s, out);
      pos = e;
      // An entity that runs to the end of what has arrived may go on in the next piece.
      if (!final && e == w.length) this.swallow = SWALLOW_TOKEN;
    }
    if (pos >= cut) return pos;
    const longStart = this.longTokenBefore(w, pos, cut, cut, final);
    if (longStart >= 0) return this.commitLongToken(w, pos, <usize>longStart, out);
    out.append(w.ptr + pos, cut - pos);
    return cut;
  }

  /**
   * A token with a long-secret prefix in [from, to) that is still running at the cut (so its
   * end is not in view): its start, else -1.
   */
  private longTokenBefore(w: ByteBuffer, from: usize, to: usize, cut: usize, final: bool): isize {
    if (final) return -1;
    for (let i = from; i < to; i++) {
      if (i > 0 && tokenByte(load<u8>(w.ptr + i - 1))) continue;
      const plen = longSecretPrefix(w.ptr + i, w.length - i);
      if (plen == 0) continue;
      let j = i + plen;
      const pem = plen == PEM_PREFIX.length;
      if (!pem) while (j < w.length && tokenByte(load<u8>(w.ptr + j))) j++;
      if (pem || j == w.length || j > cut) return <isize>i;
    }
    return -1;
  }

  private commitLongToken(w: ByteBuffer, pos: usize, start: usize, out: ByteBuffer): usize {
    out.append(w.ptr + pos, start - pos);
    const pem = longSecretPrefix(w.ptr + start, w.length - start) == PEM_PREFIX.length;
    this.policy.write(PiiType.Secret, pem ? PEM_BLOCK : LONG_SECRET, w.ptr + start, 0, out);
    this.swallow = pem ? SWALLOW_PEM : SWALLOW_TOKEN;
    this.pemMatch = 0;
    this.pemDashes = 0;
    // Whatever of the token is already here is swallowed the same way as what comes later.
    const rest = this.swallowFrom(w.ptr + start, w.length - start);
    return start + rest;
  }

  /** Consumes bytes that continue a swallowed token; returns how many were consumed. */
  private swallowFrom(ptr: usize, len: usize): usize {
    let i: usize = 0;
    if (this.swallow == SWALLOW_TOKEN) {
      while (i < len && tokenByte(load<u8>(ptr + i))) i++;
      if (i < len) this.swallow = SWALLOW_NONE;
      return i;
    }
    // PEM: up to "-----END", then past the label to the marker's closing "-----".
    while (i < len) {
      const c = load<u8>(ptr + i);
      i++;
      const m = this.pemMatch;
      if (m < 8) {
        // Matching "-----END": a dash after 5 dashes keeps 5; a dash after "-----E…" restarts at 1.
        if (c == unchecked(PEM_END[m])) this.pemMatch = m + 1;
        else if (c == 0x2d) this.pemMatch = m == 5 ? 5 : 1;
        else this.pemMatch = 0;
        continue;
      }
      this.pemDashes = c == 0x2d ? this.pemDashes + 1 : 0;
      if (this.pemDashes == 5) {
        this.swallow = SWALLOW_NONE;
        return i;
      }
    }
    return i;
  }
}

/** Bytes a key or token is made of (base64/base64url, hex, dashes and dots of JWTs and prefixes). */
function tokenByte(c: u8): bool {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a) || c == 0x2d || c == 0x5f || c == 0x2e || c == 0x2b || c == 0x2f || c == 0x3d;
}

const PEM_PREFIX = "-----BEGIN";
const PEM_END: StaticArray<u8> = [0x2d, 0x2d, 0x2d, 0x2d, 0x2d, 0x45, 0x4e, 0x44]; // "-----END"
const LONG_PREFIXES: string[] = [
  PEM_PREFIX, "eyJ", "sk-ant-", "sk-proj-", "sk-svcacct-", "sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_",
  "glpat-", "xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxe", "hf_", "AKIA", "ASIA", "AIza", "sk_live_", "sk_test_",
  "rk_live_", "rk_test_", "npm_", "pypi-", "dop_v1_", "shpat_", "hvs.", "SG.", "AGE-SECRET-KEY-1",
];

/** Length of the long-secret prefix at ptr, or 0. */
function longSecretPrefix(ptr: usize, len: usize): i32 {
  for (let k = 0; k < LONG_PREFIXES.length; k++) {
    const p = unchecked(LONG_PREFIXES[k]);
    const n = p.length;
    if (<usize>n > len) continue;
    let ok = true;
    for (let i = 0; i < n && ok; i++) if (<u32>load<u8>(ptr + <usize>i) != <u32>p.charCodeAt(i)) ok = false;
    if (ok) return n;
  }
  return 0;
}
