// filters/lib/crypto against node:crypto: SHA-256 on every length around the block and padding
// boundaries, fed whole and in odd pieces, and HMAC-SHA256 with short, block-sized and long keys.
import { createHash, createHmac } from "node:crypto";
import { loadTestWasm } from "./support/test-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { prng } from "./replay/split";

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  cr_alloc(n: number): number;
  cr_free(p: number): void;
  cr_sha256(ptr: number, len: number, piece: number, out: number): void;
  cr_hmac(kp: number, kl: number, ptr: number, len: number, out: number): void;
}

let x: Exports;
beforeAll(async () => {
  x = await loadTestWasm<Exports>("crypto");
});

function put(bytes: Uint8Array): number {
  const p = x.cr_alloc(bytes.length);
  new Uint8Array(x.memory.buffer, p, bytes.length).set(bytes);
  return p;
}

function sha(bytes: Uint8Array, piece = 0): string {
  const p = put(bytes);
  const out = x.cr_alloc(32);
  x.cr_sha256(p, bytes.length, piece, out);
  const hex = Buffer.from(new Uint8Array(x.memory.buffer, out, 32)).toString("hex");
  x.cr_free(p);
  x.cr_free(out);
  return hex;
}

function hmac(key: Uint8Array, msg: Uint8Array): string {
  const kp = put(key);
  const mp = put(msg);
  const out = x.cr_alloc(32);
  x.cr_hmac(kp, key.length, mp, msg.length, out);
  const hex = Buffer.from(new Uint8Array(x.memory.buffer, out, 32)).toString("hex");
  [kp, mp, out].forEach((p) => x.cr_free(p));
  return hex;
}

const rand = prng(42);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));

describe("SHA-256", () => {
  it("the FIPS 180-4 examples", () => {
    expect(sha(new TextEncoder().encode("abc"))).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(sha(new Uint8Array())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });

  it("every length 0..300 (block and padding edges), whole and in 1, 7 and 63-byte pieces", () => {
    for (let n = 0; n <= 300; n++) {
      const b = bytes(n);
      const want = createHash("sha256").update(b).digest("hex");
      for (const piece of [0, 1, 7, 63]) expect(sha(b, piece), `len ${n} piece ${piece}`).toBe(want);
    }
  });

  it("a megabyte", () => {
    const b = bytes(1 << 20);
    expect(sha(b, 4096)).toBe(createHash("sha256").update(b).digest("hex"));
  });
});

describe("HMAC-SHA256", () => {
  it("RFC 4231 test case 2", () => {
    expect(hmac(new TextEncoder().encode("Jefe"), new TextEncoder().encode("what do ya want for nothing?"))).toBe("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });

  it("keys of 0, 1, 32, 64, 65 and 200 bytes on random messages", () => {
    for (const kl of [0, 1, 32, 64, 65, 200]) {
      for (const ml of [0, 5, 64, 100, 1000]) {
        const k = bytes(kl);
        const m = bytes(ml);
        expect(hmac(k, m), `key ${kl} msg ${ml}`).toBe(createHmac("sha256", k).update(m).digest("hex"));
      }
    }
  });
});
