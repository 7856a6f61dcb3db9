// Exact token counts for OpenAI's o200k_base and cl100k_base on UTF-8 bytes in linear memory.
// What a caller can rely on (invalid UTF-8, special tokens, limits, chat overhead) is written
// down in README.md beside this file.
export { ENCODING_CL100K, ENCODING_O200K, tablesReady } from "./tables";
export {
  countTokens, encodeTokens, encodingByName,
  TOKENIZE_UNAVAILABLE, TOKENIZE_PIECE_TOO_LONG, TOKENIZE_OUT_TOO_SMALL,
} from "./encode";
export { ChatTokenCounter, ChatFormat } from "./chat";
