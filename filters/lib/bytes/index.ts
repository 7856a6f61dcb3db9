export {
  asciiLower, eqAscii, eqAsciiNoCase, startsWithAscii, startsWithAsciiNoCase, eqBytes, eqBytesNoCase,
  indexOfByte, indexOfLineEnd, indexOfBytes, indexOfAscii, indexOfAsciiNoCase, isAsciiSpace,
  countLeadingSpace, countTrailingSpace,
} from "./range";
export {
  NUM_OK, NUM_EMPTY, NUM_INVALID, NUM_OVERFLOW, NUM_FRACTION, parseU64, parseInteger, parseI64, parseF64, parseFixed,
  parsedU64, parsedI64, parsedF64, parsedInexact, formatU64, formatI64, parseHttpStatus,
} from "./number";
export { ByteBuffer, BYTE_BUFFER_MAX_CAP } from "./buffer";
export { crc32, crc32Update } from "./crc32";
