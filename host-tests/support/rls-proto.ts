// The Envoy rate-limit service messages (envoy.service.ratelimit.v3.RateLimitRequest /
// RateLimitResponse and what they reference) as a protobufjs Root, for tests that need a real
// protobuf implementation on the other side. Field numbers as verified in
// filters/lib/ratelimit/README.md. Names keep the proto's snake_case (keepCase).
import protobuf from "protobufjs";

export const RLS_PROTO = `
syntax = "proto3";
package google.protobuf;
message Duration { int64 seconds = 1; int32 nanos = 2; }
message Timestamp { int64 seconds = 1; int32 nanos = 2; }
message UInt32Value { uint32 value = 1; }
message UInt64Value { uint64 value = 1; }
enum NullValue { NULL_VALUE = 0; }
message Struct { map<string, Value> fields = 1; }
message Value {
  oneof kind {
    NullValue null_value = 1; double number_value = 2; string string_value = 3;
    bool bool_value = 4; Struct struct_value = 5; ListValue list_value = 6;
  }
}
message ListValue { repeated Value values = 1; }
`;

const ENVOY_PROTO = `
syntax = "proto3";
package envoy.config.core.v3;
message HeaderValue { string key = 1; string value = 2; bytes raw_value = 3; }
`;

const COMMON_PROTO = `
syntax = "proto3";
package envoy.extensions.common.ratelimit.v3;
message RateLimitDescriptor {
  message Entry { string key = 1; string value = 2; }
  message RateLimitOverride {
    uint32 requests_per_unit = 1; int32 unit = 2; google.protobuf.UInt32Value unit_multiplier = 3;
  }
  repeated Entry entries = 1;
  RateLimitOverride limit = 2;
  google.protobuf.UInt64Value hits_addend = 3;
  bool is_negative_hits = 4;
}
`;

const SERVICE_PROTO = `
syntax = "proto3";
package envoy.service.ratelimit.v3;
message RateLimitRequest {
  string domain = 1;
  repeated envoy.extensions.common.ratelimit.v3.RateLimitDescriptor descriptors = 2;
  uint32 hits_addend = 3;
}
message RateLimitResponse {
  enum Code { UNKNOWN = 0; OK = 1; OVER_LIMIT = 2; }
  message RateLimit {
    enum Unit { UNKNOWN = 0; SECOND = 1; MINUTE = 2; HOUR = 3; DAY = 4; MONTH = 5; YEAR = 6; WEEK = 7; }
    string name = 3;
    uint32 requests_per_unit = 1;
    Unit unit = 2;
  }
  message Quota {
    uint32 requests = 1;
    oneof expiration_specifier { google.protobuf.Timestamp valid_until = 2; }
    string id = 3;
  }
  message DescriptorStatus {
    Code code = 1;
    RateLimit current_limit = 2;
    uint32 limit_remaining = 3;
    google.protobuf.Duration duration_until_reset = 4;
    Quota quota = 5;
  }
  Code overall_code = 1;
  repeated DescriptorStatus statuses = 2;
  repeated envoy.config.core.v3.HeaderValue response_headers_to_add = 3;
  repeated envoy.config.core.v3.HeaderValue request_headers_to_add = 4;
  bytes raw_body = 5;
  google.protobuf.Struct dynamic_metadata = 6;
  Quota quota = 7;
}
`;

// The RateLimitDescriptor's override unit is envoy.type.v3.RateLimitUnit; int32 here keeps any
// value (including negative ones) encodable, with the same wire form as an enum.

function buildRoot(transform: (src: string) => string): protobuf.Root {
  const root = new protobuf.Root();
  for (const src of [RLS_PROTO, ENVOY_PROTO, COMMON_PROTO, SERVICE_PROTO]) {
    protobuf.parse(transform(src), root, { keepCase: true });
  }
  root.resolveAll();
  return root;
}

let root: protobuf.Root | undefined;
let rawRoot: protobuf.Root | undefined;

/** The messages above, resolved. */
export function rlsRoot(): protobuf.Root {
  return (root ??= buildRoot((s) => s));
}

/**
 * The same wire format with every string field typed bytes, and the fields a decoder may skip
 * (dynamic_metadata, quota) left opaque: decoding with it shows exactly the bytes on the wire,
 * UTF-8 or not, for comparing against a decoder that keeps bytes.
 */
export function rlsRawRoot(): protobuf.Root {
  return (rawRoot ??= buildRoot((s) =>
    s.replace(/\bstring (\w+) =/g, "bytes $1 =")
      .replace(/google\.protobuf\.Struct dynamic_metadata/, "bytes dynamic_metadata")
      .replace(/\bQuota quota =/g, "bytes quota =")));
}

export const requestType = (r = rlsRoot()) => r.lookupType("envoy.service.ratelimit.v3.RateLimitRequest");
export const responseType = (r = rlsRoot()) => r.lookupType("envoy.service.ratelimit.v3.RateLimitResponse");

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: Number, bytes: Array, defaults: false };

export function encodeRateLimitRequest(obj: Record<string, unknown>): Uint8Array {
  const t = requestType();
  return t.encode(t.fromObject(obj)).finish();
}

/** Plain object (longs as strings, enums as numbers, bytes as number arrays, defaults left out). */
export function decodeRateLimitRequest(bytes: Uint8Array): Record<string, any> {
  const t = requestType();
  return t.toObject(t.decode(bytes), TO_OBJECT);
}

export function encodeRateLimitResponse(obj: Record<string, unknown>): Uint8Array {
  const t = responseType();
  return t.encode(t.fromObject(obj)).finish();
}

export function decodeRateLimitResponse(bytes: Uint8Array, raw = false): Record<string, any> {
  const t = responseType(raw ? rlsRawRoot() : rlsRoot());
  return t.toObject(t.decode(bytes), TO_OBJECT);
}
