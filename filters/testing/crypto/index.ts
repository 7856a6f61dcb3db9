// Test entry for filters/lib/crypto: SHA-256 (whole and in pieces) and HMAC-SHA256 as plain
// exports host-tests/crypto.test.ts compares with node:crypto.
export * from "../../sdk/dispatcher";
import { RootContext, registerRootContext } from "../../sdk";
import { HmacSha256, Sha256 } from "../../lib/crypto";

registerRootContext("crypto", (contextId: u32): RootContext => new RootContext(contextId));

const hasher = new Sha256();

export function cr_alloc(len: usize): usize { return heap.alloc(max<usize>(len, 1)); }
export function cr_free(ptr: usize): void { if (ptr != 0) heap.free(ptr); }

/** SHA-256 of [ptr, +len) fed in pieces of `piece` bytes (0 = whole), digest at `out`. */
export function cr_sha256(ptr: usize, len: usize, piece: usize, out: usize): void {
  if (piece == 0) piece = max<usize>(len, 1);
  for (let off: usize = 0; off < len; off += piece) hasher.update(ptr + off, min<usize>(piece, len - off));
  hasher.finish(out);
}

export function cr_hmac(keyPtr: usize, keyLen: usize, ptr: usize, len: usize, out: usize): void {
  new HmacSha256(keyPtr, keyLen).mac(ptr, len, out);
}
