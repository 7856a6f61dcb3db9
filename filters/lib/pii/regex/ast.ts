// The parsed pattern: a small tree the compiler walks twice (once to size it, once to emit).
import { CharClass } from "./charclass";

export const enum NodeKind {
  /** Matches the empty string: `()`, an empty alternative, `x{0}`. */
  Empty = 0,
  /** One code point, matched as its exact UTF-8 bytes. */
  Literal = 1,
  /** A character class (also `.`, \d, and case-folded letters under (?i)). */
  Class = 2,
  Concat = 3,
  Alternate = 4,
  /** x{min,max}; max -1 = unbounded. `*` `+` `?` are {0,}, {1,}, {0,1}. */
  Repeat = 5,
  /** Zero-width: ^ $ \b \B. */
  Assert = 6,
}

export const enum AssertKind {
  Begin = 0,
  End = 1,
  WordBoundary = 2,
  NotWordBoundary = 3,
}

export class Node {
  kind: i32;
  /** Position in the pattern (UTF-16 index) where the construct starts, for messages. */
  pos: i32;
  children: Node[] = [];
  codePoint: i32 = 0;
  cls: CharClass | null = null;
  min: i32 = 0;
  max: i32 = 0;
  greedy: bool = true;
  assertKind: i32 = 0;

  constructor(kind: i32, pos: i32) {
    this.kind = kind;
    this.pos = pos;
  }
}

/** Whether the node can match without consuming a byte (assertions count as empty). */
export function nullable(n: Node): bool {
  switch (n.kind) {
    case NodeKind.Empty:
    case NodeKind.Assert:
      return true;
    case NodeKind.Literal:
    case NodeKind.Class:
      return false;
    case NodeKind.Concat: {
      for (let i = 0; i < n.children.length; i++) if (!nullable(unchecked(n.children[i]))) return false;
      return true;
    }
    case NodeKind.Alternate: {
      for (let i = 0; i < n.children.length; i++) if (nullable(unchecked(n.children[i]))) return true;
      return false;
    }
    case NodeKind.Repeat:
      return n.min == 0 || nullable(unchecked(n.children[0]));
  }
  return true;
}
