// Binds one WasmVm to the process-wide services: its context table, log routing, timers,
// queues, metric ids, callouts and foreign functions.
import type { Clock, LogRecord } from "./api";
import { WasmResult as R } from "./abi";
import type { CalloutTransport } from "./callouts";
import { RootContext, type HostContext } from "./context";
import { HeaderMap } from "./header-map";
import { envImports } from "./hostcalls";
import type { Plugin } from "./plugin";
import type { HostProfile } from "./profile";
import type { SharedData, SharedQueues } from "./shared-state";
import type { StatsStore } from "./stats";
import { WasmVm, type CompiledModule } from "./vm";
import { wasiImports } from "./wasi";
import { callForeignFunction } from "./foreign";

/** Process-wide services one Envoy offers every VM. */
export interface HostServices {
  clock: Clock;
  logLevel: number;
  sharedData: SharedData;
  queues: SharedQueues;
  stats: StatsStore;
  logs: LogRecord[];
  node: { id?: string; cluster?: string; metadata?: Record<string, unknown> };
  xds: Record<string, unknown>;
  callouts: CalloutTransport;
  profile: HostProfile;
  /** Notified whenever a VM fails (for trap reporting). */
  onVmFailed(vm: WasmVm, message: string): void;
}

export class VmServices {
  readonly vm: WasmVm;
  readonly contexts = new Map<number, HostContext>();
  /** Bound once: the hostcalls ask it on every call, and a fresh closure per call is not free. */
  readonly isLive = (id: number): boolean => this.contexts.has(id);
  readonly roots = new Map<string, RootContext>();
  private metricNames = new Map<number, string>();
  /** Plugin that owns the VM-context logs (the first one started). */
  private firstPlugin: Plugin | null = null;

  constructor(readonly host: HostServices, compiled: CompiledModule, vmId: string, readonly worker: number, private readonly env: Record<string, string>) {
    this.vm = new WasmVm(compiled, vmId, worker, {
      imports: (vm) => {
        const wasi = wasiImports(vm, this);
        return { env: envImports(vm, this), wasi_snapshot_preview1: wasi, wasi_unstable: wasi };
      },
      onFail: (vm, message) => {
        this.log(null, 5, message);
        host.onVmFailed(vm, message);
      },
    });
    this.vm.hostLog = (ctx, level, message) => this.log(ctx, level, message);
  }

  environment(): Record<string, string> {
    return this.env;
  }

  /** Creates the plugin's root context: create(root, 0) -> vm_start -> configure. */
  startPlugin(plugin: Plugin): { root: RootContext; ok: boolean; reason?: string } {
    this.firstPlugin ??= plugin;
    const root = new RootContext(this.vm.newContextId(), this.vm, plugin);
    this.contexts.set(root.id, root);
    this.roots.set(plugin.rootId + "\0" + plugin.name, root);
    if (!root.create()) return { root, ok: false, reason: this.vm.failMessage };
    if (!root.start()) return { root, ok: false, reason: this.vm.failed ? this.vm.failMessage : "proxy_on_vm_start returned false" };
    if (!root.configure()) return { root, ok: false, reason: this.vm.failed ? this.vm.failMessage : "proxy_on_configure returned false" };
    return { root, ok: true };
  }

  log(ctx: HostContext | null, level: number, message: string): void {
    if (level < this.host.logLevel) return;
    const plugin = ctx?.plugin ?? this.firstPlugin;
    const name = plugin?.name ?? "";
    const rootId = plugin?.rootId ?? "";
    const rec: LogRecord = {
      level,
      message,
      line: `wasm log ${name} ${rootId} ${this.vm.vmId}: ${message}`,
      filter: name || undefined,
      worker: this.worker,
      stream: ctx?.stream()?.cb.stream.id,
    };
    this.host.logs.push(rec);
  }

  setTickPeriod(root: RootContext, ms: number): void {
    root.cancelTick?.();
    root.cancelTick = null;
    root.tickPeriodMs = ms;
    if (ms === 0) return;
    // Re-armed only after each on_tick returns, so ticks drift by the callback's duration.
    // Envoy keeps one timer per root: a set_tick_period inside on_tick already replaced it, so
    // only re-arm the timer that fired (Wasm::tickHandler re-enables timer_[root]).
    const arm = () => {
      const cancel = this.host.clock.setTimer(root.tickPeriodMs, () => {
        if (this.vm.failed || root.tickPeriodMs === 0) return;
        root.callback("proxy_on_tick");
        if (root.tickPeriodMs !== 0 && root.cancelTick === cancel) arm();
      });
      root.cancelTick = cancel;
    };
    arm();
  }

  registerQueue(root: RootContext, name: string): number {
    return this.host.queues.register(this.vm.vmId, name, {
      notify: (token) => {
        if (this.vm.failed || !this.contexts.has(root.id)) return false;
        root.callback("proxy_on_queue_ready", token);
        return true;
      },
    });
  }

  defineMetric(type: 0 | 1 | 2, name: string, filter = ""): number {
    const id = this.vm.nextMetricId(type);
    const full = this.host.profile.metricName(filter, name);
    this.metricNames.set(id, full);
    this.host.stats.get(full, (["counter", "gauge", "histogram"] as const)[type]);
    return id;
  }

  private metric(id: number) {
    const name = this.metricNames.get(id);
    return name ? this.host.stats.find(name) : undefined;
  }

  incrementMetric(id: number, delta: bigint): number {
    const type = id & 3;
    if (type === 2) return R.BadArgument;
    const m = this.metric(id);
    if (!m) return type > 2 ? R.BadArgument : R.NotFound;
    if (type === 0) {
      if (delta <= 0n) return R.BadArgument;
      m.value += delta;
    } else {
      m.value += delta;
    }
    return R.Ok;
  }

  recordMetric(id: number, value: bigint): number {
    const m = this.metric(id);
    if (!m) return R.NotFound;
    const type = id & 3;
    if (type === 0) m.value += value;
    else if (type === 1) m.value = value;
    else m.samples.push(Number(value));
    return R.Ok;
  }

  getMetric(id: number): number | { value: bigint } {
    const type = id & 3;
    if (type === 2 || type === 3) return R.BadArgument;
    const m = this.metric(id);
    if (!m) return R.NotFound;
    return { value: m.value };
  }

  // ---- callouts: bookkeeping here, transport in callouts.ts ----

  httpCall(root: RootContext, cluster: string, headers: Array<[string, string]>, body: Uint8Array, trailers: Array<[string, string]>, timeoutMs: number): number | { token: number } {
    if (timeoutMs < 0) return R.BadArgument;
    if (!this.host.callouts.hasCluster(cluster)) return R.BadArgument;
    const h = new HeaderMap();
    for (const [k, v] of headers) h.add(k, v);
    if (h.get(":path") === undefined || h.get(":method") === undefined || h.get(":authority") === undefined) return R.BadArgument;
    if (body.length) h.set("content-length", String(body.length));
    const token = this.vm.nextCalloutId("http");
    const handle = this.host.callouts.http(cluster, h, body, trailers, timeoutMs, {
      onSuccess: (resp) => this.deliver(() => {
        if (!root.callouts.delete(token)) return;
        root.httpCallResponse = resp;
        try {
          root.callback("proxy_on_http_call_response", token, resp.headers.size, resp.body.length, resp.trailers?.size ?? 0);
        } finally {
          root.httpCallResponse = null;
        }
      }),
      onFailure: () => this.deliver(() => {
        if (!root.callouts.delete(token)) return;
        root.statusCode = R.BrokenConnection;
        root.statusMessage = "reset";
        try {
          root.callback("proxy_on_http_call_response", token, 0, 0, 0);
        } finally {
          root.statusMessage = "";
        }
      }),
    });
    if (!handle) return R.InternalFailure;
    root.callouts.set(token, { ...handle, kind: "http" });
    return { token };
  }

  grpcCall(root: RootContext, service: Uint8Array, serviceName: string, method: string, metadata: Array<[string, string]>, message: Uint8Array, timeoutMs: number): number | { token: number } {
    const cluster = this.host.callouts.grpcCluster(service);
    if (cluster === undefined) return R.ParseFailure;
    const token = this.vm.nextCalloutId("grpcCall");
    const handle = this.host.callouts.grpcUnary(cluster, serviceName, method, metadata, message, timeoutMs, {
      onMessage: (msg) => this.deliver(() => this.grpcReceive(root, token, msg, true)),
      onClose: (status, text) => this.deliver(() => this.grpcClosed(root, token, status, text)),
    });
    if (!handle) return R.InternalFailure;
    root.callouts.set(token, { ...handle, kind: "grpcCall" });
    return { token };
  }

  grpcStream(root: RootContext, service: Uint8Array, serviceName: string, method: string, metadata: Array<[string, string]>): number | { token: number } {
    const cluster = this.host.callouts.grpcCluster(service);
    if (cluster === undefined) return R.ParseFailure;
    const token = this.vm.nextCalloutId("grpcStream");
    const handle = this.host.callouts.grpcStream(cluster, serviceName, method, metadata, {
      onInitialMetadata: (md) => this.deliver(() => {
        root.grpcInitialMetadata = md;
        try {
          root.callback("proxy_on_grpc_receive_initial_metadata", token, md.size);
        } finally {
          root.grpcInitialMetadata = null;
        }
      }),
      onMessage: (msg) => this.deliver(() => this.grpcReceive(root, token, msg, false)),
      onTrailingMetadata: (md) => this.deliver(() => {
        root.grpcTrailingMetadata = md;
        try {
          root.callback("proxy_on_grpc_receive_trailing_metadata", token, md.size);
        } finally {
          root.grpcTrailingMetadata = null;
        }
      }),
      onClose: (status, text) => this.deliver(() => this.grpcClosed(root, token, status, text)),
    });
    if (!handle) return R.InternalFailure;
    root.callouts.set(token, { ...handle, kind: "grpcStream" });
    return { token };
  }

  private grpcReceive(root: RootContext, token: number, msg: Uint8Array, unary: boolean): void {
    if (!root.callouts.has(token)) return;
    root.grpcReceiveBuffer = msg;
    try {
      if (this.vm.has("proxy_on_grpc_receive")) root.callback("proxy_on_grpc_receive", token, msg.length);
    } finally {
      root.grpcReceiveBuffer = null;
      // A successful unary call ends here: no close callback follows.
      if (unary) root.callouts.delete(token);
    }
  }

  private grpcClosed(root: RootContext, token: number, status: number, message: string): void {
    const call = root.callouts.get(token);
    if (!call) return;
    if (call.kind === "grpcCall") root.callouts.delete(token);
    else {
      call.remoteClosed = true;
      if (call.localClosed) root.callouts.delete(token);
    }
    if (!this.vm.has("proxy_on_grpc_close")) return;
    root.statusCode = status;
    root.statusMessage = message;
    try {
      root.callback("proxy_on_grpc_close", token, status);
    } finally {
      root.statusMessage = "";
    }
  }

  grpcSend(root: RootContext, token: number, msg: Uint8Array, end: boolean): number {
    if ((token & 3) !== 2) return R.BadArgument;
    const call = root.callouts.get(token);
    if (!call) return R.NotFound;
    call.send?.(msg, end);
    return R.Ok;
  }

  grpcCancel(root: RootContext, token: number): number {
    const kind = token & 3;
    if (kind !== 1 && kind !== 2) return R.BadArgument;
    const call = root.callouts.get(token);
    if (!call) return R.NotFound;
    call.cancel();
    root.callouts.delete(token);
    return R.Ok;
  }

  grpcClose(root: RootContext, token: number): number {
    const kind = token & 3;
    if (kind === 1) return this.grpcCancel(root, token);
    if (kind !== 2) return R.BadArgument;
    const call = root.callouts.get(token);
    if (!call) return R.NotFound;
    call.close?.();
    if (call.remoteClosed) root.callouts.delete(token);
    else call.localClosed = true;
    return R.Ok;
  }

  /** Callout results never re-enter a running VM call: they wait for it to return. */
  private deliver(fn: () => void): void {
    if (this.vm.failed) return;
    if (this.vm.inCall) this.vm.addAfterCallAction(fn);
    else fn();
  }

  done(root: RootContext): number {
    if (!root.awaitingDone) return R.NotFound;
    root.awaitingDone = false;
    return R.Ok;
  }

  foreign(ctx: HostContext, name: string, args: Uint8Array): number | Uint8Array {
    return callForeignFunction(ctx, name, args);
  }
}
