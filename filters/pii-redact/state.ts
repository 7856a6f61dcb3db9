// Filter state `tollgate.pii` (JSON): what was found and done, per direction, type and action —
// counts only, never values:
//   {"request":{"EMAIL":{"tokenise":2}},"response":{"CREDIT_CARD":{"mask":1}},"restored":2,
//    "blocked":null|"SECRET","response_streamed_unscanned":false,"unreadable":0}
import { setPropertyRaw } from "../sdk";
import { JsonWriter } from "../lib/json-scan";
import { piiActionName } from "../lib/pii/actions";
import { piiTypeName, PII_TYPE_MAX } from "../lib/pii/findings";
import { ACTION_COUNT } from "./policy";
import { PiiStream } from "./stream";

const P_PII = String.UTF8.encode("tollgate.pii");
let writer: JsonWriter | null = null;

export function publishPiiState(s: PiiStream): void {
  let w = writer;
  if (w === null) {
    w = new JsonWriter(2048);
    writer = w;
  } else {
    w.reset();
  }
  const p = s.counts;
  w.beginObject();
  for (let d = 0; d < 2; d++) {
    w.key(d == 0 ? "request" : "response").beginObject();
    for (let t = 1; t <= PII_TYPE_MAX; t++) {
      let any = false;
      for (let a = 0; a < ACTION_COUNT; a++) {
        const n = p.countOf(d, t, a);
        if (n == 0) continue;
        if (!any) {
          w.key(piiTypeName(t)).beginObject();
          any = true;
        }
        w.key(piiActionName(a)).int(n);
      }
      if (any) w.endObject();
    }
    w.endObject();
  }
  w.key("restored").int(p.restoredCount);
  w.key("blocked");
  if (s.blockedType != 0) w.string(piiTypeName(s.blockedType));
  else w.null();
  w.key("response_streamed_unscanned").bool(s.responseStreamed);
  w.key("unreadable").int(s.badDocuments);
  w.key("stream_max_held_bytes").int(<i64>s.maxHeld);
  w.endObject();
  if (!w.ok) return;
  setPropertyRaw(changetype<usize>(P_PII), <usize>P_PII.byteLength, w.ptr, w.length);
}
