export {
  FRAME_NEED_MORE, FRAME_UNIT, FRAME_END, FRAME_ERR_TOO_LARGE, FRAME_ERR_MALFORMED, FRAME_ERR_CRC,
  FRAME_ERR_TRUNCATED, FRAME_ERR_BUSY,
} from "./status";
export { SseFramer, SSE_DEFAULT_MAX_EVENT } from "./sse";
export { NdjsonFramer, NDJSON_DEFAULT_MAX_LINE } from "./ndjson";
export { EventStreamFramer, EVENTSTREAM_DEFAULT_MAX_FRAME } from "./eventstream";
export { JsonArrayFramer, JSON_ARRAY_DEFAULT_MAX_ELEMENT } from "./jsonarray";
