// The compiled form: a Thompson NFA as a flat instruction array over bytes. Instruction pc
// consumes a byte (Range, Set), branches (Split, Jump), tests a position (Assert) or accepts
// (Match). Parallel arrays keep the matcher's inner loop to a few loads per thread.

export const enum Op {
  /** Consume a byte in [a, b]. */
  Range = 0,
  /** Consume a byte in 256-bit set number a. */
  Set = 1,
  /** Continue at a (preferred) and at b. */
  Split = 2,
  Jump = 3,
  /** Zero-width test of kind a (AssertKind). */
  Assert = 4,
  Match = 5,
}

/** Compiled programs above this many instructions are rejected (bounds per-byte work and memory). */
export const MAX_PROGRAM: i32 = 10000;

export class Program {
  op: StaticArray<u8>;
  a: StaticArray<i32>;
  b: StaticArray<i32>;
  /** 8 u32 words per set. */
  sets: StaticArray<u32>;
  length: i32 = 0;
  setCount: i32 = 0;
  /** startByte[b]: a match can begin with byte b (b not a UTF-8 continuation byte). */
  startByte: StaticArray<bool> = new StaticArray<bool>(256);
  /** Every path starts with ^: only offset 0 can start a match. */
  anchored: bool = false;

  constructor(capacity: i32, setCapacity: i32) {
    this.op = new StaticArray<u8>(capacity);
    this.a = new StaticArray<i32>(capacity);
    this.b = new StaticArray<i32>(capacity);
    this.sets = new StaticArray<u32>(max(setCapacity, 1) * 8);
  }

  emit(op: i32, a: i32, b: i32): i32 {
    const pc = this.length++;
    unchecked(this.op[pc] = <u8>op);
    unchecked(this.a[pc] = a);
    unchecked(this.b[pc] = b);
    return pc;
  }

  newSet(): i32 {
    return this.setCount++;
  }

  setAdd(set: i32, byte: i32): void {
    unchecked(this.sets[(set << 3) + (byte >> 5)] |= 1 << (byte & 31));
  }

  /** Whether instruction pc, a Range or Set, accepts byte. */
  @inline accepts(pc: i32, byte: i32): bool {
    const op = unchecked(this.op[pc]);
    if (op == Op.Range) return byte >= unchecked(this.a[pc]) && byte <= unchecked(this.b[pc]);
    return (unchecked(this.sets[(unchecked(this.a[pc]) << 3) + (byte >> 5)]) & (1 << (byte & 31))) != 0;
  }
}
