// Outstanding callouts. Envoy issues every callout on the root context and delivers the
// response to proxy_on_*(root_id, token, ...), so the SDK remembers which context asked.
import { HttpCallHandler, GrpcHandler } from "./context";

export class PendingHttpCall {
  constructor(public contextId: u32, public handler: HttpCallHandler | null) {}
}

export enum GrpcKind {
  Call = 0,
  Stream = 1,
}

export class PendingGrpc {
  constructor(public kind: GrpcKind, public contextId: u32, public handler: GrpcHandler | null) {}
}

const httpCalls = new Map<u32, PendingHttpCall>();
const grpcCalls = new Map<u32, PendingGrpc>();

export function trackHttpCall(token: u32, contextId: u32, handler: HttpCallHandler | null): void {
  httpCalls.set(token, new PendingHttpCall(contextId, handler));
}

/** Removes and returns the pending call; an HTTP call has exactly one response. */
export function takeHttpCall(token: u32): PendingHttpCall | null {
  if (!httpCalls.has(token)) return null;
  const p = httpCalls.get(token);
  httpCalls.delete(token);
  return p;
}

export function trackGrpc(token: u32, kind: GrpcKind, contextId: u32, handler: GrpcHandler | null): void {
  grpcCalls.set(token, new PendingGrpc(kind, contextId, handler));
}

export function findGrpc(token: u32): PendingGrpc | null {
  return grpcCalls.has(token) ? grpcCalls.get(token) : null;
}

export function forgetGrpc(token: u32): void {
  grpcCalls.delete(token);
}

export function pendingCallouts(): i32 {
  return httpCalls.size + grpcCalls.size;
}
