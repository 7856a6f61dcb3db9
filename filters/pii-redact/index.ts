// PII redaction (root id `pii-redact`). Under construction: the scan API below is the same
// detection code the filter will run, exported for `tollgate pii scan` and the evaluation.
export * from "../sdk/dispatcher";
export * from "./scan-api";
import { RootContext, registerRootContext } from "../sdk";

registerRootContext("pii-redact", (contextId: u32): RootContext => new RootContext(contextId));
