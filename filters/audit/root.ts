// The audit filter's root context: configuration, the chain of this VM, the sinks, the policy
// cache and the metrics. Streams hand their facts over in on_log; the root builds, seals and
// delivers the record, so a record never depends on a stream outliving on_log.
import { publishPolicy, sha256Hex } from "../lib/policy";
import { BufferType, HttpContext, LogLevel, RootContext, getBufferBytes, getCurrentTimeNanoseconds, loadJsonConfig, log, logError } from "../sdk";
import { moduleVersion } from "../sdk/version";
import { Chain } from "./chain";
import { AuditConfig, LogSinkConfig, readAuditConfig } from "./config";
import { StreamFacts } from "./facts";
import { HttpSink } from "./http-sink";
import { LogSink } from "./log-sink";
import { AuditMetrics } from "./metrics";
import { PolicyCache } from "./policy";
import { BUILD_OK, RecordBuilder } from "./record";
import { RecordSink } from "./sink";
import { AuditStream } from "./stream";

export class AuditRoot extends RootContext {
  config: AuditConfig = new AuditConfig();
  private chain: Chain | null = null;
  private builder: RecordBuilder | null = null;
  private sinks: RecordSink[] = [];
  private http: HttpSink | null = null;
  private metrics: AuditMetrics = new AuditMetrics("tollgate", true);
  private policy: PolicyCache = new PolicyCache();

  onConfigure(configurationSize: u32): bool {
    const json = loadJsonConfig(configurationSize, "audit configuration");
    if (json === null) return false;
    const read = readAuditConfig(json);
    const config = read.config;
    if (config === null) {
      logError("audit configuration: " + read.errorPath + " " + read.error);
      return false;
    }
    this.config = config;
    // A chain lives as long as this root context (a reload or restart makes a new root, hence a
    // new chain) and its chain settings: a new name, key or key id starts a new chain rather
    // than switching a running one, so every chain verifies with one key.
    const chain = this.chain;
    if (chain === null || !chain.sameSettings(config.chain.name, config.chain.hmacKey, config.chain.keyId)) {
      this.chain = new Chain(config.chain.name, config.chain.hmacKey, config.chain.keyId);
    }
    this.builder = new RecordBuilder(config);
    this.metrics = new AuditMetrics(config.metricsPrefix, config.metrics);
    const sinks: RecordSink[] = [];
    const logConfig = config.log;
    const logSink = new LogSink(logConfig !== null ? logConfig : new LogSinkConfig());
    if (logConfig !== null) sinks.push(logSink);
    const httpConfig = config.http;
    const previous = this.http;
    this.http = null;
    if (httpConfig !== null) {
      httpConfig.metricsPrefix = config.metricsPrefix;
      httpConfig.metricsEnabled = config.metrics;
      const version = moduleVersion();
      if (version.length > 0) httpConfig.serviceVersion = version;
      const http = new HttpSink(httpConfig, this, logSink);
      // A new configuration of this root: what the old sink still holds is delivered by the new one.
      if (previous !== null) http.adopt(previous);
      sinks.push(http);
      this.http = http;
    } else if (previous !== null) {
      // The http sink was removed: one last attempt to deliver what it holds.
      previous.onDone();
    }
    this.setTickPeriod(this.http !== null ? this.http!.tickPeriodMs() : 0);
    this.sinks = sinks;
    this.policy.setOwn(ownHash(configurationSize));
    publishPolicy("audit", configurationSize);
    return true;
  }

  createHttpContext(contextId: u32): HttpContext | null {
    return new AuditStream(contextId, this);
  }

  onTick(): void {
    const http = this.http;
    if (http !== null) http.onTick();
  }

  onDone(): bool {
    const http = this.http;
    return http === null ? true : http.onDone();
  }

  /** Builds, seals and delivers one stream's record. Never traps on what the stream carried. */
  writeRecord(facts: StreamFacts): void {
    const builder = this.builder;
    const chain = this.chain;
    if (builder === null || chain === null) return;
    this.policy.refresh(getCurrentTimeNanoseconds());
    const status = builder.build(facts, chain, this.policy);
    if (status != BUILD_OK) {
      this.metrics.tooLarge.increment();
      log(LogLevel.Warn, "audit: record over max_record_bytes (" + this.config.maxRecordBytes.toString() + "), not written; the chain continues without it");
      return;
    }
    this.metrics.records[builder.outcome].increment();
    const line = builder.line;
    for (let i = 0; i < this.sinks.length; i++) unchecked(this.sinks[i]).write(line.ptr, line.length, builder.startNs);
  }
}

function ownHash(size: u32): string {
  if (size == 0) return sha256Hex(0, 0);
  const b = getBufferBytes(BufferType.PluginConfiguration, 0, size);
  if (b === null) return "";
  const h = sha256Hex(b.ptr, b.len);
  b.free();
  return h;
}
