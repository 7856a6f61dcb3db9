// One Envoy process as the filters see it: N workers, each with its own clone of every VM
// (shared by plugins with the same vm_id, vm configuration and code), a canary per plugin at
// startup, process-wide shared data, queues and stats, and streams assigned round-robin.
import { createHash, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Exchange, ExchangeResult, Host, HostOptions, HttpStream, LogRecord, StreamAttributes, StreamEvents, WasmFilterConfig } from "./api";
import { LoopbackCallouts, type CalloutTransport } from "./callouts";
import { RealClock } from "./clock";
import { StreamContext, type RootContext } from "./context";
import { ConfigRejectedError } from "./errors";
import { Plugin } from "./plugin";
import type { HostProfile } from "./profile";
import { profileFor } from "./profile-select";
import { SharedData, SharedQueues } from "./shared-state";
import { StatsStore } from "./stats";
import { HttpStreamImpl, type StreamOwner } from "./stream";
import { CompiledModule, type WasmVm } from "./vm";
import { VmServices, type HostServices } from "./vm-runtime";

const FAIL_RELOAD_BACKOFF_MS = 1000;
/** Hop-by-hop headers the HTTP/1 codec consumes before filters see the response. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"]);

interface WorkerPlugin {
  rt: VmServices;
  root: RootContext | null;
}

interface Worker {
  index: number;
  vms: Map<string, VmServices>;
  plugins: Map<Plugin, WorkerPlugin>;
  /** Monotonic ns of each VM's last (re)load: FAIL_RELOAD's backoff counts from here. */
  lastLoad: Map<string, bigint>;
}

export interface TrapRecord {
  filter: string;
  function: string;
  message: string;
  worker: number;
}

export class EnvoyHost implements Host, HostServices, StreamOwner {
  readonly workers: number;
  readonly clock;
  readonly logLevel: number;
  readonly sharedData = new SharedData();
  readonly queues = new SharedQueues();
  readonly stats = new StatsStore();
  readonly logs: LogRecord[] = [];
  readonly node;
  readonly xds;
  readonly callouts: CalloutTransport;
  readonly traps: TrapRecord[] = [];
  readonly profile: HostProfile;
  private readonly bufferLimitBytes: number;
  private plugins: Plugin[] = [];
  private workerState: Worker[] = [];
  private streams = new Set<HttpStreamImpl>();
  private nextStreamId = 1;
  private rr = 0;
  private vmOwners = new Map<WasmVm, { worker: number; vmKey: string }>();
  /** Compiled modules by code hash, kept across reconfigurations as Envoy keeps its code cache. */
  private compiled = new Map<string, CompiledModule>();

  constructor(private readonly options: HostOptions) {
    this.workers = Math.max(1, options.workers ?? 1);
    this.clock = options.clock ?? new RealClock();
    this.logLevel = options.logLevel ?? 2;
    this.node = options.node ?? { id: "tollgate-harness", cluster: "tollgate" };
    this.xds = options.xds ?? {};
    this.bufferLimitBytes = options.bufferLimitBytes ?? 1024 * 1024;
    this.callouts = new LoopbackCallouts(options.clusters ?? {}, this.clock);
    this.profile = profileFor(options);
  }

  async start(configs: WasmFilterConfig[]): Promise<void> {
    this.plugins = this.checkedPlugins(configs);
    // The canary's log lines are Envoy's main-thread lines; keep them.
    for (let w = 0; w < this.workers; w++) {
      const worker: Worker = { index: w, vms: new Map(), plugins: new Map(), lastLoad: new Map() };
      this.workerState.push(worker);
      for (const plugin of this.plugins) this.startOnWorker(worker, plugin);
    }
  }

  /**
   * A configuration update (LDS / ECDS) replacing the filter chain: each new plugin passes its
   * canary first (a rejection throws ConfigRejectedError and the old chain stays), then starts
   * on every worker in the VM of its key, so a plugin whose vm_id, vm configuration and code are
   * unchanged gets a new root context in the VM that is already running. Streams opened before
   * keep the old plugins; new streams get the new ones. A VM no new plugin uses is dropped, and
   * a vm_id no VM is left with loses its shared data (cpp-host's VmIdHandle); one that stays in
   * use, even by a VM with new code, keeps it.
   */
  async reconfigure(configs: WasmFilterConfig[]): Promise<void> {
    const plugins = this.checkedPlugins(configs);
    const before = new Set(this.plugins.map((p) => p.vmId));
    for (const worker of this.workerState) {
      worker.plugins.clear();
      for (const plugin of plugins) this.startOnWorker(worker, plugin);
      for (const vmKey of [...worker.vms.keys()]) {
        if (!plugins.some((p) => p.vmKey === vmKey)) worker.vms.delete(vmKey);
      }
    }
    this.plugins = plugins;
    const after = new Set(plugins.map((p) => p.vmId));
    for (const vmId of before) if (!after.has(vmId)) this.sharedData.drop(vmId);
  }

  /** Compiles (once per code hash) and canary-checks a chain's plugins. */
  private checkedPlugins(configs: WasmFilterConfig[]): Plugin[] {
    const modules = new Map<string, CompiledModule>();
    const plugins: Plugin[] = [];
    for (const config of configs) {
      const bytes = typeof config.code === "string" ? new Uint8Array(readFileSync(config.code)) : config.code;
      const hash = createHash("sha256").update(bytes).digest("hex");
      let compiled = modules.get(hash) ?? this.compiled.get(hash);
      if (!compiled) compiled = CompiledModule.compile(bytes);
      this.profile.checkImports(compiled.shape);
      modules.set(hash, compiled);
      this.compiled.set(hash, compiled);
      const plugin = new Plugin(config, compiled, hash);
      plugin.profile = this.profile;
      plugins.push(plugin);
    }
    // The canary: a throwaway clone per plugin; false or a trap rejects the configuration.
    for (const plugin of plugins) {
      const rt = new VmServices(this, plugin.module, plugin.vmId, -1, plugin.environment);
      rt.vm.start();
      const r = rt.startPlugin(plugin);
      if (!r.ok && this.profile.rejectsConfigAtLoad) throw new ConfigRejectedError(plugin.name, r.reason ?? "rejected");
      // Envoy destroys the canary clone once it passed: its timers and queue registrations die with it.
      r.root.cancelTick?.();
      r.root.cancelTick = null;
      r.root.tickPeriodMs = 0;
      rt.contexts.clear();
    }
    return plugins;
  }

  /** Starts the plugin on the worker's VM for its key, cloning that VM first if needed. */
  private startOnWorker(worker: Worker, plugin: Plugin): boolean {
    let rt = worker.vms.get(plugin.vmKey);
    if (!rt) {
      rt = new VmServices(this, plugin.module, plugin.vmId, worker.index, plugin.environment);
      this.vmOwners.set(rt.vm, { worker: worker.index, vmKey: plugin.vmKey });
      worker.lastLoad.set(plugin.vmKey, this.clock.monotonicNs());
      // Registered even if start fails, so FAIL_RELOAD finds the dead VM and retries it.
      worker.vms.set(plugin.vmKey, rt);
      try {
        rt.vm.start();
      } catch (e) {
        rt.vm.fail((e as Error).message);
      }
    }
    const r = rt.vm.failed ? { ok: false, root: null } : rt.startPlugin(plugin);
    worker.plugins.set(plugin, { rt, root: r.ok ? r.root : null });
    return r.ok;
  }

  onVmFailed(vm: WasmVm, message: string): void {
    const owner = this.vmOwners.get(vm);
    const fn = /^Function: (\S+) failed/.exec(message)?.[1] ?? "unknown";
    const plugin = this.plugins.find((p) => owner && this.workerState[owner.worker]?.plugins.get(p)?.rt.vm === vm);
    this.traps.push({ filter: plugin?.name ?? vm.vmId, function: fn, message, worker: owner?.worker ?? -1 });
  }

  /**
   * FAIL_RELOAD: a dead VM is cloned anew once the backoff has passed since its last load
   * (PluginConfig::maybeReloadHandleIfNeeded compares with handle_wrapper.last_load, not the trap).
   */
  private maybeReload(worker: Worker): void {
    for (const [vmKey, rt] of worker.vms) {
      if (!rt.vm.failed) continue;
      const users = this.plugins.filter((p) => p.vmKey === vmKey);
      if (!users.some((p) => p.failurePolicy === "FAIL_RELOAD")) continue;
      const lastLoad = worker.lastLoad.get(vmKey) ?? 0n;
      if (this.clock.monotonicNs() - lastLoad < BigInt(FAIL_RELOAD_BACKOFF_MS) * 1_000_000n) {
        for (const p of users) this.stats.inc(`wasm.${p.name}.vm_reload_backoff`);
        continue;
      }
      worker.vms.delete(vmKey);
      // A reload that fails (start trap, vm_start/configure false) stays dead and is retried
      // after the next backoff.
      const ok = users.map((p) => this.startOnWorker(worker, p)).every(Boolean);
      for (const p of users) this.stats.inc(`wasm.${p.name}.vm_reload_${ok ? "success" : "failure"}`);
    }
  }

  // ---------------- StreamOwner ----------------

  clockNs(): bigint {
    return this.clock.nowNs();
  }

  bufferLimit(attrs: StreamAttributes): number {
    return attrs.bufferLimitBytes ?? this.bufferLimitBytes;
  }

  makeFilters(stream: HttpStreamImpl): StreamContext[] {
    const worker = this.workerState[stream.worker];
    this.maybeReload(worker);
    const out: StreamContext[] = [];
    for (const plugin of this.plugins) {
      const wp = worker.plugins.get(plugin)!;
      const dead = wp.rt.vm.failed || wp.root === null;
      if (dead && plugin.failOpen) continue; // fail open: the filter is not added at all
      const index = out.length;
      const ctx = new StreamContext(wp.root ?? ({ id: 0, plugin } as unknown as RootContext), plugin, dead ? null : wp.rt.vm, stream.callbacksFor(index));
      if (!dead) wp.rt.contexts.set(ctx.id, ctx);
      out.push(ctx);
    }
    return out;
  }

  pendingFor(_stream: HttpStreamImpl): number {
    return this.callouts.inFlight;
  }

  finished(stream: HttpStreamImpl): void {
    this.streams.delete(stream);
    const worker = this.workerState[stream.worker];
    for (const wp of worker.plugins.values()) {
      for (const [id, ctx] of wp.rt.contexts) if (ctx.stream()?.cb.stream === stream) wp.rt.contexts.delete(id);
    }
  }

  // ---------------- Host ----------------

  newStream(events: StreamEvents, attributes: StreamAttributes = {}): HttpStreamImpl {
    const worker = attributes.worker !== undefined ? attributes.worker % this.workers : this.rr++ % this.workers;
    const s = new HttpStreamImpl(this.nextStreamId++, worker, attributes, events, this);
    this.streams.add(s);
    s.attach();
    return s;
  }

  metrics(): Record<string, number> {
    return this.stats.custom();
  }

  prometheus(): string {
    return this.stats.prometheus(this.options.statsTags);
  }

  async advance(ms: number): Promise<void> {
    const c = this.clock as { advance?: (ms: number) => void };
    c.advance?.(ms);
    await settle();
  }

  /** A recorded gap between chunks: real time on a real clock, simulated time on a manual one. */
  private async pause(ms: number): Promise<void> {
    if (ms <= 0) return settle();
    if (this.advance && "advance" in this.clock) return this.advance(ms);
    await new Promise((r) => setTimeout(r, ms));
  }

  /** Root contexts of a plugin per worker (for tests). */
  rootsOf(name: string): RootContext[] {
    return this.workerState.map((w) => [...w.plugins].find(([p]) => p.name === name)?.[1].root).filter((r): r is RootContext => !!r);
  }

  vmsOn(worker: number): WasmVm[] {
    return [...this.workerState[worker].vms.values()].map((rt) => rt.vm);
  }

  async exchange(ex: Exchange): Promise<ExchangeResult> {
    const down = { status: 0, headers: [] as Array<[string, string]>, body: [] as Uint8Array[], trailers: undefined as Array<[string, string]> | undefined, chunks: [] as number[], started: false };
    const up = { headers: undefined as Array<[string, string]> | undefined, body: [] as Uint8Array[], trailers: undefined as Array<[string, string]> | undefined };
    let reset: string | undefined;
    const trapsBefore = this.traps.length;
    const stream = this.newStream(
      {
        onUpstreamHeaders: (h) => (up.headers = h),
        onUpstreamData: (d) => up.body.push(d),
        onUpstreamTrailers: (t) => (up.trailers = t),
        onDownstreamHeaders: (h) => {
          down.started = true;
          down.status = Number(h.find(([k]) => k === ":status")?.[1] ?? 0);
          down.headers = h;
        },
        onDownstreamData: (d) => {
          down.body.push(d);
          down.chunks.push(d.length);
        },
        onDownstreamTrailers: (t) => (down.trailers = t),
        onReset: (r) => (reset = r),
      },
      ex.attributes ?? {},
    );

    const req = ex.request;
    const headers: Array<[string, string]> = [
      [":method", req.method],
      [":path", req.path],
      [":authority", req.authority ?? headerValue(req.headers, "host") ?? "localhost"],
      [":scheme", req.scheme ?? "http"],
      ...req.headers.filter(([k]) => k.toLowerCase() !== "host"),
    ];
    // Envoy's HCM adds these; nginx-based hosts do not (host profiles).
    const envoy = this.profile.kind === "envoy";
    if (envoy && !headerValue(headers, "x-forwarded-proto")) headers.push(["x-forwarded-proto", req.scheme ?? "http"]);
    if (envoy && !headerValue(headers, "x-request-id")) headers.push(["x-request-id", randomUUID()]);
    const reqTrailers = req.trailers?.length ? req.trailers : undefined;
    const reqChunks = chunk(req.body, req.chunks);
    stream.sendRequestHeaders(headers, reqChunks.length === 0 && !reqTrailers);
    for (let i = 0; i < reqChunks.length; i++) {
      stream.sendRequestData(reqChunks[i], i === reqChunks.length - 1 && !reqTrailers);
      await settle();
    }
    if (reqTrailers) stream.sendRequestTrailers(reqTrailers);
    await waitFor(() => stream.finishedStream || stream.upstreamRequestDone, () => stream.idle);

    if (!stream.finishedStream && stream.upstreamRequestDone) {
      const res = ex.response;
      const resHeaders: Array<[string, string]> = [[":status", String(res.status)], ...res.headers.filter(([k]) => !HOP_BY_HOP.has(k.toLowerCase()))];
      if (envoy) resHeaders.push(["x-envoy-upstream-service-time", "0"]);
      const resTrailers = res.trailers?.length ? res.trailers : undefined;
      const resChunks = chunk(res.body, res.chunks);
      stream.sendResponseHeaders(resHeaders, resChunks.length === 0 && !resTrailers);
      for (let i = 0; i < resChunks.length; i++) {
        await this.pause(res.gapsMs?.[i] ?? 0);
        stream.sendResponseData(resChunks[i], i === resChunks.length - 1 && !resTrailers);
      }
      if (resTrailers) stream.sendResponseTrailers(resTrailers);
    }
    await waitFor(() => stream.finishedStream, () => stream.idle);
    if (!stream.finishedStream) {
      // Nothing pending can move it (a filter paused and never continued): the client gives up.
      stream.resetFromDownstream("harness_stalled");
      reset ??= "harness_stalled";
    }
    await stream.done;

    const filterState: Record<string, Uint8Array> = {};
    for (const [k, v] of stream.filterState()) filterState[k.slice("wasm.".length)] = v;
    const details = stream.responseCodeDetails();
    const local = details && details !== "via_upstream" && down.started;
    const trap = this.traps.slice(trapsBefore).find((t) => t.worker === stream.worker);
    return {
      name: ex.name,
      worker: stream.worker,
      localReply: local ? { status: down.status, headers: down.headers, body: concat(down.body), details } : undefined,
      upstreamRequest: up.headers ? { headers: up.headers, body: concat(up.body), trailers: up.trailers } : undefined,
      downstreamResponse: down.started ? { status: down.status, headers: down.headers, body: concat(down.body), trailers: down.trailers, chunks: down.chunks } : undefined,
      reset,
      filterState,
      logs: this.logs.filter((l) => l.stream === stream.id),
      metrics: this.metrics(),
      trap: trap ? { filter: trap.filter, function: trap.function, message: trap.message } : undefined,
    };
  }

  async close(): Promise<void> {
    for (const w of this.workerState) for (const wp of w.plugins.values()) wp.root?.cancelTick?.();
    this.callouts.close();
  }
}

function headerValue(h: Array<[string, string]>, name: string): string | undefined {
  return h.find(([k]) => k.toLowerCase() === name)?.[1];
}

function chunk(body: Uint8Array, sizes?: number[]): Uint8Array[] {
  if (body.length === 0) return [];
  if (!sizes?.length) return [body];
  const out: Uint8Array[] = [];
  let p = 0;
  for (const n of sizes) {
    if (p >= body.length) break;
    out.push(body.subarray(p, p + n));
    p += n;
  }
  if (p < body.length) out.push(body.subarray(p));
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Lets posted work (queue callbacks, callout responses) run. */
export function settle(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** Waits for `done`, giving up once nothing is pending that could make progress. */
async function waitFor(done: () => boolean, idle: () => boolean): Promise<void> {
  let idleTurns = 0;
  while (!done()) {
    await settle();
    if (idle()) {
      if (++idleTurns > 20) return;
    } else {
      idleTurns = 0;
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}

export async function createHost(filters: WasmFilterConfig[], options: HostOptions = {}): Promise<EnvoyHost> {
  const host = new EnvoyHost(options);
  await host.start(filters);
  return host;
}
