export {
  JsonScanner, isValidJson, TOK_END, TOK_OBJECT_START, TOK_OBJECT_END, TOK_ARRAY_START, TOK_ARRAY_END,
  TOK_KEY, TOK_STRING, TOK_NUMBER, TOK_TRUE, TOK_FALSE, TOK_NULL,
  JSON_ERR_MALFORMED, JSON_ERR_TOO_DEEP, JSON_ERR_TRUNCATED, JSON_DEFAULT_MAX_DEPTH, JSON_MAX_DEPTH_LIMIT,
} from "./scanner";
export { JsonPathSet, JsonPathMatcher, PATH_MAX, PATH_MATCH, PATH_DONE } from "./paths";
export { unescapeJsonString, UNESCAPE_MALFORMED, UNESCAPE_NO_ROOM } from "./unescape";
export {
  readJsonInteger, jsonIntegerOr, readJsonNumber, readJsonFixed,
  NUM_OK, NUM_EMPTY, NUM_INVALID, NUM_OVERFLOW, NUM_FRACTION, parsedI64, parsedF64,
} from "./number";
export { JsonWriter } from "./writer";
