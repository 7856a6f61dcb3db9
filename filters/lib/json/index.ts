export { JsonValue, JsonKind, jsonKindName } from "./value";
export { JsonResult, parseJson, parseJsonAt, parseJsonBytes, DEFAULT_MAX_DEPTH } from "./parse";
export { jsonQuote, jsonQuoteBytes, stringify } from "./stringify";
export { isValidUtf8, utf8InvalidOffset } from "./utf8";
export { ConfigReader } from "./reader";
