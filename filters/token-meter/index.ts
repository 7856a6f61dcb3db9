// Token meter (root id `token-meter`): recognises LLM API calls, counts prompt tokens before the
// request leaves, reads the provider's usage from JSON or streamed responses, falls back to
// counting completion text, prices the call, and publishes it all as tollgate.* filter state.
export * from "../sdk/dispatcher";
import { RootContext, registerRootContext } from "../sdk";
import { TokenMeterRoot } from "./root";

registerRootContext("token-meter", (contextId: u32): RootContext => new TokenMeterRoot(contextId));
