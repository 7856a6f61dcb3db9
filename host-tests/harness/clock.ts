import type { Clock } from "./api";

export class RealClock implements Clock {
  private readonly origin = process.hrtime.bigint();
  private readonly wallOrigin = BigInt(Date.now()) * 1_000_000n;
  nowNs(): bigint {
    return this.wallOrigin + (process.hrtime.bigint() - this.origin);
  }
  monotonicNs(): bigint {
    return process.hrtime.bigint();
  }
  setTimer(ms: number, fn: () => void): () => void {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return () => clearTimeout(t);
  }
}

/** Time moves only when a test says so; timers fire in due order during advance(). */
export class ManualClock implements Clock {
  private now: bigint;
  private mono = 0n;
  private timers: Array<{ due: bigint; seq: number; fn: () => void; cancelled: boolean }> = [];
  private seq = 0;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.now = BigInt(startMs) * 1_000_000n;
  }
  nowNs(): bigint {
    return this.now;
  }
  monotonicNs(): bigint {
    return this.mono;
  }
  setTimer(ms: number, fn: () => void): () => void {
    const t = { due: this.mono + BigInt(Math.round(ms * 1e6)), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return () => {
      t.cancelled = true;
    };
  }
  /** Moves time forward, firing each due timer at its own instant (timers set while firing count too). */
  advance(ms: number): void {
    const target = this.mono + BigInt(Math.round(ms * 1e6));
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const due = this.timers.filter((t) => t.due <= target).sort((a, b) => (a.due === b.due ? a.seq - b.seq : a.due < b.due ? -1 : 1))[0];
      if (!due) break;
      this.now += due.due - this.mono;
      this.mono = due.due;
      due.cancelled = true;
      due.fn();
    }
    this.now += target - this.mono;
    this.mono = target;
  }
}
