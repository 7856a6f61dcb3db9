// Finds the text inside a provider's JSON (TEXT-PARTS.md): one pass of the pull scanner over a
// whole body or one streamed event, returning the spans of the string values that are user or
// model text. Everything else (ids, model names, signatures, base64, numbers) is never a part,
// so a redaction can only ever change text.
import { Provider, Operation } from "../providers/types";
import {
  JsonScanner, TOK_END, TOK_KEY, TOK_OBJECT_START, TOK_ARRAY_START, TOK_OBJECT_END, TOK_ARRAY_END,
  TOK_STRING, TOK_NUMBER,
} from "../json-scan/scanner";
import { unescapeJsonString } from "../json-scan/unescape";
import { readJsonInteger, NUM_OK, parsedI64 } from "../json-scan/number";
import { RuleNode, RuleSet, RULE_CONTINUES } from "./text-parts-rules";
import { rulesFor } from "./text-parts-table";

export { KIND_TEXT, KIND_TOOL, KIND_REFUSAL } from "./text-parts-rules";

/** The part's raw span contains backslash escapes (decode before reading it as text). */
export const PART_ESCAPED: u8 = 1;
/** The part continues its channel's text (a stream delta); else it is a complete value. */
export const PART_CONTINUES: u8 = 2;

// Deeper documents are an error (no parts) rather than partly scanned: tool arguments nest,
// so the limit is above the scanner's default.
export const TEXT_PARTS_MAX_DEPTH: i32 = 128;

// Channel indices past this share the last value (no real stream has that many choices).
const CHANNEL_INDEX_MAX: i32 = 0xFFF;

/** Channel id: kind in the top byte, then 12 bits of major and 12 of minor index. */
// @ts-ignore: decorator
@inline export function makeChannel(kind: u8, major: i32, minor: i32): i32 {
  const a = major < 0 ? 0 : major > CHANNEL_INDEX_MAX ? CHANNEL_INDEX_MAX : major;
  const b = minor < 0 ? 0 : minor > CHANNEL_INDEX_MAX ? CHANNEL_INDEX_MAX : minor;
  return (<i32>kind << 24) | (a << 12) | b;
}

/** The spans found in one document, in document order. Reused across calls (no churn). */
export class TextParts {
  count: i32 = 0;
  /** Offsets from the document start of the string contents (inside the quotes, raw). */
  start: StaticArray<u32> = new StaticArray<u32>(16);
  end: StaticArray<u32> = new StaticArray<u32>(16);
  flags: StaticArray<u8> = new StaticArray<u8>(16);
  channel: StaticArray<i32> = new StaticArray<i32>(16);
  // While scanning: the rule node that matched, and channel indices still unknown (-1).
  node: StaticArray<i32> = new StaticArray<i32>(16);
  major: StaticArray<i32> = new StaticArray<i32>(16);
  minor: StaticArray<i32> = new StaticArray<i32>(16);

  clear(): void { this.count = 0; }

  // @ts-ignore: decorator
  @inline partStart(i: i32): usize { return <usize>unchecked(this.start[i]); }
  // @ts-ignore: decorator
  @inline partEnd(i: i32): usize { return <usize>unchecked(this.end[i]); }
  // @ts-ignore: decorator
  @inline partFlags(i: i32): u8 { return unchecked(this.flags[i]); }
  // @ts-ignore: decorator
  @inline partChannel(i: i32): i32 { return unchecked(this.channel[i]); }
  escaped(i: i32): bool { return (unchecked(this.flags[i]) & PART_ESCAPED) != 0; }

  push(start: usize, end: usize, escaped: bool, node: i32): i32 {
    const i = this.count;
    if (i >= this.start.length) this.grow();
    unchecked(this.start[i] = <u32>start);
    unchecked(this.end[i] = <u32>end);
    unchecked(this.flags[i] = escaped ? PART_ESCAPED : 0);
    unchecked(this.channel[i] = 0);
    unchecked(this.node[i] = node);
    unchecked(this.major[i] = -1);
    unchecked(this.minor[i] = -1);
    this.count = i + 1;
    return i;
  }

  private grow(): void {
    const n = this.start.length * 2;
    this.start = growU32(this.start, n);
    this.end = growU32(this.end, n);
    this.flags = growU8(this.flags, n);
    this.channel = growI32(this.channel, n);
    this.node = growI32(this.node, n);
    this.major = growI32(this.major, n);
    this.minor = growI32(this.minor, n);
  }
}

function growU32(a: StaticArray<u32>, n: i32): StaticArray<u32> {
  const b = new StaticArray<u32>(n);
  memory.copy(changetype<usize>(b), changetype<usize>(a), <usize>a.length << 2);
  return b;
}
function growI32(a: StaticArray<i32>, n: i32): StaticArray<i32> {
  const b = new StaticArray<i32>(n);
  memory.copy(changetype<usize>(b), changetype<usize>(a), <usize>a.length << 2);
  return b;
}
function growU8(a: StaticArray<u8>, n: i32): StaticArray<u8> {
  const b = new StaticArray<u8>(n);
  memory.copy(changetype<usize>(b), changetype<usize>(a), <usize>a.length);
  return b;
}

const KEY_SCRATCH: usize = 256;
const TYPE_KEY = "type";

// The walk's state, allocated once. Per open container at depth d (index d): the rule node
// (-1: inside a `**` subtree, see deepNode), parts count when it opened, the channel indices it
// captured, and the next array position.
class Walk {
  scanner: JsonScanner = new JsonScanner(TEXT_PARTS_MAX_DEPTH);
  nodeAt: StaticArray<i32> = new StaticArray<i32>(TEXT_PARTS_MAX_DEPTH + 1);
  deepAt: StaticArray<i32> = new StaticArray<i32>(TEXT_PARTS_MAX_DEPTH + 1);
  partsAt: StaticArray<i32> = new StaticArray<i32>(TEXT_PARTS_MAX_DEPTH + 1);
  majorAt: StaticArray<i32> = new StaticArray<i32>(TEXT_PARTS_MAX_DEPTH + 1);
  minorAt: StaticArray<i32> = new StaticArray<i32>(TEXT_PARTS_MAX_DEPTH + 1);
  posAt: StaticArray<u32> = new StaticArray<u32>(TEXT_PARTS_MAX_DEPTH + 1);
  keyScratch: StaticArray<u8> = new StaticArray<u8>(<i32>KEY_SCRATCH);
  typeKey: ArrayBuffer = String.UTF8.encode(TYPE_KEY);
}

let walk: Walk | null = null;

/**
 * Scans one JSON document at [ptr, ptr+len) for the text parts of `provider`'s `operation`
 * (request or response side) into `out`. Returns the part count (0 for unknown providers and
 * operations), or a JSON_ERR_* code (< 0) with no parts: a document that is not valid JSON is
 * never partly reported, so a caller cannot rewrite half of it.
 */
export function findTextParts(provider: Provider, operation: Operation, response: bool, ptr: usize, len: usize, out: TextParts): i32 {
  out.clear();
  if (provider == Provider.Unknown) return 0;
  const rules = rulesFor(operation, response);
  if (rules.root.dead) return 0;
  let w = walk;
  if (w === null) {
    w = new Walk();
    walk = w;
  }
  const r = scan(w, rules, ptr, len, out);
  if (r < 0) {
    out.clear();
    return r;
  }
  return out.count;
}

// What the value about to be read is: a rule node id, -1 (nothing), or deep under node id.
let valNode: i32 = -1;
let valDeep: i32 = -1;
let valPos: i32 = -1;

function scan(w: Walk, rules: RuleSet, ptr: usize, len: usize, out: TextParts): i32 {
  const sc = w.scanner;
  sc.reset(ptr, len);
  // Root `type` (for conditional rules), and the key just read: its child node, channel field.
  let typeStart: usize = 0;
  let typeEnd: usize = 0;
  let typeEscaped = false;
  let hasType = false;
  let keyIsType = false;
  let keyNode: i32 = -1;
  let keyField: u8 = 0;
  const keyBuf = changetype<usize>(w.keyScratch);
  while (true) {
    const t = sc.next();
    if (t < 0) return t;
    if (t == TOK_END) break;
    if (t == TOK_KEY) {
      const d = sc.depth;
      keyNode = -1;
      keyField = 0;
      keyIsType = false;
      const nid = unchecked(w.nodeAt[d]);
      if (nid < 0) continue; // inside `**`: keys do not matter
      let kp = sc.tokenPtr;
      let kl = sc.tokenLen;
      if (sc.escaped) {
        const n = kl <= KEY_SCRATCH ? unescapeJsonString(kp, kl, keyBuf, KEY_SCRATCH) : -1;
        if (n < 0) continue; // longer than any rule key: matches nothing
        kp = keyBuf;
        kl = <usize>n;
      }
      const node = rules.node(nid);
      const child = node.child(kp, kl);
      keyNode = child === null ? -1 : child.id;
      keyField = node.fieldCapture(kp, kl);
      keyIsType = d == 1 && rules.usesType && kl == 4 && memory.compare(kp, changetype<usize>(w.typeKey), 4) == 0;
      continue;
    }
    if (t == TOK_OBJECT_END || t == TOK_ARRAY_END) {
      closeContainer(w, sc.depth + 1, out);
      continue;
    }
    if (t == TOK_OBJECT_START || t == TOK_ARRAY_START) {
      const d = sc.depth; // the new container's depth
      resolveValue(w, rules, d - 1, keyNode);
      keyNode = -1;
      keyField = 0;
      keyIsType = false;
      if (valDeep < 0 && (valNode < 0 || rules.node(valNode).dead)) {
        const r = sc.skip();
        if (r < 0) return r;
        continue;
      }
      unchecked(w.nodeAt[d] = valDeep >= 0 ? -1 : valNode);
      unchecked(w.deepAt[d] = valDeep);
      unchecked(w.partsAt[d] = out.count);
      unchecked(w.posAt[d] = 0);
      let major = -1;
      let minor = -1;
      if (valNode >= 0 && valPos >= 0) {
        const cap = rules.node(valNode).posCapture;
        if (cap == 1) major = valPos;
        else if (cap == 2) minor = valPos;
      }
      unchecked(w.majorAt[d] = major);
      unchecked(w.minorAt[d] = minor);
      continue;
    }
    // A scalar inside depth d.
    const d = sc.depth;
    resolveValue(w, rules, d, keyNode);
    if (t == TOK_STRING) {
      if (keyIsType) {
        typeStart = sc.start;
        typeEnd = sc.end;
        typeEscaped = sc.escaped;
        hasType = true;
      }
      let leafNode: i32 = -1;
      if (valDeep >= 0) leafNode = valDeep;
      else if (valNode >= 0 && rules.node(valNode).hasLeaves) leafNode = valNode;
      if (leafNode >= 0) {
        const i = out.push(sc.start, sc.end, sc.escaped, leafNode);
        if (valNode >= 0 && valPos >= 0) {
          const cap = rules.node(valNode).posCapture;
          if (cap == 1) unchecked(out.major[i] = valPos);
          else if (cap == 2) unchecked(out.minor[i] = valPos);
        }
      }
    } else if (t == TOK_NUMBER && keyField != 0 && d >= 1) {
      if (readJsonInteger(sc.tokenPtr, sc.tokenLen) == NUM_OK) {
        const v = parsedI64();
        const c = v < 0 ? 0 : v > <i64>CHANNEL_INDEX_MAX ? CHANNEL_INDEX_MAX : <i32>v;
        if (keyField == 1) unchecked(w.majorAt[d] = c);
        else unchecked(w.minorAt[d] = c);
      }
    }
    keyNode = -1;
    keyField = 0;
    keyIsType = false;
  }
  finish(w, rules, ptr, out, hasType, typeStart, typeEnd, typeEscaped);
  return 0;
}

// Sets valNode / valDeep / valPos for a value whose parent container is at depth d.
function resolveValue(w: Walk, rules: RuleSet, d: i32, keyNode: i32): void {
  valPos = -1;
  if (d == 0) {
    valNode = rules.root.id;
    valDeep = rules.root.deep ? rules.root.id : -1;
    return;
  }
  const deep = unchecked(w.deepAt[d]);
  if (deep >= 0) {
    valNode = -1;
    valDeep = deep;
    return;
  }
  let child: RuleNode | null = null;
  if (w.scanner.isObjectAt(d)) {
    child = keyNode < 0 ? null : rules.node(keyNode);
  } else {
    const pos = unchecked(w.posAt[d]);
    unchecked(w.posAt[d] = pos + 1);
    valPos = <i32>min<u32>(pos, <u32>CHANNEL_INDEX_MAX);
    child = rules.node(unchecked(w.nodeAt[d])).any;
  }
  if (child === null) {
    valNode = -1;
    valDeep = -1;
    return;
  }
  valNode = child.id;
  valDeep = child.deep ? child.id : -1;
}

// A container at depth d closed: channel indices it captured go to the parts inside it that
// no inner container already named (the innermost capture wins).
function closeContainer(w: Walk, d: i32, out: TextParts): void {
  const major = unchecked(w.majorAt[d]);
  const minor = unchecked(w.minorAt[d]);
  if (major < 0 && minor < 0) return;
  for (let i = unchecked(w.partsAt[d]), n = out.count; i < n; i++) {
    if (major >= 0 && unchecked(out.major[i]) < 0) unchecked(out.major[i] = major);
    if (minor >= 0 && unchecked(out.minor[i]) < 0) unchecked(out.minor[i] = minor);
  }
}

// Settles every part's kind, flags and channel now that the whole document (and its `type`) is
// known; parts whose only rules are conditions the type fails are dropped.
function finish(w: Walk, rules: RuleSet, ptr: usize, out: TextParts, hasType: bool, ts: usize, te: usize, tEscaped: bool): void {
  let tp = ptr + ts;
  let tl = te - ts;
  if (hasType && tEscaped) {
    const buf = changetype<usize>(w.keyScratch);
    const n = tl <= KEY_SCRATCH ? unescapeJsonString(tp, tl, buf, KEY_SCRATCH) : -1;
    if (n < 0) hasType = false;
    else { tp = buf; tl = <usize>n; }
  }
  let o = 0;
  for (let i = 0, n = out.count; i < n; i++) {
    const node = rules.node(unchecked(out.node[i]));
    const leaf = node.pickLeaf(rules, tp, tl, hasType);
    if (leaf < 0) continue;
    const kind = node.leafKind(leaf);
    let flags = unchecked(out.flags[i]);
    if (node.leafFlags(leaf) & RULE_CONTINUES) flags |= PART_CONTINUES;
    unchecked(out.start[o] = unchecked(out.start[i]));
    unchecked(out.end[o] = unchecked(out.end[i]));
    unchecked(out.flags[o] = flags);
    unchecked(out.node[o] = unchecked(out.node[i]));
    unchecked(out.channel[o] = makeChannel(kind, unchecked(out.major[i]), unchecked(out.minor[i])));
    o++;
  }
  out.count = o;
}
