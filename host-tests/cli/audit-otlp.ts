// Records out of OTLP/HTTP JSON `ExportLogsServiceRequest` documents, as the OpenTelemetry
// Collector's file exporter writes them (one document per line). Each log record's body is an
// audit record: a kvlistValue (the structured form, members in the writer's order) or a
// stringValue holding the record's canonical JSON text.
//
// AnyValue in OTLP's JSON mapping: proto3 JSON writes int64 as a string ("intValue": "42"),
// other encoders as a number; an AnyValue with no value set is `{}` (the SDKs' form of null).

export type Body = { value: unknown } | { text: string } | { problem: string };

/** The bodies of every log record in document order, or a problem with the document itself. */
export function otlpBodies(doc: unknown): Body[] | string {
  if (!isObject(doc) || !Array.isArray(doc.resourceLogs)) return "not an OTLP ExportLogsServiceRequest (no resourceLogs array)";
  const out: Body[] = [];
  for (const rl of doc.resourceLogs) {
    if (!isObject(rl)) return "a resourceLogs entry is not an object";
    for (const sl of asArray(rl.scopeLogs)) {
      if (!isObject(sl)) return "a scopeLogs entry is not an object";
      for (const lr of asArray(sl.logRecords)) {
        if (!isObject(lr)) {
          out.push({ problem: "log record is not an object" });
          continue;
        }
        out.push(bodyOf(lr.body));
      }
    }
  }
  return out;
}

function bodyOf(body: unknown): Body {
  if (!isObject(body)) return { problem: "log record has no body" };
  if (typeof body.stringValue === "string") return { text: body.stringValue };
  if (!isObject(body.kvlistValue)) return { problem: "log record body is neither a kvlistValue nor a stringValue" };
  try {
    return { value: anyValue(body) };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

/** OTLP AnyValue (JSON mapping) → the JSON value it carries. Throws on what a record cannot hold. */
export function anyValue(v: unknown): unknown {
  if (!isObject(v)) throw new Error("AnyValue is not an object");
  if ("stringValue" in v) return str(v.stringValue);
  if ("boolValue" in v) {
    if (typeof v.boolValue !== "boolean") throw new Error("boolValue is not a boolean");
    return v.boolValue;
  }
  if ("intValue" in v) return int(v.intValue);
  if ("doubleValue" in v) {
    // A record holds integers only; a double is passed on as is and the schema rejects it.
    if (typeof v.doubleValue !== "number") throw new Error("doubleValue is not a number");
    return v.doubleValue;
  }
  if ("arrayValue" in v) {
    const a = isObject(v.arrayValue) ? v.arrayValue : {};
    return asArray(a.values).map(anyValue);
  }
  if ("kvlistValue" in v) {
    const kv = isObject(v.kvlistValue) ? v.kvlistValue : {};
    const o: Record<string, unknown> = {};
    for (const e of asArray(kv.values)) {
      if (!isObject(e) || typeof e.key !== "string") throw new Error("kvlistValue entry without a key");
      if (Object.hasOwn(o, e.key)) throw new Error(`key ${JSON.stringify(e.key)} appears twice`);
      // An absent value is the empty AnyValue.
      o[e.key] = e.value === undefined ? null : anyValue(e.value);
    }
    return o;
  }
  if ("bytesValue" in v) throw new Error("bytesValue: a record holds no bytes");
  return null;
}

function int(x: unknown): number {
  if (typeof x === "number" && Number.isSafeInteger(x)) return x;
  if (typeof x === "string" && /^-?(0|[1-9][0-9]*)$/.test(x)) {
    const n = Number(x);
    if (Number.isSafeInteger(n)) return n;
  }
  throw new Error(`intValue ${JSON.stringify(x)} is not an integer within ±(2^53 - 1)`);
}

function str(x: unknown): string {
  if (typeof x !== "string") throw new Error("stringValue is not a string");
  return x;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

function asArray(x: unknown): unknown[] {
  return Array.isArray(x) ? x : [];
}
