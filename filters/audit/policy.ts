// The record's `policy`: every Tollgate filter's configuration hash as published to shared
// data (filters/lib/policy), and a version over all of them. Read at most once a second, and
// again right after this filter's own configuration changes.
import { Sha256 } from "../lib/crypto";
import { POLICY_KEY_PREFIX } from "../lib/policy";
import { getSharedData } from "../sdk";
import { hexString } from "./text";

/** The Tollgate root ids, sorted: shared data cannot be listed, so the known ones are read. */
const ROOT_IDS: string[] = ["audit", "budget", "pii-redact", "token-meter"];
const REFRESH_NS: u64 = 1_000_000_000;

export class PolicyCache {
  ids: string[] = [];
  hashes: string[] = [];
  /** First 16 bytes of SHA-256 over the sorted "root_id=hash\n" lines, as hex. */
  version: string = "";
  private readAtNs: u64 = 0;
  private stale: bool = true;
  private own: string = "";

  /** This filter's own configuration changed: its hash, and read the others again. */
  setOwn(hash: string): void {
    this.own = hash;
    this.stale = true;
  }

  has(rootId: string): bool {
    return this.ids.includes(rootId);
  }

  refresh(nowNs: u64): void {
    if (!this.stale && nowNs >= this.readAtNs && nowNs - this.readAtNs < REFRESH_NS) return;
    this.stale = false;
    this.readAtNs = nowNs;
    const ids: string[] = [];
    const hashes: string[] = [];
    let lines = "";
    for (let i = 0; i < ROOT_IDS.length; i++) {
      const id = unchecked(ROOT_IDS[i]);
      let hash = id == "audit" ? this.own : "";
      if (hash.length == 0) {
        const sd = getSharedData(POLICY_KEY_PREFIX + id);
        if (sd === null) continue;
        if (sd.data.len == 64 && isHex(sd.data.ptr, 64)) hash = String.UTF8.decodeUnsafe(sd.data.ptr, 64);
        sd.data.free();
        if (hash.length == 0) continue;
      }
      ids.push(id);
      hashes.push(hash);
      lines += id + "=" + hash + "\n";
    }
    const bytes = String.UTF8.encode(lines);
    const digest = new StaticArray<u8>(32);
    new Sha256().update(changetype<usize>(bytes), <usize>bytes.byteLength).finish(changetype<usize>(digest));
    this.ids = ids;
    this.hashes = hashes;
    this.version = hexString(changetype<usize>(digest), 16);
  }
}

function isHex(ptr: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(ptr + i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}
