// Reads a filter configuration out of a parsed JSON tree, keeping the first error as a JSON path
// and a reason ("$.rules[2].window: must be ..."), so a rejected configuration names what is wrong.
// Every accessor returns its fallback after a failure: configuration code never traps.
import { JsonKind, JsonValue } from "./value";

export class ConfigReader {
  errorPath: string = "";
  error: string = "";

  get ok(): bool { return this.error.length == 0; }

  fail(path: string, why: string): bool {
    if (this.error.length == 0) {
      this.errorPath = path;
      this.error = why;
    }
    return false;
  }

  /** An object (or absent) whose keys are all in `allowed`. */
  object(v: JsonValue | null, path: string, allowed: string[]): bool {
    if (v === null) return true;
    if (v.kind != JsonKind.Object) return this.fail(path, "must be an object");
    for (let i = 0; i < v.length; i++) {
      const k = v.keyAt(i);
      if (!allowed.includes(k)) return this.fail(path + "." + k, "is not a known field");
    }
    return true;
  }

  bool(v: JsonValue | null, path: string, fallback: bool): bool {
    if (v === null) return fallback;
    if (v.kind != JsonKind.Bool) {
      this.fail(path, "must be true or false");
      return fallback;
    }
    return v.bool;
  }

  u32(v: JsonValue | null, path: string, fallback: u32, min: u32, max: u32): u32 {
    if (v === null) return fallback;
    if (!v.isInteger || v.num < <f64>min || v.num > <f64>max) {
      this.fail(path, "must be an integer from " + min.toString() + " to " + max.toString());
      return fallback;
    }
    return <u32>v.num;
  }

  /** A non-negative integer up to 2^53 (exact in a JSON number). */
  u64(v: JsonValue | null, path: string, fallback: u64): u64 {
    if (v === null) return fallback;
    if (!v.isInteger || v.num < 0 || v.num > 9007199254740992) {
      this.fail(path, "must be a non-negative integer");
      return fallback;
    }
    return <u64>v.num;
  }

  f64(v: JsonValue | null, path: string, fallback: f64, min: f64, max: f64): f64 {
    if (v === null) return fallback;
    if (v.kind != JsonKind.Number || v.num < min || v.num > max) {
      this.fail(path, "must be a number from " + min.toString() + " to " + max.toString());
      return fallback;
    }
    return v.num;
  }

  str(v: JsonValue | null, path: string, fallback: string): string {
    if (v === null) return fallback;
    if (v.kind != JsonKind.String) {
      this.fail(path, "must be a string");
      return fallback;
    }
    return v.str;
  }

  /** One of `choices`; the error lists them. */
  oneOf(v: JsonValue | null, path: string, fallback: string, choices: string[]): string {
    const s = this.str(v, path, fallback);
    if (!choices.includes(s)) {
      this.fail(path, "must be one of " + choices.join(", "));
      return fallback;
    }
    return s;
  }

  /** A string or an array of strings (both → a list); absent → empty. */
  strings(v: JsonValue | null, path: string): string[] {
    const out: string[] = [];
    if (v === null) return out;
    if (v.kind == JsonKind.String) {
      out.push(v.str);
      return out;
    }
    if (v.kind != JsonKind.Array) {
      this.fail(path, "must be a string or an array of strings");
      return out;
    }
    for (let i = 0; i < v.length; i++) {
      const e = v.at(i);
      if (e === null || e.kind != JsonKind.String) {
        this.fail(path + "[" + i.toString() + "]", "must be a string");
        return out;
      }
      out.push(e.str);
    }
    return out;
  }
}
