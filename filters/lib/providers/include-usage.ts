// include_usage injection (filters/token-meter/CONFIG.md, `include_usage.inject`).
//
// OpenAI-style streams only report usage when the request asks for
// `stream_options.include_usage`; then every chunk carries `"usage":null` and one extra chunk
// `{..."choices":[],"usage":{...}}` arrives before `data: [DONE]`. The meter wants that chunk;
// a client that never asked for it must not see a different stream. So the request gets the
// option (an insert or a one-value replace, every other byte untouched), and the response
// goes through UsageChunkHider, which removes exactly what the option added.
//
// Both sides edit bytes in place through JsonScanner spans: no body becomes a string, and a
// body we cannot read is left as it was (a meter that cannot help must not break traffic).
import { ByteBuffer, eqAscii } from "../bytes";
import {
  JsonScanner, unescapeJsonString, TOK_END, TOK_KEY, TOK_OBJECT_START, TOK_OBJECT_END, TOK_ARRAY_START,
  TOK_ARRAY_END, TOK_STRING, TOK_TRUE, TOK_NULL,
} from "../json-scan";

// ---- request side ----------------------------------------------------------------------------

/** `out` holds the new body. */
export const INJECT_DONE: i32 = 1;
/** Already `stream_options.include_usage: true`: forward the body as it is. */
export const INJECT_ALREADY: i32 = 0;
/** Not `"stream": true`: there is no stream to add usage to. */
export const INJECT_NOT_STREAMING: i32 = 2;
/** `stream_options` is neither an object nor null: the provider will reject it; we do not guess. */
export const INJECT_UNSUPPORTED: i32 = 3;
/** Not one valid JSON object (or deeper than maxDepth). */
export const INJECT_ERR_MALFORMED: i32 = -1;
/** `out` would pass its cap; `out` is left as it was. */
export const INJECT_ERR_NO_ROOM: i32 = -2;

// Keys are compared after unescaping, like JSON.parse would see them; longer escaped keys
// cannot be any of ours.
const KEY_SCRATCH_CAP: usize = 64;
const keyScratch = new StaticArray<u8>(<i32>KEY_SCRATCH_CAP);

function keyIs(s: JsonScanner, lit: string): bool {
  if (!s.escaped) return eqAscii(s.tokenPtr, s.tokenLen, lit);
  if (s.tokenLen > KEY_SCRATCH_CAP) return false;
  const p = changetype<usize>(keyScratch);
  const n = unescapeJsonString(s.tokenPtr, s.tokenLen, p, KEY_SCRATCH_CAP);
  return n >= 0 && eqAscii(p, <usize>n, lit);
}

/**
 * After a value token: its end offset (past a closing quote or bracket), consuming a
 * container; -1 on a scan error. Strings' spans are inside the quotes, hence the +1.
 */
function valueEnd(s: JsonScanner, t: i32): isize {
  if (t == TOK_OBJECT_START || t == TOK_ARRAY_START) {
    const r = s.skip();
    if (r < 0) return -1;
    return <isize>s.end;
  }
  if (t == TOK_STRING) return <isize>s.end + 1;
  if (t < 0) return -1;
  return <isize>s.end;
}

const requestScanner = new JsonScanner();

/**
 * Writes to `out` the request body [ptr, ptr+len) with `stream_options.include_usage: true`
 * when it is a streaming request without it, and returns INJECT_*. Only INJECT_DONE writes.
 * Duplicate keys resolve like JSON.parse (the last one wins), so what the provider reads
 * is what we checked.
 */
export function injectIncludeUsage(ptr: usize, len: usize, out: ByteBuffer, maxDepth: i32 = 64): i32 {
  const s = maxDepth == requestScanner.maxDepth ? requestScanner : new JsonScanner(maxDepth);
  s.reset(ptr, len);
  if (s.next() != TOK_OBJECT_START) return INJECT_ERR_MALFORMED;

  let streaming = false;
  let lastEnd: isize = -1;          // end of the last top-level member's value
  let optKind: i32 = 0;             // token of the last stream_options value (0 = absent)
  let optStart: usize = 0;          // its first byte
  let optEnd: usize = 0;            // its end (past '}' for an object)
  let optLastEnd: isize = -1;       // end of its last member's value (-1: empty object)
  let iuKind: i32 = 0;              // token of its last include_usage value (0 = absent)
  let iuStart: usize = 0;
  let iuEnd: usize = 0;

  while (true) {
    let t = s.next();
    if (t == TOK_OBJECT_END) break;
    if (t != TOK_KEY) return INJECT_ERR_MALFORMED;
    const isStream = keyIs(s, "stream");
    const isOptions = !isStream && keyIs(s, "stream_options");
    t = s.next();
    if (t < 0) return INJECT_ERR_MALFORMED;
    const vStart = s.start - (t == TOK_STRING ? 1 : 0);
    if (isStream) streaming = t == TOK_TRUE;
    if (isOptions) {
      optKind = t;
      optStart = vStart;
      optLastEnd = -1;
      iuKind = 0;
      if (t == TOK_OBJECT_START) {
        // Read the members ourselves (instead of skip()) to find include_usage.
        while (true) {
          let u = s.next();
          if (u == TOK_OBJECT_END) break;
          if (u != TOK_KEY) return INJECT_ERR_MALFORMED;
          const isIu = keyIs(s, "include_usage");
          u = s.next();
          if (u < 0) return INJECT_ERR_MALFORMED;
          const uStart = s.start - (u == TOK_STRING ? 1 : 0);
          const e = valueEnd(s, u);
          if (e < 0) return INJECT_ERR_MALFORMED;
          if (isIu) { iuKind = u; iuStart = uStart; iuEnd = <usize>e; }
          optLastEnd = e;
        }
        lastEnd = <isize>s.end;
        optEnd = s.end;
        continue;
      }
    }
    const e = valueEnd(s, t);
    if (e < 0) return INJECT_ERR_MALFORMED;
    if (isOptions) optEnd = <usize>e;
    lastEnd = e;
  }
  if (s.next() != TOK_END) return INJECT_ERR_MALFORMED;

  if (!streaming) return INJECT_NOT_STREAMING;
  if (optKind == TOK_OBJECT_START && iuKind == TOK_TRUE) return INJECT_ALREADY;
  if (optKind != 0 && optKind != TOK_OBJECT_START && optKind != TOK_NULL) return INJECT_UNSUPPORTED;

  // One edit: bytes [at, cut) become `text`.
  let at: usize;
  let cut: usize;
  let text: string;
  if (optKind == 0) {
    // "stream": true guarantees a member before; inserting right after it (not before the
    // closing brace) keeps a pretty-printed body's trailing newline where it was.
    at = cut = <usize>lastEnd;
    text = ",\"stream_options\":{\"include_usage\":true}";
  } else if (optKind == TOK_NULL) {
    at = optStart; cut = optEnd;
    text = "{\"include_usage\":true}";
  } else if (iuKind != 0) {
    // false, null, 0 ...: the provider would read "no", so the value becomes true.
    at = iuStart; cut = iuEnd;
    text = "true";
  } else if (optLastEnd < 0) {
    at = cut = optStart + 1;
    text = "\"include_usage\":true";
  } else {
    at = cut = <usize>optLastEnd;
    text = ",\"include_usage\":true";
  }
  const mark = out.length;
  if (!out.append(ptr, at) || !out.appendAscii(text) || !out.append(ptr + cut, len - cut)) {
    out.truncate(mark);
    return INJECT_ERR_NO_ROOM;
  }
  return INJECT_DONE;
}

// ---- response side ---------------------------------------------------------------------------

export const HIDE_OK: i32 = 0;
/** The output buffer is full; what fitted was written and the rest of that push is lost. */
export const HIDE_ERR_NO_ROOM: i32 = -1;

// Line-terminator state between bytes (SSE allows CRLF, LF and CR alone), so an event end
// split across chunks — even between the CR and LF — is found without rescanning.
const ST_LINE_START: i32 = 0;
const ST_IN_LINE: i32 = 1;
const ST_AFTER_CR: i32 = 2;   // a non-empty line ended with CR; an LF next belongs to it
const ST_BLANK_CR: i32 = 3;   // a blank line began with CR; the event ends here or after an LF

// Removals per event: `"usage":null` appears once; room for a few duplicate keys, beyond
// which the event passes unchanged rather than half-edited.
const MAX_CUTS: i32 = 4;

/**
 * Incremental SSE rewriter for the response of a request whose include_usage we injected.
 * Per complete event: drops a chunk with `"choices":[]` and a usage object (keeping a copy of
 * its data for the meter), removes top-level `"usage":null` members from other chunks, and
 * passes everything else (comments, other events, `[DONE]`, line endings) byte for byte.
 * Holds back only the current unfinished event; one larger than maxEventBytes passes through
 * unedited as it arrives (bounded memory beats hiding).
 */
export class UsageChunkHider {
  private pending: ByteBuffer;
  private state: i32 = ST_LINE_START;
  /** The current event outgrew maxEventBytes: its bytes go straight out until it ends. */
  private oversize: bool = false;
  private bomChecked: bool = false;
  private scanner: JsonScanner;
  private cuts: StaticArray<usize> = new StaticArray<usize>(MAX_CUTS * 2);
  private nCuts: i32 = 0;
  /** End of a leading `"usage":null` while judge() waits to see what follows it. */
  private pendingNullEnd: usize = 0;
  private dropped: ByteBuffer;

  /** Usage chunks dropped so far. */
  droppedCount: i32 = 0;
  /** Events seen (complete or flushed by finish). */
  eventCount: i32 = 0;
  /** `"usage":null` members removed so far. */
  removedNulls: i32 = 0;
  /** Events that passed unedited because they outgrew the bound. */
  oversizeCount: i32 = 0;

  constructor(readonly maxEventBytes: usize = 1 << 20, maxDepth: i32 = 64) {
    this.pending = new ByteBuffer(maxEventBytes, 256);
    this.dropped = new ByteBuffer(maxEventBytes, 64);
    this.scanner = new JsonScanner(maxDepth);
  }

  /** Bytes of the unfinished event held back (never more than maxEventBytes). */
  get held(): usize { return this.pending.length; }
  /**
   * The data (JSON) of the last dropped usage chunk, so the meter reads the usage the client
   * will not see; valid until the next push/finish that drops another.
   */
  get droppedDataPtr(): usize { return this.dropped.ptr; }
  get droppedDataLen(): usize { return this.dropped.length; }

  /** Writes to `out` what the client should receive of these bytes. */
  push(ptr: usize, len: usize, out: ByteBuffer): i32 {
    let ok = true;
    let from: usize = 0;        // first byte of the chunk not yet emitted or held
    let evStart: usize = 0;     // start of the current event within the chunk (if not pending)
    let i: usize = 0;
    while (i < len) {
      const c = load<u8>(ptr + i);
      const st = this.state;
      let endAt: isize = -1;    // the current event ends before chunk byte endAt
      if (st == ST_IN_LINE) {
        if (c == 0x0A) this.state = ST_LINE_START;
        else if (c == 0x0D) this.state = ST_AFTER_CR;
      } else if (st == ST_BLANK_CR) {
        if (c == 0x0A) endAt = <isize>(i + 1);
        else { endAt = <isize>i; }
        this.state = ST_LINE_START;
      } else {
        // LINE_START, or AFTER_CR with a byte that is not its LF (the next line's first).
        if (st == ST_AFTER_CR && c == 0x0A) this.state = ST_LINE_START;
        else if (c == 0x0A) endAt = <isize>(i + 1);
        else if (c == 0x0D) this.state = ST_BLANK_CR;
        else this.state = ST_IN_LINE;
      }
      if (endAt >= 0) {
        const e = <usize>endAt;
        ok = this.completeFrom(ptr + from, e - from, out) && ok;
        from = e;
        evStart = e;
        this.state = ST_LINE_START;
        // A CR-terminated blank line ends before this byte: read it again as the next event's.
        if (e == i) continue;
      }
      i++;
    }
    // Hold the unfinished event; past the bound, stream it out unedited instead.
    if (from < len) {
      if (this.oversize) {
        ok = out.append(ptr + from, len - from) && ok;
      } else if (!this.pending.append(ptr + from, len - from)) {
        this.oversize = true;
        this.oversizeCount++;
        ok = out.append(this.pending.ptr, this.pending.length) && ok;
        ok = out.append(ptr + from, len - from) && ok;
        this.pending.reset(256);
      }
    }
    return ok ? HIDE_OK : HIDE_ERR_NO_ROOM;
  }

  /** End of body: an event without its closing blank line is judged as it is (and emitted). */
  finish(out: ByteBuffer): i32 {
    let ok = true;
    if (this.oversize) {
      this.oversize = false;
      this.eventCount++;
    } else if (this.pending.length > 0) {
      ok = this.complete(this.pending.ptr, this.pending.length, out);
    }
    this.pending.reset(256);
    this.state = ST_LINE_START;
    return ok ? HIDE_OK : HIDE_ERR_NO_ROOM;
  }

  /** The event ends with chunk bytes [p, p+n) after whatever is pending. */
  private completeFrom(p: usize, n: usize, out: ByteBuffer): bool {
    if (this.oversize) {
      this.oversize = false;
      this.eventCount++;
      return out.append(p, n);
    }
    if (this.pending.length == 0) {
      // Same bound whether the event came in one chunk or many, so splits never change output.
      if (n > this.maxEventBytes) {
        this.oversizeCount++;
        this.eventCount++;
        return out.append(p, n);
      }
      return this.complete(p, n, out);
    }
    if (!this.pending.append(p, n)) {
      // The final piece pushed it past the bound: emit unedited, like any oversize event.
      this.oversizeCount++;
      this.eventCount++;
      const ok = out.append(this.pending.ptr, this.pending.length) && out.append(p, n);
      this.pending.reset(256);
      return ok;
    }
    const ok = this.complete(this.pending.ptr, this.pending.length, out);
    this.pending.clear();
    return ok;
  }

  /** One whole event [p, p+n) (its terminator included): drop, edit or copy it. */
  private complete(p: usize, n: usize, out: ByteBuffer): bool {
    this.eventCount++;
    let q = p;
    let m = n;
    if (!this.bomChecked) {
      this.bomChecked = true;
      if (m >= 3 && load<u8>(q) == 0xEF && load<u8>(q + 1) == 0xBB && load<u8>(q + 2) == 0xBF) { q += 3; m -= 3; }
    }
    // Find the single data line; events with several data lines, named events or none pass.
    let dataPtr: usize = 0;
    let dataLen: usize = 0;
    let dataLines = 0;
    let named = false;
    let i: usize = 0;
    while (i < m) {
      let e = i;
      while (e < m) { const c = load<u8>(q + e); if (c == 0x0A || c == 0x0D) break; e++; }
      const lineLen = e - i;
      const line = q + i;
      if (lineLen > 0 && load<u8>(line) != 0x3A) {
        let colon: usize = 0;
        while (colon < lineLen && load<u8>(line + colon) != 0x3A) colon++;
        let v = colon < lineLen ? colon + 1 : lineLen;
        if (v < lineLen && load<u8>(line + v) == 0x20) v++;
        if (eqAscii(line, colon, "data")) {
          dataLines++;
          dataPtr = line + v;
          dataLen = lineLen - v;
        } else if (eqAscii(line, colon, "event")) {
          if (!eqAscii(line + v, lineLen - v, "message")) named = true;
        }
      }
      if (e < m && load<u8>(q + e) == 0x0D && e + 1 < m && load<u8>(q + e + 1) == 0x0A) e++;
      i = e + 1;
    }
    if (dataLines != 1 || named) return out.append(p, n);

    const verdict = this.judge(dataPtr, dataLen);
    if (verdict == VERDICT_DROP) {
      this.droppedCount++;
      this.dropped.clear();
      this.dropped.append(dataPtr, dataLen);
      // A BOM in front of a dropped first event is not the event's to take away.
      return q == p ? true : out.append(p, q - p);
    }
    if (verdict == VERDICT_KEEP) return out.append(p, n);
    // Copy around the cuts (offsets within the data, ascending, non-overlapping).
    const cuts = this.cuts;
    let at = p;
    let ok = true;
    for (let k = 0; k < this.nCuts; k++) {
      const a = dataPtr + unchecked(cuts[k * 2]);
      const b = dataPtr + unchecked(cuts[k * 2 + 1]);
      ok = out.append(at, a - at) && ok;
      at = b;
    }
    this.removedNulls += this.nCuts;
    return out.append(at, p + n - at) && ok;
  }

  private addCut(a: usize, b: usize): bool {
    if (this.nCuts >= MAX_CUTS) return false;
    unchecked(this.cuts[this.nCuts * 2] = a);
    unchecked(this.cuts[this.nCuts * 2 + 1] = b);
    this.nCuts++;
    return true;
  }

  /**
   * Reads one chunk's JSON: VERDICT_DROP for the usage chunk, VERDICT_CUT with this.cuts set
   * for `"usage":null` members, else VERDICT_KEEP (including anything that is not a JSON object).
   */
  private judge(ptr: usize, len: usize): i32 {
    const s = this.scanner;
    s.reset(ptr, len);
    this.nCuts = 0;
    if (s.next() != TOK_OBJECT_START) return VERDICT_KEEP;
    let choicesEmpty = false;
    let usageObject = false;
    let lastKeptEnd: isize = -1;   // end of the last member that stays (-1: none yet)
    let openNull: isize = -1;      // a leading "usage":null whose end waits for the next key
    let overflow = false;
    while (true) {
      let t = s.next();
      if (t == TOK_OBJECT_END) {
        if (openNull >= 0) overflow = !this.addCut(<usize>openNull, <usize>this.pendingNullEnd) || overflow;
        break;
      }
      if (t != TOK_KEY) return VERDICT_KEEP;
      const keyQuote = s.start - 1;
      if (openNull >= 0) {
        // A removed first member takes the separator after it, up to this key's quote.
        overflow = !this.addCut(<usize>openNull, keyQuote) || overflow;
        openNull = -1;
      }
      const isUsage = keyIs(s, "usage");
      const isChoices = !isUsage && keyIs(s, "choices");
      t = s.next();
      if (t < 0) return VERDICT_KEEP;
      if (isChoices) {
        choicesEmpty = false;
        if (t == TOK_ARRAY_START) {
          const u = s.next();
          if (u == TOK_ARRAY_END) { choicesEmpty = true; lastKeptEnd = <isize>s.end; continue; }
          if (u < 0) return VERDICT_KEEP;
          // Not empty: finish the array (the first element may itself be a container).
          if (u == TOK_OBJECT_START || u == TOK_ARRAY_START) { if (s.skip() < 0) return VERDICT_KEEP; }
          if (s.skip() < 0) return VERDICT_KEEP;
          lastKeptEnd = <isize>s.end;
          continue;
        }
      }
      if (isUsage) {
        usageObject = t == TOK_OBJECT_START;
        if (t == TOK_NULL) {
          if (lastKeptEnd >= 0) {
            // Take the separator before it: bytes up to the previous value's end stay as they are.
            overflow = !this.addCut(<usize>lastKeptEnd, s.end) || overflow;
          } else {
            openNull = <isize>keyQuote;
            this.pendingNullEnd = s.end;
          }
          continue;
        }
      }
      const e = valueEnd(s, t);
      if (e < 0) return VERDICT_KEEP;
      lastKeptEnd = e;
    }
    if (s.next() != TOK_END) return VERDICT_KEEP;
    if (choicesEmpty && usageObject) return VERDICT_DROP;
    if (overflow || this.nCuts == 0) return VERDICT_KEEP;
    return VERDICT_CUT;
  }
}

const VERDICT_KEEP: i32 = 0;
const VERDICT_DROP: i32 = 1;
const VERDICT_CUT: i32 = 2;
