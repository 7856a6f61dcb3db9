// The prefixed formats, as data: prefix, alphabet and length of each segment, from the
// providers' published token formats (and the facts gitleaks' and detect-secrets' public rule
// lists record). Distinctive prefixes need nothing else; short ones (2-3 bytes) also need a
// delimiter before, mixed character classes or entropy.
import {
  ALNUM, B64, B64URL, WORD, C_BECH32U, C_DIGIT, C_HEX, C_HEXLOW, C_LOWER, C_UPPER, C_DASH, C_DOT, C_EQ,
} from "./secrets-bytes";
import {
  freezePrefixRules, prefixRule, F_ALLOW_PLACEHOLDER, F_ENDS_AA, F_ENTROPY, F_MIX3, F_NEED_DASH, F_PAD, F_PREV_DELIM,
} from "./secrets-prefix";

const LETTERS: u32 = C_LOWER | C_UPPER;
const UPPER_DIGIT: u32 = C_UPPER | C_DIGIT;
const LOWER_DIGIT: u32 = C_LOWER | C_DIGIT;

function init(): void {
  // ---- AWS: access key ids (4-letter kind + 16 upper-case base32-ish) ----
  const awsKinds = ["AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "APKA"];
  for (let k = 0; k < awsKinds.length; k++) {
    prefixRule(awsKinds[k], "aws_access_key", "aws", 90, F_ALLOW_PLACEHOLDER).seg(UPPER_DIGIT, 16, 16);
  }
  prefixRule("A3T", "aws_access_key", "aws", 85).seg(UPPER_DIGIT, 17, 17);
  // Bedrock API keys (long-term): "ABSK" + base64.
  prefixRule("ABSK", "aws_bedrock_api_key", "aws", 85, F_PAD | F_ENTROPY).seg(B64, 100, 300);

  // ---- GitHub ----
  const gh = ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"];
  for (let k = 0; k < gh.length; k++) prefixRule(gh[k], "github_token", "github", 95).seg(ALNUM, 36, 36);
  prefixRule("github_pat_", "github_fine_grained_pat", "github", 95).seg(WORD, 82, 82);

  // ---- GitLab ----
  const glShort = ["glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "glcbt-", "glffct-", "glwt-", "gltst-", "glimt-"];
  for (let k = 0; k < glShort.length; k++) prefixRule(glShort[k], "gitlab_token", "gitlab", 90).seg(B64URL, 20, 50);
  prefixRule("glptt-", "gitlab_token", "gitlab", 90).seg(B64URL, 40, 40);
  prefixRule("glagent-", "gitlab_token", "gitlab", 90).seg(B64URL, 50, 1024);
  prefixRule("gloas-", "gitlab_token", "gitlab", 90).seg(B64URL, 64, 64);
  prefixRule("GR1348941", "gitlab_token", "gitlab", 90).seg(B64URL, 20, 50);

  // ---- OpenAI ----
  prefixRule("sk-proj-", "openai_api_key", "openai", 95).seg(B64URL, 40, 250);
  prefixRule("sk-svcacct-", "openai_api_key", "openai", 95).seg(B64URL, 40, 250);
  prefixRule("sk-admin-", "openai_api_key", "openai", 95).seg(B64URL, 40, 250);
  prefixRule("sk-None-", "openai_api_key", "openai", 95).seg(B64URL, 40, 250);
  prefixRule("sk-", "openai_api_key", "openai", 85, F_MIX3).seg(ALNUM, 32, 64);

  // ---- Anthropic: 93 base64url bytes then "AA" ----
  // Exact length and the "AA" tail are distinctive enough to report even sample-looking bodies.
  prefixRule("sk-ant-api03-", "anthropic_api_key", "anthropic", 95, F_ENDS_AA | F_ALLOW_PLACEHOLDER).seg(B64URL, 95, 95);
  prefixRule("sk-ant-admin01-", "anthropic_admin_key", "anthropic", 95, F_ENDS_AA | F_ALLOW_PLACEHOLDER).seg(B64URL, 95, 95);

  // ---- Slack (tokens have their own validator; here the app-level and legacy webhook-less forms) ----
  prefixRule("xapp-", "slack_app_token", "slack", 90).seg(C_DIGIT, 1, 2, "-").seg(UPPER_DIGIT, 8, 16, "-")
    .seg(C_DIGIT, 8, 16, "-").seg(ALNUM, 32, 80);

  // ---- Google ----
  prefixRule("AIza", "google_api_key", "gcp", 85).seg(B64URL, 35, 35);
  prefixRule("GOCSPX-", "google_oauth_client_secret", "gcp", 90).seg(B64URL, 28, 28);

  // ---- Stripe ----
  const stripe = ["sk_live_", "sk_test_", "rk_live_", "rk_test_"];
  for (let k = 0; k < stripe.length; k++) {
    prefixRule(stripe[k], "stripe_secret_key", "stripe", 95, F_ALLOW_PLACEHOLDER).seg(ALNUM, 10, 247);
  }
  // Publishable keys are meant for browsers: reported, at a lower confidence.
  prefixRule("pk_live_", "stripe_publishable_key", "stripe", 60).seg(ALNUM, 20, 247);
  prefixRule("pk_test_", "stripe_publishable_key", "stripe", 60).seg(ALNUM, 20, 247);
  prefixRule("whsec_", "stripe_webhook_secret", "stripe", 90).seg(ALNUM, 32, 64);

  // ---- Hugging Face ----
  prefixRule("hf_", "huggingface_access_token", "huggingface", 90).seg(LETTERS, 34, 34);
  prefixRule("api_org_", "huggingface_org_token", "huggingface", 90).seg(LETTERS, 34, 34);

  // ---- other services ----
  prefixRule("ops_eyJ", "1password_service_account_token", "other_service", 95, F_PAD).seg(B64, 250, 8192);
  prefixRule("AGE-SECRET-KEY-1", "age_secret_key", "other_service", 95, F_ALLOW_PLACEHOLDER).seg(C_BECH32U, 58, 58);
  prefixRule("ATATT3", "atlassian_api_token", "other_service", 95).seg(B64URL | C_EQ, 186, 186);
  prefixRule("v1.0-", "cloudflare_origin_ca_key", "other_service", 90).seg(C_HEXLOW, 24, 24, "-").seg(C_HEXLOW, 146, 146);
  prefixRule("fm2_", "flyio_access_token", "other_service", 90, F_PAD).seg(B64, 100, 4096);
  prefixRule("fm1a_", "flyio_access_token", "other_service", 90, F_PAD).seg(B64, 100, 4096);
  prefixRule("fm1r_", "flyio_access_token", "other_service", 90, F_PAD).seg(B64, 100, 4096);
  prefixRule("fo1_", "flyio_access_token", "other_service", 90).seg(B64URL, 43, 43);
  prefixRule("tk-us-", "scalingo_api_token", "other_service", 90).seg(B64URL, 48, 48);
  prefixRule("sgp_local_", "sourcegraph_access_token", "other_service", 90).seg(C_HEX, 40, 40);
  prefixRule("sgp_", "sourcegraph_access_token", "other_service", 90).seg(C_HEX, 16, 16, "_").seg(C_HEX, 40, 40);
  prefixRule("sgp_", "sourcegraph_access_token", "other_service", 90).seg(C_HEX, 40, 40);
  prefixRule("EAAA", "square_access_token", "other_service", 85).seg(B64URL, 22, 60);
  prefixRule("sq0atp-", "square_access_token", "other_service", 90).seg(B64URL, 22, 22);
  prefixRule("sq0csp-", "square_oauth_secret", "other_service", 90).seg(B64URL, 43, 43);
  prefixRule("hvs.", "vault_service_token", "other_service", 90).seg(B64URL, 90, 120);
  prefixRule("hvb.", "vault_batch_token", "other_service", 90).seg(B64URL, 138, 300);
  prefixRule("s.", "vault_service_token", "other_service", 75, F_MIX3 | F_PREV_DELIM).seg(ALNUM, 24, 24);
  prefixRule("b.", "vault_batch_token", "other_service", 75, F_MIX3 | F_PREV_DELIM).seg(ALNUM, 24, 24);
  prefixRule("squ_", "sonar_api_token", "other_service", 90).seg(ALNUM, 40, 40);
  prefixRule("sqp_", "sonar_api_token", "other_service", 90).seg(ALNUM, 40, 40);
  prefixRule("sqa_", "sonar_api_token", "other_service", 90).seg(ALNUM, 40, 40);
  prefixRule("tskey-", "tailscale_key", "other_service", 90, F_NEED_DASH).seg(ALNUM | C_DASH, 20, 120);
  prefixRule("SG.", "sendgrid_api_key", "other_service", 90).seg(B64URL, 22, 22, ".").seg(B64URL, 43, 43);
  prefixRule("npm_", "npm_access_token", "other_service", 90).seg(ALNUM, 36, 36);
  prefixRule("pypi-AgEIcHlwaS5vcmc", "pypi_upload_token", "other_service", 95).seg(B64URL, 50, 1000);
  prefixRule("dop_v1_", "digitalocean_token", "other_service", 95).seg(C_HEXLOW, 64, 64);
  prefixRule("doo_v1_", "digitalocean_token", "other_service", 95).seg(C_HEXLOW, 64, 64);
  prefixRule("dor_v1_", "digitalocean_token", "other_service", 95).seg(C_HEXLOW, 64, 64);
  const shopify = ["shpat_", "shpca_", "shppa_", "shpss_"];
  for (let k = 0; k < shopify.length; k++) prefixRule(shopify[k], "shopify_token", "other_service", 95).seg(C_HEX, 32, 32);
  prefixRule("HRKU-AA", "heroku_api_key", "other_service", 95).seg(B64URL, 58, 58);
  prefixRule("dp.pt.", "doppler_token", "other_service", 95).seg(ALNUM, 43, 43);
  prefixRule("dp.st.", "doppler_token", "other_service", 95).seg(WORD | C_DASH, 40, 80);
  prefixRule("lin_api_", "linear_api_key", "other_service", 95).seg(ALNUM, 40, 40);
  prefixRule("PMAK-", "postman_api_token", "other_service", 95).seg(C_HEX, 24, 24, "-").seg(C_HEX, 34, 34);
  prefixRule("SK", "twilio_api_key", "other_service", 70, F_PREV_DELIM | F_MIX3).seg(C_HEX, 32, 32);
  prefixRule("dapi", "databricks_token", "other_service", 85, F_MIX3 | F_PREV_DELIM).seg(C_HEXLOW, 32, 32);
  prefixRule("gsk_", "groq_api_key", "other_service", 90).seg(ALNUM, 52, 52);
  prefixRule("r8_", "replicate_api_token", "other_service", 85, F_ENTROPY).seg(ALNUM, 37, 37);
  prefixRule("pplx-", "perplexity_api_key", "other_service", 90).seg(ALNUM, 48, 48);
  prefixRule("xai-", "xai_api_key", "other_service", 90).seg(ALNUM, 80, 80);
  prefixRule("ntn_", "notion_token", "other_service", 90, F_ENTROPY).seg(ALNUM, 46, 46);
  prefixRule("glc_", "grafana_cloud_token", "other_service", 90, F_PAD | F_ENTROPY).seg(B64, 32, 400);
  prefixRule("glsa_", "grafana_service_account_token", "other_service", 90).seg(ALNUM, 32, 32, "_").seg(C_HEX, 8, 8);
  prefixRule("ico-", "infracost_api_token", "other_service", 85).seg(ALNUM, 32, 32);
  prefixRule("rdme_", "readme_api_token", "other_service", 85).seg(LOWER_DIGIT, 70, 70);
  prefixRule("EZAK", "easypost_api_token", "other_service", 85).seg(ALNUM, 54, 54);
  prefixRule("EZTK", "easypost_api_token", "other_service", 85).seg(ALNUM, 54, 54);
  prefixRule("sntrys_", "sentry_token", "other_service", 90, F_PAD).seg(B64, 60, 400);
  prefixRule("sntryu_", "sentry_token", "other_service", 90).seg(C_HEXLOW, 64, 64);
  prefixRule("ATCTT3", "atlassian_api_token", "other_service", 90).seg(B64URL, 100, 300);
  prefixRule("dckr_pat_", "docker_pat", "other_service", 90).seg(B64URL, 27, 27);
  prefixRule("pscale_tkn_", "planetscale_token", "other_service", 90).seg(B64URL | C_DOT, 32, 64);
  prefixRule("pscale_pw_", "planetscale_password", "other_service", 90).seg(B64URL | C_DOT, 32, 64);
  prefixRule("rubygems_", "rubygems_api_token", "other_service", 90).seg(C_HEXLOW, 48, 48);
  prefixRule("shippo_live_", "shippo_api_token", "other_service", 90).seg(C_HEXLOW, 40, 40);
  prefixRule("shippo_test_", "shippo_api_token", "other_service", 90).seg(C_HEXLOW, 40, 40);
  prefixRule("FLWSECK_TEST-", "flutterwave_secret_key", "other_service", 90).seg(C_HEX, 32, 32, "-").seg(C_LOWER, 1, 1);
  prefixRule("FLWSECK-", "flutterwave_secret_key", "other_service", 90).seg(C_HEX, 32, 32, "-").seg(C_LOWER, 1, 1);
  prefixRule("nfp_", "netlify_token", "other_service", 85, F_ENTROPY).seg(ALNUM, 36, 36);
  prefixRule("EAAC", "facebook_page_access_token", "other_service", 80, F_ENTROPY).seg(ALNUM, 100, 400);
  prefixRule("EAAB", "facebook_page_access_token", "other_service", 80, F_ENTROPY).seg(ALNUM, 100, 400);

  // Artifactory: documented samples are all x's, hence the placeholder allowance; the short
  // prefixes need a delimiter before.
  prefixRule("AKC", "artifactory_api_key", "other_service", 75, F_ALLOW_PLACEHOLDER | F_PREV_DELIM).seg(ALNUM, 10, 100);
  // "AP" + a hex digit: the digits are distinctive enough; "APA".."APF" start English words, so
  // those also need mixed classes.
  const apHex = "0123456789ABCDEF";
  for (let k = 0; k < apHex.length; k++) {
    const digit = k < 10;
    prefixRule("AP" + apHex.charAt(k), "artifactory_password", "other_service", 70,
      F_PREV_DELIM | (digit ? F_ALLOW_PLACEHOLDER : F_MIX3)).seg(ALNUM, 8, 100);
  }
}
init();
freezePrefixRules();

export const PREFIX_RULES_READY = true;
