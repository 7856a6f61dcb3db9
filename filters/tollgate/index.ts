// The Tollgate bundle: pii-redact, token-meter and budget in one module, so Envoy loads and
// compiles the code once per worker and the three plugins share one VM (same vm_id and code),
// each selecting its class by root_id. The audit filter is deliberately not bundled: a trap here
// kills this VM for every stream on the worker, and the audit record must still be written.
export * from "../sdk/dispatcher";
import { RootContext, registerRootContext } from "../sdk";
import { PiiRedactRoot } from "../pii-redact/root";
import { TokenMeterRoot } from "../token-meter/root";
import { BudgetRoot } from "../budget/root";

registerRootContext("pii-redact", (contextId: u32): RootContext => new PiiRedactRoot(contextId));
registerRootContext("token-meter", (contextId: u32): RootContext => new TokenMeterRoot(contextId));
registerRootContext("budget", (contextId: u32): RootContext => new BudgetRoot(contextId));
