// The rate-limit service codec: RateLimitRequest out, RateLimitResponse in (see README.md).
export { RateLimitRequestWriter } from "./request";
export {
  RateLimitCode, RateLimitUnit, RateLimitHeader, RateLimitDescriptorStatus, RateLimitResponse,
  decodeRateLimitResponse, durationMs,
} from "./response";
