// The host clock of a replay with stand-ins: real time, plus a way to jump ahead. After the last
// exchange the audit http sink still holds records until its timer flushes them
// (filters/audit/HTTP-SINK.md: a batch leaves when its oldest record has waited
// flush_interval_ms); skipping that wait instead of sleeping through it keeps `npm start` fast.
// The method is `skip`, not `advance`: the harness treats a clock with `advance` as a manual
// one and would stop waiting out recorded gaps between chunks in real time.
import type { Clock } from "../harness/api";

interface Timer {
  dueNs: bigint;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class SkipClock implements Clock {
  private readonly origin = process.hrtime.bigint();
  private readonly wallOrigin = BigInt(Date.now()) * 1_000_000n;
  private offsetNs = 0n;
  private timers: Timer[] = [];
  private seq = 0;
  private armed: { dueNs: bigint; handle: NodeJS.Timeout } | null = null;

  monotonicNs(): bigint {
    return process.hrtime.bigint() - this.origin + this.offsetNs;
  }
  nowNs(): bigint {
    return this.wallOrigin + this.monotonicNs();
  }
  nowMs(): number {
    return Number(this.nowNs() / 1_000_000n);
  }

  setTimer(ms: number, fn: () => void): () => void {
    const t: Timer = { dueNs: this.monotonicNs() + BigInt(Math.max(0, Math.round(ms * 1e6))), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    this.arm();
    return () => {
      t.cancelled = true;
    };
  }

  /**
   * Moves time ahead by `ms`, firing each timer that falls due on the way at its own instant
   * (time steps to it first), so a timer set by a callback counts from there, as on a manual
   * clock; timers set that fall inside the jump fire too.
   */
  skip(ms: number): void {
    const target = this.monotonicNs() + BigInt(Math.round(ms * 1e6));
    for (;;) {
      const next = this.earliestPending();
      if (!next || next.dueNs > target) break;
      const now = this.monotonicNs();
      if (next.dueNs > now) this.offsetNs += next.dueNs - now;
      next.cancelled = true;
      next.fn();
    }
    const now = this.monotonicNs();
    if (target > now) this.offsetNs += target - now;
    this.fireDue();
  }

  private earliestPending(): Timer | undefined {
    this.timers = this.timers.filter((t) => !t.cancelled);
    let next: Timer | undefined;
    for (const t of this.timers) if (!next || t.dueNs < next.dueNs || (t.dueNs === next.dueNs && t.seq < next.seq)) next = t;
    return next;
  }

  /** Fires, in due order, every timer due by now (real time). */
  private fireDue(): void {
    for (;;) {
      const next = this.earliestPending();
      if (!next || next.dueNs > this.monotonicNs()) break;
      next.cancelled = true;
      next.fn();
    }
    this.arm();
  }

  /** One real timeout, for the earliest pending timer; unref'd like Envoy's idle dispatcher would not hold a process. */
  private arm(): void {
    let earliest: bigint | undefined;
    for (const t of this.timers) if (!t.cancelled && (earliest === undefined || t.dueNs < earliest)) earliest = t.dueNs;
    if (earliest === undefined) {
      if (this.armed) clearTimeout(this.armed.handle);
      this.armed = null;
      return;
    }
    if (this.armed && this.armed.dueNs === earliest) return;
    if (this.armed) clearTimeout(this.armed.handle);
    const waitMs = Math.max(0, Number(earliest - this.monotonicNs()) / 1e6);
    const handle = setTimeout(() => {
      this.armed = null;
      this.fireDue();
    }, Math.ceil(waitMs));
    handle.unref?.();
    this.armed = { dueNs: earliest, handle };
  }
}
