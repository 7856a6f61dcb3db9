// The token meter's root context: reads and validates the configuration and the price table.
// A configuration that does not validate is rejected, so Envoy keeps the previous one.
import { HttpContext, RootContext, loadJsonConfig, logError } from "../sdk";
import { buildPriceTable, defaultPriceTable, PriceTable } from "../lib/pricing";
import { readConfig, TokenMeterConfig } from "./config";
import { TokenMeterStream } from "./stream";
import { publishPolicy } from "../lib/policy";

export class TokenMeterRoot extends RootContext {
  config: TokenMeterConfig = new TokenMeterConfig();
  prices: PriceTable = defaultPriceTable();

  onConfigure(configurationSize: u32): bool {
    const json = loadJsonConfig(configurationSize, "token-meter configuration");
    if (json === null) return false;
    const read = readConfig(json);
    const config = read.config;
    if (config === null) {
      logError("token-meter configuration: " + read.errorPath + " " + read.error);
      return false;
    }
    const prices = buildPriceTable(config.pricing);
    const table = prices.table;
    if (table === null) {
      logError("token-meter configuration: " + prices.errorPath + " " + prices.error);
      return false;
    }
    this.config = config;
    this.prices = table;
    publishPolicy("token-meter", configurationSize);
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new TokenMeterStream(contextId, this);
  }
}
