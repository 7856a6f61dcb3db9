// What the audit collector stand-in received during a replay: the records (decoded with
// OpenTelemetry's definitions, support/collector.ts), which request each belongs to, and whether
// their hash chains verify — checked by `tollgate audit verify`'s own verifier (cli/audit-verify.ts)
// fed the bodies as that command would read them from a collector's export.
import type { Host } from "../harness/api";
import { candidatesOf, type Format } from "../cli/audit-input";
import { loadRecordSchema } from "../cli/audit-schema";
import { CannotVerify, ChainVerifier, where, type ChainSummary } from "../cli/audit-verify";
import { decodeOtlpLogs, type Collector } from "../support/collector";
import type { SkipClock } from "./skip-clock";

export interface AuditSeen {
  outcome: string;
  chain: string;
  seq: number;
}

export interface AuditCheck {
  /** Records the filter wrote: one per exchange the host completed. */
  expected: number;
  received: number;
  /** Collector requests whose body could not be decoded (each named). */
  undecodable: string[];
  chains: ChainSummary[];
  /** null: verified; else why not (a broken chain, or no key for an HMAC chain). */
  failure: string | null;
  /** Real time spent waiting for the sink's last batches after the replay, ms. */
  waitedMs: number;
}

export class AuditInbox {
  private decoded = 0;
  private records: Array<Record<string, unknown>> = [];
  private problems: string[] = [];
  /** Records by request_id; more than one when requests shared an id (a cassette may fix one). */
  private byRequest = new Map<string, AuditSeen[]>();
  /** Exchanges the hosts completed: each wrote one record. */
  expected = 0;
  waitedMs = 0;

  constructor(
    readonly collector: Collector,
    readonly format: "otlp" | "ndjson",
    private readonly flushIntervalMs: number,
    private readonly hmacKey?: string,
  ) {}

  /** Records received so far (decodes what arrived since the last call). */
  count(): number {
    const accepted = this.collector.accepted();
    for (; this.decoded < accepted.length; this.decoded++) {
      const body = accepted[this.decoded].body;
      try {
        const lines = this.format === "otlp" ? decodeOtlpLogs(body).map((r) => r.line) : body.toString("utf8").split("\n").filter((l) => l !== "");
        for (const line of lines) this.take(JSON.parse(line));
      } catch (e) {
        this.problems.push(`collector request ${this.decoded + 1}: ${(e as Error).message}`);
      }
    }
    return this.records.length;
  }

  private take(r: Record<string, unknown>): void {
    this.records.push(r);
    if (typeof r.request_id !== "string") return;
    const seen = { outcome: String(r.outcome), chain: String(r.chain), seq: Number(r.seq) };
    const list = this.byRequest.get(r.request_id);
    if (list) list.push(seen);
    else this.byRequest.set(r.request_id, [seen]);
  }

  /** The records carrying this request id (usually one). */
  recordsFor(requestId: string | undefined): AuditSeen[] {
    if (requestId === undefined) return [];
    this.count();
    return this.byRequest.get(requestId) ?? [];
  }

  /**
   * Lets the sink ship what it holds: jumps the host clock one flush interval at a time (the
   * sink's timer), waiting in real time for each batch to reach the collector, until every
   * expected record arrived or `maxWaitMs` of real time passed.
   */
  async drain(clock: SkipClock, maxWaitMs = 3000): Promise<void> {
    const started = Date.now();
    while (this.count() < this.expected && Date.now() - started < maxWaitMs) {
      const before = this.collector.requests.length;
      clock.skip(this.flushIntervalMs);
      // A batch is a loopback HTTP call: wait for it in real time before jumping again. A jump
      // while it is in flight brings its timeout nearer, and a batch timed out but delivered
      // would be sent twice; at most one jump per real second stays clear of the sink's
      // timeout_ms (default 5 s) within the bounded wait.
      const waitUntil = Date.now() + 1000;
      while (this.collector.requests.length === before && Date.now() < waitUntil) await new Promise((r) => setTimeout(r, 2));
      await new Promise((r) => setImmediate(r));
    }
    this.waitedMs += Date.now() - started;
  }

  /** Wraps a host so its close() first drains the audit sink, and counts completed exchanges. */
  wrap(host: Host, clock: SkipClock): Host {
    return {
      get workers() {
        return host.workers;
      },
      get logs() {
        return host.logs;
      },
      newStream: (events, attributes) => host.newStream(events, attributes),
      exchange: async (ex) => {
        const r = await host.exchange(ex);
        this.expected++;
        return r;
      },
      metrics: () => host.metrics(),
      prometheus: () => host.prometheus(),
      ...(host.advance ? { advance: (ms: number) => host.advance!(ms) } : {}),
      ...(host.reconfigure ? { reconfigure: (c: Parameters<NonNullable<Host["reconfigure"]>>[0]) => host.reconfigure!(c) } : {}),
      close: async () => {
        await this.drain(clock);
        await host.close();
      },
    };
  }

  check(): AuditCheck {
    const received = this.count();
    const out: AuditCheck = { expected: this.expected, received, undecodable: [...this.problems], chains: [], failure: null, waitedMs: this.waitedMs };
    const verifier = new ChainVerifier({ validate: loadRecordSchema(), key: this.hmacKey ? Buffer.from(this.hmacKey, "utf8") : undefined });
    const format: Format = this.format;
    let lineNo = 0;
    try {
      for (const req of this.collector.accepted()) {
        const texts = format === "otlp" ? [req.body.toString("utf8")] : req.body.toString("utf8").split("\n").filter((l) => l !== "");
        for (const text of texts) for (const c of candidatesOf({ no: ++lineNo, text }, format, "TOLLGATE_AUDIT ")) verifier.add("collector", c);
      }
      const failure = verifier.finish();
      if (failure) out.failure = `${where(failure)}${failure.chain ? ` chain ${failure.chain} seq ${failure.seq}` : ""}: ${failure.kind}: ${failure.message}`;
    } catch (e) {
      if (!(e instanceof CannotVerify)) throw e;
      out.failure = e.message;
    }
    out.chains = verifier.summaries();
    return out;
  }
}
