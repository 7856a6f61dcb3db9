// One hash chain per audit root context (so per worker VM, and new after a restart or reload):
// CHAIN.md is the contract. `seal` appends the chain fields to a record body and hashes it.
import { ByteBuffer } from "../lib/bytes";
import { HmacSha256, Sha256 } from "../lib/crypto";
import { JsonWriter } from "../lib/json-scan";
import { getCurrentTimeNanoseconds } from "../sdk";
import { randomBytes } from "./random";
import { writeHex } from "./text";

export class Chain {
  /** "<name>/<16 hex>" as UTF-8. */
  readonly id: ArrayBuffer;
  seq: i64 = 0;
  /** The previous record's hash, 64 ASCII hex bytes. */
  private prev: StaticArray<u8> = new StaticArray<u8>(64);
  private hmac: HmacSha256 | null = null;
  private sha: Sha256 = new Sha256();
  private keyId: string = "";
  private digest: StaticArray<u8> = new StaticArray<u8>(32);
  private message: ByteBuffer = new ByteBuffer(2 << 20, 1024);

  constructor(name: string, hmacKey: ArrayBuffer | null, keyId: string) {
    const raw = new StaticArray<u8>(8);
    if (!randomBytes(changetype<usize>(raw), 8)) {
      // No randomness from the host: the clock still separates restarts; verifiers only need
      // instance ids to differ between chains.
      store<u64>(changetype<usize>(raw), getCurrentTimeNanoseconds());
    }
    const hex = new StaticArray<u8>(16);
    writeHex(changetype<usize>(raw), 8, changetype<usize>(hex));
    const nameBytes = String.UTF8.encode(name);
    const id = new ArrayBuffer(nameBytes.byteLength + 17);
    memory.copy(changetype<usize>(id), changetype<usize>(nameBytes), <usize>nameBytes.byteLength);
    store<u8>(changetype<usize>(id) + <usize>nameBytes.byteLength, 0x2F);
    memory.copy(changetype<usize>(id) + <usize>nameBytes.byteLength + 1, changetype<usize>(hex), 16);
    this.id = id;
    for (let i = 0; i < 64; i++) unchecked(this.prev[i] = 0x30);
    if (hmacKey !== null) this.hmac = new HmacSha256(changetype<usize>(hmacKey), <usize>hmacKey.byteLength);
    this.keyId = keyId;
    this.name = name;
    this.key = hmacKey;
  }

  private name: string = "";
  private key: ArrayBuffer | null = null;

  sameSettings(name: string, hmacKey: ArrayBuffer | null, keyId: string): bool {
    if (name != this.name || keyId != this.keyId) return false;
    const k = this.key;
    if (k === null || hmacKey === null) return k === null && hmacKey === null;
    return k.byteLength == hmacKey.byteLength && memory.compare(changetype<usize>(k), changetype<usize>(hmacKey), <usize>k.byteLength) == 0;
  }

  /** Writes the chain members before `hash` for the next record (seq not consumed yet). */
  writeFields(w: JsonWriter): void {
    w.key("chain").stringBytes(changetype<usize>(this.id), <usize>this.id.byteLength);
    w.key("seq").int(this.seq + 1);
    w.key("prev").stringBytes(changetype<usize>(this.prev), 64);
    w.key("alg").string(this.hmac !== null ? "hmac-sha256" : "sha256");
    w.key("key_id");
    if (this.hmac !== null) w.string(this.keyId);
    else w.null();
  }

  /**
   * `body` is the finished record without its hash (ending in '}'), written with writeFields.
   * Appends the full line (body with ,"hash":"…" before the final '}') to `out`, and advances
   * the chain. False (chain unchanged) if `out` is full.
   */
  seal(bodyPtr: usize, bodyLen: usize, out: ByteBuffer): bool {
    const d = changetype<usize>(this.digest);
    const prev = changetype<usize>(this.prev);
    const hmac = this.hmac;
    if (hmac !== null) {
      const m = this.message;
      m.clear();
      if (!m.append(prev, 64) || !m.appendByte(0x0A) || !m.append(bodyPtr, bodyLen)) return false;
      hmac.mac(m.ptr, m.length, d);
    } else {
      this.sha.update(prev, 64).update(changetype<usize>(memory.data<u8>([0x0A])), 1).update(bodyPtr, bodyLen).finish(d);
    }
    const mark = out.length;
    let ok = out.append(bodyPtr, bodyLen - 1) && out.appendAscii(",\"hash\":\"") && out.reserve(64);
    if (ok) {
      writeHex(d, 32, out.ptr + out.length);
      out.length += 64;
      ok = out.appendAscii("\"}");
    }
    if (!ok) {
      out.truncate(mark);
      return false;
    }
    writeHex(d, 32, prev);
    this.seq++;
    return true;
  }
}
