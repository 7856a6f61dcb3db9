export { globMatch } from "./glob";
export { picoFromLiteral, MAX_PICO } from "./decimal";
export {
  NO_PRICE, Prices, PriceEntry, PriceTable, PriceTableResult, buildPriceTable, defaultPriceTable,
  costMicroUsd, providerFromName,
} from "./table";
export { DEFAULT_AS_OF } from "./generated/prices";
