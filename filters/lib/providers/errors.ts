// Error bodies in each provider's own shape, so official SDKs raise their usual exception types
// (OpenAI `{"error":{...}}`, Anthropic `{"type":"error",...}`, Google `{"error":{"status":...}}`,
// Bedrock `{"message":...}` with x-amzn-errortype).
import { JsonWriter } from "../json-scan";
import { Provider } from "./types";

export class ProviderError {
  body: Uint8Array = new Uint8Array(0);
  contentType: string = "application/json";
  /** Extra header Bedrock clients read the exception type from; "" when none. */
  errorTypeHeader: string = "";
}

/** The kinds of failure Tollgate reports, mapped to each provider's vocabulary. */
export const enum ErrorKind {
  InvalidRequest = 0,
  RateLimited = 1,
  InsufficientQuota = 2,
  /** A dependency of the gateway is down (503). */
  Unavailable = 3,
}

function googleStatus(kind: ErrorKind): string {
  if (kind == ErrorKind.Unavailable) return "UNAVAILABLE";
  return kind == ErrorKind.InvalidRequest ? "INVALID_ARGUMENT" : "RESOURCE_EXHAUSTED";
}

function anthropicType(kind: ErrorKind): string {
  if (kind == ErrorKind.InvalidRequest) return "invalid_request_error";
  return kind == ErrorKind.Unavailable ? "api_error" : "rate_limit_error";
}

function openaiType(kind: ErrorKind): string {
  switch (kind) {
    case ErrorKind.InvalidRequest: return "invalid_request_error";
    case ErrorKind.RateLimited: return "rate_limit_error";
    case ErrorKind.InsufficientQuota: return "insufficient_quota";
    default: return "server_error";
  }
}

function bedrockType(kind: ErrorKind): string {
  if (kind == ErrorKind.InvalidRequest) return "ValidationException";
  return kind == ErrorKind.Unavailable ? "ServiceUnavailableException" : "ThrottlingException";
}

export function providerError(provider: Provider, httpStatus: i32, kind: ErrorKind, message: string): ProviderError {
  const w = new JsonWriter(1024 + message.length * 6);
  const out = new ProviderError();
  w.beginObject();
  if (provider == Provider.Anthropic) {
    w.key("type").string("error");
    w.key("error").beginObject();
    w.key("type").string(anthropicType(kind));
    writeMessage(w, message);
    w.endObject();
  } else if (provider == Provider.Gemini || provider == Provider.VertexAI) {
    w.key("error").beginObject();
    w.key("code").int(httpStatus);
    writeMessage(w, message);
    w.key("status").string(googleStatus(kind));
    w.endObject();
  } else if (provider == Provider.Bedrock) {
    writeMessage(w, message);
    out.errorTypeHeader = bedrockType(kind);
  } else {
    w.key("error").beginObject();
    writeMessage(w, message);
    w.key("type").string(openaiType(kind));
    w.key("param").null();
    w.key("code");
    if (kind == ErrorKind.RateLimited) w.string("rate_limit_exceeded");
    else if (kind == ErrorKind.InsufficientQuota) w.string("insufficient_quota");
    else w.null();
    w.endObject();
  }
  w.endObject();
  const body = new Uint8Array(<i32>w.length);
  memory.copy(body.dataStart, w.ptr, w.length);
  out.body = body;
  return out;
}

function writeMessage(w: JsonWriter, message: string): void {
  const bytes = String.UTF8.encode(message);
  w.key("message").stringBytes(changetype<usize>(bytes), <usize>bytes.byteLength);
}
