// Results shared by every framer. A framer is fed with push(chunk) and drained with next():
//
//   framer.push(body.ptr, body.len);
//   for (let r = framer.next(); r != FRAME_NEED_MORE; r = framer.next()) {
//     if (r == FRAME_UNIT) { ...read the unit's spans... } else if (r < 0) { ...count it... }
//   }
//   // at end_of_stream: framer.finish(), then drain next() until FRAME_END
//
// Unit spans point into the pushed chunk when the unit lies inside it (no copy) or into the
// framer's own buffer when it straddled chunks; either way they are valid until the next call
// to next() or push(). A chunk must stay valid until next() has returned FRAME_NEED_MORE.

/** The chunk is used up: push the next one, or finish(). */
export const FRAME_NEED_MORE: i32 = 0;
/** A complete unit is ready (read it before calling next() again). */
export const FRAME_UNIT: i32 = 1;
/** finish() was called and everything has been returned. */
export const FRAME_END: i32 = 2;

/** A unit would pass the configured maximum; it is dropped and framing resumes after it. */
export const FRAME_ERR_TOO_LARGE: i32 = -1;
/** Bytes that break the format. Where no later boundary can be trusted, the rest is discarded. */
export const FRAME_ERR_MALFORMED: i32 = -2;
/** A checksum mismatch (AWS event-stream). */
export const FRAME_ERR_CRC: i32 = -3;
/** The stream ended inside a unit that cannot be completed (finish() only). */
export const FRAME_ERR_TRUNCATED: i32 = -4;
/** push() while the previous chunk was not drained to FRAME_NEED_MORE; the chunk is ignored. */
export const FRAME_ERR_BUSY: i32 = -5;
