// Finding the record in a line of Envoy's application log.
//
// The audit filter's log sink calls proxy_log with `<prefix><record>`. Envoy writes that
// through spdlog as `wasm log<plugin log prefix>: <message>` (Context::log in
// source/extensions/common/wasm/context.cc; the plugin prefix is " <name> <root_id> <vm_id>",
// PluginBase::makeLogPrefix in proxy-wasm-cpp-host), inside whatever --log-format says; the
// default format "[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v" ends with the message. Two options
// change the message's bytes and are undone here:
// - --log-format-escaped: the formatted line goes through absl::CEscape
//   (DelegatingLogSink::escapeLogLine in source/common/common/logger.cc), so `"` reads `\"`,
//   `\` reads `\\` and every byte outside printable ASCII an octal `\ooo`;
// - a JSON application log format (`%j`): the message is a JSON string value of the line.

/** The record text carried by `line`, or null when the line carries none. */
export function recordFromLogLine(line: string, prefix: string): string | null {
  const at = line.indexOf(prefix);
  if (at < 0) return null;
  if (line.startsWith("{")) {
    const fromJson = fromJsonLogLine(line, prefix);
    if (fromJson !== null) return fromJson;
  }
  // Trailing whitespace (CR of a CRLF file, padding added by a shipper) is not part of a record.
  const rest = line.slice(at + prefix.length).replace(/\s+$/, "");
  // A canonical record starts `{"`: `{\"` can only be Envoy's escaped form.
  if (rest.startsWith('{\\"')) return cUnescape(rest) ?? rest;
  return rest;
}

function fromJsonLogLine(line: string, prefix: string): string | null {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return null;
  }
  const found = findString(doc, prefix, 0);
  return found === null ? null : found.slice(found.indexOf(prefix) + prefix.length);
}

function findString(v: unknown, prefix: string, depth: number): string | null {
  if (typeof v === "string") return v.includes(prefix) ? v : null;
  if (depth > 8 || v === null || typeof v !== "object") return null;
  for (const x of Array.isArray(v) ? v : Object.values(v)) {
    const s = findString(x, prefix, depth + 1);
    if (s !== null) return s;
  }
  return null;
}

const SIMPLE: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, '"': 0x22, "'": 0x27, "\\": 0x5c, "?": 0x3f, a: 0x07, b: 0x08, f: 0x0c, v: 0x0b };

/**
 * Undoes C-style escaping into bytes, then reads them as UTF-8 (octal escapes are the bytes of
 * multi-byte characters). Null when the text is not a valid escaped string.
 */
export function cUnescape(s: string): string | null {
  const src = Buffer.from(s, "utf8");
  const out = Buffer.allocUnsafe(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c !== 0x5c) {
      out[n++] = c;
      continue;
    }
    const e = src[++i];
    if (e === undefined) return null;
    const ch = String.fromCharCode(e);
    if (ch in SIMPLE) {
      out[n++] = SIMPLE[ch];
    } else if (e >= 0x30 && e <= 0x37) {
      let v = 0, k = 0;
      while (k < 3 && i < src.length && src[i] >= 0x30 && src[i] <= 0x37) {
        v = v * 8 + (src[i] - 0x30);
        i++;
        k++;
      }
      i--;
      if (v > 0xff) return null;
      out[n++] = v;
    } else if (ch === "x") {
      let v = 0, k = 0;
      while (i + 1 < src.length && /[0-9a-fA-F]/.test(String.fromCharCode(src[i + 1]))) {
        v = v * 16 + parseInt(String.fromCharCode(src[++i]), 16);
        k++;
      }
      if (k === 0 || v > 0xff) return null;
      out[n++] = v;
    } else {
      return null;
    }
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(out.subarray(0, n));
  } catch {
    return null;
  }
}
