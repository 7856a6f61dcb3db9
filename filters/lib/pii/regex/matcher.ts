// Pike-VM simulation of a Program over UTF-8 bytes: every live thread advances in lock step, one
// byte at a time, and two threads at the same instruction are merged (the higher-priority one
// survives), so a step costs at most one visit per instruction and nothing ever backtracks.
// Threads are kept in priority order, which gives leftmost-first (Perl/RE2/JavaScript)
// semantics: when a thread matches, every lower-priority thread is dropped and the
// higher-priority ones may still extend or replace the match.
//
// All matches in one pass. The usual loop (find a match, restart the search at its end) rescans
// whatever the higher-priority threads read past the match before dying: quadratic on `x*y|x`
// over "xxxx...". Here the search for the next match starts at the candidate's end in the same
// pass, as a new "level" appended below the current threads. Each thread carries its level
// (the index of the match it would produce); the list stays sorted by level. A match in level j
// replaces candidate j and drops everything after it in the list (levels > j were built on the
// old candidate j). Merging threads across levels stays sound: a level-k thread at the same
// instruction and offset as a level-j thread (j < k) has the same future, and whenever that
// future matches, level j changes and level k is discarded anyway. So the list never holds more
// threads than instructions, whatever the number of pending levels.
import { AssertKind } from "./ast";
import { isWordByte } from "./charclass";
import { Op, Program } from "./program";
import { tick } from "../work";

/**
 * The threads at one offset, in priority order: only instructions that can still act there (a
 * byte instruction accepting the byte at that offset, or Match). Every instruction the closure
 * walks is stamped, so a lower-priority path reaching it again stops there.
 */
class ThreadList {
  pc: StaticArray<i32>;
  start: StaticArray<i32>;
  /** Index of the match the thread would produce (see the header). */
  level: StaticArray<i32>;
  n: i32 = 0;
  /** Index of the first Match thread, or -1. */
  firstMatch: i32 = -1;
  /** mark[pc] == stamp: pc already visited by a closure at this offset. */
  mark: StaticArray<i32>;
  stamp: i32 = 0;

  constructor(size: i32) {
    this.pc = new StaticArray<i32>(size);
    this.start = new StaticArray<i32>(size);
    this.level = new StaticArray<i32>(size);
    this.mark = new StaticArray<i32>(size);
  }

  reset(): void {
    this.n = 0;
    this.firstMatch = -1;
    this.stamp++;
  }

  /**
   * Keeps the first k threads, re-stamped alone: instructions only the dropped threads had
   * visited become free for a new attempt at this offset.
   */
  truncate(k: i32): void {
    this.n = k;
    this.firstMatch = -1;
    this.stamp++;
    tick(k);
    for (let j = 0; j < k; j++) unchecked(this.mark[unchecked(this.pc[j])] = this.stamp);
  }

  @inline push(pc: i32, start: i32, level: i32): void {
    const k = this.n++;
    unchecked(this.pc[k] = pc);
    unchecked(this.start[k] = start);
    unchecked(this.level[k] = level);
  }
}

export class Regex {
  readonly program: Program;
  /** Matches found by the last findAll (parallel, in text order, byte offsets, end exclusive). */
  count: i32 = 0;
  starts: StaticArray<i32> = new StaticArray<i32>(16);
  ends: StaticArray<i32> = new StaticArray<i32>(16);

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
   * Every non-overlapping leftmost-first match in [ptr, ptr+len), into count/starts/ends.
   * Patterns never match the empty string, so every end > start.
   */
  findAll(ptr: usize, len: i32): void {
    const prog = this.program;
    const startByte = prog.startByte;
    this.ptr = ptr;
    this.len = len;
    this.count = 0;
    let clist = this.clist;
    let nlist = this.nlist;
    clist.reset();
    let i = 0;
    while (true) {
      tick(1);
      // The first thread (in priority order) standing on Match sets its level's match; every
      // thread after it is lower priority in that level or belongs to a later level: dropped.
      const m = clist.firstMatch;
      if (m >= 0) {
        this.setMatch(unchecked(clist.level[m]), unchecked(clist.start[m]), i);
        clist.truncate(m);
      }
      if (i >= len) break;
      if (!prog.anchored || i == 0) {
        if (clist.n == 0) {
          // Nothing alive: jump to the next byte a match can begin with.
          while (i < len && !unchecked(startByte[load<u8>(ptr + <usize>i)])) { tick(1); i++; }
          if (i >= len || (prog.anchored && i > 0)) break;
          clist.reset(); // a new offset: the marks left by the closure at the old one do not apply
        }
        // A new attempt at i for the next match, below every thread already running.
        if (unchecked(startByte[load<u8>(ptr + <usize>i)])) this.addThread(clist, 0, i, i, this.count);
      }
      if (clist.n == 0) {
        // The attempt at i died on its first byte (the closure filters by it): try the next offset.
        if (prog.anchored) break;
        i++;
        clist.reset();
        continue;
      }
      // Every listed thread accepts byte i (the closure checked), except a Match left behind a
      // new attempt, which the next offset's first step settles.
      nlist.reset();
      tick(clist.n);
      for (let k = 0; k < clist.n; k++) {
        const pc = unchecked(clist.pc[k]);
        if (unchecked(prog.op[pc]) == Op.Match) continue;
        this.addThread(nlist, pc + 1, i + 1, unchecked(clist.start[k]), unchecked(clist.level[k]));
      }
      const t = clist;
      clist = nlist;
      nlist = t;
      i++;
    }
    // Keep the two lists in fields whichever way they ended up swapped.
    this.clist = clist;
    this.nlist = nlist;
  }

  /** Match number `level` is now [s, e); later ones, found after the old one, are void. */
  private setMatch(level: i32, s: i32, e: i32): void {
    if (level == this.starts.length) {
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    unchecked(this.starts[level] = s);
    unchecked(this.ends[level] = e);
    this.count = level + 1;
  }

  /**
   * Adds pc and everything reachable from it without consuming a byte, at offset pos, in
   * priority order. Byte instructions that reject the byte at pos are dropped right here.
   */
  private addThread(list: ThreadList, pc0: i32, pos: i32, start: i32, level: i32): void {
    const prog = this.program;
    const stamp = list.stamp;
    const next: i32 = pos < this.len ? <i32>load<u8>(this.ptr + <usize>pos) : 256;
    // Fast path: straight onto a byte instruction (most steps inside literals and classes).
    const op0 = unchecked(prog.op[pc0]);
    if (op0 == Op.Range || op0 == Op.Set) {
      if (unchecked(list.mark[pc0]) == stamp) return;
      unchecked(list.mark[pc0] = stamp);
      if (next < 256 && prog.accepts(pc0, next)) list.push(pc0, start, level);
      return;
    }
    const stack = this.stack;
    let sp = 0;
    unchecked(stack[sp++] = pc0);
    while (sp > 0) {
      tick(1);
      const pc = unchecked(stack[--sp]);
      if (unchecked(list.mark[pc]) == stamp) continue;
      unchecked(list.mark[pc] = stamp);
      const op = unchecked(prog.op[pc]);
      if (op == Op.Split) {
        // Preferred branch on top, so its whole closure comes first.
        unchecked(stack[sp++] = prog.b[pc]);
        unchecked(stack[sp++] = prog.a[pc]);
      } else if (op == Op.Jump) {
        unchecked(stack[sp++] = prog.a[pc]);
      } else if (op == Op.Assert) {
        if (this.holds(unchecked(prog.a[pc]), pos)) unchecked(stack[sp++] = pc + 1);
      } else if (op == Op.Match) {
        if (list.firstMatch < 0) list.firstMatch = list.n;
        list.push(pc, start, level);
      } else if (next < 256 && prog.accepts(pc, next)) {
        list.push(pc, start, level);
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

function grow(a: StaticArray<i32>): StaticArray<i32> {
  const b = new StaticArray<i32>(a.length * 2);
  memory.copy(changetype<usize>(b), changetype<usize>(a), <usize>a.length * 4);
  return b;
}
