export type * from "./api";
export { createHost, EnvoyHost, settle } from "./host";
export { WasmLoadError, ConfigRejectedError } from "./errors";
export { ManualClock, RealClock } from "./clock";
export { encodePairs, decodePairs } from "./pairs";
