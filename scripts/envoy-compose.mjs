#!/usr/bin/env node
// `npm run envoy:up` / `npm run envoy:down`: the docker compose stack of envoy/ (README there).
//
//   npm run envoy:up                    Envoy + mocks + rate limit + Redis + collector, no API key
//   npm run envoy:up -- --providers     the real OpenAI and Anthropic, your own keys
//   npm run envoy:down                  stop and remove the containers
//
// Before starting it checks what docker cannot tell you clearly: that the modules envoy.yaml
// names are built (Envoy would only log "Unable to create Wasm HTTP filter"), and that a Docker
// engine with the compose plugin answers.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const COMPOSE = join(ROOT, "envoy/docker-compose.yaml");
const PROVIDERS = join(ROOT, "envoy/docker-compose.providers.yaml");

function fail(message) {
  process.stderr.write(`envoy: ${message}\n`);
  process.exit(1);
}

function docker(args) {
  const r = spawnSync("docker", args, { stdio: "inherit", cwd: ROOT });
  if (r.error) fail(`cannot run docker: ${r.error.message}`);
  return r.status ?? 1;
}

function checkDocker() {
  const r = spawnSync("docker", ["compose", "version"], { encoding: "utf8" });
  if (r.error || r.status !== 0) fail("this needs Docker with the compose plugin (docker compose version failed). Without Docker, `npm start` replays the recordings through the same envoy.yaml in the Node harness.");
}

function checkModules() {
  const names = [...readFileSync(join(ROOT, "envoy/envoy.yaml"), "utf8").matchAll(/\/etc\/envoy\/dist\/([\w.-]+\.wasm)/g)].map((m) => m[1]);
  const missing = [...new Set(names)].filter((n) => !existsSync(join(ROOT, "dist", n)));
  if (missing.length) fail(`envoy.yaml loads ${missing.map((n) => `dist/${n}`).join(", ")}, not built yet: run npm run build first`);
}

const [command, ...rest] = process.argv.slice(2);
const providers = rest.includes("--providers");
const files = ["-f", COMPOSE, ...(providers ? ["-f", PROVIDERS] : [])];

if (command === "up") {
  checkModules();
  checkDocker();
  // Naming envoy with the providers file starts it and its dependencies, not the mocks.
  const status = docker(["compose", ...files, "up", "-d", "--build", ...(providers ? ["envoy"] : [])]);
  if (status === 0) {
    process.stdout.write(
      [
        "",
        `Tollgate is up (${providers ? "real providers: send your own API key" : "mock providers from the bundled recordings"}):`,
        "  LLM listener   http://localhost:10000   (OpenAI paths /v1/…, Anthropic /v1/messages)",
        "  Envoy admin    http://localhost:9901/stats/prometheus?filter=tollgate",
        "  access log     docker compose -f envoy/docker-compose.yaml logs -f envoy",
        "  audit records  envoy/audit-logs/audit.jsonl",
        "",
      ].join("\n"),
    );
  }
  process.exit(status);
} else if (command === "down") {
  checkDocker();
  process.exit(docker(["compose", ...files, "down"]));
} else {
  fail("usage: node scripts/envoy-compose.mjs up [--providers] | down");
}
