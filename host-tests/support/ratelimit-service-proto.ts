// The rate-limit service messages as the test service and its clients use them: plain objects
// with snake_case fields and numbers, over the protobufjs types of rls-proto.ts (one definition
// of envoy.service.ratelimit.v3 for every test; field numbers verified there).
import { requestType, responseType } from "./rls-proto";

const RequestType = requestType();
const ResponseType = responseType();

/** RateLimitResponse.Code. */
export const Code = { UNKNOWN: 0, OK: 1, OVER_LIMIT: 2 } as const;

/** RateLimitResponse.RateLimit.Unit (WEEK = 7 was added after YEAR = 6). */
export const Unit = { UNKNOWN: 0, SECOND: 1, MINUTE: 2, HOUR: 3, DAY: 4, MONTH: 5, YEAR: 6, WEEK: 7 } as const;
export type UnitName = keyof typeof Unit;

export const SHOULD_RATE_LIMIT_PATH = "/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit";

export interface DescriptorEntry {
  key: string;
  value: string;
}

export interface RateLimitDescriptor {
  entries: DescriptorEntry[];
  /** Request-side limit override (envoy's RateLimitOverride). */
  limit?: { requests_per_unit: number; unit: number };
  /** google.protobuf.UInt64Value: absent = use the request's hits_addend; present (even 0) = used as is. */
  hits_addend?: { value: number };
}

export interface RateLimitRequest {
  domain: string;
  descriptors: RateLimitDescriptor[];
  /** 0 (absent on the wire) means 1 to the service. */
  hits_addend?: number;
}

export interface CurrentLimit {
  requests_per_unit: number;
  unit: number;
  name?: string;
}

export interface DescriptorStatus {
  code: number;
  current_limit?: CurrentLimit;
  limit_remaining: number;
  duration_until_reset?: { seconds: number; nanos: number };
}

export interface RateLimitResponse {
  overall_code: number;
  statuses: DescriptorStatus[];
  response_headers_to_add?: { key: string; value: string }[];
  request_headers_to_add?: { key: string; value: string }[];
}

// Numbers as JS numbers (counts stay far below 2^53); scalars with defaults so a decoded
// limit_remaining of 0 reads as 0, but absent sub-messages stay undefined (presence matters).
const TO_OBJECT = { longs: Number, enums: Number, defaults: false, arrays: true } as const;

function withScalarDefaults<T>(obj: Record<string, unknown>, defaults: Record<string, unknown>): T {
  return { ...defaults, ...obj } as T;
}

export function encodeRateLimitRequest(req: RateLimitRequest): Uint8Array {
  return RequestType.encode(RequestType.fromObject(req)).finish();
}

export function decodeRateLimitRequest(bytes: Uint8Array): RateLimitRequest {
  const obj = RequestType.toObject(RequestType.decode(bytes), TO_OBJECT) as Record<string, unknown>;
  const req = withScalarDefaults<RateLimitRequest>(obj, { domain: "", descriptors: [], hits_addend: 0 });
  req.descriptors = req.descriptors.map((d) => ({
    ...d,
    entries: (d.entries ?? []).map((e) => ({ key: e.key ?? "", value: e.value ?? "" })),
    ...(d.hits_addend ? { hits_addend: { value: d.hits_addend.value ?? 0 } } : {}),
  }));
  return req;
}

export function encodeRateLimitResponse(res: RateLimitResponse): Uint8Array {
  return ResponseType.encode(ResponseType.fromObject(res)).finish();
}

export function decodeRateLimitResponse(bytes: Uint8Array): RateLimitResponse {
  const obj = ResponseType.toObject(ResponseType.decode(bytes), TO_OBJECT) as Record<string, unknown>;
  const res = withScalarDefaults<RateLimitResponse>(obj, { overall_code: 0, statuses: [] });
  res.statuses = res.statuses.map((s) => {
    const status = withScalarDefaults<DescriptorStatus>(s as unknown as Record<string, unknown>, { code: 0, limit_remaining: 0 });
    if (status.current_limit) status.current_limit = withScalarDefaults(status.current_limit as unknown as Record<string, unknown>, { requests_per_unit: 0, unit: 0 });
    if (status.duration_until_reset) status.duration_until_reset = withScalarDefaults(status.duration_until_reset as unknown as Record<string, unknown>, { seconds: 0, nanos: 0 });
    return status;
  });
  // Absent repeated fields read as absent, not as [] (keeps deep equality on what was sent).
  for (const k of ["response_headers_to_add", "request_headers_to_add"] as const) if (res[k]?.length === 0) delete res[k];
  return res;
}
