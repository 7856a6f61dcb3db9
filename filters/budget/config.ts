// budget configuration (CONFIG.md, config.schema.json): read once per configure; the hot path
// sees plain fields, property paths serialized once and rule names as UTF-8 key prefixes.
import { ConfigReader, JsonKind, JsonValue } from "../lib/json";
import { PropertyPath } from "../sdk";
import { providerFromName } from "../lib/pricing";
import { CalendarUnit, WindowKind, WindowSpec } from "./window";

export const enum LimitKind {
  Tokens = 0,
  CostMicroUsd = 1,
  Requests = 2,
}

export const enum TokenCount {
  Total = 0,
  Input = 1,
  Output = 2,
  Weighted = 3,
}

export const enum KeyPartKind {
  Header = 0,
  /** A property path: JWT claims and other dynamic metadata, xds.*, source.address... */
  Property = 1,
  Model = 2,
  Route = 3,
  Provider = 4,
  Constant = 5,
}

export const enum MissingKey {
  /** Requests without the identity share one bucket named `_missing`. */
  Shared = 0,
  /** The rule does not apply to them. */
  Skip = 1,
  /** They are refused (403 in the provider's error shape). */
  Reject = 2,
}

export const enum StateMode {
  Local = 0,
  Global = 1,
}

export const enum FailureMode {
  Open = 0,
  Closed = 1,
  LocalOnly = 2,
}

/** Weights in thousandths, so a weighted sum is integer arithmetic: ceil(Σ w·n / 1000). */
export class Weights {
  input: i64 = 1000;
  cachedInput: i64 = 1000;
  cacheWrite: i64 = 1000;
  output: i64 = 1000;
}

export class KeyPart {
  kind: KeyPartKind = KeyPartKind.Constant;
  /** Header name (lower case) or the constant. */
  text: string = "";
  /** Header parts: index in BudgetConfig.keyHeaders. */
  headerIndex: i32 = -1;
  path: PropertyPath | null = null;
}

export class Rule {
  name: string = "";
  index: i32 = 0;
  // match
  pathPrefix: string = "";
  host: string = "";
  modelGlobs: ArrayBuffer[] = [];
  providers: i32[] = [];
  // key
  key: KeyPart[] = [];
  onMissingKey: MissingKey = MissingKey.Shared;
  // limit
  kind: LimitKind = LimitKind.Tokens;
  count: TokenCount = TokenCount.Total;
  weights: Weights = new Weights();
  limit: i64 = 0;
  /** Per-key limits from the config (key value → limit). */
  overrides: Map<string, i64> = new Map();
  /** A property (e.g. dynamic metadata set by an earlier filter) that overrides the limit. */
  limitFrom: PropertyPath | null = null;
  window: WindowSpec = new WindowSpec();
  shadow: bool = false;
  /** Fraction in thousandths at which a warning header and metric start; 0 = none. */
  softPermille: i64 = 0;
  /** Status for an exhausted money budget: 429 (default) or 402. */
  moneyStatus: i32 = 429;
  mode: StateMode = StateMode.Local;
  /** Shared-data key prefix: "tollgate.budget\0<name>\0". */
  keyPrefix: ArrayBuffer = new ArrayBuffer(0);
  /** The rule name as UTF-8 (descriptor value, filter state). */
  nameBytes: ArrayBuffer = new ArrayBuffer(0);

  get unitName(): string {
    return this.kind == LimitKind.Tokens ? "tokens" : this.kind == LimitKind.CostMicroUsd ? "cost_micro_usd" : "requests";
  }
}

export class GlobalConfig {
  cluster: string = "";
  domain: string = "tollgate";
  timeoutMs: u32 = 200;
  failureMode: FailureMode = FailureMode.Open;
  /** Charge prompt + output cap at admission (true), or the prompt only (false). */
  chargeReservation: bool = true;
}

export class BudgetConfig {
  rules: Rule[] = [];
  /** Every header some rule's key reads, once each (captured in on_request_headers). */
  keyHeaders: string[] = [];
  defaultOutputCap: i64 = 4096;
  maxBodyBytes: u32 = 8 << 20;
  rejectBadInput: bool = false;
  global: GlobalConfig | null = null;
  cutoff: bool = false;
  maxEventBytes: u32 = 1 << 20;
  headers: bool = true;
  warningHeader: string = "x-tollgate-budget-warning";
  pricing: JsonValue | null = null;
  metrics: bool = true;
  metricsPrefix: string = "tollgate";
}

export class BudgetConfigResult {
  config: BudgetConfig | null = null;
  errorPath: string = "";
  error: string = "";
}

const JWT_NAMESPACE = "envoy.filters.http.jwt_authn";

export function readBudgetConfig(root: JsonValue): BudgetConfigResult {
  const r = new ConfigReader();
  const out = new BudgetConfigResult();
  const c = new BudgetConfig();
  if (!r.object(root, "$", ["rules", "default_output_cap", "max_body_bytes", "on_bad_input", "global", "cutoff", "headers", "pricing", "metrics"])) return failed(r, out);

  c.defaultOutputCap = <i64>r.u32(root.get("default_output_cap"), "$.default_output_cap", 4096, 1, 10_000_000);
  c.maxBodyBytes = r.u32(root.get("max_body_bytes"), "$.max_body_bytes", c.maxBodyBytes, 1024, 256 << 20);
  c.rejectBadInput = r.oneOf(root.get("on_bad_input"), "$.on_bad_input", "pass", ["pass", "reject"]) == "reject";

  const g = root.get("global");
  if (g !== null && r.object(g, "$.global", ["cluster", "domain", "timeout_ms", "failure_mode", "charge_at_admission"])) {
    const gc = new GlobalConfig();
    gc.cluster = r.str(g.get("cluster"), "$.global.cluster", "");
    if (gc.cluster.length == 0) r.fail("$.global.cluster", "is required (the rate-limit service's cluster)");
    gc.domain = r.str(g.get("domain"), "$.global.domain", gc.domain);
    if (gc.domain.length == 0) r.fail("$.global.domain", "must not be empty");
    gc.timeoutMs = r.u32(g.get("timeout_ms"), "$.global.timeout_ms", gc.timeoutMs, 1, 60_000);
    const fm = r.oneOf(g.get("failure_mode"), "$.global.failure_mode", "open", ["open", "closed", "local"]);
    gc.failureMode = fm == "closed" ? FailureMode.Closed : fm == "local" ? FailureMode.LocalOnly : FailureMode.Open;
    gc.chargeReservation = r.oneOf(g.get("charge_at_admission"), "$.global.charge_at_admission", "reservation", ["reservation", "prompt"]) == "reservation";
    c.global = gc;
  }

  const cut = root.get("cutoff");
  if (cut !== null && r.object(cut, "$.cutoff", ["enabled", "max_event_bytes"])) {
    c.cutoff = r.bool(cut.get("enabled"), "$.cutoff.enabled", false);
    c.maxEventBytes = r.u32(cut.get("max_event_bytes"), "$.cutoff.max_event_bytes", c.maxEventBytes, 1024, 64 << 20);
  }

  const h = root.get("headers");
  if (h !== null && r.object(h, "$.headers", ["remaining", "warning"])) {
    c.headers = r.bool(h.get("remaining"), "$.headers.remaining", true);
    c.warningHeader = r.str(h.get("warning"), "$.headers.warning", c.warningHeader).toLowerCase();
    if (c.warningHeader.length == 0) r.fail("$.headers.warning", "must name a header");
  }

  const pricing = root.get("pricing");
  if (pricing !== null && pricing.kind != JsonKind.Object) r.fail("$.pricing", "must be an object");
  c.pricing = pricing;

  const m = root.get("metrics");
  if (m !== null && r.object(m, "$.metrics", ["enabled", "prefix"])) {
    c.metrics = r.bool(m.get("enabled"), "$.metrics.enabled", true);
    c.metricsPrefix = r.str(m.get("prefix"), "$.metrics.prefix", c.metricsPrefix);
  }

  const rules = root.get("rules");
  if (rules === null || rules.kind != JsonKind.Array) {
    r.fail("$.rules", "must be an array of rules");
  } else {
    for (let i = 0; i < rules.length && r.ok; i++) {
      const rule = readRule(r, rules.at(i), "$.rules[" + i.toString() + "]", c.global !== null);
      rule.index = i;
      for (let j = 0; j < c.rules.length; j++) {
        if (c.rules[j].name == rule.name) r.fail("$.rules[" + i.toString() + "].name", "repeats the name of rules[" + j.toString() + "]");
      }
      c.rules.push(rule);
      for (let j = 0; j < rule.key.length; j++) {
        const part = rule.key[j];
        if (part.kind != KeyPartKind.Header) continue;
        let at = c.keyHeaders.indexOf(part.text);
        if (at < 0) {
          at = c.keyHeaders.length;
          c.keyHeaders.push(part.text);
        }
        part.headerIndex = at;
      }
    }
  }

  if (!r.ok) return failed(r, out);
  out.config = c;
  return out;
}

function readRule(r: ConfigReader, v: JsonValue | null, path: string, haveGlobal: bool): Rule {
  const rule = new Rule();
  if (v === null || !r.object(v, path, ["name", "match", "key", "on_missing_key", "limit", "window", "action", "soft_threshold", "overrides", "limit_from", "money_status", "state"])) return rule;
  rule.name = r.str(v.get("name"), path + ".name", "");
  if (rule.name.length == 0 || rule.name.length > 128) r.fail(path + ".name", "is required (1 to 128 characters)");
  rule.nameBytes = String.UTF8.encode(rule.name);
  rule.keyPrefix = String.UTF8.encode("tollgate.budget\0" + rule.name + "\0");

  const match = v.get("match");
  if (match !== null && r.object(match, path + ".match", ["path_prefix", "host", "models", "providers"])) {
    rule.pathPrefix = r.str(match.get("path_prefix"), path + ".match.path_prefix", "");
    if (rule.pathPrefix.length > 0 && rule.pathPrefix.charCodeAt(0) != 0x2f) r.fail(path + ".match.path_prefix", "must start with /");
    rule.host = r.str(match.get("host"), path + ".match.host", "").toLowerCase();
    const globs = r.strings(match.get("models"), path + ".match.models");
    for (let i = 0; i < globs.length; i++) rule.modelGlobs.push(String.UTF8.encode(globs[i]));
    const providers = r.strings(match.get("providers"), path + ".match.providers");
    for (let i = 0; i < providers.length; i++) {
      const p = providerFromName(providers[i]);
      if (p <= 0) r.fail(path + ".match.providers[" + i.toString() + "]", "is not a known provider");
      rule.providers.push(p);
    }
  }

  readKey(r, v.get("key"), path + ".key", rule);
  const missing = r.oneOf(v.get("on_missing_key"), path + ".on_missing_key", "shared", ["shared", "skip", "reject"]);
  rule.onMissingKey = missing == "skip" ? MissingKey.Skip : missing == "reject" ? MissingKey.Reject : MissingKey.Shared;

  readLimit(r, v.get("limit"), path + ".limit", rule);
  readWindow(r, v.get("window"), path + ".window", rule.window);
  rule.shadow = r.oneOf(v.get("action"), path + ".action", "reject", ["reject", "shadow"]) == "shadow";
  const soft = r.f64(v.get("soft_threshold"), path + ".soft_threshold", 0, 0, 1);
  rule.softPermille = <i64>Math.round(soft * 1000);
  rule.moneyStatus = <i32>r.u32(v.get("money_status"), path + ".money_status", 429, 402, 429);
  if (rule.moneyStatus != 402 && rule.moneyStatus != 429) r.fail(path + ".money_status", "must be 402 or 429");

  const overrides = v.get("overrides");
  if (overrides !== null) {
    if (overrides.kind != JsonKind.Object) r.fail(path + ".overrides", "must be an object of key value → limit");
    else for (let i = 0; i < overrides.length; i++) {
      const k = overrides.keyAt(i);
      rule.overrides.set(k, <i64>r.u64(overrides.valueAt(i), path + ".overrides." + k, 0));
    }
  }
  const from = v.get("limit_from");
  if (from !== null) {
    const p = propertyPathOf(r, from, path + ".limit_from");
    if (p !== null) rule.limitFrom = new PropertyPath(p);
  }

  const state = r.oneOf(v.get("state"), path + ".state", haveGlobal ? "global" : "local", ["local", "global"]);
  rule.mode = state == "global" ? StateMode.Global : StateMode.Local;
  if (rule.mode == StateMode.Global && !haveGlobal) r.fail(path + ".state", "is global but the configuration has no `global` section");
  return rule;
}

function readKey(r: ConfigReader, v: JsonValue | null, path: string, rule: Rule): void {
  if (v === null) return; // one bucket for every request the rule matches
  if (v.kind != JsonKind.Array) {
    r.fail(path, "must be an array of key parts");
    return;
  }
  for (let i = 0; i < v.length; i++) {
    const p = path + "[" + i.toString() + "]";
    const e = v.at(i);
    const part = new KeyPart();
    if (e !== null && e.kind == JsonKind.String) {
      if (e.str == "model") part.kind = KeyPartKind.Model;
      else if (e.str == "route") {
        part.kind = KeyPartKind.Route;
        part.path = new PropertyPath(["xds", "route_name"]);
      } else if (e.str == "provider") part.kind = KeyPartKind.Provider;
      else r.fail(p, "must be \"model\", \"route\", \"provider\" or an object");
    } else if (e !== null && e.kind == JsonKind.Object) {
      if (!r.object(e, p, ["header", "jwt_claim", "payload_in_metadata", "metadata", "property", "constant"])) return;
      const kinds = (e.has("header") ? 1 : 0) + (e.has("jwt_claim") ? 1 : 0) + (e.has("metadata") ? 1 : 0) + (e.has("property") ? 1 : 0) + (e.has("constant") ? 1 : 0);
      if (kinds != 1) r.fail(p, "must have exactly one of header, jwt_claim, metadata, property, constant");
      if (e.has("payload_in_metadata") && !e.has("jwt_claim")) r.fail(p + ".payload_in_metadata", "applies only to jwt_claim");
      if (e.has("header")) {
        part.kind = KeyPartKind.Header;
        part.text = r.str(e.get("header"), p + ".header", "").toLowerCase();
        if (part.text.length == 0) r.fail(p + ".header", "must name a header");
      } else if (e.has("jwt_claim")) {
        // jwt_authn's payload_in_metadata puts the verified claims under its own namespace.
        const claim = r.strings(e.get("jwt_claim"), p + ".jwt_claim");
        if (claim.length == 0) r.fail(p + ".jwt_claim", "must name a claim");
        noEmptySegments(r, claim, p + ".jwt_claim");
        const payload = r.str(e.get("payload_in_metadata"), p + ".payload_in_metadata", "jwt_payload");
        if (payload.length == 0) r.fail(p + ".payload_in_metadata", "must not be empty");
        const segments: string[] = ["metadata", "filter_metadata", JWT_NAMESPACE, payload];
        for (let j = 0; j < claim.length; j++) segments.push(claim[j]);
        part.kind = KeyPartKind.Property;
        part.path = new PropertyPath(segments);
      } else if (e.has("metadata")) {
        const md = e.get("metadata")!;
        if (!r.object(md, p + ".metadata", ["namespace", "path"])) return;
        const segments: string[] = ["metadata", "filter_metadata", r.str(md.get("namespace"), p + ".metadata.namespace", "")];
        if (segments[2].length == 0) r.fail(p + ".metadata.namespace", "is required");
        const rest = r.strings(md.get("path"), p + ".metadata.path");
        if (rest.length == 0) r.fail(p + ".metadata.path", "must name at least one key");
        noEmptySegments(r, rest, p + ".metadata.path");
        for (let j = 0; j < rest.length; j++) segments.push(rest[j]);
        part.kind = KeyPartKind.Property;
        part.path = new PropertyPath(segments);
      } else if (e.has("property")) {
        const segments = propertyPathOf(r, e.get("property")!, p + ".property");
        part.kind = KeyPartKind.Property;
        if (segments !== null) part.path = new PropertyPath(segments);
      } else if (e.has("constant")) {
        part.kind = KeyPartKind.Constant;
        part.text = r.str(e.get("constant"), p + ".constant", "");
      } else {
        r.fail(p, "must be one of header, jwt_claim, metadata, property, constant");
      }
    } else {
      r.fail(p, "must be \"model\", \"route\", \"provider\" or an object with one of header, jwt_claim, metadata, property, constant");
    }
    rule.key.push(part);
  }
}

function propertyPathOf(r: ConfigReader, v: JsonValue, path: string): string[] | null {
  // "a.b.c" is the convenient form; names with dots need the array form.
  const segments = v.kind == JsonKind.String ? v.str.split(".") : r.strings(v, path);
  if (segments.length == 0) {
    r.fail(path, "must be a property path (\"source.address\" or [\"metadata\", ...])");
    return null;
  }
  return noEmptySegments(r, segments, path) ? segments : null;
}

function noEmptySegments(r: ConfigReader, segments: string[], path: string): bool {
  for (let i = 0; i < segments.length; i++) {
    if (segments[i].length == 0) return r.fail(path, "must not have empty segments");
  }
  return true;
}

function readLimit(r: ConfigReader, v: JsonValue | null, path: string, rule: Rule): void {
  if (v === null || !r.object(v, path, ["tokens", "count", "weights", "cost_micro_usd", "cost_usd", "requests"])) {
    if (v === null) r.fail(path, "is required");
    return;
  }
  let kinds = 0;
  if (v.has("tokens")) {
    kinds++;
    rule.kind = LimitKind.Tokens;
    rule.limit = <i64>r.u64(v.get("tokens"), path + ".tokens", 0);
    const count = r.oneOf(v.get("count"), path + ".count", "total", ["total", "input", "output", "weighted"]);
    rule.count = count == "input" ? TokenCount.Input : count == "output" ? TokenCount.Output : count == "weighted" ? TokenCount.Weighted : TokenCount.Total;
    const w = v.get("weights");
    if (rule.count == TokenCount.Weighted) {
      if (w === null) r.fail(path + ".weights", "is required when count is \"weighted\"");
      else if (r.object(w, path + ".weights", ["input", "cached_input", "cache_write", "output"])) {
        rule.weights.input = <i64>Math.round(r.f64(w.get("input"), path + ".weights.input", 1, 0, 1000) * 1000);
        const cached = w.get("cached_input");
        const write = w.get("cache_write");
        rule.weights.cachedInput = cached === null ? rule.weights.input : <i64>Math.round(r.f64(cached, path + ".weights.cached_input", 1, 0, 1000) * 1000);
        rule.weights.cacheWrite = write === null ? rule.weights.input : <i64>Math.round(r.f64(write, path + ".weights.cache_write", 1, 0, 1000) * 1000);
        rule.weights.output = <i64>Math.round(r.f64(w.get("output"), path + ".weights.output", 1, 0, 1000) * 1000);
      }
    } else if (w !== null) {
      r.fail(path + ".weights", "applies only when count is \"weighted\"");
    }
  }
  if (v.has("cost_micro_usd")) {
    kinds++;
    rule.kind = LimitKind.CostMicroUsd;
    rule.limit = <i64>r.u64(v.get("cost_micro_usd"), path + ".cost_micro_usd", 0);
  }
  if (v.has("cost_usd")) {
    kinds++;
    rule.kind = LimitKind.CostMicroUsd;
    rule.limit = <i64>Math.round(r.f64(v.get("cost_usd"), path + ".cost_usd", 0, 0, 9e9) * 1e6);
  }
  if (v.has("requests")) {
    kinds++;
    rule.kind = LimitKind.Requests;
    rule.limit = <i64>r.u64(v.get("requests"), path + ".requests", 0);
  }
  if (kinds != 1) r.fail(path, "must have exactly one of tokens, cost_micro_usd, cost_usd, requests");
  if (rule.kind != LimitKind.Tokens && (v.has("count") || v.has("weights"))) r.fail(path + ".count", "applies only to token limits");
}

function readWindow(r: ConfigReader, v: JsonValue | null, path: string, w: WindowSpec): void {
  if (v === null || !r.object(v, path, ["calendar", "utc_offset", "rolling", "slots"])) {
    if (v === null) r.fail(path, "is required");
    return;
  }
  if (v.has("calendar") == v.has("rolling")) {
    r.fail(path, "must have exactly one of calendar, rolling");
    return;
  }
  if (v.has("calendar")) {
    w.kind = WindowKind.Calendar;
    const unit = r.oneOf(v.get("calendar"), path + ".calendar", "hour", ["minute", "hour", "day", "week", "month"]);
    w.unit = unit == "minute" ? CalendarUnit.Minute : unit == "day" ? CalendarUnit.Day : unit == "week" ? CalendarUnit.Week : unit == "month" ? CalendarUnit.Month : CalendarUnit.Hour;
    const offset = r.str(v.get("utc_offset"), path + ".utc_offset", "+00:00");
    const ms = parseOffsetMs(offset);
    if (ms == i64.MIN_VALUE) r.fail(path + ".utc_offset", "must be ±HH:MM (e.g. \"+05:30\"), from -14:00 to +14:00");
    else w.offsetMs = ms;
    if (v.has("slots")) r.fail(path + ".slots", "applies only to rolling windows");
    return;
  }
  w.kind = WindowKind.Rolling;
  if (v.has("utc_offset")) r.fail(path + ".utc_offset", "applies only to calendar windows");
  const length = parseDurationMs(r, v.get("rolling")!, path + ".rolling");
  w.slots = <i32>r.u32(v.get("slots"), path + ".slots", 60, 1, 1440);
  if (length <= 0) return;
  if (length % <i64>w.slots != 0) {
    r.fail(path + ".slots", "must divide the window into whole milliseconds");
    return;
  }
  w.lengthMs = length;
  w.slotMs = length / <i64>w.slots;
}

/** "90s", "15m", "1h", "7d", or a number of seconds. */
function parseDurationMs(r: ConfigReader, v: JsonValue, path: string): i64 {
  if (v.kind == JsonKind.Number) {
    if (!v.isInteger || v.num < 1 || v.num > 366 * 86400) { r.fail(path, "must be 1 second to 366 days"); return 0; }
    return <i64>v.num * 1000;
  }
  const s = r.str(v, path, "");
  if (s.length < 2) { r.fail(path, "must be a duration like \"1h\", \"15m\", \"90s\", \"7d\""); return 0; }
  const unit = s.charAt(s.length - 1);
  const digits = s.substring(0, s.length - 1);
  let n: i64 = 0;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9 || n > 1_000_000_000) { r.fail(path, "must be a duration like \"1h\", \"15m\", \"90s\", \"7d\""); return 0; }
    n = n * 10 + <i64>c;
  }
  let ms: i64 = 0;
  if (unit == "s") ms = n * 1000;
  else if (unit == "m") ms = n * 60_000;
  else if (unit == "h") ms = n * 3_600_000;
  else if (unit == "d") ms = n * 86_400_000;
  if (ms < 1000 || ms > 366 * 86_400_000) { r.fail(path, "must be a duration from 1s to 366d (units s, m, h, d)"); return 0; }
  return ms;
}

function parseOffsetMs(s: string): i64 {
  if (s == "Z" || s == "UTC") return 0;
  if (s.length != 6 || s.charAt(3) != ":") return i64.MIN_VALUE;
  const sign = s.charAt(0);
  if (sign != "+" && sign != "-") return i64.MIN_VALUE;
  const hh = digit2(s, 1);
  const mm = digit2(s, 4);
  if (hh < 0 || mm < 0 || mm > 59 || hh * 60 + mm > 14 * 60) return i64.MIN_VALUE;
  const ms = (<i64>hh * 60 + <i64>mm) * 60_000;
  return sign == "-" ? -ms : ms;
}

function digit2(s: string, at: i32): i32 {
  const a = s.charCodeAt(at) - 0x30;
  const b = s.charCodeAt(at + 1) - 0x30;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

function failed(r: ConfigReader, out: BudgetConfigResult): BudgetConfigResult {
  out.errorPath = r.errorPath;
  out.error = r.error;
  return out;
}
