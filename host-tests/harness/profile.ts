// Host profiles: the harness is Envoy by default; a profile bends it into another proxy-wasm host
// (Kong's ngx_wasm_module, APISIX's wasm-nginx-module) where those hosts observably differ.
// Each difference, and the source it was read from, is listed in README.md ("Host profiles").
import type { HostContext } from "./context";
import type { ModuleShape } from "./wasm-binary";
import type { WasmVm } from "./vm";
import type { VmServices } from "./vm-runtime";

export type HostKind = "envoy" | "kong" | "apisix";

export type Hostcall = (...args: any[]) => any;

/** What an overriding hostcall may reach: the VM, its services and the calling context. */
export interface HostcallEnv {
  vm: WasmVm;
  rt: VmServices;
  ctx(): HostContext;
}

/** What a host does with a Pause (non-Continue) returned from a callback. */
export type PauseRule =
  | "envoy" // Envoy's status conversion (StopIteration / StopAll / buffer)
  | "ignored" // treated as Continue
  | "kong-headers" // response headers: Continue, with a warning unless a local response was produced
  | "kong-body"; // response body: the first Pause buffers the rest of the body, later ones are errors

export interface HostProfile {
  readonly kind: HostKind;
  /** Throws WasmLoadError (with the host's wording) when the host would refuse to link the module. */
  checkImports(shape: ModuleShape): void;
  /** The hostcall as this host implements it, given Envoy's implementation. */
  hostcall(name: string, envoy: Hostcall, env: HostcallEnv): Hostcall;
  /** Whether the host ever calls this exported callback. */
  calls(callback: string): boolean;
  /** num_headers as passed to on_request_headers / on_response_headers. */
  numHeaders(n: number): number;
  /** Response callbacks in chain order (nginx phases), not reversed as Envoy's encoder does. */
  readonly responseInChainOrder: boolean;
  /** The body is handed to the filter once, whole, at end of stream. */
  wholeBody(direction: "request" | "response"): boolean;
  pauseRule(direction: "request" | "response", phase: "headers" | "body"): PauseRule;
  /** Bytes Kong buffers after a response-body Pause before it calls the filter anyway. */
  readonly responseBodyBufferBytes: number;
  /** The stat name a proxy_define_metric name is stored under. */
  metricName(filter: string, name: string): string;
  /** Status of the local reply for a stream whose filter failed (trap, failed start). */
  readonly failStatus: number;
  /** A configuration the filter rejects is refused when loaded (Envoy), not per request. */
  readonly rejectsConfigAtLoad: boolean;
  /** Whether a filter can be configured to fail open (Envoy's fail_open). */
  readonly failOpenAllowed: boolean;
}

export const ENVOY_PROFILE: HostProfile = {
  kind: "envoy",
  checkImports() {},
  hostcall: (_name, envoy) => envoy,
  calls: () => true,
  numHeaders: (n) => n,
  responseInChainOrder: false,
  wholeBody: () => false,
  pauseRule: () => "envoy",
  responseBodyBufferBytes: Infinity,
  metricName: (_filter, name) => `wasmcustom.${name}`,
  failStatus: 503,
  rejectsConfigAtLoad: true,
  failOpenAllowed: true,
};

export const HOST_KINDS: readonly HostKind[] = ["envoy", "kong", "apisix"];

export function isHostKind(s: string): s is HostKind {
  return (HOST_KINDS as readonly string[]).includes(s);
}
