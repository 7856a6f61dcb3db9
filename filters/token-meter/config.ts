// token-meter configuration (CONFIG.md, config.schema.json): read once per configure from the
// string-based config parser; everything the hot path needs is turned into plain fields here.
import { ConfigReader, JsonKind, JsonValue } from "../lib/json";

export class RouteOverride {
  pathPrefix: string = "";
  host: string = "";
  /** A USAGE.md provider name; "none" turns metering off for the route; "" = recognise by path. */
  provider: string = "";
  stripPrefix: bool = false;
}

export class TokenMeterConfig {
  routes: RouteOverride[] = [];
  injectIncludeUsage: bool = true;
  promptCounting: bool = true;
  promptMaxBodyBytes: u32 = 1 << 20;
  completionMaxTextBytes: u32 = 256 << 10;
  maxEventBytes: u32 = 1 << 20;
  maxJsonDepth: i32 = 64;
  rejectBadInput: bool = false;
  /** The `pricing` object as given (the pricing library reads it). */
  pricing: JsonValue | null = null;
  responseHeaders: bool = false;
  responseHeaderPrefix: string = "x-tollgate-";
  metrics: bool = true;
  metricsPrefix: string = "tollgate";
}

/** Result of reading a configuration: the config, or the JSON path and reason it failed. */
export class ConfigResult {
  config: TokenMeterConfig | null = null;
  errorPath: string = "";
  error: string = "";
}

const PROVIDERS: string[] = [
  "openai", "azure-openai", "mistral", "groq", "deepseek", "together", "openrouter",
  "openai-compatible", "anthropic", "gemini", "vertex-ai", "bedrock", "ollama", "none",
];

export function readConfig(root: JsonValue): ConfigResult {
  const r = new ConfigReader();
  const out = new ConfigResult();
  const c = new TokenMeterConfig();
  if (!r.object(root, "$", ["routes", "include_usage", "prompt_counting", "completion_counting", "limits", "on_bad_input", "pricing", "response_headers", "metrics"])) return failed(r, out);

  const routes = root.get("routes");
  if (routes !== null) {
    if (routes.kind != JsonKind.Array) {
      r.fail("$.routes", "must be an array");
    } else {
      for (let i = 0; i < routes.length; i++) {
        const path = "$.routes[" + i.toString() + "]";
        const e = routes.at(i);
        if (e === null || !r.object(e, path, ["path_prefix", "host", "provider", "strip_prefix"])) break;
        const o = new RouteOverride();
        o.pathPrefix = r.str(e.get("path_prefix"), path + ".path_prefix", "");
        if (o.pathPrefix.length == 0 || o.pathPrefix.charCodeAt(0) != 0x2f) r.fail(path + ".path_prefix", "must be a path starting with /");
        o.host = r.str(e.get("host"), path + ".host", "");
        o.provider = r.str(e.get("provider"), path + ".provider", "");
        if (o.provider.length > 0 && !PROVIDERS.includes(o.provider)) r.fail(path + ".provider", "is not a known provider");
        o.stripPrefix = r.bool(e.get("strip_prefix"), path + ".strip_prefix", false);
        c.routes.push(o);
      }
    }
  }

  const inc = root.get("include_usage");
  if (r.object(inc, "$.include_usage", ["inject"]) && inc !== null) c.injectIncludeUsage = r.bool(inc.get("inject"), "$.include_usage.inject", true);

  const pc = root.get("prompt_counting");
  if (r.object(pc, "$.prompt_counting", ["enabled", "max_body_bytes"]) && pc !== null) {
    c.promptCounting = r.bool(pc.get("enabled"), "$.prompt_counting.enabled", true);
    c.promptMaxBodyBytes = r.u32(pc.get("max_body_bytes"), "$.prompt_counting.max_body_bytes", c.promptMaxBodyBytes, 0, 64 << 20);
  }

  const cc = root.get("completion_counting");
  if (r.object(cc, "$.completion_counting", ["max_text_bytes"]) && cc !== null) {
    c.completionMaxTextBytes = r.u32(cc.get("max_text_bytes"), "$.completion_counting.max_text_bytes", c.completionMaxTextBytes, 0, 16 << 20);
  }

  const lim = root.get("limits");
  if (r.object(lim, "$.limits", ["max_event_bytes", "max_json_depth"]) && lim !== null) {
    c.maxEventBytes = r.u32(lim.get("max_event_bytes"), "$.limits.max_event_bytes", c.maxEventBytes, 1024, 64 << 20);
    c.maxJsonDepth = <i32>r.u32(lim.get("max_json_depth"), "$.limits.max_json_depth", <u32>c.maxJsonDepth, 4, 1024);
  }

  const bad = r.str(root.get("on_bad_input"), "$.on_bad_input", "pass");
  if (bad == "reject") c.rejectBadInput = true;
  else if (bad != "pass") r.fail("$.on_bad_input", "must be \"pass\" or \"reject\"");

  const pricing = root.get("pricing");
  if (pricing !== null && pricing.kind != JsonKind.Object) r.fail("$.pricing", "must be an object");
  c.pricing = pricing;

  const rh = root.get("response_headers");
  if (r.object(rh, "$.response_headers", ["enabled", "prefix"]) && rh !== null) {
    c.responseHeaders = r.bool(rh.get("enabled"), "$.response_headers.enabled", false);
    c.responseHeaderPrefix = r.str(rh.get("prefix"), "$.response_headers.prefix", c.responseHeaderPrefix).toLowerCase();
  }

  const m = root.get("metrics");
  if (r.object(m, "$.metrics", ["enabled", "prefix"]) && m !== null) {
    c.metrics = r.bool(m.get("enabled"), "$.metrics.enabled", true);
    c.metricsPrefix = r.str(m.get("prefix"), "$.metrics.prefix", c.metricsPrefix);
  }

  if (!r.ok) return failed(r, out);
  out.config = c;
  return out;
}

function failed(r: ConfigReader, out: ConfigResult): ConfigResult {
  out.errorPath = r.errorPath;
  out.error = r.error;
  return out;
}
