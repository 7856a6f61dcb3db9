// The pii-redact root context: reads and checks the configuration (a configuration that does
// not validate is rejected, so Envoy keeps the previous one), keeps the pseudonym key, and the
// per-type, per-action counters.
import { Counter, HttpContext, RootContext, loadJsonConfig, logError, taggedMetricName } from "../sdk";
import { HmacSha256 } from "../lib/crypto";
import { piiActionName } from "../lib/pii/actions";
import { piiTypeName, PII_TYPE_MAX, subtypeId } from "../lib/pii/findings";
import { compileCustomPattern, CustomPatternDetector, WordListDetector } from "../lib/pii/custom";
import { PiiConfig, readPiiConfig } from "./config";
import { ACTION_COUNT, PiiPolicy } from "./policy";
import { PiiStream } from "./stream";
import { publishPolicy } from "../lib/policy";

export class PiiRedactRoot extends RootContext {
  config: PiiConfig = new PiiConfig();
  private hmac: HmacSha256 | null = null;
  private subtypeActions: Map<i32, i32> = new Map();
  /** Metric per (direction, type, action), defined on first use. */
  private counters: Array<Counter | null> = [];

  onConfigure(configurationSize: u32): bool {
    const json = loadJsonConfig(configurationSize, "pii-redact configuration");
    if (json === null) return false;
    const read = readPiiConfig(json);
    const config = read.config;
    if (config === null) {
      logError("pii-redact configuration: " + read.errorPath + " " + read.error);
      return false;
    }
    // Custom patterns are compiled now: one the linear-time engine cannot bound rejects the
    // configuration with the engine's reason, never fails a request later.
    const actions = new Map<i32, i32>();
    for (let i = 0; i < config.patternSources.length; i++) {
      const compiled = compileCustomPattern(config.patternSources[i]);
      const pattern = compiled.pattern;
      if (pattern === null) {
        logError("pii-redact configuration: $.custom_patterns[" + i.toString() + "].pattern " + compiled.error);
        return false;
      }
      config.scan.extras.push(new CustomPatternDetector(pattern, config.patternNames[i], 100));
      actions.set(subtypeId(config.patternNames[i]), config.patternActions[i]);
    }
    for (let i = 0; i < config.wordLists.length; i++) {
      config.scan.extras.push(new WordListDetector(config.wordLists[i], config.wordListNames[i], 100, config.wordListCaseInsensitive[i], true));
      actions.set(subtypeId(config.wordListNames[i]), config.wordListActions[i]);
    }
    this.subtypeActions = actions;
    this.config = config;
    const key = config.pseudonymKey;
    this.hmac = key === null ? null : new HmacSha256(changetype<usize>(key), <usize>key.byteLength);
    this.counters = new Array<Counter | null>(2 * (PII_TYPE_MAX + 1) * ACTION_COUNT);
    publishPolicy("pii-redact", configurationSize);
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new PiiStream(contextId, this);
  }

  newPolicy(): PiiPolicy {
    return new PiiPolicy(this.config, this.hmac, new ArrayBuffer(0), this.subtypeActions);
  }

  /** Adds a finished stream's counts to `<prefix>.pii.entities.direction=.D;type=.T;action=.A;`. */
  record(s: PiiStream): void {
    if (!this.config.metrics) return;
    const p = s.counts;
    for (let d = 0; d < 2; d++) {
      for (let t = 1; t <= PII_TYPE_MAX; t++) {
        for (let a = 0; a < ACTION_COUNT; a++) {
          const n = p.countOf(d, t, a);
          if (n == 0) continue;
          const i = (d * (PII_TYPE_MAX + 1) + t) * ACTION_COUNT + a;
          let c = this.counters[i];
          if (c === null) {
            c = new Counter(taggedMetricName(this.config.metricsPrefix + ".pii.entities", ["direction", d == 0 ? "request" : "response", "type", piiTypeName(t), "action", piiActionName(a)]));
            this.counters[i] = c;
          }
          c.increment(<u64>n);
        }
      }
    }
  }
}
