// The probe: a filter whose every callback runs the ops its configuration script lists, so
// host tests can drive each host function through the SDK and assert on the log lines
// `probe <callback> <op> <json>`. See README.md for the script language.
export * from "../../sdk/dispatcher";
import {
  RootContext, HttpContext, BaseContext, registerRootContext, loadJsonConfig, loadJsonVmConfig,
  log, LogLevel, FilterHeadersStatus, FilterDataStatus, FilterTrailersStatus,
} from "../../sdk";
import { Script, Step, statusOf, boolOf } from "./script";
import { findOp } from "./ops";
import { resetArgError } from "./args";
import { enter, memo } from "./state";

class Counts {
  byCallback: Map<string, i32> = new Map();

  next(callback: string): i32 {
    const n = (this.byCallback.has(callback) ? this.byCallback.get(callback) : 0) + 1;
    this.byCallback.set(callback, n);
    return n;
  }
}

/** Logs the callback's arguments (if enabled), runs its step's ops, returns the step. */
function run(script: Script, counts: Counts, context: BaseContext, callback: string, args: string): Step | null {
  const n = counts.next(callback);
  enter(callback, context);
  if (script.logCallbacks) {
    log(LogLevel.Info, "probe " + callback + " enter {\"context\":" + context.contextId.toString() +
      ",\"call\":" + n.toString() + args + "}");
  }
  const step = script.find(callback, n);
  if (step === null) return null;
  for (let i = 0; i < step.ops.length; i++) {
    const op = unchecked(step.ops[i]);
    const name = op.getString("op");
    const fn = findOp(name);
    if (fn === null) continue; // validated at configure time
    if (name == "trap" || name == "abort") log(LogLevel.Info, "probe " + callback + " " + name + " {}");
    resetArgError();
    const out = fn(op);
    log(LogLevel.Info, "probe " + callback + " " + name + " " + out.toString());
  }
  return step;
}

function arg(key: string, value: u32): string {
  return ",\"" + key + "\":" + value.toString();
}

function flag(key: string, value: bool): string {
  return ",\"" + key + "\":" + (value ? "true" : "false");
}

class ProbeRoot extends RootContext {
  script: Script = new Script();
  counts: Counts = new Counts();

  onVmStart(vmConfigurationSize: u32): bool {
    // Only the VM configuration is readable here; its script supplies on_vm_start and acts
    // as a fallback for the plugin script.
    const doc = loadJsonVmConfig(vmConfigurationSize, "probe VM configuration");
    if (doc === null) return false;
    const vmScript = Script.parse(doc);
    if (vmScript.error.length > 0) {
      log(LogLevel.Error, "probe: invalid VM configuration script: " + vmScript.error);
      return false;
    }
    this.script = vmScript;
    return boolOf(run(vmScript, this.counts, this, "on_vm_start", arg("size", vmConfigurationSize)), true);
  }

  onConfigure(pluginConfigurationSize: u32): bool {
    const doc = loadJsonConfig(pluginConfigurationSize, "probe script");
    if (doc === null) return false;
    const script = Script.parse(doc);
    if (script.error.length > 0) {
      log(LogLevel.Error, "probe: invalid script: " + script.error);
      return false;
    }
    // A new configuration replaces the previous plugin script, keeping the VM one beneath.
    const previous = this.script;
    script.fallback = previous.fallback !== null ? previous.fallback : previous;
    if (doc.get("log_callbacks") === null) script.logCallbacks = previous.logCallbacks;
    this.script = script;
    return boolOf(run(script, this.counts, this, "on_configure", arg("size", pluginConfigurationSize)), true);
  }

  onTick(): void { run(this.script, this.counts, this, "on_tick", ""); }
  onQueueReady(queueId: u32): void { run(this.script, this.counts, this, "on_queue_ready", arg("queue", queueId)); }
  onLog(): void { run(this.script, this.counts, this, "on_log", ""); }
  onDone(): bool { return boolOf(run(this.script, this.counts, this, "on_done", ""), true); }
  onDelete(): void { run(this.script, this.counts, this, "on_delete", ""); }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    run(this.script, this.counts, this, "on_http_call_response",
      arg("token", token) + arg("headers", numHeaders) + arg("body_size", bodySize) + arg("trailers", numTrailers));
  }
  onGrpcReceiveInitialMetadata(token: u32, numHeaders: u32): void {
    run(this.script, this.counts, this, "on_grpc_receive_initial_metadata", arg("token", token) + arg("headers", numHeaders));
  }
  onGrpcReceive(token: u32, messageSize: u32): void {
    run(this.script, this.counts, this, "on_grpc_receive", arg("token", token) + arg("size", messageSize));
  }
  onGrpcReceiveTrailingMetadata(token: u32, numTrailers: u32): void {
    run(this.script, this.counts, this, "on_grpc_receive_trailing_metadata", arg("token", token) + arg("trailers", numTrailers));
  }
  onGrpcClose(token: u32, statusCode: u32): void {
    run(this.script, this.counts, this, "on_grpc_close", arg("token", token) + arg("status", statusCode));
  }

  createHttpContext(contextId: u32): HttpContext | null {
    memo.lastStreamContextId = contextId;
    return new ProbeHttp(contextId, this);
  }
}

class ProbeHttp extends HttpContext {
  counts: Counts = new Counts();
  probeRoot: ProbeRoot;

  constructor(contextId: u32, root: ProbeRoot) {
    super(contextId, root);
    this.probeRoot = root;
  }

  private run(callback: string, args: string): Step | null {
    return run(this.probeRoot.script, this.counts, this, callback, args);
  }

  onRequestHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    return <FilterHeadersStatus>statusOf(this.run("on_request_headers", arg("headers", numHeaders) + flag("eos", endOfStream)));
  }
  onRequestBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    return <FilterDataStatus>statusOf(this.run("on_request_body", arg("size", bodySize) + flag("eos", endOfStream)));
  }
  onRequestTrailers(numTrailers: u32): FilterTrailersStatus {
    return <FilterTrailersStatus>statusOf(this.run("on_request_trailers", arg("trailers", numTrailers)));
  }
  onResponseHeaders(numHeaders: u32, endOfStream: bool): FilterHeadersStatus {
    return <FilterHeadersStatus>statusOf(this.run("on_response_headers", arg("headers", numHeaders) + flag("eos", endOfStream)));
  }
  onResponseBody(bodySize: u32, endOfStream: bool): FilterDataStatus {
    return <FilterDataStatus>statusOf(this.run("on_response_body", arg("size", bodySize) + flag("eos", endOfStream)));
  }
  onResponseTrailers(numTrailers: u32): FilterTrailersStatus {
    return <FilterTrailersStatus>statusOf(this.run("on_response_trailers", arg("trailers", numTrailers)));
  }
  onLog(): void { this.run("on_log", ""); }
  onDone(): bool { this.run("on_done", ""); return true; }
  onDelete(): void { this.run("on_delete", ""); }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    this.run("on_http_call_response",
      arg("token", token) + arg("headers", numHeaders) + arg("body_size", bodySize) + arg("trailers", numTrailers));
  }
  onGrpcReceiveInitialMetadata(token: u32, numHeaders: u32): void {
    this.run("on_grpc_receive_initial_metadata", arg("token", token) + arg("headers", numHeaders));
  }
  onGrpcReceive(token: u32, messageSize: u32): void {
    this.run("on_grpc_receive", arg("token", token) + arg("size", messageSize));
  }
  onGrpcReceiveTrailingMetadata(token: u32, numTrailers: u32): void {
    this.run("on_grpc_receive_trailing_metadata", arg("token", token) + arg("trailers", numTrailers));
  }
  onGrpcClose(token: u32, statusCode: u32): void {
    this.run("on_grpc_close", arg("token", token) + arg("status", statusCode));
  }
}

registerRootContext("probe", (contextId: u32): RootContext => new ProbeRoot(contextId));

