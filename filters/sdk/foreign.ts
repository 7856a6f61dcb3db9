// Envoy's foreign functions (digest §7.8), called through proxy_call_foreign_function.
// They act on the *real* current context, not the effective one: from on_http_call_response
// they reach the root context, where they are no-ops or NotFound.
import { WasmResult } from "./types";
import { callForeignFunctionRaw, lastResult } from "./hostcalls";

/**
 * Recomputes the route after rewriting :path / :authority. Envoy ≥ 1.33 no longer does it
 * automatically; 0.2.1 has no proxy_clear_route_cache import (0.1.0 only), hence this.
 */
export function clearRouteCache(): WasmResult {
  const r = callForeignFunctionRaw("clear_route_cache", 0, 0);
  if (r !== null) r.free();
  return lastResult();
}

/** Matches envoy.source.extensions.common.wasm.LifeSpan. */
export enum LifeSpan {
  FilterChain = 0,
  DownstreamRequest = 1,
  DownstreamConnection = 2,
}

/**
 * Sets an Envoy filter state object. `path` must name a registered FilterState
 * ObjectFactory (e.g. "envoy.tcp_proxy.cluster"), else NotFound.
 */
export function setEnvoyFilterState(path: string, value: string, span: LifeSpan = LifeSpan.FilterChain): WasmResult {
  const args = encodeSetEnvoyFilterStateArguments(path, value, span);
  const r = callForeignFunctionRaw("set_envoy_filter_state", changetype<usize>(args), <usize>args.byteLength);
  if (r !== null) r.free();
  return lastResult();
}

/**
 * SetEnvoyFilterStateArguments { string path = 1; string value = 2; LifeSpan span = 3; }
 * encoded by hand: proto3 omits default (zero / empty) fields.
 */
export function encodeSetEnvoyFilterStateArguments(path: string, value: string, span: LifeSpan): ArrayBuffer {
  const pl = <u32>String.UTF8.byteLength(path);
  const vl = <u32>String.UTF8.byteLength(value);
  let size: u32 = 0;
  if (pl > 0) size += 1 + varintSize(pl) + pl;
  if (vl > 0) size += 1 + varintSize(vl) + vl;
  if (span != 0) size += 1 + varintSize(<u32>span);
  const out = new ArrayBuffer(<i32>size);
  let at = changetype<usize>(out);
  if (pl > 0) {
    store<u8>(at++, 0x0A); // field 1, length-delimited
    at = writeVarint(at, pl);
    at += String.UTF8.encodeUnsafe(changetype<usize>(path), path.length, at);
  }
  if (vl > 0) {
    store<u8>(at++, 0x12); // field 2, length-delimited
    at = writeVarint(at, vl);
    at += String.UTF8.encodeUnsafe(changetype<usize>(value), value.length, at);
  }
  if (span != 0) {
    store<u8>(at++, 0x18); // field 3, varint
    at = writeVarint(at, <u32>span);
  }
  return out;
}

function varintSize(v: u32): u32 {
  let n: u32 = 1;
  while (v >= 0x80) { v >>= 7; n++; }
  return n;
}

function writeVarint(at: usize, v: u32): usize {
  while (v >= 0x80) {
    store<u8>(at++, <u8>(v & 0x7F | 0x80));
    v >>= 7;
  }
  store<u8>(at++, <u8>v);
  return at;
}
