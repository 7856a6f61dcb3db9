// Target of `--use abort=filters/sdk/abort/proxyAbort`: the default AssemblyScript abort
// imports env.abort, which Envoy does not provide (the module would fail to link). This one
// reports through proxy_log at critical and then traps, so Envoy logs why the VM died.
//
// It must not allocate: abort also fires on out-of-memory and inside the allocator. The line
// is assembled in a static buffer by hand.
import { proxy_log } from "./imports";

const CAP: usize = 512;
const BUF: usize = memory.data(<i32>CAP);

function putAscii(at: usize, s: string): usize {
  for (let i = 0; i < s.length && at < CAP; i++) {
    store<u8>(BUF + at++, <u8>s.charCodeAt(i));
  }
  return at;
}

// UTF-16 → UTF-8, truncated to the buffer; lone surrogates become '?'.
function putString(at: usize, s: string | null): usize {
  if (s === null) return putAscii(at, "(null)");
  const str = changetype<string>(s);
  const n = str.length;
  for (let i = 0; i < n; i++) {
    let c = <u32>str.charCodeAt(i);
    if (c >= 0xD800 && c < 0xDC00 && i + 1 < n) {
      const d = <u32>str.charCodeAt(i + 1);
      if (d >= 0xDC00 && d < 0xE000) {
        c = 0x10000 + ((c - 0xD800) << 10) + (d - 0xDC00);
        i++;
      }
    }
    if (c >= 0xD800 && c < 0xE000) c = 0x3F;
    if (c < 0x80) {
      if (at + 1 > CAP) break;
      store<u8>(BUF + at++, <u8>c);
    } else if (c < 0x800) {
      if (at + 2 > CAP) break;
      store<u8>(BUF + at++, <u8>(0xC0 | (c >> 6)));
      store<u8>(BUF + at++, <u8>(0x80 | (c & 0x3F)));
    } else if (c < 0x10000) {
      if (at + 3 > CAP) break;
      store<u8>(BUF + at++, <u8>(0xE0 | (c >> 12)));
      store<u8>(BUF + at++, <u8>(0x80 | ((c >> 6) & 0x3F)));
      store<u8>(BUF + at++, <u8>(0x80 | (c & 0x3F)));
    } else {
      if (at + 4 > CAP) break;
      store<u8>(BUF + at++, <u8>(0xF0 | (c >> 18)));
      store<u8>(BUF + at++, <u8>(0x80 | ((c >> 12) & 0x3F)));
      store<u8>(BUF + at++, <u8>(0x80 | ((c >> 6) & 0x3F)));
      store<u8>(BUF + at++, <u8>(0x80 | (c & 0x3F)));
    }
  }
  return at;
}

function putU32(at: usize, v: u32): usize {
  // Digits are produced backwards into a small stack of bytes.
  let digits: u64 = 0;
  let count = 0;
  do {
    digits = (digits << 4) | <u64>(v % 10);
    v /= 10;
    count++;
  } while (v != 0);
  for (let i = 0; i < count && at < CAP; i++) {
    store<u8>(BUF + at++, <u8>(0x30 + (digits & 0xF)));
    digits >>= 4;
  }
  return at;
}

export function proxyAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let at: usize = 0;
  at = putAscii(at, "abort: ");
  at = putString(at, message);
  at = putAscii(at, " at ");
  at = putString(at, fileName);
  at = putAscii(at, ":");
  at = putU32(at, line);
  at = putAscii(at, ":");
  at = putU32(at, column);
  proxy_log(5, BUF, at);
  unreachable();
}
