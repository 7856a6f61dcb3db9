// The http sink's bounded FIFO of encoded records (one VM's). Bytes live in one arena and each
// record is a slot (offset, length, time queued) in a ring. The head slots of the batch in
// flight are pinned: eviction takes the oldest record *not* in flight and leaves a dead slot
// behind, so a batch that fails goes back whole, in order, to the head of the queue.
//
// Popping only moves the head; the arena is compacted (live records moved to the start) when an
// append would not fit, and its capacity is 1.5x the byte bound, so each compaction follows at
// least half a bound of appends: amortized, a record's bytes are moved a bounded number of times.

const DEAD: u32 = 0xFFFFFFFF;

export class BatchBuffer {
  private arena: ArrayBuffer;
  /** Arena bytes in use from 0 (live, dead and popped regions alike until compaction). */
  private used: usize = 0;
  private readonly arenaMax: usize;

  private starts: StaticArray<u32>;
  private lens: StaticArray<u32>;
  private times: StaticArray<u64>;
  private observed: StaticArray<u64>;
  private head: i32 = 0;
  /** Slots from head, live and dead. */
  private slots: i32 = 0;

  /** Live records and their bytes. */
  count: i32 = 0;
  bytes: usize = 0;
  /** Slots at the head that belong to the batch in flight (0 = none in flight). */
  pinnedSlots: i32 = 0;
  pinnedCount: i32 = 0;
  // Dead slots right after the pinned ones: evictions while a batch is in flight all land there,
  // so the next eviction starts past them instead of rescanning the run each time.
  private deadRun: i32 = 0;

  constructor(readonly maxRecords: u32, readonly maxBytes: usize) {
    const arenaMax = maxBytes + (maxBytes >> 1);
    this.arenaMax = arenaMax;
    this.arena = new ArrayBuffer(<i32>min<usize>(arenaMax, 64 << 10));
    const n = <i32>min<u32>(maxRecords + 1, 1024);
    this.starts = new StaticArray<u32>(n);
    this.lens = new StaticArray<u32>(n);
    this.times = new StaticArray<u64>(n);
    this.observed = new StaticArray<u64>(n);
  }

  get isFull(): bool { return <u32>this.count >= this.maxRecords; }

  /** Whether a record of `len` bytes fits beside the live ones (after evictions if needed). */
  fitsAlone(len: usize): bool { return len <= this.maxBytes; }

  /** Room for one more record of `len` bytes without eviction. */
  hasRoomFor(len: usize): bool {
    return <u32>this.count < this.maxRecords && this.bytes + len <= this.maxBytes;
  }

  /** Live records not pinned by the batch in flight. */
  get evictable(): i32 { return this.count - this.pinnedCount; }

  private slot(i: i32): i32 {
    const cap = this.starts.length;
    const s = this.head + i;
    return s >= cap ? s - cap : s;
  }

  startOf(i: i32): usize { return changetype<usize>(this.arena) + <usize>unchecked(this.starts[this.slot(i)]); }
  lenOf(i: i32): u32 { return unchecked(this.lens[this.slot(i)]); }
  /** The record's own time (request start, Unix ns). */
  timeOf(i: i32): u64 { return unchecked(this.times[this.slot(i)]); }
  /** When the sink received it (Unix ns). */
  observedOf(i: i32): u64 { return unchecked(this.observed[this.slot(i)]); }
  isDead(i: i32): bool { return unchecked(this.lens[this.slot(i)]) == DEAD; }
  get slotCount(): i32 { return this.slots; }

  /** Appends a copy of [ptr, ptr+len); the caller made room (hasRoomFor) first. */
  push(ptr: usize, len: usize, time: u64, observed: u64): void {
    if (this.slots == this.starts.length) this.growSlots();
    if (<usize>this.arena.byteLength - this.used < len) this.makeArenaRoom(len);
    const at = this.used;
    memory.copy(changetype<usize>(this.arena) + at, ptr, len);
    this.used += len;
    const s = this.slot(this.slots);
    unchecked(this.starts[s] = <u32>at);
    unchecked(this.lens[s] = <u32>len);
    unchecked(this.times[s] = time);
    unchecked(this.observed[s] = observed);
    this.slots++;
    this.count++;
    this.bytes += len;
  }

  /** Index (from head) of the oldest live record outside the batch in flight; -1 if none. */
  oldestEvictable(): i32 {
    for (let i = this.pinnedSlots + this.deadRun; i < this.slots; i++) {
      if (!this.isDead(i)) {
        this.deadRun = i - this.pinnedSlots;
        return i;
      }
    }
    return -1;
  }

  /** Marks record i dead (its bytes stay until compaction). */
  kill(i: i32): void {
    const s = this.slot(i);
    this.bytes -= <usize>unchecked(this.lens[s]);
    unchecked(this.lens[s] = DEAD);
    this.count--;
    if (i < this.pinnedSlots) this.pinnedCount--;
    if (this.pinnedSlots > 0 && i == this.pinnedSlots + this.deadRun) this.deadRun++;
    this.dropDeadHead();
  }

  /** Pins the first `slots` slots (holding `count` live records) as the batch in flight. */
  pin(slots: i32, count: i32): void {
    this.pinnedSlots = slots;
    this.pinnedCount = count;
    this.deadRun = 0;
  }

  /** The batch in flight failed: its records are ordinary head records again. */
  unpin(): void {
    this.pinnedSlots = 0;
    this.pinnedCount = 0;
    this.deadRun = 0;
  }

  /** Removes the pinned slots (the batch was delivered or given up on). */
  popPinned(): void {
    for (let i = 0; i < this.pinnedSlots; i++) {
      const s = this.slot(0);
      if (unchecked(this.lens[s]) != DEAD) {
        this.bytes -= <usize>unchecked(this.lens[s]);
        this.count--;
      }
      this.advanceHead();
    }
    this.unpin();
    this.dropDeadHead();
  }

  /** Forgets everything (shutdown gave up on it). */
  clear(): void {
    this.head = 0;
    this.slots = 0;
    this.count = 0;
    this.bytes = 0;
    this.used = 0;
    this.unpin();
  }

  private dropDeadHead(): void {
    if (this.pinnedSlots == 0) this.deadRun = 0;
    while (this.slots > 0 && this.pinnedSlots == 0 && this.isDead(0)) this.advanceHead();
    if (this.slots == 0) this.used = 0;
  }

  private advanceHead(): void {
    this.head = this.slot(1);
    this.slots--;
  }

  private growSlots(): void {
    const cap = this.starts.length;
    const next = cap * 2;
    const starts = new StaticArray<u32>(next);
    const lens = new StaticArray<u32>(next);
    const times = new StaticArray<u64>(next);
    const observed = new StaticArray<u64>(next);
    for (let i = 0; i < this.slots; i++) {
      const s = this.slot(i);
      unchecked(starts[i] = this.starts[s]);
      unchecked(lens[i] = this.lens[s]);
      unchecked(times[i] = this.times[s]);
      unchecked(observed[i] = this.observed[s]);
    }
    this.starts = starts;
    this.lens = lens;
    this.times = times;
    this.observed = observed;
    this.head = 0;
  }

  // Moves the live records to the start of the arena (in order), growing it when even that
  // leaves too little room. Dead slots keep no bytes.
  private makeArenaRoom(len: usize): void {
    const need = this.bytes + len;
    // Keep at least half the live size free after compacting (bounded by the arena maximum),
    // or compaction would run again after a few appends.
    const want = max<usize>(need, min<usize>(need + (need >> 1), this.arenaMax));
    let cap = <usize>this.arena.byteLength;
    let target = this.arena;
    if (cap < want) {
      cap = max<usize>(want, min<usize>(cap * 2, this.arenaMax));
      target = new ArrayBuffer(<i32>cap);
    }
    const src = changetype<usize>(this.arena);
    const dst = changetype<usize>(target);
    let at: usize = 0;
    for (let i = 0; i < this.slots; i++) {
      const s = this.slot(i);
      const l = unchecked(this.lens[s]);
      if (l == DEAD) { unchecked(this.starts[s] = 0); continue; }
      const from = <usize>unchecked(this.starts[s]);
      // Records only move toward the start, so an overlapping copy is safe (memmove).
      if (from != at || dst != src) memory.copy(dst + at, src + from, <usize>l);
      unchecked(this.starts[s] = <u32>at);
      at += <usize>l;
    }
    this.arena = target;
    this.used = at;
  }
}
