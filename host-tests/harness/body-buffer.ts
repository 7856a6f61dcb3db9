// A mutable body buffer, standing in for Envoy's Buffer::Instance.
export class BodyBuffer {
  constructor(public data: Uint8Array = new Uint8Array(0)) {}

  get size(): number {
    return this.data.length;
  }

  append(more: Uint8Array): void {
    if (more.length === 0) return;
    const out = new Uint8Array(this.data.length + more.length);
    out.set(this.data);
    out.set(more, this.data.length);
    this.data = out;
  }

  prepend(more: Uint8Array): void {
    if (more.length === 0) return;
    const out = new Uint8Array(this.data.length + more.length);
    out.set(more);
    out.set(this.data, more.length);
    this.data = out;
  }

  /** Drains up to n bytes from the front (Envoy's drain stops at the end). */
  drain(n: number): void {
    this.data = this.data.subarray(Math.min(n, this.data.length)).slice();
  }

  /** Moves everything out of `other` into this buffer. */
  move(other: BodyBuffer): void {
    if (other === this) return;
    this.append(other.data);
    other.data = new Uint8Array(0);
  }

  /**
   * ctx.cc Buffer::copyFrom: start 0 drains `length` then prepends; start >= size appends;
   * anything in between is BadArgument (no mid-buffer splice).
   */
  copyFrom(start: number, length: number, bytes: Uint8Array): number {
    if (start === 0) {
      if (length !== 0) this.drain(length);
      this.prepend(bytes);
      return 0;
    }
    if (start >= this.size) {
      this.append(bytes);
      return 0;
    }
    return 2;
  }
}

/** What getBuffer() hands the hostcalls: readable bytes, and a mutable instance if any. */
export class BufferView {
  constructor(
    private readonly data: Uint8Array | null,
    /** undefined for immutable buffers (configuration, callout bodies); null for "no instance". */
    readonly mutable: BodyBuffer | null | undefined,
  ) {}

  bytes(): Uint8Array {
    // A mutable buffer is read at call time: edits made since the view was taken are visible.
    return this.mutable ? this.mutable.data : (this.data ?? EMPTY);
  }
}

const EMPTY = new Uint8Array(0);

export function constBuffer(data: Uint8Array): BufferView {
  return new BufferView(data, undefined);
}

export function bodyBuffer(b: BodyBuffer | null): BufferView {
  return new BufferView(null, b);
}
