// Decoder for envoy.service.ratelimit.v3.RateLimitResponse. Byte fields (names, header keys
// and values, raw_body) are left in the input as (ptr, len) so that a decode allocates
// nothing once the result objects have warmed up: they stay valid while the input does.
// Proto3 rules: unknown fields skipped, last value wins for scalars, and a singular message
// field seen twice is merged. Any malformed input makes the decode return false, never trap.
import { WireReader } from "./wire";

export enum RateLimitCode {
  Unknown = 0,
  Ok = 1,
  OverLimit = 2,
}

/** RateLimitResponse.RateLimit.Unit (WEEK is newer than some servers; any value is kept). */
export enum RateLimitUnit {
  Unknown = 0,
  Second = 1,
  Minute = 2,
  Hour = 3,
  Day = 4,
  Month = 5,
  Year = 6,
  Week = 7,
}

export class RateLimitHeader {
  keyPtr: usize = 0;
  keyLen: usize = 0;
  /** From raw_value when that is non-empty, else from value. */
  valuePtr: usize = 0;
  valueLen: usize = 0;

  key(): string { return String.UTF8.decodeUnsafe(this.keyPtr, this.keyLen); }
  value(): string { return String.UTF8.decodeUnsafe(this.valuePtr, this.valueLen); }

  clear(): void {
    this.keyPtr = 0;
    this.keyLen = 0;
    this.valuePtr = 0;
    this.valueLen = 0;
  }
}

export class RateLimitDescriptorStatus {
  code: i32 = 0;
  hasCurrentLimit: bool = false;
  requestsPerUnit: u32 = 0;
  unit: i32 = 0;
  /** current_limit.name; length 0 when absent or empty. */
  namePtr: usize = 0;
  nameLen: usize = 0;
  limitRemaining: u32 = 0;
  hasDurationUntilReset: bool = false;
  durationSeconds: i64 = 0;
  durationNanos: i32 = 0;
  /** duration_until_reset in ms, rounded up, clamped to [0, i64 max]; 0 when absent. */
  durationUntilResetMs: i64 = 0;

  name(): string { return String.UTF8.decodeUnsafe(this.namePtr, this.nameLen); }

  clear(): void {
    this.code = 0;
    this.hasCurrentLimit = false;
    this.requestsPerUnit = 0;
    this.unit = 0;
    this.namePtr = 0;
    this.nameLen = 0;
    this.limitRemaining = 0;
    this.hasDurationUntilReset = false;
    this.durationSeconds = 0;
    this.durationNanos = 0;
    this.durationUntilResetMs = 0;
  }
}

export class RateLimitResponse {
  overallCode: i32 = 0;
  statuses: Array<RateLimitDescriptorStatus> = [];
  responseHeadersToAdd: Array<RateLimitHeader> = [];
  requestHeadersToAdd: Array<RateLimitHeader> = [];
  rawBodyPtr: usize = 0;
  rawBodyLen: usize = 0;
  // Objects handed out by earlier decodes, reused so steady state allocates nothing.
  private statusPool: Array<RateLimitDescriptorStatus> = [];
  private headerPool: Array<RateLimitHeader> = [];
  private headersUsed: i32 = 0;

  clear(): void {
    this.overallCode = 0;
    this.statuses.length = 0;
    this.responseHeadersToAdd.length = 0;
    this.requestHeadersToAdd.length = 0;
    this.rawBodyPtr = 0;
    this.rawBodyLen = 0;
    this.headersUsed = 0;
  }

  addStatus(): RateLimitDescriptorStatus {
    const i = this.statuses.length;
    let s: RateLimitDescriptorStatus;
    if (i < this.statusPool.length) {
      s = unchecked(this.statusPool[i]);
      s.clear();
    } else {
      s = new RateLimitDescriptorStatus();
      this.statusPool.push(s);
    }
    this.statuses.push(s);
    return s;
  }

  addHeader(list: Array<RateLimitHeader>): RateLimitHeader {
    const i = this.headersUsed++;
    let h: RateLimitHeader;
    if (i < this.headerPool.length) {
      h = unchecked(this.headerPool[i]);
      h.clear();
    } else {
      h = new RateLimitHeader();
      this.headerPool.push(h);
    }
    list.push(h);
    return h;
  }
}

const I64_MAX: i64 = 0x7fffffffffffffff;

const MS_Q: i64 = I64_MAX / 1000;

/** ceil(seconds * 1000 + nanos / 1e6), exact, clamped to [0, I64_MAX]. */
export function durationMs(seconds: i64, nanos: i32): i64 {
  // Whole ms of nanos rounded up (toward +inf), so a caller never retries before the reset.
  let extra: i64 = nanos > 0 ? (<i64>nanos + 999999) / 1000000 : <i64>nanos / 1000000; // |extra| <= 2148
  if (seconds < -MS_Q) return 0;
  if (seconds > MS_Q + 3) return I64_MAX;
  let base: i64;
  if (seconds > MS_Q) {
    // seconds * 1000 would overflow by itself, yet the sum may still fit.
    base = (seconds - 3) * 1000;
    extra += 3000;
  } else {
    base = seconds * 1000;
  }
  if (extra > 0 && base > I64_MAX - extra) return I64_MAX;
  const ms = base + extra;
  return ms < 0 ? 0 : ms;
}

const r = new WireReader();

function decodeRateLimit(end: usize, s: RateLimitDescriptorStatus): bool {
  while (r.key(end)) {
    const f = r.field;
    if (f == 1) s.requestsPerUnit = <u32>r.varintField(end);
    else if (f == 2) s.unit = <i32>r.varintField(end);
    else if (f == 3) {
      const e = r.lenField(end);
      if (!r.ok) return false;
      s.namePtr = r.pos;
      s.nameLen = e - r.pos;
      r.pos = e;
    } else r.skip(end);
  }
  return r.ok;
}

function decodeDuration(end: usize, s: RateLimitDescriptorStatus): bool {
  while (r.key(end)) {
    const f = r.field;
    if (f == 1) s.durationSeconds = <i64>r.varintField(end);
    else if (f == 2) s.durationNanos = <i32>r.varintField(end);
    else r.skip(end);
  }
  return r.ok;
}

function decodeStatus(end: usize, s: RateLimitDescriptorStatus): bool {
  while (r.key(end)) {
    const f = r.field;
    if (f == 1) s.code = <i32>r.varintField(end);
    else if (f == 3) s.limitRemaining = <u32>r.varintField(end);
    else if (f == 2 || f == 4) {
      const e = r.lenField(end);
      if (!r.ok) return false;
      if (f == 2) {
        s.hasCurrentLimit = true;
        if (!decodeRateLimit(e, s)) return false;
      } else {
        s.hasDurationUntilReset = true;
        if (!decodeDuration(e, s)) return false;
      }
    } else r.skip(end);
  }
  if (s.hasDurationUntilReset) s.durationUntilResetMs = durationMs(s.durationSeconds, s.durationNanos);
  return r.ok;
}

function decodeHeader(end: usize, h: RateLimitHeader): bool {
  let valuePtr: usize = 0, valueLen: usize = 0, rawPtr: usize = 0, rawLen: usize = 0;
  while (r.key(end)) {
    const f = r.field;
    if (f >= 1 && f <= 3) {
      const e = r.lenField(end);
      if (!r.ok) return false;
      if (f == 1) {
        h.keyPtr = r.pos;
        h.keyLen = e - r.pos;
      } else if (f == 2) {
        valuePtr = r.pos;
        valueLen = e - r.pos;
      } else {
        rawPtr = r.pos;
        rawLen = e - r.pos;
      }
      r.pos = e;
    } else r.skip(end);
  }
  // Envoy allows only one of value / raw_value; raw_value carries non-UTF-8 values.
  if (rawLen > 0) {
    h.valuePtr = rawPtr;
    h.valueLen = rawLen;
  } else {
    h.valuePtr = valuePtr;
    h.valueLen = valueLen;
  }
  return r.ok;
}

/**
 * Decodes the RateLimitResponse at [ptr, +len) into out (cleared first). False on malformed
 * input, with out partly filled. Pointers in out refer to the input bytes.
 */
export function decodeRateLimitResponse(ptr: usize, len: usize, out: RateLimitResponse): bool {
  out.clear();
  const end = ptr + len;
  if (end < ptr) return false;
  r.start(ptr);
  while (r.key(end)) {
    const f = r.field;
    if (f == 1) out.overallCode = <i32>r.varintField(end);
    else if (f >= 2 && f <= 5) {
      const e = r.lenField(end);
      if (!r.ok) return false;
      if (f == 2) {
        if (!decodeStatus(e, out.addStatus())) return false;
      } else if (f == 5) {
        out.rawBodyPtr = r.pos;
        out.rawBodyLen = e - r.pos;
      } else if (!decodeHeader(e, out.addHeader(f == 3 ? out.responseHeadersToAdd : out.requestHeadersToAdd))) {
        return false;
      }
      r.pos = e;
    } else r.skip(end);
  }
  return r.ok;
}
