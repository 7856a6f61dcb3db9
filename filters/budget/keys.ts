// The key a rule charges: its parts read from headers, properties (JWT claims, metadata, xds.*)
// and the request, joined with '|'. A '|' or '%' inside a part is percent-escaped, so two
// different part lists never join to the same key.
import { HostBytes, MapType, getHeaderMapValueBytes, getPropertyAt } from "../sdk";
import { ByteBuffer } from "../lib/bytes";
import { KeyPart, KeyPartKind, Rule } from "./config";

/** Longest key value kept; a longer one counts as missing (it cannot be a sane identity). */
export const KEY_MAX: usize = 512;

export class KeyContext {
  modelPtr: usize = 0;
  modelLen: usize = 0;
  providerName: ArrayBuffer = new ArrayBuffer(0);
  /**
   * Values of the key headers (BudgetConfig.keyHeaders order), taken in on_request_headers:
   * Envoy lets a filter read request headers only until it continues them.
   */
  headers: Array<ArrayBuffer | null> = [];

  captureHeaders(names: string[]): void {
    this.headers.length = 0;
    for (let i = 0; i < names.length; i++) {
      const b = getHeaderMapValueBytes(MapType.HttpRequestHeaders, unchecked(names[i]));
      this.headers.push(b === null ? null : b.takeArrayBuffer());
    }
  }
}

const value = new ByteBuffer(KEY_MAX * 3, 256);

/** The rule's key value for this request, or null when a part is missing (or too long). */
export function buildKey(rule: Rule, ctx: KeyContext): ArrayBuffer | null {
  value.clear();
  const parts = rule.key;
  if (parts.length == 0) return String.UTF8.encode("_all");
  for (let i = 0; i < parts.length; i++) {
    if (i > 0 && !value.appendByte(0x7c)) return null;
    if (!appendPart(unchecked(parts[i]), ctx)) return null;
  }
  if (value.length > KEY_MAX) return null;
  const out = new ArrayBuffer(<i32>value.length);
  memory.copy(changetype<usize>(out), value.ptr, value.length);
  return out;
}

function appendPart(part: KeyPart, ctx: KeyContext): bool {
  switch (part.kind) {
    case KeyPartKind.Constant: return appendEscapedString(part.text);
    case KeyPartKind.Model: return ctx.modelLen > 0 && appendEscaped(ctx.modelPtr, ctx.modelLen);
    case KeyPartKind.Provider: return appendEscaped(changetype<usize>(ctx.providerName), <usize>ctx.providerName.byteLength);
    case KeyPartKind.Header: {
      const v = part.headerIndex < ctx.headers.length ? unchecked(ctx.headers[part.headerIndex]) : null;
      return v !== null && v.byteLength > 0 && appendEscaped(changetype<usize>(v), <usize>v.byteLength);
    }
    default: return appendHost(getPropertyAt(part.path!));
  }
}

function appendHost(b: HostBytes | null): bool {
  if (b === null) return false;
  const ok = b.len > 0 && appendEscaped(b.ptr, b.len);
  b.free();
  return ok;
}

function appendEscapedString(s: string): bool {
  const b = String.UTF8.encode(s);
  return appendEscaped(changetype<usize>(b), <usize>b.byteLength);
}

function appendEscaped(ptr: usize, len: usize): bool {
  if (len > KEY_MAX) return false;
  for (let i: usize = 0; i < len; i++) {
    const c = load<u8>(ptr + i);
    if (c == 0x7c || c == 0x25) {
      if (!value.appendByte(0x25) || !value.appendByte(c == 0x7c ? 0x37 : 0x32) || !value.appendByte(c == 0x7c ? 0x43 : 0x35)) return false;
    } else if (!value.appendByte(c)) {
      return false;
    }
  }
  return true;
}

/** The rule's shared-data key: prefix then value. */
export function ledgerKeyOf(rule: Rule, keyValue: ArrayBuffer): ArrayBuffer {
  const p = rule.keyPrefix.byteLength;
  const out = new ArrayBuffer(p + keyValue.byteLength);
  memory.copy(changetype<usize>(out), changetype<usize>(rule.keyPrefix), <usize>p);
  memory.copy(changetype<usize>(out) + <usize>p, changetype<usize>(keyValue), <usize>keyValue.byteLength);
  return out;
}
