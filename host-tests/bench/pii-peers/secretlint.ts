// secretlint: a secret scanner for files. Its core API lints one source with a config; the rule
// set is @secretlint/secretlint-rule-preset-recommend, as `secretlint --init` writes it. Messages
// carry the rule and a [start, end) range into the content. v11: the newest line that runs on
// Node 20 (v12+ require Node 22).
import { lintSource } from "@secretlint/core";
import { creator as recommended } from "@secretlint/secretlint-rule-preset-recommend";
import { installedVersion, type PiiPeer, type Span } from "./types";

const config = { rules: [{ id: recommended.meta.id, rule: recommended }] };

function lint(text: string) {
  // A plain-text source with no file behind it, as a gateway would hand it a request body.
  return lintSource({ source: { content: text, filePath: "/request.txt", ext: ".txt", contentType: "text" }, options: { config, noPhysicFilePath: true } });
}

export function secretlint(): PiiPeer {
  return {
    name: "secretlint",
    version: `@secretlint/core ${installedVersion("@secretlint/core")}`,
    api: "await lintSource({source, options: {config: preset-recommend}}) -> messages {ruleId, range}",
    types: ["URL_CREDENTIALS", "SECRET"],
    scan: async (text) => {
      const r = await lint(text);
      return r.messages.map((m): Span => ({
        start: m.range[0],
        end: m.range[1],
        // secretlint-rule-basicauth finds user:password@ in URLs; every other rule is a secret.
        type: m.ruleId.endsWith("/secretlint-rule-basicauth") ? "URL_CREDENTIALS" : "SECRET",
      }));
    },
    run: (text) => lint(text),
  };
}
