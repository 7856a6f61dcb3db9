// A parsed JSON value. One class with a kind tag rather than a class per kind: AssemblyScript
// downcasts that fail trap, and configuration code must never trap on a wrong type. Every
// accessor returns a default (or null) instead.

export enum JsonKind {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

export function jsonKindName(kind: JsonKind): string {
  switch (kind) {
    case JsonKind.Null: return "null";
    case JsonKind.Bool: return "boolean";
    case JsonKind.Number: return "number";
    case JsonKind.String: return "string";
    case JsonKind.Array: return "array";
    case JsonKind.Object: return "object";
  }
  return "unknown";
}

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  bool: bool = false;
  num: f64 = 0;
  /** String value; for numbers, the literal as written (exact for large integers). */
  str: string = "";
  /** Array items, or object values (parallel to `keys`). */
  items: JsonValue[] | null = null;
  keys: string[] | null = null;
  /** Byte offset in the source, for error messages. */
  offset: i32 = 0;

  static null(): JsonValue { return new JsonValue(); }

  static fromBool(b: bool): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Bool;
    v.bool = b;
    return v;
  }

  static fromNumber(n: f64): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Number;
    v.num = n;
    v.str = isInteger<f64>(n) ? (<i64>n).toString() : n.toString();
    return v;
  }

  static fromString(s: string): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.String;
    v.str = s;
    return v;
  }

  static newArray(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Array;
    v.items = [];
    return v;
  }

  static newObject(): JsonValue {
    const v = new JsonValue();
    v.kind = JsonKind.Object;
    v.items = [];
    v.keys = [];
    return v;
  }

  get isNull(): bool { return this.kind == JsonKind.Null; }
  get isBool(): bool { return this.kind == JsonKind.Bool; }
  get isNumber(): bool { return this.kind == JsonKind.Number; }
  get isString(): bool { return this.kind == JsonKind.String; }
  get isArray(): bool { return this.kind == JsonKind.Array; }
  get isObject(): bool { return this.kind == JsonKind.Object; }

  /** Integer literal with no fraction or exponent. */
  get isInteger(): bool {
    if (this.kind != JsonKind.Number) return false;
    const s = this.str;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c == 0x2E || c == 0x65 || c == 0x45) return false;
    }
    return true;
  }

  /** Array length or object size; 0 otherwise. */
  get length(): i32 {
    const items = this.items;
    return items === null ? 0 : items.length;
  }

  /** Array item, or null when out of range / not an array. */
  at(i: i32): JsonValue | null {
    if (this.kind != JsonKind.Array) return null;
    const items = changetype<JsonValue[]>(this.items);
    return i >= 0 && i < items.length ? unchecked(items[i]) : null;
  }

  /** Object member, or null when absent / not an object. */
  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    const keys = changetype<string[]>(this.keys);
    for (let i = 0; i < keys.length; i++) {
      if (unchecked(keys[i]) == key) return unchecked(changetype<JsonValue[]>(this.items)[i]);
    }
    return null;
  }

  has(key: string): bool {
    return this.get(key) !== null;
  }

  /** Object key at index i (insertion order); "" when out of range. */
  keyAt(i: i32): string {
    const keys = this.keys;
    if (keys === null || i < 0 || i >= keys.length) return "";
    return unchecked(keys[i]);
  }

  /** Object value at index i; null when out of range. */
  valueAt(i: i32): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    const items = changetype<JsonValue[]>(this.items);
    return i >= 0 && i < items.length ? unchecked(items[i]) : null;
  }

  push(v: JsonValue): JsonValue {
    if (this.kind == JsonKind.Array) changetype<JsonValue[]>(this.items).push(v);
    return this;
  }

  /** Sets (or replaces) an object member. */
  set(key: string, v: JsonValue): JsonValue {
    if (this.kind != JsonKind.Object) return this;
    const keys = changetype<string[]>(this.keys);
    const items = changetype<JsonValue[]>(this.items);
    for (let i = 0; i < keys.length; i++) {
      if (unchecked(keys[i]) == key) { unchecked(items[i] = v); return this; }
    }
    keys.push(key);
    items.push(v);
    return this;
  }

  // Typed reads with defaults: never trap on a wrong type.
  asBool(dflt: bool = false): bool { return this.kind == JsonKind.Bool ? this.bool : dflt; }
  asNumber(dflt: f64 = 0): f64 { return this.kind == JsonKind.Number ? this.num : dflt; }
  asString(dflt: string = ""): string { return this.kind == JsonKind.String ? this.str : dflt; }

  /** Exact for integer literals of any size that fits i64; else truncates the f64. */
  asI64(dflt: i64 = 0): i64 {
    if (this.kind != JsonKind.Number) return dflt;
    if (this.isInteger) {
      const s = this.str;
      let neg = false;
      let i = 0;
      if (s.charCodeAt(0) == 0x2D) { neg = true; i = 1; }
      let v: u64 = 0;
      for (; i < s.length; i++) {
        const d = <u64>(s.charCodeAt(i) - 0x30);
        if (v > (<u64>0x7FFFFFFFFFFFFFFF - d) / 10) return neg ? i64.MIN_VALUE : i64.MAX_VALUE;
        v = v * 10 + d;
      }
      return neg ? -<i64>v : <i64>v;
    }
    const n = this.num;
    if (!isFinite(n)) return dflt;
    if (n >= 9.2233720368547758e18) return i64.MAX_VALUE;
    if (n <= -9.2233720368547758e18) return i64.MIN_VALUE;
    return <i64>n;
  }

  getString(key: string, dflt: string = ""): string {
    const v = this.get(key);
    return v === null ? dflt : v.asString(dflt);
  }

  getNumber(key: string, dflt: f64 = 0): f64 {
    const v = this.get(key);
    return v === null ? dflt : v.asNumber(dflt);
  }

  getI64(key: string, dflt: i64 = 0): i64 {
    const v = this.get(key);
    return v === null ? dflt : v.asI64(dflt);
  }

  getBool(key: string, dflt: bool = false): bool {
    const v = this.get(key);
    return v === null ? dflt : v.asBool(dflt);
  }
}
