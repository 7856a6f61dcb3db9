// Global budgets through the rate-limit service protocol: one unary
// envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit per rule, descriptor
// [tollgate_rule=<rule>, tollgate_key=<key>], hits_addend = the charge. The service (envoyproxy/
// ratelimit, Limitador) holds the counters in Redis and the limits in its own configuration;
// its answer carries the limit, what remains and when the window resets.
// The protocol only adds: a reservation cannot be handed back, so settlement sends the
// overrun when a call used more than was charged, and counts unused reservations (`unreleased`).
import { BaseContext, BufferType, GrpcHandler, WasmResult, getBufferBytes, getCurrentTimeNanoseconds, getProperty, lastResult } from "../sdk";
import { RateLimitCode, RateLimitRequestWriter, RateLimitResponse, decodeRateLimitResponse } from "../lib/ratelimit";
import { Charge } from "./charge";
import { GlobalConfig } from "./config";

export const GLOBAL_OK: i32 = 0;
export const GLOBAL_OVER: i32 = 1;
export const GLOBAL_ERROR: i32 = 2;

export const RLS_SERVICE = "envoy.service.ratelimit.v3.RateLimitService";
export const RLS_METHOD = "ShouldRateLimit";
const U32_MAX: i64 = 0xffffffff;

/** Receives the service's verdict for the charge being decided. */
export abstract class GlobalVerdictSink {
  abstract onGlobalAnswer(outcome: i32): void;
}

const writer = new RateLimitRequestWriter(64 << 10);
const response = new RateLimitResponse();

/** Encodes ShouldRateLimit for one charge; null when it cannot be encoded. */
export function encodeShouldRateLimit(g: GlobalConfig, c: Charge, hits: i64): Uint8Array | null {
  writer.resetString(g.domain);
  writer.beginDescriptor();
  const name = c.rule.nameBytes;
  writer.entry(changetype<usize>(RULE_NAME), <usize>RULE_NAME.byteLength, changetype<usize>(name), <usize>name.byteLength);
  const k = c.keyValue;
  writer.entry(changetype<usize>(KEY_NAME), <usize>KEY_NAME.byteLength, changetype<usize>(k), <usize>k.byteLength);
  writer.endDescriptor();
  // 0 means 1 to the service, and its counters are 32-bit.
  writer.hitsAddend(<u32>(hits < 1 ? 1 : hits > U32_MAX ? U32_MAX : hits));
  if (!writer.finish()) return null;
  const out = new Uint8Array(<i32>writer.length);
  memory.copy(out.dataStart, writer.ptr, writer.length);
  return out;
}

// Whether the host makes gRPC callouts: -1 until first asked. Envoy does; Kong's ngx_wasm_module
// links proxy_grpc_call but traps when it is called, and APISIX answers Unimplemented. Only
// Envoy serves the xds.node attribute, so its presence decides; without it a global rule goes
// straight to failure_mode instead of taking the VM down (README.md, "Other hosts").
let grpcHost: i32 = -1;

export function hostHasGrpc(): bool {
  if (grpcHost < 0) grpcHost = getProperty(["xds", "node", "id"]) !== null ? 1 : 0;
  return grpcHost == 1;
}

/** One outstanding admission call of a stream. */
export class GlobalCall extends GrpcHandler {
  private charge: Charge | null = null;
  private answered: bool = true;

  constructor(private sink: GlobalVerdictSink, private context: BaseContext) {
    super();
  }

  /** Sends the call for `c`; false when it could not be sent (unknown cluster, encoding). */
  send(g: GlobalConfig, c: Charge, hits: i64): bool {
    if (!hostHasGrpc()) return false;
    const message = encodeShouldRateLimit(g, c, hits);
    if (message === null) return false;
    c.globalHits = hits < 1 ? 1 : hits;
    this.charge = c;
    this.answered = false;
    this.context.grpcCall(g.cluster, RLS_SERVICE, RLS_METHOD, null, message, g.timeoutMs, this);
    return lastCallOk();
  }

  onGrpcReceive(context: BaseContext, token: u32, messageSize: u32): void {
    if (this.answered) return;
    this.answered = true;
    const c = this.charge!;
    const bytes = getBufferBytes(BufferType.GrpcReceiveBuffer, 0, messageSize);
    let outcome = GLOBAL_ERROR;
    if (bytes !== null) {
      if (decodeRateLimitResponse(bytes.ptr, bytes.len, response)) outcome = readVerdict(c, response);
      bytes.free();
    }
    this.sink.onGlobalAnswer(outcome);
  }

  onGrpcClose(context: BaseContext, token: u32, statusCode: u32): void {
    // Unary calls end here only on failure (timeout, unreachable, a non-OK grpc-status).
    if (this.answered) return;
    this.answered = true;
    this.sink.onGlobalAnswer(GLOBAL_ERROR);
  }
}

/** Fills the charge's limit, spend and reset from the descriptor status. */
function readVerdict(c: Charge, r: RateLimitResponse): i32 {
  const code = r.overallCode;
  if (r.statuses.length > 0) {
    const s = r.statuses[0];
    if (s.hasCurrentLimit) {
      c.limit = <i64>s.requestsPerUnit;
      c.used = c.limit - <i64>s.limitRemaining;
    } else {
      // No limit configured in the service for this descriptor: it does not limit.
      c.limit = -1;
    }
    const now = nowMs();
    c.resetMs = now + s.durationUntilResetMs;
    c.fitsAtMs = c.resetMs;
  }
  if (code == RateLimitCode.Ok) return GLOBAL_OK;
  if (code == RateLimitCode.OverLimit) return GLOBAL_OVER;
  return GLOBAL_ERROR;
}

/** Root-issued settlement call for an overrun; fire and forget (failures are counted). */
export class SettlementCall extends GrpcHandler {
  failed: i32 = 0;
  onGrpcClose(context: BaseContext, token: u32, statusCode: u32): void {
    this.failed++;
  }
}

function lastCallOk(): bool {
  return lastResult() == WasmResult.Ok;
}

function nowMs(): i64 {
  return <i64>(getCurrentTimeNanoseconds() / 1_000_000);
}

const RULE_NAME = String.UTF8.encode("tollgate_rule");
const KEY_NAME = String.UTF8.encode("tollgate_key");
