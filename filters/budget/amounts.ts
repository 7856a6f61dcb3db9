// What a request weighs against a rule, in the rule's unit: at admission from the prompt and
// the output it may produce; at settlement from the meter's final usage and cost.
import { NO_PRICE, PriceTable } from "../lib/pricing";
import { Usage } from "../lib/providers/types";
import { LimitKind, Rule, TokenCount, Weights } from "./config";

/** The request as admission sees it. */
export class Ask {
  promptTokens: i64 = 0;
  /** The output cap per choice (the client's, else the configured default) times the choice count. */
  outputTokens: i64 = 0;
  provider: i32 = 0;
  modelPtr: usize = 0;
  modelLen: usize = 0;
}

const askUsage = new Usage();

/** The reservation: exact prompt + the whole output allowance, priced as such for money rules. */
export function reservationFor(rule: Rule, ask: Ask, prices: PriceTable): i64 {
  switch (rule.kind) {
    case LimitKind.Requests: return 1;
    case LimitKind.CostMicroUsd: {
      askUsage.input = <u64>ask.promptTokens;
      askUsage.output = <u64>ask.outputTokens;
      const c = prices.priceCall(ask.modelPtr, ask.modelLen, ask.provider, askUsage);
      // An unpriced model cannot be held to a money budget: it reserves nothing (metric `unpriced`).
      return c == NO_PRICE ? 0 : c;
    }
    default: return tokensOf(rule.count, rule.weights, ask.promptTokens, 0, 0, ask.outputTokens);
  }
}

/**
 * The final charge. `usage` null = the meter published nothing (it is not in the chain, or the
 * stream never reached it): a response the provider answered with success keeps its
 * reservation; anything else was not billed and is released.
 */
export function settlementFor(rule: Rule, reserved: i64, usage: Usage | null, costMicroUsd: i64, billed: bool): i64 {
  if (rule.kind == LimitKind.Requests) return 1;
  if (usage === null) return billed ? reserved : 0;
  if (rule.kind == LimitKind.CostMicroUsd) return costMicroUsd == NO_PRICE ? (billed ? reserved : 0) : costMicroUsd;
  const cached = <i64>usage.cachedInput;
  const write = <i64>usage.cacheWrite;
  const plain = max<i64>(<i64>usage.input - cached - write, 0);
  return tokensOf(rule.count, rule.weights, plain, cached, write, <i64>usage.output);
}

function tokensOf(count: TokenCount, w: Weights, input: i64, cached: i64, write: i64, output: i64): i64 {
  switch (count) {
    case TokenCount.Input: return input + cached + write;
    case TokenCount.Output: return output;
    case TokenCount.Weighted: {
      const sum = w.input * input + w.cachedInput * cached + w.cacheWrite * write + w.output * output;
      return (sum + 999) / 1000;
    }
    default: return input + cached + write + output;
  }
}
