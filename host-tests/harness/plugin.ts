import type { FailurePolicy, WasmFilterConfig } from "./api";
import { ENVOY_PROFILE, type HostProfile } from "./profile";
import type { CompiledModule } from "./vm";

const enc = new TextEncoder();

/** A filter configuration as Envoy's Plugin holds it. */
export class Plugin {
  readonly name: string;
  readonly rootId: string;
  readonly vmId: string;
  readonly configuration: Uint8Array;
  readonly vmConfiguration: Uint8Array;
  readonly failurePolicy: FailurePolicy;
  readonly allowOnHeadersStopIteration: boolean;
  readonly environment: Record<string, string>;
  /** Key of the VM this plugin runs in: vm_id + vm configuration + code. */
  readonly vmKey: string;
  /** The host being reproduced; set by the host that owns the plugin. */
  profile: HostProfile = ENVOY_PROFILE;

  constructor(config: WasmFilterConfig, readonly module: CompiledModule, codeHash: string) {
    this.name = config.name;
    this.rootId = config.rootId;
    this.vmId = config.vmId;
    this.configuration = toBytes(config.configuration);
    this.vmConfiguration = toBytes(config.vmConfiguration);
    this.failurePolicy = config.failurePolicy ?? "FAIL_CLOSED";
    this.allowOnHeadersStopIteration = config.allowOnHeadersStopIteration ?? false;
    this.environment = config.environmentVariables ?? {};
    this.vmKey = `${this.vmId}\0${Buffer.from(this.vmConfiguration).toString("hex")}\0${codeHash}`;
  }

  get failOpen(): boolean {
    return this.failurePolicy === "FAIL_OPEN" && this.profile.failOpenAllowed;
  }
}

function toBytes(v: string | Uint8Array | undefined): Uint8Array {
  if (v === undefined) return new Uint8Array(0);
  return typeof v === "string" ? enc.encode(v) : v;
}
