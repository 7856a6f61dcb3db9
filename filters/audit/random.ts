// WASI random_get: Envoy (proxy-wasm-cpp-host) implements it from the host's CSPRNG, and
// scripts/check-imports.mjs allows it. It names a chain instance, nothing secret.
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "random_get")
declare function random_get(buf: usize, len: usize): u32;

/** Fills `len` bytes at `ptr`; false when the host refused (errno ≠ 0). */
export function randomBytes(ptr: usize, len: usize): bool {
  return random_get(ptr, len) == 0;
}
