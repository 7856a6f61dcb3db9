// The PII actions on their own: redact, mask, keyed pseudonyms, placeholders, and putting the
// originals back into a reply however it is split.
import { createHmac } from "node:crypto";
import { loadTestWasm } from "./support/test-wasm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { prng } from "./replay/split";

interface Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  pa_alloc(n: number): number;
  pa_free(p: number): void;
  pa_out_ptr(): number;
  pa_out_len(): number;
  pa_clear(): void;
  pa_reset(): void;
  pa_key(p: number, n: number): void;
  pa_replace(action: number, type: number, p: number, n: number, tp: number, tn: number): number;
  pa_restore_push(p: number, n: number): number;
  pa_restore_flush(): void;
  sr_reset(bound: number): void;
  sr_push(p: number, n: number): number;
  sr_flush(): void;
}

const REDACT = 0, MASK = 1, PSEUDO = 2, TOKENISE = 3;
const EMAIL = 1, PHONE = 2, CARD = 3;
const enc = new TextEncoder();
const dec = new TextDecoder();
let x: Exports;

beforeAll(async () => {
  x = await loadTestWasm<Exports>("pii-actions");
});

beforeEach(() => {
  x.pa_reset();
  x.pa_clear();
});

function withBytes<T>(s: string, f: (p: number, n: number) => T): T {
  const b = enc.encode(s);
  const p = x.pa_alloc(b.length);
  new Uint8Array(x.memory.buffer, p, b.length).set(b);
  try {
    return f(p, b.length);
  } finally {
    x.pa_free(p);
  }
}

function output(): string {
  return dec.decode(new Uint8Array(x.memory.buffer, x.pa_out_ptr(), x.pa_out_len()));
}

function replace(action: number, type: number, value: string, tenant = ""): string {
  x.pa_clear();
  withBytes(value, (p, n) => withBytes(tenant, (tp, tn) => expect(x.pa_replace(action, type, p, n, tp, tn)).toBeTruthy()));
  return output();
}

describe("replacements", () => {
  it("redact names the type", () => {
    expect(replace(REDACT, EMAIL, "ann@example.com")).toBe("[EMAIL]");
  });

  it("mask keeps the last 4 letters or digits and the separators", () => {
    expect(replace(MASK, CARD, "4111 1111 1111 4242")).toBe("**** **** **** 4242");
    expect(replace(MASK, PHONE, "(415) 555-0100")).toBe("(***) ***-0100");
    expect(replace(MASK, PHONE, "+44 20 7946 0958")).toBe("+** ** **** 0958");
  });

  it("pseudonyms are HMAC-SHA256 of tenant, type and value: stable per key and tenant, different across them", () => {
    withBytes("k1-secret", (p, n) => x.pa_key(p, n));
    const a = replace(PSEUDO, EMAIL, "ann@example.com", "tenant-a");
    const mac = createHmac("sha256", "k1-secret").update(Buffer.concat([Buffer.from("tenant-a\0EMAIL\0"), Buffer.from("ann@example.com")])).digest("hex");
    expect(a).toBe(`[EMAIL_${mac.slice(0, 8)}]`);
    expect(replace(PSEUDO, EMAIL, "ann@example.com", "tenant-a")).toBe(a);
    expect(replace(PSEUDO, EMAIL, "ann@example.com", "tenant-b")).not.toBe(a);
    withBytes("k2-secret", (p, n) => x.pa_key(p, n));
    expect(replace(PSEUDO, EMAIL, "ann@example.com", "tenant-a")).not.toBe(a);
  });

  it("placeholders are numbered per type in order of first sight, the same value keeps its number", () => {
    expect(replace(TOKENISE, EMAIL, "ann@example.com")).toBe("<EMAIL_1>");
    expect(replace(TOKENISE, PHONE, "+1 415 555 0100")).toBe("<PHONE_1>");
    expect(replace(TOKENISE, EMAIL, "bob@example.com")).toBe("<EMAIL_2>");
    expect(replace(TOKENISE, EMAIL, "ann@example.com")).toBe("<EMAIL_1>");
  });
});

describe("restore", () => {
  const reply = "Dear <EMAIL_1>, we will call <PHONE_1> or write to <EMAIL_2>. <NOT_1> and <EMAIL_9> stay; so does a < b > c.";
  const restored = "Dear ann@example.com, we will call +1 415 555 0100 or write to bob@example.com. <NOT_1> and <EMAIL_9> stay; so does a < b > c.";

  function vaultOf() {
    replace(TOKENISE, EMAIL, "ann@example.com");
    replace(TOKENISE, PHONE, "+1 415 555 0100");
    replace(TOKENISE, EMAIL, "bob@example.com");
    x.pa_clear();
  }

  it("puts the originals back, unknown placeholders and plain `<` stay", () => {
    vaultOf();
    withBytes(reply, (p, n) => x.pa_restore_push(p, n));
    x.pa_restore_flush();
    expect(output()).toBe(restored);
  });

  it("the same under every split into pieces, holding back at most one unfinished placeholder", () => {
    vaultOf();
    const bytes = enc.encode(reply);
    const rand = prng(11);
    for (let run = 0; run < 200; run++) {
      x.pa_clear();
      let at = 0;
      let maxHeld = 0;
      while (at < bytes.length) {
        const n = run === 0 ? 1 : 1 + Math.floor(rand() * 12);
        const piece = dec.decode(bytes.subarray(at, at + n));
        maxHeld = Math.max(maxHeld, withBytes(piece, (p, len) => x.pa_restore_push(p, len)));
        at += n;
      }
      x.pa_restore_flush();
      expect(output()).toBe(restored);
      expect(maxHeld).toBeLessThanOrEqual(32);
    }
  });
});

describe("streaming redaction: long secrets with known prefixes", () => {
  // A throwaway key pair's private half would be a real secret; this block is random base64 in PEM shape.
  const rand = prng(5);
  const b64 = (n: number) => Array.from({ length: n }, () => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[Math.floor(rand() * 64)]).join("");
  const pemBody = Array.from({ length: 12 }, () => b64(64)).join("\n");
  const pem = `-----BEGIN RSA PRIVATE KEY-----\n${pemBody}\n-----END RSA PRIVATE KEY-----`;
  const jwt = `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${b64(120).replace(/[+/]/g, "_")}.${b64(43).replace(/[+/]/g, "-")}`;
  const text = `Here is the key:\n${pem}\nand the token ${jwt} for the call. Thanks!`;

  function stream(pieces: number[], bound: number): { out: string; maxHeld: number } {
    x.pa_clear();
    x.sr_reset(bound);
    const bytes = enc.encode(text);
    let at = 0;
    let maxHeld = 0;
    let k = 0;
    while (at < bytes.length) {
      const n = pieces[k++ % pieces.length];
      maxHeld = Math.max(maxHeld, withBytes(dec.decode(bytes.subarray(at, at + n)), (p, len) => x.sr_push(p, len)));
      at += n;
    }
    x.sr_flush();
    return { out: output(), maxHeld };
  }

  it.each([[[1]], [[3, 7, 1]], [[64]], [[500]]])("pieces %j: no 4-character fragment of the key or token reaches the client; hold-back stays within 64 bytes", (pieces) => {
    const { out, maxHeld } = stream(pieces, 64);
    expect(maxHeld).toBeLessThanOrEqual(64);
    expect(out).toContain("Here is the key:");
    expect(out).toContain("for the call. Thanks!");
    for (const secret of [pemBody.replace(/\n/g, ""), jwt.slice(3)]) {
      for (let i = 0; i + 4 <= secret.length; i += 1) {
        const frag = secret.slice(i, i + 4);
        if (/^[A-Za-z]{4}$/.test(frag) && "Here is the key and token for call Thanks".includes(frag)) continue;
        expect(out.includes(frag) ? frag : "", `fragment at ${i}`).toBe("");
      }
    }
  });
});
