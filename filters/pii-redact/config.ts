// pii-redact configuration (CONFIG.md, config.schema.json): read once per configure. Per entity
// type: an action and a confidence threshold; custom patterns and word lists compiled here so a
// pattern the linear-time engine cannot bound is rejected with the configuration, not at runtime.
import { ConfigReader, JsonKind, JsonValue } from "../lib/json";
import { PiiAction, piiActionFromName } from "../lib/pii/actions";
import { PiiType, PII_TYPE_MAX, piiTypeFromName, piiTypeName } from "../lib/pii/findings";
import { ScanConfig } from "../lib/pii/scan";

export class PiiConfig {
  scan: ScanConfig = new ScanConfig();
  /** action[t] for PiiType t (PiiAction). */
  action: StaticArray<i32> = new StaticArray<i32>(PII_TYPE_MAX + 1);
  /** Scan requests / responses. */
  requests: bool = true;
  responses: bool = true;
  /** Bytes of a streamed channel's text held back at most (a possible entity's start). */
  holdBackBytes: u32 = 64;
  maxBodyBytes: u32 = 8 << 20;
  rejectBadInput: bool = false;
  /** HMAC key for pseudonyms (required when any type pseudonymises). */
  pseudonymKey: ArrayBuffer | null = null;
  /** Header whose value scopes pseudonyms to a tenant ("" = one tenant). */
  tenantHeader: string = "";
  /** Custom pattern sources, names, actions (compiled by the root). */
  patternNames: string[] = [];
  patternSources: string[] = [];
  patternActions: i32[] = [];
  wordListNames: string[] = [];
  wordLists: Array<string[]> = [];
  wordListActions: i32[] = [];
  wordListCaseInsensitive: bool[] = [];
  metrics: bool = true;
  metricsPrefix: string = "tollgate";
}

export class PiiConfigResult {
  config: PiiConfig | null = null;
  errorPath: string = "";
  error: string = "";
}

const DEFAULT_ACTIONS: StaticArray<i32> = [
  PiiAction.Detect, // 0 unused
  PiiAction.Redact, // EMAIL
  PiiAction.Redact, // PHONE
  PiiAction.Mask, // CREDIT_CARD
  PiiAction.Redact, // IBAN
  PiiAction.Redact, // US_SSN
  PiiAction.Redact, // IP_ADDRESS
  PiiAction.Redact, // URL_CREDENTIALS
  PiiAction.Block, // SECRET
  PiiAction.Redact, // CUSTOM
  PiiAction.Redact, // WORD
];

const ACTIONS = ["redact", "mask", "pseudonymise", "tokenise", "block", "detect"];

export function readPiiConfig(root: JsonValue): PiiConfigResult {
  const r = new ConfigReader();
  const out = new PiiConfigResult();
  const c = new PiiConfig();
  for (let t = 0; t <= PII_TYPE_MAX; t++) unchecked(c.action[t] = DEFAULT_ACTIONS[t]);
  if (!r.object(root, "$", ["entities", "generic_secrets", "custom_patterns", "word_lists", "pseudonym", "directions", "stream", "max_body_bytes", "on_bad_input", "metrics"])) return failed(r, out);

  const entities = root.get("entities");
  if (entities !== null) {
    if (entities.kind != JsonKind.Object) r.fail("$.entities", "must be an object of entity type → settings");
    else for (let i = 0; i < entities.length; i++) {
      const name = entities.keyAt(i);
      const path = "$.entities." + name;
      const t = piiTypeFromName(name);
      if (t == 0 || t == PiiType.Custom || t == PiiType.Word) {
        r.fail(path, "is not a built-in entity type (EMAIL, PHONE, CREDIT_CARD, IBAN, US_SSN, IP_ADDRESS, URL_CREDENTIALS, SECRET)");
        break;
      }
      const e = entities.valueAt(i);
      if (e === null || !r.object(e, path, ["enabled", "action", "threshold"])) break;
      unchecked(c.scan.enabled[t] = r.bool(e.get("enabled"), path + ".enabled", true));
      unchecked(c.action[t] = actionOf(r, e.get("action"), path + ".action", unchecked(c.action[t])));
      unchecked(c.scan.threshold[t] = <i32>r.u32(e.get("threshold"), path + ".threshold", <u32>unchecked(c.scan.threshold[t]), 0, 100));
    }
  }
  c.scan.genericSecrets = r.bool(root.get("generic_secrets"), "$.generic_secrets", false);

  const patterns = root.get("custom_patterns");
  if (patterns !== null) {
    if (patterns.kind != JsonKind.Array) r.fail("$.custom_patterns", "must be an array");
    else for (let i = 0; i < patterns.length && r.ok; i++) {
      const path = "$.custom_patterns[" + i.toString() + "]";
      const p = patterns.at(i);
      if (p === null || !r.object(p, path, ["name", "pattern", "action"])) break;
      const name = r.str(p.get("name"), path + ".name", "");
      if (name.length == 0) r.fail(path + ".name", "is required");
      const source = r.str(p.get("pattern"), path + ".pattern", "");
      if (source.length == 0) r.fail(path + ".pattern", "is required");
      if (c.patternNames.includes(name)) r.fail(path + ".name", "repeats another pattern's name");
      c.patternNames.push(name);
      c.patternSources.push(source);
      c.patternActions.push(actionOf(r, p.get("action"), path + ".action", PiiAction.Redact));
    }
  }

  const lists = root.get("word_lists");
  if (lists !== null) {
    if (lists.kind != JsonKind.Array) r.fail("$.word_lists", "must be an array");
    else for (let i = 0; i < lists.length && r.ok; i++) {
      const path = "$.word_lists[" + i.toString() + "]";
      const l = lists.at(i);
      if (l === null || !r.object(l, path, ["name", "words", "case_insensitive", "action"])) break;
      const name = r.str(l.get("name"), path + ".name", "");
      if (name.length == 0) r.fail(path + ".name", "is required");
      const words = r.strings(l.get("words"), path + ".words");
      if (words.length == 0) r.fail(path + ".words", "must list at least one word");
      for (let j = 0; j < words.length; j++) if (words[j].length == 0) r.fail(path + ".words[" + j.toString() + "]", "must not be empty");
      if (c.wordListNames.includes(name) || c.patternNames.includes(name)) r.fail(path + ".name", "repeats another pattern's or word list's name");
      c.wordListNames.push(name);
      c.wordLists.push(words);
      c.wordListCaseInsensitive.push(r.bool(l.get("case_insensitive"), path + ".case_insensitive", true));
      c.wordListActions.push(actionOf(r, l.get("action"), path + ".action", PiiAction.Redact));
    }
  }

  const ps = root.get("pseudonym");
  if (ps !== null && r.object(ps, "$.pseudonym", ["key", "tenant_header"])) {
    const key = r.str(ps.get("key"), "$.pseudonym.key", "");
    // A short key makes pseudonyms guessable by anyone who can enumerate the values.
    if (codePoints(key) < 16) r.fail("$.pseudonym.key", "must be at least 16 characters");
    else c.pseudonymKey = String.UTF8.encode(key);
    c.tenantHeader = r.str(ps.get("tenant_header"), "$.pseudonym.tenant_header", "").toLowerCase();
  }
  if (c.pseudonymKey === null && usesPseudonyms(c)) r.fail("$.pseudonym.key", "is required when an action is pseudonymise (pseudonyms are never unsalted)");

  const d = root.get("directions");
  if (d !== null && r.object(d, "$.directions", ["request", "response"])) {
    c.requests = r.bool(d.get("request"), "$.directions.request", true);
    c.responses = r.bool(d.get("response"), "$.directions.response", true);
  }
  const st = root.get("stream");
  if (st !== null && r.object(st, "$.stream", ["hold_back_bytes"])) {
    c.holdBackBytes = r.u32(st.get("hold_back_bytes"), "$.stream.hold_back_bytes", c.holdBackBytes, 16, 4096);
  }
  c.maxBodyBytes = r.u32(root.get("max_body_bytes"), "$.max_body_bytes", c.maxBodyBytes, 1024, 256 << 20);
  c.rejectBadInput = r.oneOf(root.get("on_bad_input"), "$.on_bad_input", "pass", ["pass", "reject"]) == "reject";
  const m = root.get("metrics");
  if (m !== null && r.object(m, "$.metrics", ["enabled", "prefix"])) {
    c.metrics = r.bool(m.get("enabled"), "$.metrics.enabled", true);
    c.metricsPrefix = r.str(m.get("prefix"), "$.metrics.prefix", c.metricsPrefix);
  }

  if (!r.ok) return failed(r, out);
  out.config = c;
  return out;
}

function actionOf(r: ConfigReader, v: JsonValue | null, path: string, fallback: i32): i32 {
  const name = r.oneOf(v, path, ACTIONS[fallback], ACTIONS);
  const a = piiActionFromName(name);
  return a < 0 ? fallback : a;
}

function usesPseudonyms(c: PiiConfig): bool {
  for (let t = 1; t <= PII_TYPE_MAX; t++) if (unchecked(c.action[t]) == PiiAction.Pseudonymise) return true;
  for (let i = 0; i < c.patternActions.length; i++) if (c.patternActions[i] == PiiAction.Pseudonymise) return true;
  for (let i = 0; i < c.wordListActions.length; i++) if (c.wordListActions[i] == PiiAction.Pseudonymise) return true;
  return false;
}

function codePoints(s: string): i32 {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one character.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function failed(r: ConfigReader, out: PiiConfigResult): PiiConfigResult {
  out.errorPath = r.errorPath;
  out.error = r.error;
  return out;
}

export { piiTypeName };
