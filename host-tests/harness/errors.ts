/** Load/link failures, worded as proxy-wasm-cpp-host and Envoy word them. */
export class WasmLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WasmLoadError";
  }
}

/** vm_start/configure returned false or the canary trapped: "Unable to create Wasm HTTP filter". */
export class ConfigRejectedError extends Error {
  constructor(readonly filter: string, readonly reason: string) {
    super(`Unable to create Wasm HTTP filter ${filter}: ${reason}`);
    this.name = "ConfigRejectedError";
  }
}

/** Thrown by a host function to trap the guest (restricted calls, proc_exit aftermath ...). */
export class HostTrap extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HostTrap";
  }
}
