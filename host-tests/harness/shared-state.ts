// Process-wide proxy-wasm state shared across workers (cpp-host shared_data.cc, shared_queue.cc).

export class SharedData {
  /**
   * Test hook, run after every get_shared_data returns to the VM: Envoy's workers run in
   * parallel, so another worker may write the key between a filter's get and its set; the
   * harness runs one callback at a time, and this is where a test makes that happen.
   */
  afterGet?: (vmId: string, key: string, worker: number) => void;
  private maps = new Map<string, Map<string, { value: Uint8Array; cas: number }>>();
  // One global counter for all keys; 0 is skipped because cas 0 means "no check".
  private casCounter = 1;

  private nextCas(): number {
    const c = this.casCounter;
    this.casCounter = (this.casCounter + 1) >>> 0 || 1;
    return c;
  }

  get(vmId: string, key: string): { value: Uint8Array; cas: number } | undefined {
    return this.maps.get(vmId)?.get(key);
  }

  /** Ok (0) or CasMismatch (8). A missing key is written whatever the cas. */
  set(vmId: string, key: string, value: Uint8Array, cas: number): number {
    let m = this.maps.get(vmId);
    if (!m) {
      m = new Map();
      this.maps.set(vmId, m);
    }
    const cur = m.get(key);
    if (cur && cas !== 0 && cas !== cur.cas) return 8;
    m.set(key, { value: value.slice(), cas: this.nextCas() });
    return 0;
  }

  keys(vmId: string): string[] {
    return [...(this.maps.get(vmId)?.keys() ?? [])];
  }

  /** Dropped when the last VM with this vm_id goes away. */
  drop(vmId: string): void {
    this.maps.delete(vmId);
  }
}

export interface QueueOwner {
  /** Delivers proxy_on_queue_ready(root, token) to the registrant; false if it is gone. */
  notify(token: number): boolean;
}

export class SharedQueues {
  private byName = new Map<string, { token: number; items: Uint8Array[]; owner: QueueOwner }>();
  private byToken = new Map<number, { token: number; items: Uint8Array[]; owner: QueueOwner }>();
  private nextToken = 1;

  register(vmId: string, name: string, owner: QueueOwner): number {
    const key = `${vmId}\0${name}`;
    const existing = this.byName.get(key);
    if (existing) {
      // The latest registrant receives the callbacks; items are kept.
      existing.owner = owner;
      return existing.token;
    }
    const q = { token: this.nextToken++, items: [], owner };
    this.byName.set(key, q);
    this.byToken.set(q.token, q);
    return q.token;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.byName.get(`${vmId}\0${name}`)?.token;
  }

  /** Ok, or NotFound (1) for an unknown token. The callback is posted, never run inline. */
  enqueue(token: number, data: Uint8Array): number {
    const q = this.byToken.get(token);
    if (!q) return 1;
    q.items.push(data.slice());
    const owner = q.owner;
    setImmediate(() => owner.notify(token));
    return 0;
  }

  /** Data, or NotFound (1) / Empty (7). */
  dequeue(token: number): Uint8Array | 1 | 7 {
    const q = this.byToken.get(token);
    if (!q) return 1;
    return q.items.length ? q.items.shift()! : 7;
  }
}
