// Budget (root id `budget`): token, cost and request budgets that reserve before they admit and
// settle after, per tenant and per model, across every worker of an Envoy (shared data) or many
// Envoys (the rate-limit service protocol).
export * from "../sdk/dispatcher";
import { RootContext, registerRootContext } from "../sdk";
import { BudgetRoot } from "./root";

registerRootContext("budget", (contextId: u32): RootContext => new BudgetRoot(contextId));
