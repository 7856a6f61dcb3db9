// Audit (root id `audit`): one tamper-evident, PII-free decision record per request, written
// in on_log and chained per VM (CHAIN.md). Runs in its own VM (its own code) with the vm_id of
// the other Tollgate filters, so it reads their shared data and survives their traps.
export * from "../sdk/dispatcher";
import { RootContext, registerRootContext } from "../sdk";
import { AuditRoot } from "./root";

registerRootContext("audit", (contextId: u32): RootContext => new AuditRoot(contextId));
