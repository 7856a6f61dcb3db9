// The rule trie findTextParts walks: which JSON paths of a provider document hold text, built
// once per dialect from path patterns (strings are fine there; matching is bytes only).
//
// Pattern syntax (TEXT-PARTS.md): keys joined by '.', each key optionally followed by array
// steps; a pattern may start with an array step (a document that is an array).
//   `[*]`  any element
//   `[#1]` any element, and its position is the part's channel major (`[#2]`: minor)
//   `**`   (last segment only) every string value at or beneath this point
// A string value at the end of a pattern is text; numbers, booleans, keys never are.
//
// JsonPathSet cannot say `**`, per-element channel captures or "only when the event type is
// X", which is why the walk has its own small trie instead of reusing it.

/** Part kinds: the first byte of a channel (TEXT-PARTS.md). */
export const KIND_TEXT: u8 = 1;
export const KIND_TOOL: u8 = 2;
export const KIND_REFUSAL: u8 = 3;

/** The part is a fragment that continues its channel's text (a stream delta). */
export const RULE_CONTINUES: u8 = 2;

/** One way a string at a node counts as text; `cond` < 0: always, else a condition index. */
class Leaf {
  constructor(public kind: u8, public flags: u8, public cond: i32) {}
}

export class RuleNode {
  id: i32;
  keys: ArrayBuffer[] = [];
  kids: RuleNode[] = [];
  any: RuleNode | null = null;
  /** This node is an array element whose position is channel major (1) or minor (2). */
  posCapture: u8 = 0;
  /** Every string at or beneath this node is text (its leaves say how). */
  deep: bool = false;
  leaves: Leaf[] = [];
  /** Numeric fields of this object that set the channel major (1) / minor (2). */
  fieldKeys: ArrayBuffer[] = [];
  fieldWhich: u8[] = [];

  constructor(id: i32) { this.id = id; }

  /** Nothing beneath this node can be text: the walk skips such containers whole. */
  get dead(): bool {
    return !this.deep && this.kids.length == 0 && this.any === null;
  }

  child(key: usize, len: usize): RuleNode | null {
    const keys = this.keys;
    for (let i = 0, n = keys.length; i < n; i++) {
      const k = unchecked(keys[i]);
      if (<usize>k.byteLength == len && memory.compare(changetype<usize>(k), key, len) == 0) return unchecked(this.kids[i]);
    }
    return null;
  }

  /** 1 or 2 when key names a channel field of this object, else 0. */
  fieldCapture(key: usize, len: usize): u8 {
    const keys = this.fieldKeys;
    for (let i = 0, n = keys.length; i < n; i++) {
      const k = unchecked(keys[i]);
      if (<usize>k.byteLength == len && memory.compare(changetype<usize>(k), key, len) == 0) return unchecked(this.fieldWhich[i]);
    }
    return 0;
  }

  // Resolves a part recorded at this node: index into leaves of the first leaf whose condition
  // holds for the document's root `type`, or -1 (not text after all).
  pickLeaf(set: RuleSet, typePtr: usize, typeLen: usize, hasType: bool): i32 {
    const leaves = this.leaves;
    for (let i = 0, n = leaves.length; i < n; i++) {
      const c = unchecked(leaves[i]).cond;
      if (c < 0 || (hasType && set.condHolds(c, typePtr, typeLen))) return i;
    }
    return -1;
  }

  leafKind(i: i32): u8 { return unchecked(this.leaves[i]).kind; }
  leafFlags(i: i32): u8 { return unchecked(this.leaves[i]).flags; }
  get hasLeaves(): bool { return this.leaves.length > 0; }
}

export class RuleSet {
  readonly root: RuleNode = new RuleNode(0);
  nodes: RuleNode[] = [this.root];
  // Condition c: the root object's "type" is one of condValues[c].
  private condValues: ArrayBuffer[][] = [];
  /** Some rule has a condition, so the walk must note the root `type`. */
  usesType: bool = false;
  /** A pattern failed to parse (a bug in the table; tests check it stays false). */
  broken: bool = false;

  private newNode(): RuleNode {
    const n = new RuleNode(this.nodes.length);
    this.nodes.push(n);
    return n;
  }

  node(id: i32): RuleNode { return unchecked(this.nodes[id]); }

  /** Adds a text rule; `onlyForTypes`: the root `type` values it applies to (null = any). */
  text(pattern: string, kind: u8, flags: u8 = 0, onlyForTypes: string[] | null = null): RuleSet {
    const n = this.walkTo(pattern);
    if (n === null) { this.broken = true; return this; }
    let cond = -1;
    if (onlyForTypes !== null) {
      const vals: ArrayBuffer[] = [];
      for (let i = 0; i < onlyForTypes.length; i++) vals.push(String.UTF8.encode(onlyForTypes[i]));
      cond = this.condValues.length;
      this.condValues.push(vals);
      this.usesType = true;
    }
    n.leaves.push(new Leaf(kind, flags, cond));
    return this;
  }

  /** The object at `pattern` ("" = the root) sets channel major (1) / minor (2) from `field`. */
  channelField(pattern: string, field: string, which: u8): RuleSet {
    const n = pattern.length == 0 ? this.root : this.walkTo(pattern);
    if (n === null) { this.broken = true; return this; }
    n.fieldKeys.push(String.UTF8.encode(field));
    n.fieldWhich.push(which);
    return this;
  }

  condHolds(c: i32, ptr: usize, len: usize): bool {
    const vals = unchecked(this.condValues[c]);
    for (let i = 0, n = vals.length; i < n; i++) {
      const v = unchecked(vals[i]);
      if (<usize>v.byteLength == len && memory.compare(changetype<usize>(v), ptr, len) == 0) return true;
    }
    return false;
  }

  // Creates (or finds) the nodes of a pattern and returns its last one.
  private walkTo(pattern: string): RuleNode | null {
    let node = this.root;
    let i = 0;
    const n = pattern.length;
    while (i < n) {
      const c = pattern.charCodeAt(i);
      if (c == 0x5B) { // [
        const close = pattern.indexOf("]", i);
        if (close < 0) return null;
        const inner = pattern.substring(i + 1, close);
        let cap: u8 = 0;
        if (inner == "#1") cap = 1;
        else if (inner == "#2") cap = 2;
        else if (inner != "*") return null;
        let next = node.any;
        if (next === null) {
          next = this.newNode();
          node.any = next;
        }
        if (cap != 0) next.posCapture = cap;
        node = next;
        i = close + 1;
        if (i < n && pattern.charCodeAt(i) == 0x2E) i++;
        continue;
      }
      let j = i;
      while (j < n && pattern.charCodeAt(j) != 0x2E && pattern.charCodeAt(j) != 0x5B) j++;
      const key = pattern.substring(i, j);
      if (key.length == 0) return null;
      if (key == "**") {
        if (j != n) return null;
        node.deep = true;
        return node;
      }
      const bytes = String.UTF8.encode(key);
      let next = node.child(changetype<usize>(bytes), <usize>bytes.byteLength);
      if (next === null) {
        next = this.newNode();
        node.keys.push(bytes);
        node.kids.push(next);
      }
      node = next;
      i = j;
      if (i < n && pattern.charCodeAt(i) == 0x2E) i++;
    }
    return node;
  }
}
