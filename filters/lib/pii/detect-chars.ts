// Byte classes shared by the structured detectors. Everything works on raw UTF-8 bytes: ASCII
// tests only, so invalid UTF-8 is just "not a letter/digit" and can never trap.

/** The byte at i, or 0 outside [0, len): lets scanners peek either side without bounds checks. */
@inline export function at(ptr: usize, len: i32, i: i32): u32 {
  return i >= 0 && i < len ? <u32>load<u8>(ptr + <usize>i) : 0;
}

@inline export function isDigit(b: u32): bool { return b - 0x30 < 10; }
@inline export function isAlpha(b: u32): bool { return (b | 0x20) - 0x61 < 26; }
@inline export function isUpper(b: u32): bool { return b - 0x41 < 26; }
@inline export function isAlnum(b: u32): bool { return isDigit(b) || isAlpha(b); }
@inline export function isHex(b: u32): bool { return isDigit(b) || (b | 0x20) - 0x61 < 6; }
@inline export function lower(b: u32): u32 { return isUpper(b) ? b | 0x20 : b; }

/** Part of a word or identifier: an entity glued to one of these is not an entity. */
@inline export function isWordByte(b: u32): bool { return isAlnum(b) || b == 0x5F; }

@inline export function isSpace(b: u32): bool { return b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D; }
