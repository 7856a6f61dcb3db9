// Node tree → Program (Thompson construction). The tree is sized first, exactly and in
// floating point, so a pattern whose repetitions multiply past MAX_PROGRAM is rejected before a
// single instruction is allocated: `(a{1000}){1000}` is refused in microseconds.
import { AssertKind, Node, NodeKind } from "./ast";
import { CharClass } from "./charclass";
import { MAX_PROGRAM, Op, Program } from "./program";

class Size {
  insts: f64 = 0;
  sets: f64 = 0;
}

/** Instruction count of a code point's UTF-8 encoding. */
function utf8Length(cp: i32): i32 {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** The ASCII part of a class, plus the single bytes invalid UTF-8 can hold when the class takes every non-ASCII character. */
function singleByteSet(cls: CharClass, b: i32): bool {
  if (b < 0x80) return cls.has(b);
  return cls.allNonAscii && (b <= 0xc1 || b >= 0xf5);
}

function hasSingleBytes(cls: CharClass): bool {
  return cls.allNonAscii || cls.asciiCount() > 0;
}

/** The one contiguous byte range the single-byte part covers, as lo<<8|hi, or -1 when it is not one range. */
function singleByteRange(cls: CharClass): i32 {
  let lo = -1;
  let hi = -1;
  for (let b = 0; b < 256; b++) {
    if (!singleByteSet(cls, b)) continue;
    if (lo < 0) lo = b;
    else if (hi != b - 1) return -1;
    hi = b;
  }
  return (lo << 8) | hi;
}

function classAlternatives(cls: CharClass): i32 {
  return (hasSingleBytes(cls) ? 1 : 0) + (cls.allNonAscii ? 3 : 0) + cls.extra.length;
}

function sizeOf(n: Node, s: Size): void {
  switch (n.kind) {
    case NodeKind.Empty: return;
    case NodeKind.Assert: s.insts += 1; return;
    case NodeKind.Literal: s.insts += utf8Length(n.codePoint); return;
    case NodeKind.Class: {
      const cls = changetype<CharClass>(n.cls);
      const k = classAlternatives(cls);
      if (k == 0) { s.insts += 1; return; }
      let sum = 0;
      if (hasSingleBytes(cls)) {
        sum += 1;
        if (singleByteRange(cls) < 0) s.sets += 1;
      }
      if (cls.allNonAscii) sum += 2 + 3 + 4;
      for (let i = 0; i < cls.extra.length; i++) sum += utf8Length(unchecked(cls.extra[i]));
      s.insts += sum + 2 * (k - 1);
      return;
    }
    case NodeKind.Concat:
    case NodeKind.Alternate: {
      for (let i = 0; i < n.children.length; i++) sizeOf(unchecked(n.children[i]), s);
      if (n.kind == NodeKind.Alternate) s.insts += 2 * (n.children.length - 1);
      return;
    }
    case NodeKind.Repeat: {
      const body = new Size();
      sizeOf(unchecked(n.children[0]), body);
      const copies: f64 = n.max < 0 ? (n.min == 0 ? 1 : n.min) : n.max;
      s.insts += body.insts * copies;
      s.sets += body.sets * copies;
      if (n.max < 0) s.insts += n.min == 0 ? 2 : 1;
      else s.insts += n.max - n.min;
      return;
    }
  }
}

export class CompileOutput {
  program: Program | null = null;
  error: string = "";
}

export function compileNode(root: Node): CompileOutput {
  const r = new CompileOutput();
  const size = new Size();
  sizeOf(root, size);
  const total = size.insts + 1; // + Match
  if (total > <f64>MAX_PROGRAM) {
    const shown = total < 1e15 ? (<i64>total).toString() : "more than 10^15";
    r.error = "pattern too large: it expands to " + shown + " states (limit " + MAX_PROGRAM.toString() + "); lower the repetition counts";
    return r;
  }
  const prog = new Program(<i32>total, <i32>size.sets);
  emitNode(prog, root);
  prog.emit(Op.Match, 0, 0);
  assert(prog.length == <i32>total);
  analyseStart(prog);
  r.program = prog;
  return r;
}

function emitBytes(p: Program, cp: i32): void {
  if (cp < 0x80) {
    p.emit(Op.Range, cp, cp);
  } else if (cp < 0x800) {
    p.emit(Op.Range, 0xc0 | (cp >> 6), 0xc0 | (cp >> 6));
    p.emit(Op.Range, 0x80 | (cp & 0x3f), 0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    p.emit(Op.Range, 0xe0 | (cp >> 12), 0xe0 | (cp >> 12));
    p.emit(Op.Range, 0x80 | ((cp >> 6) & 0x3f), 0x80 | ((cp >> 6) & 0x3f));
    p.emit(Op.Range, 0x80 | (cp & 0x3f), 0x80 | (cp & 0x3f));
  } else {
    p.emit(Op.Range, 0xf0 | (cp >> 18), 0xf0 | (cp >> 18));
    p.emit(Op.Range, 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 12) & 0x3f));
    p.emit(Op.Range, 0x80 | ((cp >> 6) & 0x3f), 0x80 | ((cp >> 6) & 0x3f));
    p.emit(Op.Range, 0x80 | (cp & 0x3f), 0x80 | (cp & 0x3f));
  }
}

/** Emits alternative j of a class (see classAlternatives for the order). */
function emitClassAlternative(p: Program, cls: CharClass, j: i32): void {
  if (hasSingleBytes(cls)) {
    if (j == 0) {
      const r = singleByteRange(cls);
      if (r >= 0) {
        p.emit(Op.Range, r >> 8, r & 0xff);
      } else {
        const set = p.newSet();
        for (let b = 0; b < 256; b++) if (singleByteSet(cls, b)) p.setAdd(set, b);
        p.emit(Op.Set, set, 0);
      }
      return;
    }
    j--;
  }
  if (cls.allNonAscii) {
    // Well-formed multi-byte sequences by lead byte (overlong/surrogate forms are not policed:
    // the engine finds patterns in text, it does not validate UTF-8).
    if (j < 3) {
      if (j == 0) p.emit(Op.Range, 0xc2, 0xdf);
      else if (j == 1) p.emit(Op.Range, 0xe0, 0xef);
      else p.emit(Op.Range, 0xf0, 0xf4);
      for (let k = 0; k <= j; k++) p.emit(Op.Range, 0x80, 0xbf);
      return;
    }
    j -= 3;
  }
  emitBytes(p, unchecked(cls.extra[j]));
}

function emitClass(p: Program, cls: CharClass): void {
  const k = classAlternatives(cls);
  if (k == 0) {
    p.emit(Op.Range, 1, 0); // matches nothing
    return;
  }
  const jumps = new Array<i32>(0);
  for (let j = 0; j < k; j++) {
    if (j < k - 1) {
      const split = p.emit(Op.Split, p.length + 1, 0);
      emitClassAlternative(p, cls, j);
      jumps.push(p.emit(Op.Jump, 0, 0));
      unchecked(p.b[split] = p.length);
    } else emitClassAlternative(p, cls, j);
  }
  for (let j = 0; j < jumps.length; j++) unchecked(p.a[jumps[j]] = p.length);
}

function emitNode(p: Program, n: Node): void {
  switch (n.kind) {
    case NodeKind.Empty: return;
    case NodeKind.Assert: p.emit(Op.Assert, n.assertKind, 0); return;
    case NodeKind.Literal: emitBytes(p, n.codePoint); return;
    case NodeKind.Class: emitClass(p, changetype<CharClass>(n.cls)); return;
    case NodeKind.Concat: {
      for (let i = 0; i < n.children.length; i++) emitNode(p, unchecked(n.children[i]));
      return;
    }
    case NodeKind.Alternate: {
      const k = n.children.length;
      const jumps = new Array<i32>(0);
      for (let j = 0; j < k; j++) {
        if (j < k - 1) {
          const split = p.emit(Op.Split, p.length + 1, 0);
          emitNode(p, unchecked(n.children[j]));
          jumps.push(p.emit(Op.Jump, 0, 0));
          unchecked(p.b[split] = p.length);
        } else emitNode(p, unchecked(n.children[j]));
      }
      for (let j = 0; j < jumps.length; j++) unchecked(p.a[jumps[j]] = p.length);
      return;
    }
    case NodeKind.Repeat: emitRepeat(p, n); return;
  }
}

/** Points a split's preferred branch at `taken` and the other at `skipped`, per greediness. */
function patchSplit(p: Program, split: i32, body: i32, exit: i32, greedy: bool): void {
  unchecked(p.a[split] = greedy ? body : exit);
  unchecked(p.b[split] = greedy ? exit : body);
}

function emitRepeat(p: Program, n: Node): void {
  const body = unchecked(n.children[0]);
  if (n.max < 0) {
    if (n.min == 0) {
      // L: split body, exit; body; jump L
      const split = p.emit(Op.Split, 0, 0);
      emitNode(p, body);
      p.emit(Op.Jump, split, 0);
      patchSplit(p, split, split + 1, p.length, n.greedy);
      return;
    }
    for (let i = 0; i < n.min - 1; i++) emitNode(p, body);
    const loop = p.length;
    emitNode(p, body);
    const split = p.emit(Op.Split, 0, 0);
    patchSplit(p, split, loop, split + 1, n.greedy);
    return;
  }
  for (let i = 0; i < n.min; i++) emitNode(p, body);
  // x{n,m}: the optional copies nest, (x(x(x)?)?)?, so each split skips to the common end.
  const splits = new Array<i32>(0);
  for (let i = n.min; i < n.max; i++) {
    splits.push(p.emit(Op.Split, 0, 0));
    emitNode(p, body);
  }
  const end = p.length;
  for (let i = 0; i < splits.length; i++) {
    const s = unchecked(splits[i]);
    patchSplit(p, s, s + 1, end, n.greedy);
  }
}

/**
 * Which bytes can begin a match (the matcher skips straight to the next one while no thread is
 * alive) and whether every path begins with ^. Both come from the closure of pc 0.
 */
function analyseStart(p: Program): void {
  const seen = new StaticArray<bool>(p.length);
  const stack = new Array<i32>(0);
  // Pass 1: ^ as a dead end; reaching any consuming instruction means "not anchored".
  stack.push(0);
  let anchored = true;
  while (stack.length > 0) {
    const pc = stack.pop();
    if (unchecked(seen[pc])) continue;
    unchecked(seen[pc] = true);
    const op = <i32>unchecked(p.op[pc]);
    if (op == Op.Split) { stack.push(unchecked(p.b[pc])); stack.push(unchecked(p.a[pc])); }
    else if (op == Op.Jump) stack.push(unchecked(p.a[pc]));
    else if (op == Op.Assert) { if (unchecked(p.a[pc]) != AssertKind.Begin) stack.push(pc + 1); }
    else anchored = false;
  }
  p.anchored = anchored;
  // Pass 2: every assertion passable; collect the bytes of the first consuming instructions.
  for (let i = 0; i < p.length; i++) unchecked(seen[i] = false);
  stack.push(0);
  while (stack.length > 0) {
    const pc = stack.pop();
    if (unchecked(seen[pc])) continue;
    unchecked(seen[pc] = true);
    const op = <i32>unchecked(p.op[pc]);
    if (op == Op.Split) { stack.push(unchecked(p.b[pc])); stack.push(unchecked(p.a[pc])); }
    else if (op == Op.Jump) stack.push(unchecked(p.a[pc]));
    else if (op == Op.Assert) stack.push(pc + 1);
    else if (op == Op.Range || op == Op.Set) {
      for (let b = 0; b < 256; b++) if (p.accepts(pc, b)) unchecked(p.startByte[b] = true);
    }
  }
  // A match never starts inside a UTF-8 sequence.
  for (let b = 0x80; b < 0xc0; b++) unchecked(p.startByte[b] = false);
}
