import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { loadBootstrap, parseBootstrap, BootstrapError } from "./harness/bootstrap";

const repo = resolve(__dirname, "..");

function tmpYaml(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-bootstrap-"));
  const file = join(dir, "envoy.yaml");
  writeFileSync(file, text);
  return file;
}

const wasmChain = `
static_resources:
  listeners:
    - name: admin_like
      address: { socket_address: { address: 127.0.0.1, port_value: 1 } }
      filter_chains: [{ filters: [{ name: envoy.filters.network.tcp_proxy, typed_config: { "@type": x } }] }]
    - name: main
      per_connection_buffer_limit_bytes: "2097152"
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                http_filters:
                  - name: envoy.filters.http.jwt_authn
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication }
                  - name: meter
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config:
                        name: meter
                        root_id: token-meter
                        fail_open: true
                        vm_config:
                          vm_id: tollgate
                          runtime: envoy.wasm.runtime.v8
                          code: { local: { filename: /etc/envoy/dist/tollgate.wasm } }
                          configuration: { "@type": type.googleapis.com/google.protobuf.StringValue, value: "vm-conf" }
                          environment_variables:
                            host_env_keys: [TOLLGATE_TEST_KEY, TOLLGATE_ABSENT]
                            key_values: { REGION: eu }
                        configuration:
                          "@type": type.googleapis.com/google.protobuf.StringValue
                          value: '{"providers":["openai"]}'
                  - name: budget
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config:
                        root_id: budget
                        failure_policy: FAIL_RELOAD
                        allow_on_headers_stop_iteration: true
                        vm_config:
                          vm_id: tollgate
                          code: { local: { filename: ../dist/relative.wasm } }
                        configuration:
                          "@type": type.googleapis.com/google.protobuf.Struct
                          value: { limit: 10 }
                  - name: inline
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config:
                        root_id: r
                        vm_config: { code: { local: { inline_bytes: AGFzbQEAAAA= } } }
                        configuration: { "@type": type.googleapis.com/google.protobuf.BytesValue, value: AAEC }
                  - name: envoy.filters.http.router
                    typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
  clusters:
    - name: ratelimit
      http2_protocol_options: {}
      load_assignment:
        cluster_name: ratelimit
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: 8081 } } } }] }]
`;

describe("bootstrap: envoy/envoy.yaml", () => {
  it("parses the shipped bootstrap: router only for now, clusters, buffer limit", () => {
    const b = loadBootstrap(join(repo, "envoy/envoy.yaml"));
    expect(b.listener).toBe("llm_ingress");
    expect(b.httpFilters.at(-1)?.name).toBe("envoy.filters.http.router");
    expect(b.skipped).toContain("envoy.filters.http.router");
    // Every wasm filter the shipped chain declares must point into the repo's dist/.
    for (const f of b.filters) expect(typeof f.code === "string" && f.code.startsWith(join(repo, "dist"))).toBe(true);
    expect(b.clusters.openai).toMatchObject({ address: "api.openai.com:443", tls: true });
    expect(b.clusters.anthropic).toMatchObject({ address: "api.anthropic.com:443", tls: true });
    expect(b.bufferLimitBytes).toBe(8388608);
  });
});

describe("bootstrap: wasm filters", () => {
  it("returns the wasm entries in order with their plugin and VM settings", () => {
    const file = tmpYaml(wasmChain);
    const b = loadBootstrap(file, { env: { TOLLGATE_TEST_KEY: "from-env" } });
    expect(b.listener).toBe("main");
    expect(b.httpFilters.map((f) => [f.name, f.wasm])).toEqual([
      ["envoy.filters.http.jwt_authn", false],
      ["meter", true],
      ["budget", true],
      ["inline", true],
      ["envoy.filters.http.router", false],
    ]);
    expect(b.skipped).toEqual(["envoy.filters.http.jwt_authn", "envoy.filters.http.router"]);
    const [meter, budget, inline] = b.filters;
    expect(meter).toMatchObject({
      name: "meter",
      rootId: "token-meter",
      vmId: "tollgate",
      code: join(repo, "dist/tollgate.wasm"),
      configuration: '{"providers":["openai"]}',
      vmConfiguration: "vm-conf",
      failurePolicy: "FAIL_OPEN",
      environmentVariables: { TOLLGATE_TEST_KEY: "from-env", REGION: "eu" },
    });
    // name defaults to root_id; relative filename against the YAML's folder.
    expect(budget).toMatchObject({ name: "budget", rootId: "budget", failurePolicy: "FAIL_RELOAD", allowOnHeadersStopIteration: true });
    expect(budget.code).toBe(resolve(file, "../../dist/relative.wasm"));
    expect(budget.configuration).toBe('{"limit":10}');
    expect(b.warnings.join("\n")).toMatch(/google\.protobuf\.Struct is not a StringValue/);
    expect(Array.from(inline.code as Uint8Array)).toEqual([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
    expect(Array.from(inline.configuration as Uint8Array)).toEqual([0, 1, 2]);
    expect(b.clusters.ratelimit).toEqual({ name: "ratelimit", address: "127.0.0.1:8081", tls: false, http2: true });
    expect(b.bufferLimitBytes).toBe(2097152);
  });

  it("honours a custom path map and a listener by name", () => {
    const file = tmpYaml(wasmChain);
    const b = loadBootstrap(file, { listener: "main", pathMap: { "/etc/envoy/": "/opt/x/" } });
    expect(b.filters[0].code).toBe("/opt/x/dist/tollgate.wasm");
    expect(() => loadBootstrap(file, { listener: "nope" })).toThrow(/no listener "nope" with an HTTP connection manager \(listeners: admin_like, main\)/);
  });
});

describe("bootstrap: errors name the YAML path", () => {
  const hcm = (filters: string) => `
static_resources:
  listeners:
    - name: l
      filter_chains:
        - filters:
            - name: envoy.filters.network.http_connection_manager
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                http_filters:
${filters}`;
  const HF = "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters";

  it("router not last", () => {
    const f = tmpYaml(hcm(`                  - name: envoy.filters.http.router
                  - name: envoy.filters.http.cors
`));
    expect(() => loadBootstrap(f)).toThrow(`${HF}[0]: envoy.filters.http.router must be the last http filter (found envoy.filters.http.cors after it)`);
  });

  it("no router", () => {
    const f = tmpYaml(hcm(`                  - name: envoy.filters.http.cors
`));
    expect(() => loadBootstrap(f)).toThrow(`${HF}: the chain must end with envoy.filters.http.router`);
  });

  it("wasm code missing", () => {
    const f = tmpYaml(hcm(`                  - name: w
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config: { root_id: x, vm_config: { code: { local: {} } } }
                  - name: envoy.filters.http.router
`));
    expect(() => loadBootstrap(f)).toThrow(BootstrapError);
    expect(() => loadBootstrap(f)).toThrow(`${HF}[0].typed_config.config.vm_config.code.local: expected one of filename, inline_string, inline_bytes`);
  });

  it("bad failure policy, bad YAML, missing file, no listeners", () => {
    const f = tmpYaml(hcm(`                  - name: w
                    typed_config:
                      "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
                      config: { failure_policy: SOMETIMES, vm_config: { code: { local: { filename: a.wasm } } } }
                  - name: envoy.filters.http.router
`));
    expect(() => loadBootstrap(f)).toThrow(`${HF}[0].typed_config.config.failure_policy: expected one of FAIL_CLOSED, FAIL_OPEN, FAIL_RELOAD, got "SOMETIMES"`);
    expect(() => loadBootstrap(tmpYaml("a: [\n"))).toThrow(/not valid YAML/);
    expect(() => loadBootstrap("/nonexistent/envoy.yaml")).toThrow(/cannot read/);
    expect(() => parseBootstrap({ static_resources: {} }, "x.yaml")).toThrow("x.yaml: static_resources.listeners: missing");
    expect(() => parseBootstrap({ static_resources: { listeners: [{ name: 1 }, "zz"] } }, "x.yaml")).toThrow("x.yaml: static_resources.listeners[1]: expected a mapping, got string \"zz\"");
  });
});
