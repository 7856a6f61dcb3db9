// Pike-VM simulation of a Program over UTF-8 bytes: every live thread advances in lock step, one
// byte at a time, and two threads at the same instruction are merged (the higher-priority one
// survives), so a step costs at most one visit per instruction and nothing ever backtracks.
// Threads are kept in priority order, which gives leftmost-first (Perl/RE2/JavaScript)
// semantics: when a thread matches, every lower-priority thread is dropped and the
// higher-priority ones may still extend or replace the match.
import { AssertKind } from "./ast";
import { isWordByte } from "./charclass";
import { Op, Program } from "./program";

/** A sparse set of instruction indices in insertion (= priority) order, each with its match start. */
class ThreadList {
  dense: StaticArray<i32>;
  sparse: StaticArray<i32>;
  start: StaticArray<i32>;
  n: i32 = 0;

  constructor(size: i32) {
    this.dense = new StaticArray<i32>(size);
    this.sparse = new StaticArray<i32>(size);
    this.start = new StaticArray<i32>(size);
  }

  @inline has(pc: i32): bool {
    const k = unchecked(this.sparse[pc]);
    return k < this.n && unchecked(this.dense[k]) == pc;
  }

  @inline add(pc: i32, start: i32): void {
    const k = this.n++;
    unchecked(this.dense[k] = pc);
    unchecked(this.sparse[pc] = k);
    unchecked(this.start[pc] = start);
  }
}

export class Regex {
  readonly program: Program;
  /** The last match found by find(): [matchStart, matchEnd) in bytes. */
  matchStart: i32 = 0;
  matchEnd: i32 = 0;

  private clist: ThreadList;
  private nlist: ThreadList;
  private stack: StaticArray<i32>;
  private ptr: usize = 0;
  private len: i32 = 0;

  constructor(program: Program) {
    this.program = program;
    const n = program.length;
    this.clist = new ThreadList(n);
    this.nlist = new ThreadList(n);
    // Each instruction enters a closure at most once and pushes at most two successors.
    this.stack = new StaticArray<i32>(2 * n + 1);
  }

  /** Instruction count (the bound on work per input byte). */
  get size(): i32 {
    return this.program.length;
  }

  /**
   * The leftmost-first match in [ptr+from, ptr+len), as byte offsets in matchStart/matchEnd.
   * Patterns never match the empty string, so matchEnd > matchStart.
   */
  find(ptr: usize, len: i32, from: i32): bool {
    const prog = this.program;
    const startByte = prog.startByte;
    this.ptr = ptr;
    this.len = len;
    let clist = this.clist;
    let nlist = this.nlist;
    clist.n = 0;
    let matched = false;
    let i = from;
    if (prog.anchored && from > 0) return false;
    while (true) {
      if (!matched && i < len && (!prog.anchored || i == 0)) {
        if (clist.n == 0) {
          // Nothing alive: jump to the next byte a match can begin with.
          while (i < len && !unchecked(startByte[load<u8>(ptr + <usize>i)])) i++;
          if (i >= len || (prog.anchored && i > 0)) break;
        }
        // A new attempt at i, below every thread already running (they started further left).
        if (unchecked(startByte[load<u8>(ptr + <usize>i)])) this.addThread(clist, 0, i, i);
      }
      if (clist.n == 0) break;
      const byte: i32 = i < len ? <i32>load<u8>(ptr + <usize>i) : 256;
      nlist.n = 0;
      const ops = prog.op;
      for (let k = 0; k < clist.n; k++) {
        const pc = unchecked(clist.dense[k]);
        const op = <i32>unchecked(ops[pc]);
        if (op == Op.Match) {
          matched = true;
          this.matchStart = unchecked(clist.start[pc]);
          this.matchEnd = i;
          break; // lower-priority threads lose to this match
        }
        if ((op == Op.Range || op == Op.Set) && byte < 256 && prog.accepts(pc, byte)) {
          this.addThread(nlist, pc + 1, i + 1, unchecked(clist.start[pc]));
        }
      }
      const t = clist;
      clist = nlist;
      nlist = t;
      if (i >= len) break;
      i++;
    }
    // Keep the two lists in fields whichever way they ended up swapped.
    this.clist = clist;
    this.nlist = nlist;
    return matched;
  }

  /** Adds pc and everything reachable from it without consuming a byte, at position pos, in priority order. */
  private addThread(list: ThreadList, pc0: i32, pos: i32, start: i32): void {
    const prog = this.program;
    const stack = this.stack;
    let sp = 0;
    unchecked(stack[sp++] = pc0);
    while (sp > 0) {
      const pc = unchecked(stack[--sp]);
      if (list.has(pc)) continue;
      list.add(pc, start);
      const op = <i32>unchecked(prog.op[pc]);
      if (op == Op.Split) {
        // Preferred branch on top, so its whole closure comes first.
        unchecked(stack[sp++] = prog.b[pc]);
        unchecked(stack[sp++] = prog.a[pc]);
      } else if (op == Op.Jump) {
        unchecked(stack[sp++] = prog.a[pc]);
      } else if (op == Op.Assert) {
        if (this.holds(unchecked(prog.a[pc]), pos)) unchecked(stack[sp++] = pc + 1);
      }
    }
  }

  private holds(kind: i32, pos: i32): bool {
    switch (kind) {
      case AssertKind.Begin: return pos == 0;
      case AssertKind.End: return pos == this.len;
    }
    const before = pos > 0 && isWordByte(load<u8>(this.ptr + <usize>(pos - 1)));
    const after = pos < this.len && isWordByte(load<u8>(this.ptr + <usize>pos));
    return kind == AssertKind.WordBoundary ? before != after : before == after;
  }
}
