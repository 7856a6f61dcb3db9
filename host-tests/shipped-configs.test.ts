// Every configuration under envoy/ and examples/ that carries Tollgate filters (Kong and APISIX
// aside: their own tests load them with their host profiles) is read the way its host reads it,
// each filter configuration is checked against the filter's published JSON Schema, and the whole
// recordings suite is replayed through each chain with `npm start`'s pass criteria. A shipped
// config with a filter this test cannot read fails it. See support/shipped-configs.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { createHost } from "./harness/index";
import { loadCassettes } from "./replay/cassette";
import { runExchanges } from "./replay/run";
import { failed, summarize } from "./replay/report";
import { findRedisServerBinary, startRedisServer, type RedisServer } from "./support/redis-server";
import { startRateLimitService, type RateLimitService } from "./support/ratelimit-service";
import { Collector } from "./support/collector";
import { PREFIX as AUDIT_LOG_PREFIX, chainProblems, recordLines } from "./support/audit";
import { KNOWN_ROOTS, REPO, loadShipped, moduleOfUrl, quantityBytes, type ShippedChain } from "./support/shipped-configs";

const shipped = loadShipped();
const exchanges = loadCassettes([join(REPO, "host-tests/recordings/cassettes")]).flatMap((c) => c.exchanges);
const decode = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : undefined);

/** The filter state each filter leaves on a recognised LLM call: proof that it ran (a filter that
 * failed open, or never started, leaves none). The audit filter leaves records instead (below). */
const STATE_OF: Record<string, string> = {
  "pii-redact": "tollgate.pii",
  "token-meter": "tollgate.usage",
  budget: "tollgate.budget",
};

const schemas = new Map<string, (c: unknown) => string[]>();
function validatorFor(root: string): (c: unknown) => string[] {
  let v = schemas.get(root);
  if (!v) {
    const schema = JSON.parse(readFileSync(join(REPO, "filters", root, "config.schema.json"), "utf8"));
    const validate = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
    v = (c: unknown) => (validate(c) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`));
    schemas.set(root, v);
  }
  return v;
}

describe("shipped configurations: what is found", () => {
  it("reads every YAML under envoy/ and examples/ without a problem, and finds the chains the docs promise", () => {
    expect(shipped.problems).toEqual([]);
    const files = shipped.files.map((f) => f.file);
    expect(files).toContain("envoy/envoy.yaml");
    const byKind = (k: string) => shipped.chains.filter((c) => c.kind === k).map((c) => c.file);
    expect(byKind("envoy")).toContain("envoy/envoy.yaml");
    expect(byKind("envoy-gateway").length).toBeGreaterThanOrEqual(2); // HTTP URL and OCI image variants
    expect(byKind("istio").length).toBeGreaterThanOrEqual(1);
    for (const c of shipped.chains) expect(c.filters.length, c.label).toBeGreaterThan(0);
  });

  it("envoy/envoy.yaml: pii-redact → token-meter → budget → audit → router; the bundle's three share one VM, audit has its own module", () => {
    const envoy = shipped.chains.find((c) => c.file === "envoy/envoy.yaml")!;
    const roots = envoy.filters.map((f) => f.rootId);
    expect(roots.slice(0, 3)).toEqual(["pii-redact", "token-meter", "budget"]);
    for (const f of envoy.filters.slice(0, 3)) expect([f.module, f.config.vmId]).toEqual(["tollgate", "tollgate"]);
    if (roots.includes("audit")) {
      expect(roots).toEqual(["pii-redact", "token-meter", "budget", "audit"]);
      expect(envoy.filters[3].module).toBe("audit");
    }
    // Failure policies chosen per filter (envoy.yaml says why).
    const policy = Object.fromEntries(envoy.filters.map((f) => [f.rootId, f.failurePolicy]));
    expect(policy).toMatchObject({ "pii-redact": "FAIL_CLOSED", "token-meter": "FAIL_OPEN", budget: "FAIL_CLOSED" });
  });

  it("fails on a filter it does not recognise, a module that lacks the root id, and wasm in a resource it cannot read", () => {
    const dir = mkdtempSync(join(tmpdir(), "tollgate-shipped-"));
    mkdirSync(join(dir, "examples/istio"), { recursive: true });
    mkdirSync(join(dir, "examples/kong"), { recursive: true });
    writeFileSync(join(dir, "package.json"), "{}");
    writeFileSync(
      join(dir, "examples/istio/plugins.yaml"),
      [
        "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: { name: mystery }\nspec: { url: oci://r/tollgate:1, pluginName: rate-guard }",
        "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: { name: misplaced }\nspec: { url: oci://r/tollgate:1, pluginName: audit }",
        "apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: { name: raw }\nspec: { configPatches: [{ patch: { value: { name: envoy.filters.http.wasm } } }] }",
      ].join("\n---\n"),
    );
    writeFileSync(join(dir, "examples/kong/ignored.yaml"), "kind: WasmPlugin\nspec: { pluginName: anything }\n");
    const s = loadShipped(dir);
    expect(s.problems).toHaveLength(3);
    expect(s.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/WasmPlugin mystery: root id "rate-guard" is not a Tollgate filter/),
        expect.stringMatching(/EnvoyFilter raw mentions wasm/),
        expect.stringMatching(/WasmPlugin misplaced: module tollgate does not register root id audit/),
      ]),
    );
    expect(s.files.map((f) => f.file)).toEqual(["examples/istio/plugins.yaml"]);
  });

  it("gives each chain its gateway's listener buffer: Envoy Gateway 32 KiB unless a ClientTrafficPolicy raises it, Istio Envoy's 1 MiB", () => {
    expect([quantityBytes("8Mi"), quantityBytes("32Ki"), quantityBytes("1048576"), quantityBytes("lots")]).toEqual([8 << 20, 32768, 1048576, undefined]);
    for (const c of shipped.chains.filter((x) => x.kind === "envoy-gateway")) expect(c.hostOptions.bufferLimitBytes, c.label).toBe(8 << 20);
    for (const c of shipped.chains.filter((x) => x.kind === "istio")) expect(c.hostOptions.bufferLimitBytes, c.label).toBe(1 << 20);
    // A filter that reads whole bodies must not be promised more than the listener buffers.
    for (const c of shipped.chains) {
      for (const f of c.filters.filter((x) => x.rootId === "pii-redact" || x.rootId === "budget")) {
        const max = JSON.parse(f.configuration || "{}").max_body_bytes ?? 8 << 20;
        expect(max, `${f.where}: max_body_bytes within the listener buffer`).toBeLessThanOrEqual(c.hostOptions.bufferLimitBytes ?? 1 << 20);
      }
    }
  });

  it("maps URLs and image references to dist modules", () => {
    expect(moduleOfUrl("https://example.com/tollgate/v0.1.0/tollgate.wasm")).toBe("tollgate");
    expect(moduleOfUrl("oci://ghcr.io/acme/tollgate:0.1.0")).toBe("tollgate");
    expect(moduleOfUrl("ghcr.io/acme/tollgate-audit@sha256:" + "a".repeat(64))).toBe("audit");
    expect(moduleOfUrl("ghcr.io/acme/other:1")).toBeUndefined();
  });
});

describe.each(shipped.chains.map((c) => [c.label, c] as [string, ShippedChain]))("%s", (_label, chain) => {
  it("every filter configuration validates against its published JSON Schema", () => {
    for (const f of chain.filters) {
      expect(KNOWN_ROOTS).toContain(f.rootId);
      let config: unknown;
      expect(() => (config = f.configuration === "" ? {} : JSON.parse(f.configuration)), `${f.where}: configuration is JSON`).not.toThrow();
      expect(validatorFor(f.rootId)(config), f.where).toEqual([]);
    }
  });

  it("names modules that are built", () => {
    for (const f of chain.filters) expect(existsSync(String(f.config.code)), `${f.where}: ${f.config.code} (npm run build)`).toBe(true);
  });

  it.runIf(chain.filters.some((f) => f.rootId === "pii-redact"))("keeps an e-mail address and an API key in a prompt from the provider, as its README says", async () => {
    const pii = JSON.parse(chain.filters.find((f) => f.rootId === "pii-redact")!.configuration || "{}");
    const emailAction: string = pii.entities?.EMAIL?.action ?? "redact";
    const restores = emailAction === "tokenise" && pii.directions?.response !== false;
    const placeholder: Record<string, string> = { redact: "[EMAIL]", tokenise: "<EMAIL_1>" };
    const host = await createHost(chain.filters.map((f) => f.config), chain.hostOptions);
    try {
      const enc = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));
      const call = (content: string, reply: string) => ({
        request: { method: "POST", path: "/v1/chat/completions", authority: "api.openai.com", headers: [["content-type", "application/json"]] as [string, string][], body: enc({ model: "gpt-4o-mini", messages: [{ role: "user", content }] }) },
        response: {
          status: 200,
          headers: [["content-type", "application/json"]] as [string, string][],
          body: enc({ id: "chatcmpl-1", object: "chat.completion", created: 1, model: "gpt-4o-mini", choices: [{ index: 0, message: { role: "assistant", content: reply }, finish_reason: "stop" }], usage: { prompt_tokens: 15, completion_tokens: 8, total_tokens: 23 } }),
        },
      });
      const email = "jane.doe@example.com";
      const r = await host.exchange(call(`Write to ${email} about the invoice`, `I will write to ${placeholder[emailAction] ?? "them"} today.`));
      const sent = decode(r.upstreamRequest?.body) ?? "";
      expect(sent, "the provider never sees the address").not.toContain(email);
      if (placeholder[emailAction]) expect(sent).toContain(placeholder[emailAction]);
      const got = decode(r.downstreamResponse?.body) ?? "";
      if (restores) expect(got, "the client gets it back").toContain(`I will write to ${email} today.`);

      // An OpenAI project key's shape (made up): found as SECRET, whose shipped action is block.
      const key = "sk-proj-" + "Qz7Xb2Lm9Pw4Rt6Yv1Nc8Kd3Hs5Jf0Ga2Ue7Wq4Tz8Xy1Vb6Nm3Lk9Pj2Rh5Sd7Fg0Ha4Jk";
      const refused = await host.exchange(call(`my token is ${key}, why does it fail?`, "unused"));
      // Refused before its body leaves (Envoy may already have sent the headers upstream: the
      // filters let request headers through and decide once the body is complete).
      expect(decode(refused.upstreamRequest?.body) ?? "", "a prompt with a secret never leaves").toBe("");
      expect(refused.localReply?.status).toBe(400);
      expect(decode(refused.localReply?.body)).not.toContain(key);
    } finally {
      await host.close();
    }
  });

  describe("replays the recordings suite", () => {
    let redis: RedisServer | undefined;
    let ratelimit: RateLimitService | undefined;
    let collector: Collector | undefined;
    const usesRatelimit = chain.filters.some((f) => f.rootId === "budget" && /"global"\s*:/.test(f.configuration));
    const audit = chain.filters.find((f) => f.rootId === "audit");
    const auditHttpCluster: string | undefined = audit ? JSON.parse(audit.configuration || "{}").sinks?.http?.cluster : undefined;

    beforeAll(async () => {
      // A budget with global rules talks to the rate-limit service: give it the real protocol on
      // a real Redis, with the rules of envoy/ratelimit/config.yaml, so a rule the service does
      // not know (or a wrong domain) shows up here instead of in production.
      if (usesRatelimit && findRedisServerBinary()) {
        redis = await startRedisServer();
        ratelimit = await startRateLimitService({ redisUrl: redis.url, config: readFileSync(join(REPO, "envoy/ratelimit/config.yaml"), "utf8") });
      }
      // The audit filter's http sink posts OTLP logs to a cluster: a loopback collector stands in
      // for the OpenTelemetry Collector.
      if (auditHttpCluster) collector = await Collector.start();
    });
    afterAll(async () => {
      await collector?.stop();
      await ratelimit?.close();
      await redis?.close();
    });

    it("with npm start's pass criteria, no trap, and every filter's filter state on every call", async () => {
      const hostOptions = {
        ...chain.hostOptions,
        clusters: { ...chain.hostOptions.clusters, ...(ratelimit ? { ratelimit: ratelimit.url } : {}), ...(collector && auditHttpCluster ? { [auditHttpCluster]: collector.url } : {}) },
      };
      let logs: Array<{ message: string }> = [];
      const outcomes = await runExchanges(exchanges, {
        newHost: async () => {
          const host = await createHost(chain.filters.map((f) => f.config), hostOptions);
          logs = (host as unknown as { logs: Array<{ message: string }> }).logs;
          // The http sink sends a batch every flush interval (1 s by default): give it time to
          // deliver the last one before the host goes away, as a running Envoy would.
          const close = host.close.bind(host);
          host.close = async () => {
            const deadline = Date.now() + 5000;
            while (collector && collector.otlpRecords().length < exchanges.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
            await close();
          };
          return host;
        },
        split: { kind: "recorded" },
      });
      const summary = summarize(outcomes);
      const bad = outcomes.filter((o) => o.error || o.failures.length || o.mismatchCount).map((o) => `${o.item.name}: ${o.error ?? o.failures.join("; ")}`);
      expect(bad).toEqual([]);
      expect(failed(summary)).toBe(false);
      expect(summary.traps).toBe(0);
      expect(summary.exchanges).toBe(exchanges.length);
      // Each filter ran: its filter state is on the calls it applies to. A chain whose rules and
      // routes cover every recorded call (envoy/*.yaml) must show every filter on every call; the
      // examples narrow some filters to their own routes and models.
      const coversAll = chain.kind === "envoy";
      for (const f of chain.filters.filter((x) => x.rootId in STATE_OF)) {
        const key = STATE_OF[f.rootId];
        const without = outcomes.filter((o) => !(key in o.result!.filterState)).map((o) => o.item.name);
        if (coversAll) expect(without, `${f.name} left ${key} on every call`).toEqual([]);
        else expect(without.length, `${f.name} left ${key} on some call`).toBeLessThan(outcomes.length);
      }
      if (audit) {
        // One record per request, in chains that verify; through the collector when the config
        // names one (the host's shutdown flushes what is still batched), else in Envoy's log.
        const prefix = JSON.parse(audit.configuration || "{}").sinks?.log?.prefix ?? AUDIT_LOG_PREFIX;
        const viaLog = recordLines(logs as never, prefix);
        const viaCollector = collector ? collector.otlpRecords().map((r) => r.line) : [];
        const lines = [...viaCollector, ...viaLog];
        expect(lines.length, `${audit.name}: records (collector ${viaCollector.length}, log ${viaLog.length})`).toBe(exchanges.length);
        if (auditHttpCluster) expect(viaCollector.length, "records reached the collector").toBeGreaterThan(0);
        expect(chainProblems(lines)).toEqual([]);
      }
      if (ratelimit) {
        // The global rule was decided by the service, never by the local fallback, and the
        // service knows the rule under the same name and domain, with the limit the filter's
        // configuration states (envoy/ratelimit/config.yaml and the budget config agree).
        expect(ratelimit.calls.length).toBeGreaterThan(0);
        const budgetConfig = JSON.parse(chain.filters.find((f) => f.rootId === "budget")!.configuration);
        for (const call of ratelimit.calls) {
          const ruleName = call.request.descriptors[0]?.entries.find((e) => e.key === "tollgate_rule")?.value;
          const rule = budgetConfig.rules.find((r: { name: string }) => r.name === ruleName);
          expect(rule, `a call for rule ${ruleName}`).toBeDefined();
          expect(call.request.domain).toBe(budgetConfig.global.domain ?? "tollgate");
          for (const st of call.response?.statuses ?? []) expect(st.current_limit?.requests_per_unit, `the service's limit for ${ruleName}`).toBe(Object.values(rule.limit)[0]);
        }
        for (const o of outcomes) {
          const budget = JSON.parse(decode(o.result!.filterState["tollgate.budget"])!);
          for (const r of budget.rules ?? []) if (r.state === "global") expect(r.degraded, `${o.item.name}: ${r.rule}`).toBeNull();
        }
      }
    });
  });
});
