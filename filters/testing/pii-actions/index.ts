// Test entry for filters/lib/pii actions, vault and restorer: plain exports that
// host-tests/pii-actions.test.ts drives (no proxy-wasm host needed).
export * from "../../sdk/dispatcher";
import { RootContext, registerRootContext } from "../../sdk";
import { ByteBuffer } from "../../lib/bytes";
import { HmacSha256 } from "../../lib/crypto";
import { PiiAction, writeReplacement } from "../../lib/pii/actions";
import { Restorer } from "../../lib/pii/restore";
import { Vault } from "../../lib/pii/vault";

registerRootContext("pii-actions", (contextId: u32): RootContext => new RootContext(contextId));

const out = new ByteBuffer(1 << 20, 1024);
const scratch = new ByteBuffer(1 << 16, 256);
let vault = new Vault();
let restorer = new Restorer(vault);
let hmac: HmacSha256 | null = null;

export function pa_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function pa_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }
export function pa_out_ptr(): usize { return out.ptr; }
export function pa_out_len(): usize { return out.length; }
export function pa_clear(): void { out.clear(); }

/** A fresh request: empty vault and restorer. */
export function pa_reset(): void {
  vault = new Vault();
  restorer = new Restorer(vault);
}

export function pa_key(ptr: usize, len: usize): void {
  hmac = len == 0 ? null : new HmacSha256(ptr, len);
}

/** Appends the replacement of [ptr, +len) to the output; returns false when full. */
export function pa_replace(action: i32, type: i32, ptr: usize, len: usize, tenantPtr: usize, tenantLen: usize): bool {
  return writeReplacement(<PiiAction>action, type, ptr, len, out, hmac, tenantPtr, tenantLen, vault, scratch);
}

export function pa_restore_push(ptr: usize, len: usize): usize {
  restorer.push(ptr, len, out);
  return restorer.held;
}

export function pa_restore_flush(): void { restorer.flush(out); }

// ---- streaming redaction (stream-redact.ts), scanning with every detector enabled ---------
import { ReplacementPolicy, StreamRedactor } from "../../lib/pii/stream-redact";
import { ScanConfig } from "../../lib/pii/scan";

class RedactAll extends ReplacementPolicy {
  write(type: i32, subtype: i32, ptr: usize, len: usize, o: ByteBuffer): bool {
    return writeReplacement(PiiAction.Redact, type, ptr, len, o, null, 0, 0, null, scratch);
  }
}

const scanConfig = new ScanConfig();
let redactor = new StreamRedactor(64, scanConfig, new RedactAll());

export function sr_reset(bound: usize): void { redactor = new StreamRedactor(bound, scanConfig, new RedactAll()); }
/** Pushes a piece; returns the bytes held back after it. */
export function sr_push(ptr: usize, len: usize): usize {
  redactor.push(ptr, len, out);
  return redactor.held;
}
export function sr_flush(): void { redactor.flush(out); }
