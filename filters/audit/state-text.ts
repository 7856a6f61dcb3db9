// Decodes an escaped JSON string span (already validated by the scanner) to the exact bytes the
// record always wrote for it: the text as UTF-16 code units, then String.UTF8.encode's default
// (WTF-8): an escaped surrogate pair becomes one 4-byte sequence, a lone surrogate its 3-byte
// form (ED A0 80 …), which the record's sanitiser then turns into U+FFFD per ill-formed byte.
// Keys are compared in this form too, so equal code-unit strings are equal bytes and no others.
import { ByteBuffer } from "../lib/bytes";
import { hex4 } from "../lib/json-scan/unescape";

function emit(out: ByteBuffer, cp: u32): void {
  if (cp < 0x80) out.appendByte(<u8>cp);
  else if (cp < 0x800) {
    out.appendByte(<u8>(0xC0 | (cp >> 6)));
    out.appendByte(<u8>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.appendByte(<u8>(0xE0 | (cp >> 12)));
    out.appendByte(<u8>(0x80 | ((cp >> 6) & 0x3F)));
    out.appendByte(<u8>(0x80 | (cp & 0x3F)));
  } else {
    out.appendByte(<u8>(0xF0 | (cp >> 18)));
    out.appendByte(<u8>(0x80 | ((cp >> 12) & 0x3F)));
    out.appendByte(<u8>(0x80 | ((cp >> 6) & 0x3F)));
    out.appendByte(<u8>(0x80 | (cp & 0x3F)));
  }
}

/** Appends the decoded form of the string span [ptr, ptr+len) (inside the quotes) to `out`. */
export function decodeStateString(out: ByteBuffer, ptr: usize, len: usize): void {
  out.reserve(len);
  let i: usize = 0;
  while (i < len) {
    let run = i;
    while (run < len && load<u8>(ptr + run) != 0x5C) run++;
    if (run > i) out.append(ptr + i, run - i);
    i = run;
    if (i >= len) break;
    const e = <u32>load<u8>(ptr + i + 1);
    if (e != 0x75) {
      let c: u32 = e; // \" \\ \/
      if (e == 0x62) c = 0x08;
      else if (e == 0x66) c = 0x0C;
      else if (e == 0x6E) c = 0x0A;
      else if (e == 0x72) c = 0x0D;
      else if (e == 0x74) c = 0x09;
      out.appendByte(<u8>c);
      i += 2;
      continue;
    }
    let cp = hex4(ptr + i + 2);
    i += 6;
    if (cp - 0xD800 < 0x400 && i + 6 <= len && load<u8>(ptr + i) == 0x5C && load<u8>(ptr + i + 1) == 0x75) {
      const lo = hex4(ptr + i + 2);
      if (lo - 0xDC00 < 0x400) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 6;
      }
    }
    emit(out, cp);
  }
}
