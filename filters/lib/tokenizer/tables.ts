// Access to the tokenizer image that scripts/gen-vocab.mjs places at VOCAB_BASE (see that file
// for the byte layout). Nothing here is compiled from the data: the header is read at run time,
// so a module built without the image reports `tablesReady() == false` instead of miscounting.

/** Must equal VOCAB_BASE in scripts/gen-vocab.mjs. Low memory, below asc's --memoryBase. */
export const VOCAB_BASE: usize = 1024;
const MAGIC: u32 = 0x4b544754;
const VERSION: u32 = 2;

export const ENCODING_O200K: i32 = 0;
export const ENCODING_CL100K: i32 = 1;

// Code point classes as the generator numbers them.
export const C_OTHER: u32 = 0;
export const C_LU: u32 = 1;
export const C_LL: u32 = 2;
export const C_LT: u32 = 3;
export const C_LM: u32 = 4;
export const C_LO: u32 = 5;
export const C_M: u32 = 6;
export const C_N: u32 = 7;
export const C_WS: u32 = 8;

// Class sets as bit masks over (1 << class), so a membership test is one shift and one and.
export const SET_L: u32 = (1 << C_LU) | (1 << C_LL) | (1 << C_LT) | (1 << C_LM) | (1 << C_LO);
/** o200k's [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]: the "upper" side of a word. */
export const SET_UPPER: u32 = (1 << C_LU) | (1 << C_LT) | (1 << C_LM) | (1 << C_LO) | (1 << C_M);
/** o200k's [\p{Ll}\p{Lm}\p{Lo}\p{M}]: the "lower" side of a word. */
export const SET_LOWER: u32 = (1 << C_LL) | (1 << C_LM) | (1 << C_LO) | (1 << C_M);
/** [^\s\p{L}\p{N}]: marks count here, they are not letters. */
export const SET_PUNCT: u32 = (1 << C_OTHER) | (1 << C_M);

let ready: i32 = -1; // -1 unknown, 0 missing, 1 present
let bmpAt: usize = 0;
let astralAt: usize = 0;
let astralCount: u32 = 0;

/** Whether the image is in memory (checked once per module instance). */
export function tablesReady(): bool {
  if (ready < 0) {
    ready = load<u32>(VOCAB_BASE) == MAGIC && load<u32>(VOCAB_BASE, 4) == VERSION ? 1 : 0;
    if (ready == 1) {
      bmpAt = <usize>load<u32>(VOCAB_BASE, 12);
      astralAt = <usize>load<u32>(VOCAB_BASE, 16);
      astralCount = load<u32>(VOCAB_BASE, 20);
    }
  }
  return ready == 1;
}

/** Class of a code point; only valid after tablesReady(). */
// @ts-ignore: decorator
@inline
export function classOf(cp: u32): u32 {
  if (cp < 0x10000) return <u32>load<u8>(bmpAt + <usize>cp);
  return astralClass(cp);
}

function astralClass(cp: u32): u32 {
  // Last range whose start is <= cp; ranges start at U+10000, so one always exists.
  let lo: u32 = 0;
  let hi: u32 = astralCount;
  const key = cp << 4 | 0xf;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (load<u32>(astralAt + (<usize>mid << 2)) <= key) lo = mid;
    else hi = mid;
  }
  return load<u32>(astralAt + (<usize>lo << 2)) & 0xf;
}

/** Address of an encoding's descriptor (8 x u32), 0 when unknown or the image is missing. */
export function encodingDescriptor(encoding: i32): usize {
  if (!tablesReady() || encoding < 0 || encoding > 1) return 0;
  return <usize>load<u32>(VOCAB_BASE + 24 + (<usize>encoding << 2));
}
