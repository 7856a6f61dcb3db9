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
}

function googleStatus(kind: ErrorKind): string {
  return kind == ErrorKind.InvalidRequest ? "INVALID_ARGUMENT" : "RESOURCE_EXHAUSTED";
}

export function providerError(provider: Provider, httpStatus: i32, kind: ErrorKind, message: string): ProviderError {
  const w = new JsonWriter(1024 + message.length * 6);
  const out = new ProviderError();
  w.beginObject();
  if (provider == Provider.Anthropic) {
    w.key("type").string("error");
    w.key("error").beginObject();
    w.key("type").string(kind == ErrorKind.InvalidRequest ? "invalid_request_error" : "rate_limit_error");
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
    out.errorTypeHeader = kind == ErrorKind.InvalidRequest ? "ValidationException" : "ThrottlingException";
  } else {
    w.key("error").beginObject();
    writeMessage(w, message);
    w.key("type").string(kind == ErrorKind.InvalidRequest ? "invalid_request_error" : kind == ErrorKind.RateLimited ? "rate_limit_error" : "insufficient_quota");
    w.key("param").null();
    w.key("code");
    if (kind == ErrorKind.InvalidRequest) w.null();
    else w.string(kind == ErrorKind.RateLimited ? "rate_limit_exceeded" : "insufficient_quota");
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
