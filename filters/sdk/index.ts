// What a filter imports: `import { RootContext, HttpContext, registerRootContext, ... } from
// "../sdk"`. The filter's entry file must also `export * from "../sdk/dispatcher"` so the
// ABI callbacks become module exports.
export * from "./types";
export * from "./memory";
export * from "./pairs";
export * from "./hostcalls";
export * from "./log";
export * from "./metrics";
export * from "./foreign";
export * from "./config";
export { BaseContext, RootContext, HttpContext, StreamContext, HttpCallHandler, GrpcHandler } from "./context";
export { registerRootContext, RootFactory } from "./registry";
export { pendingCallouts } from "./callouts";
