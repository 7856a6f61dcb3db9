#!/usr/bin/env node
// Writes envoy/envoy.mock.yaml: envoy/envoy.yaml with the two provider clusters pointed at the
// docker compose stack's mock LLM upstreams (`tollgate serve --cassette`, plain HTTP on the
// Envoy container's loopback) instead of api.openai.com and api.anthropic.com over TLS.
// Everything else — listener, filters and their configurations, rate-limit and audit clusters —
// is copied unchanged, so the stack runs the shipped chain without an API key.
//
//   node scripts/envoy-mock-config.mjs          rewrite envoy/envoy.mock.yaml
//   node scripts/envoy-mock-config.mjs --check  exit 1 if it is out of date
//
// host-tests/shipped-configs-compose.test.ts fails when the committed file is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { dump, load } from "js-yaml";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const SOURCE = join(ROOT, "envoy/envoy.yaml");
export const TARGET = join(ROOT, "envoy/envoy.mock.yaml");

/** Provider cluster → the loopback port its mock listens on (envoy/docker-compose.yaml). */
export const MOCK_PORTS = { openai: 18080, anthropic: 18081 };

const HEADER = `# GENERATED from envoy.yaml by scripts/envoy-mock-config.mjs; do not edit (run it again).
#
# envoy.yaml with the provider clusters ${Object.keys(MOCK_PORTS).join(" and ")} pointed at the mock LLM
# upstreams of docker-compose.yaml (\`tollgate serve --cassette\`, plain HTTP on this container's
# loopback: the mocks share the Envoy container's network). Everything else is envoy.yaml's.
`;

export function mockConfig(sourceText) {
  const doc = load(sourceText);
  const clusters = doc?.static_resources?.clusters;
  if (!Array.isArray(clusters)) throw new Error("envoy.yaml: static_resources.clusters is missing");
  for (const [name, port] of Object.entries(MOCK_PORTS)) {
    const i = clusters.findIndex((c) => c.name === name);
    if (i < 0) throw new Error(`envoy.yaml: no cluster named ${name}`);
    clusters[i] = {
      name,
      type: "STATIC",
      connect_timeout: "1s",
      load_assignment: {
        cluster_name: name,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port } } } }] }],
      },
    };
  }
  return HEADER + dump(doc, { lineWidth: -1, noRefs: true });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = mockConfig(readFileSync(SOURCE, "utf8"));
  if (process.argv.includes("--check")) {
    const current = readFileSync(TARGET, "utf8");
    if (current !== text) {
      process.stderr.write("envoy/envoy.mock.yaml is out of date: run node scripts/envoy-mock-config.mjs\n");
      process.exit(1);
    }
  } else {
    writeFileSync(TARGET, text);
    process.stdout.write(`wrote ${TARGET}\n`);
  }
}
