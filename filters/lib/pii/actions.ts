// What happens to an entity found in a text (per type, from the configuration):
//   redact        `[EMAIL]`
//   mask          every letter and digit but the last 4 becomes `*`, separators stay
//                 (`**** **** **** 4242`, `***-***-0100`)
//   pseudonymise  `[EMAIL_3f2a9c1b]`: HMAC-SHA256(key, tenant ‖ 0 ‖ type ‖ 0 ‖ value), first 4
//                 bytes in hex; stable for a key and tenant, unlinkable without the key
//   tokenise      `<EMAIL_1>`, restored in the reply (vault.ts, restore.ts)
//   block         the request is refused (the filter's job; nothing is rewritten)
//   detect        reported only
import { ByteBuffer } from "../bytes";
import { HmacSha256 } from "../crypto";
import { piiTypeName } from "./findings";
import { Vault } from "./vault";

export const enum PiiAction {
  Redact = 0,
  Mask = 1,
  Pseudonymise = 2,
  Tokenise = 3,
  Block = 4,
  Detect = 5,
}

export function piiActionName(a: PiiAction): string {
  switch (a) {
    case PiiAction.Redact: return "redact";
    case PiiAction.Mask: return "mask";
    case PiiAction.Pseudonymise: return "pseudonymise";
    case PiiAction.Tokenise: return "tokenise";
    case PiiAction.Block: return "block";
    default: return "detect";
  }
}

/** -1 for an unknown name. */
export function piiActionFromName(name: string): i32 {
  for (let a = 0; a <= 5; a++) if (piiActionName(<PiiAction>a) == name) return a;
  return -1;
}

/** Does the action change the text? (block and detect do not.) */
export function rewrites(a: PiiAction): bool {
  return a <= PiiAction.Tokenise;
}

const digest = new StaticArray<u8>(32);
const HEX = "0123456789abcdef";

/**
 * Appends the replacement of the entity [ptr, +len) of `type` under `action` to `out`.
 * Pseudonymise needs `hmac` and the tenant bytes; tokenise needs the request's vault.
 * Returns false when `out` (or the vault) is full.
 */
export function writeReplacement(
  action: PiiAction, type: i32, ptr: usize, len: usize, out: ByteBuffer,
  hmac: HmacSha256 | null, tenantPtr: usize, tenantLen: usize, vault: Vault | null, scratch: ByteBuffer,
): bool {
  switch (action) {
    case PiiAction.Mask: return mask(ptr, len, out);
    case PiiAction.Pseudonymise: {
      if (hmac === null) return redact(type, out);
      scratch.clear();
      const name = piiTypeName(type);
      if (!scratch.append(tenantPtr, tenantLen) || !scratch.appendByte(0) || !appendAscii(scratch, name) || !scratch.appendByte(0) || !scratch.append(ptr, len)) return false;
      hmac.mac(scratch.ptr, scratch.length, changetype<usize>(digest));
      if (!out.appendByte(0x5b) || !appendAscii(out, name) || !out.appendByte(0x5f)) return false;
      for (let i = 0; i < 4; i++) {
        const b = <i32>unchecked(digest[i]);
        if (!out.appendByte(<u8>HEX.charCodeAt(b >> 4)) || !out.appendByte(<u8>HEX.charCodeAt(b & 15))) return false;
      }
      return out.appendByte(0x5d);
    }
    case PiiAction.Tokenise: {
      if (vault === null) return redact(type, out);
      const entry = vault.entryFor(type, ptr, len);
      return entry >= 0 ? vault.writePlaceholder(entry, out) : redact(type, out);
    }
    case PiiAction.Redact: return redact(type, out);
    default: return out.append(ptr, len);
  }
}

function redact(type: i32, out: ByteBuffer): bool {
  return out.appendByte(0x5b) && appendAscii(out, piiTypeName(type)) && out.appendByte(0x5d);
}

function mask(ptr: usize, len: usize, out: ByteBuffer): bool {
  let alnum = 0;
  for (let i: usize = 0; i < len; i++) if (isAlnum(load<u8>(ptr + i))) alnum++;
  let seen = 0;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(ptr + i);
    if (!isAlnum(c)) {
      // Non-ASCII bytes (letters of other scripts) are masked too: one `*` per code point.
      if (c >= 0x80) {
        if ((c & 0xc0) != 0x80 && !out.appendByte(0x2a)) return false;
        continue;
      }
      if (!out.appendByte(c)) return false;
      continue;
    }
    seen++;
    if (!out.appendByte(seen > alnum - 4 ? c : 0x2a)) return false;
  }
  return true;
}

function isAlnum(c: u8): bool {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a);
}

function appendAscii(out: ByteBuffer, s: string): bool {
  for (let i = 0; i < s.length; i++) if (!out.appendByte(<u8>s.charCodeAt(i))) return false;
  return true;
}
