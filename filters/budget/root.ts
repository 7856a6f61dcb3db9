// The budget filter's root context: configuration, price table, per-rule metrics, and the
// global settlement calls (issued from the root: a stream's own callouts are cancelled when
// the stream is destroyed, right after on_log).
import { HttpContext, RootContext, loadJsonConfig, logError } from "../sdk";
import { buildPriceTable, defaultPriceTable, PriceTable } from "../lib/pricing";
import { BudgetConfig, readBudgetConfig } from "./config";
import { BudgetMetrics } from "./metrics";
import { Charge } from "./charge";
import { encodeShouldRateLimit, hostHasGrpc, RLS_METHOD, RLS_SERVICE, SettlementCall } from "./global";
import { BudgetStream } from "./stream";
import { publishPolicy } from "../lib/policy";

export class BudgetRoot extends RootContext {
  config: BudgetConfig = new BudgetConfig();
  prices: PriceTable = defaultPriceTable();
  metrics: BudgetMetrics = new BudgetMetrics("tollgate", []);
  private settlement: SettlementCall = new SettlementCall();

  onConfigure(configurationSize: u32): bool {
    const json = loadJsonConfig(configurationSize, "budget configuration");
    if (json === null) return false;
    const read = readBudgetConfig(json);
    const config = read.config;
    if (config === null) {
      logError("budget configuration: " + read.errorPath + " " + read.error);
      return false;
    }
    const prices = buildPriceTable(config.pricing);
    const table = prices.table;
    if (table === null) {
      logError("budget configuration: " + prices.errorPath + " " + prices.error);
      return false;
    }
    this.config = config;
    this.prices = table;
    this.metrics = new BudgetMetrics(config.metricsPrefix, config.rules, config.metrics);
    publishPolicy("budget", configurationSize);
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new BudgetStream(contextId, this);
  }

  /**
   * A globally charged call used `actual`: send the overrun (the protocol cannot take back
   * an unused reservation; that part is counted as unreleased).
   */
  settleGlobal(c: Charge, actual: i64): void {
    const g = this.config.global;
    if (g === null) return;
    if (actual <= c.globalHits) {
      c.metrics.unreleased.increment(<u64>(c.globalHits - actual));
      return;
    }
    if (!hostHasGrpc()) return;
    const message = encodeShouldRateLimit(g, c, actual - c.globalHits);
    if (message !== null) this.grpcCall(g.cluster, RLS_SERVICE, RLS_METHOD, null, message, g.timeoutMs, this.settlement);
  }
}
