// PII redaction (root id `pii-redact`). Under construction: the scan API below is the same
// detection code the filter will run, exported for `tollgate pii scan` and the evaluation.
export * from "../sdk/dispatcher";
export * from "./scan-api";
import { RootContext, registerRootContext } from "../sdk";
import { PiiRedactRoot } from "./root";

registerRootContext("pii-redact", (contextId: u32): RootContext => new PiiRedactRoot(contextId));
