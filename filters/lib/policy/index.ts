// Policy version: each Tollgate filter publishes the SHA-256 of its accepted configuration
// bytes to shared data under "tollgate.policy.<root_id>" from onConfigure, so the audit filter
// can name the exact policy a request ran under (filters/audit/README.md "Policy version").
// Shared data is per vm_id, and every Tollgate filter runs with the same vm_id.
import { BufferType, getBufferBytes, setSharedData } from "../../sdk";
import { Sha256 } from "../crypto";

export const POLICY_KEY_PREFIX = "tollgate.policy.";

const HEX = "0123456789abcdef";

/** Lowercase hex of `len` bytes at `ptr`. */
export function hexOf(ptr: usize, len: usize): string {
  const out = new Array<string>(<i32>len);
  for (let i: usize = 0; i < len; i++) {
    const b = <i32>load<u8>(ptr + i);
    unchecked(out[<i32>i] = HEX.charAt(b >> 4) + HEX.charAt(b & 15));
  }
  return out.join("");
}

/** SHA-256 hex of the bytes at `ptr`. */
export function sha256Hex(ptr: usize, len: usize): string {
  const digest = new StaticArray<u8>(32);
  new Sha256().update(ptr, len).finish(changetype<usize>(digest));
  return hexOf(changetype<usize>(digest), 32);
}

/**
 * Call from onConfigure once the configuration is accepted (the plugin configuration buffer is
 * readable only there). Never fails the configuration: a host that refuses leaves the entry
 * absent, and the audit record's policy lists the filters it could read.
 */
export function publishPolicy(rootId: string, configurationSize: u32): void {
  let hex: string;
  if (configurationSize == 0) {
    hex = sha256Hex(0, 0);
  } else {
    const bytes = getBufferBytes(BufferType.PluginConfiguration, 0, configurationSize);
    if (bytes === null) return;
    hex = sha256Hex(bytes.ptr, bytes.len);
    bytes.free();
  }
  setSharedData(POLICY_KEY_PREFIX + rootId, Uint8Array.wrap(String.UTF8.encode(hex)));
}
