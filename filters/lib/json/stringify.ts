// JSON text output: for log lines and small documents (not for bodies).
import { JsonValue, JsonKind } from "./value";
import { isValidUtf8 } from "./utf8";

const HEX = "0123456789abcdef";

/** A JSON string literal for s, quotes included. */
export function jsonQuote(s: string): string {
  let clean = true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x22 || c == 0x5C || (c >= 0xD800 && c < 0xE000)) { clean = false; break; }
  }
  if (clean) return "\"" + s + "\"";
  const parts = new Array<string>();
  parts.push("\"");
  let runStart = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | null = null;
    if (c == 0x22) esc = "\\\"";
    else if (c == 0x5C) esc = "\\\\";
    else if (c == 0x0A) esc = "\\n";
    else if (c == 0x0D) esc = "\\r";
    else if (c == 0x09) esc = "\\t";
    else if (c == 0x08) esc = "\\b";
    else if (c == 0x0C) esc = "\\f";
    else if (c < 0x20) esc = "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    else if (c >= 0xD800 && c < 0xDC00) {
      // Keep valid pairs; escape lone surrogates so the output stays valid UTF-8.
      if (i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xDC00 && d < 0xE000) { i++; continue; }
      }
      esc = "\\u" + (<u32>c).toString(16);
    } else if (c >= 0xDC00 && c < 0xE000) {
      esc = "\\u" + (<u32>c).toString(16);
    }
    if (esc !== null) {
      if (i > runStart) parts.push(s.substring(runStart, i));
      parts.push(esc);
      runStart = i + 1;
    }
  }
  if (runStart < s.length) parts.push(s.substring(runStart));
  parts.push("\"");
  return parts.join("");
}

/** Quotes UTF-8 bytes at ptr..ptr+len; null if they are not valid UTF-8. */
export function jsonQuoteBytes(ptr: usize, len: usize): string | null {
  if (!isValidUtf8(ptr, len)) return null;
  return jsonQuote(String.UTF8.decodeUnsafe(ptr, len));
}

export function stringify(v: JsonValue): string {
  switch (v.kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return v.bool ? "true" : "false";
    case JsonKind.Number: return v.str.length > 0 ? v.str : v.num.toString();
    case JsonKind.String: return jsonQuote(v.str);
    case JsonKind.Array: {
      const parts = new Array<string>();
      for (let i = 0; i < v.length; i++) parts.push(stringify(changetype<JsonValue>(v.at(i))));
      return "[" + parts.join(",") + "]";
    }
    case JsonKind.Object: {
      const parts = new Array<string>();
      for (let i = 0; i < v.length; i++) {
        parts.push(jsonQuote(v.keyAt(i)) + ":" + stringify(changetype<JsonValue>(v.valueAt(i))));
      }
      return "{" + parts.join(",") + "}";
    }
  }
  return "null";
}
