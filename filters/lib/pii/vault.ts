// Tokenise-and-restore: the per-request table behind placeholders like `<EMAIL_1>`. The same
// value always gets the same placeholder within a request (numbered per type in order of first
// sight), so the model can still tell two people apart; the reply gets the originals back.
import { ByteBuffer } from "../bytes";
import { piiTypeName, PII_TYPE_MAX } from "./findings";

export class Vault {
  private values: ByteBuffer = new ByteBuffer(1 << 20, 256);
  private offset: i32[] = [];
  private length: i32[] = [];
  private type: i32[] = [];
  private number: i32[] = [];
  private next: StaticArray<i32> = new StaticArray<i32>(PII_TYPE_MAX + 1);

  get size(): i32 { return this.offset.length; }

  /** The entry for (type, value), added if new; -1 when the vault is full. */
  entryFor(type: i32, ptr: usize, len: usize): i32 {
    for (let i = 0; i < this.offset.length; i++) {
      if (unchecked(this.type[i]) != type || <usize>unchecked(this.length[i]) != len) continue;
      if (memory.compare(this.values.ptr + <usize>unchecked(this.offset[i]), ptr, len) == 0) return i;
    }
    const at = <i32>this.values.length;
    if (!this.values.append(ptr, len)) return -1;
    const n = unchecked(this.next[type]) + 1;
    unchecked(this.next[type] = n);
    this.offset.push(at);
    this.length.push(<i32>len);
    this.type.push(type);
    this.number.push(n);
    return this.offset.length - 1;
  }

  /** Appends `<TYPE_N>` for entry i. */
  writePlaceholder(i: i32, out: ByteBuffer): bool {
    return out.appendByte(0x3c) && appendAscii(out, piiTypeName(unchecked(this.type[i]))) && out.appendByte(0x5f) &&
      appendNumber(out, unchecked(this.number[i])) && out.appendByte(0x3e);
  }

  /** The entry a placeholder names ([ptr, +len) is the text between `<` and `>`), or -1. */
  lookup(ptr: usize, len: usize): i32 {
    // NAME_N: split at the last '_'.
    let us: isize = -1;
    for (let k: isize = <isize>len - 1; k >= 0; k--) {
      if (load<u8>(ptr + <usize>k) == 0x5f) { us = k; break; }
    }
    if (us <= 0 || <usize>us == len - 1) return -1;
    let n = 0;
    for (let k = <usize>us + 1; k < len; k++) {
      const c = <i32>load<u8>(ptr + k) - 0x30;
      if (c < 0 || c > 9 || n > 100_000_000) return -1;
      n = n * 10 + c;
    }
    for (let i = 0; i < this.offset.length; i++) {
      if (unchecked(this.number[i]) != n) continue;
      const name = piiTypeName(unchecked(this.type[i]));
      if (eqAsciiString(ptr, <usize>us, name)) return i;
    }
    return -1;
  }

  /** Appends the original value of entry i. */
  writeValue(i: i32, out: ByteBuffer): bool {
    return out.append(this.values.ptr + <usize>unchecked(this.offset[i]), <usize>unchecked(this.length[i]));
  }
}

function appendAscii(out: ByteBuffer, s: string): bool {
  for (let i = 0; i < s.length; i++) if (!out.appendByte(<u8>s.charCodeAt(i))) return false;
  return true;
}

function appendNumber(out: ByteBuffer, n: i32): bool {
  const digits = n.toString();
  return appendAscii(out, digits);
}

function eqAsciiString(ptr: usize, len: usize, s: string): bool {
  if (<usize>s.length != len) return false;
  for (let i = 0; i < s.length; i++) if (<u32>load<u8>(ptr + <usize>i) != <u32>s.charCodeAt(i)) return false;
  return true;
}

/** Longest placeholder text: `<` + longest type name + `_` + 9 digits + `>`. */
export const PLACEHOLDER_MAX: usize = 32;
