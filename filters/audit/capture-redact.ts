// Redaction for captured text: every type filters/lib/pii detects is on, generic key=/token=
// secrets included, and every entity becomes `[TYPE]` — whatever pii-redact's own policy was
// (it may only detect, mask or tokenise). Names, places and other free text the detectors do
// not look for stay in the text: CONFIG.md says so.
import { ByteBuffer } from "../lib/bytes";
import { Findings, piiTypeName } from "../lib/pii/findings";
import { ScanConfig, scanText } from "../lib/pii/scan";

/**
 * Raw text scanned past the point where output may stop. An entity cut off where the captured
 * text was cut (a stream beyond its raw bound) starts at least this far past that point unless
 * it is longer than this (a PEM key of 4096-bit RSA is ~3.2 KB): so no fragment of a cut entity
 * is ever written.
 */
export const CAPTURE_MARGIN: usize = 4096;

let config: ScanConfig | null = null;
const found = new Findings();

function scanConfig(): ScanConfig {
  let c = config;
  if (c === null) {
    c = new ScanConfig();
    c.genericSecrets = true;
    config = c;
  }
  return c;
}

/**
 * Appends the redacted form of text [ptr, ptr+len) to `out`, writing no more than `budget`
 * bytes. Only text before raw offset `rawLimit` is written (entities that start before it are
 * written whole, as their `[TYPE]`); the scan reads all `len` bytes, so an entity crossing the
 * limit is still recognised. Returns false when the budget stopped the copy early.
 */
export function appendRedacted(out: ByteBuffer, ptr: usize, len: usize, rawLimit: usize, budget: usize): bool {
  const end = out.length + budget;
  scanText(ptr, len, scanConfig(), found);
  let pos: usize = 0;
  for (let k = 0; k < found.count; k++) {
    const s = <usize>unchecked(found.start[k]);
    const e = <usize>unchecked(found.end[k]);
    if (s >= rawLimit) break;
    if (!copyPlain(out, ptr + pos, s - pos, end)) return false;
    const name = piiTypeName(unchecked(found.type[k]));
    if (out.length + <usize>name.length + 2 > end) return false;
    out.appendByte(0x5b);
    out.appendAscii(name);
    out.appendByte(0x5d);
    pos = e;
  }
  if (pos >= rawLimit) return true;
  return copyPlain(out, ptr + pos, rawLimit - pos, end);
}

/** Copies what fits before `end`, cut at a UTF-8 character boundary; false when cut. */
function copyPlain(out: ByteBuffer, p: usize, n: usize, end: usize): bool {
  const room = end > out.length ? end - out.length : 0;
  if (n <= room) {
    out.append(p, n);
    return true;
  }
  let fit = room;
  while (fit > 0 && (load<u8>(p + fit) & 0xC0) == 0x80) fit--;
  out.append(p, fit);
  return false;
}

/** The length of [p, p+n) cut to at most `max` bytes at a character boundary. */
export function utf8Prefix(p: usize, n: usize, max: usize): usize {
  if (n <= max) return n;
  let fit = max;
  while (fit > 0 && (load<u8>(p + fit) & 0xC0) == 0x80) fit--;
  return fit;
}
