// Builds the one-line JSON result every op logs: {"result":"Ok", ...}.
import { WasmResult, wasmResultName } from "../../sdk";
import { jsonQuote, isValidUtf8 } from "../../lib/json";
import { base64Encode } from "./base64";

export class Out {
  private parts: string[] = [];

  static result(code: WasmResult): Out {
    return new Out().str("result", wasmResultName(code));
  }

  static error(message: string): Out {
    return new Out().str("error", message);
  }

  raw(key: string, json: string): Out {
    this.parts.push(jsonQuote(key) + ":" + json);
    return this;
  }

  str(key: string, value: string): Out {
    return this.raw(key, jsonQuote(value));
  }

  num(key: string, value: f64): Out {
    return this.raw(key, isInteger<f64>(value) && Math.abs(value) < 9e15 ? (<i64>value).toString() : value.toString());
  }

  int(key: string, value: i64): Out {
    return this.raw(key, value.toString());
  }

  /** u64 as a decimal string: it may not fit a JSON number exactly. */
  u64str(key: string, value: u64): Out {
    return this.raw(key, "\"" + value.toString() + "\"");
  }

  bool(key: string, value: bool): Out {
    return this.raw(key, value ? "true" : "false");
  }

  /** Bytes as {"len":n, "text": ...} when valid UTF-8, else {"len":n, "base64": ...}. */
  bytes(ptr: usize, len: usize): Out {
    this.int("len", <i64>len);
    if (isValidUtf8(ptr, len)) return this.str("text", String.UTF8.decodeUnsafe(ptr, len));
    return this.str("base64", base64Encode(ptr, len));
  }

  toString(): string {
    return "{" + this.parts.join(",") + "}";
  }
}

/** A JSON string (quoted) for bytes: the text when valid UTF-8, else "base64:<...>". */
export function bytesAsJsonString(ptr: usize, len: usize): string {
  if (isValidUtf8(ptr, len)) return jsonQuote(String.UTF8.decodeUnsafe(ptr, len));
  return jsonQuote("base64:" + base64Encode(ptr, len));
}
