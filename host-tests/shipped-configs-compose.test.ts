// envoy/docker-compose.yaml cannot run here (no Docker engine on the project's machines), so this
// checks what would break it on a user's machine: every file a service mounts, builds or loads
// exists; the ports and names in envoy.yaml's clusters are the ones the services listen on; the
// mocks serve cassettes whose paths the routes send to their cluster; envoy.mock.yaml is
// envoy.yaml with only the provider clusters changed. Then the mock's exact command line is run
// (`tollgate serve --cassette …`, no Docker needed) behind the harness running envoy.mock.yaml's
// chain, as Envoy would sit in front of it.
import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { load, loadAll } from "js-yaml";
import { loadBootstrap, type Bootstrap } from "./harness/bootstrap";
import { loadCassettes } from "./replay/cassette";
import { main } from "./cli/main";
import { testCreateHost } from "./replay/testing/hosts";
// @ts-expect-error: plain ESM script without type declarations
import { MOCK_PORTS, mockConfig } from "../scripts/envoy-mock-config.mjs";

const ROOT = resolve(__dirname, "..");
const ENVOY_DIR = join(ROOT, "envoy");
type Obj = Record<string, any>;

const read = (p: string) => readFileSync(join(ROOT, p), "utf8");
const compose = load(read("envoy/docker-compose.yaml")) as Obj;
const providers = load(read("envoy/docker-compose.providers.yaml")) as Obj;
const services = compose.services as Record<string, Obj>;

/** "./x:/target:ro" → [absolute host path, target]. */
function mounts(service: Obj): Array<[string, string]> {
  return (service.volumes ?? []).map((v: string) => {
    const [src, target] = v.split(":");
    return [resolve(ENVOY_DIR, src), target] as [string, string];
  });
}

/** The host file behind a path inside a service's container, through its bind mounts. */
function hostPathOf(service: Obj, containerPath: string): string | undefined {
  for (const [src, target] of mounts(service)) {
    if (containerPath === target) return src;
    if (containerPath.startsWith(target.replace(/\/?$/, "/"))) return join(src, containerPath.slice(target.replace(/\/?$/, "/").length));
  }
  return undefined;
}

function configFlag(command: string[]): string {
  const i = command.indexOf("-c");
  expect(i, `envoy command ${command.join(" ")} has -c`).toBeGreaterThan(-1);
  return command[i + 1];
}

const envoyService = services.envoy;
const mockBootstrapFile = hostPathOf(envoyService, configFlag(envoyService.command))!;
const providersBootstrapFile = hostPathOf(envoyService, configFlag(providers.services.envoy.command))!;

describe("envoy/docker-compose.yaml", () => {
  it("runs Envoy on the mock bootstrap, and the providers override on envoy.yaml itself", () => {
    expect(mockBootstrapFile).toBe(join(ENVOY_DIR, "envoy.mock.yaml"));
    expect(providersBootstrapFile).toBe(join(ENVOY_DIR, "envoy.yaml"));
    expect(Object.keys(providers.services)).toEqual(["envoy"]);
  });

  it("every bind-mounted file and folder, build context and Dockerfile exists", () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const [src] of mounts(svc)) expect(existsSync(src), `${name} mounts ${src}`).toBe(true);
      if (svc.build) {
        const ctx = resolve(ENVOY_DIR, svc.build.context);
        expect(existsSync(join(ctx, svc.build.dockerfile)), `${name} builds ${svc.build.dockerfile}`).toBe(true);
      }
    }
  });

  it("pins every image it pulls to a version", () => {
    for (const [name, svc] of Object.entries(services)) {
      if (svc.build) continue;
      expect(svc.image, name).toMatch(/^[\w./-]+:[\w.-]+$/);
      expect(svc.image, name).not.toMatch(/:latest$|:main$|:master$/);
    }
    expect(envoyService.image).toMatch(/^envoyproxy\/envoy:v1\.\d+\.\d+$/);
  });

  it("the mock image copies only what exists and what its .dockerignore lets into the build context", () => {
    const dockerfile = read("envoy/mock-llm/Dockerfile");
    const allowed = read("envoy/mock-llm/Dockerfile.dockerignore")
      .split("\n")
      .filter((l) => l.startsWith("!"))
      .map((l) => l.slice(1).trim());
    const copies = [...dockerfile.matchAll(/^COPY\s+(\S+)\s+\S+$/gm)].map((m) => m[1]);
    expect(copies.length).toBeGreaterThan(0);
    for (const src of copies) {
      expect(existsSync(join(ROOT, src)), `COPY ${src}`).toBe(true);
      expect(allowed.some((a) => src === a || src.startsWith(a + "/")), `COPY ${src} is in the build context`).toBe(true);
    }
    // The CLI's only third-party imports at run time.
    const pkg = JSON.parse(read("envoy/mock-llm/package.json"));
    const lock = JSON.parse(read("package-lock.json"));
    for (const [dep, version] of Object.entries(pkg.dependencies)) expect(lock.packages[`node_modules/${dep}`]?.version, dep).toBe(version);
  });
});

describe("npm run envoy:up / envoy:down", () => {
  it("wrap this compose file through scripts/envoy-compose.mjs", () => {
    const scripts = JSON.parse(read("package.json")).scripts;
    expect(scripts["envoy:up"]).toBe("node scripts/envoy-compose.mjs up");
    expect(scripts["envoy:down"]).toBe("node scripts/envoy-compose.mjs down");
    const script = read("scripts/envoy-compose.mjs");
    expect(script).toContain('join(ROOT, "envoy/docker-compose.yaml")');
    expect(script).toContain('join(ROOT, "envoy/docker-compose.providers.yaml")');
  });
});

describe("envoy.yaml, envoy.mock.yaml and the services agree", () => {
  const real = loadBootstrap(providersBootstrapFile);
  const mock = loadBootstrap(mockBootstrapFile);

  it("envoy.mock.yaml is what scripts/envoy-mock-config.mjs makes of envoy.yaml (node scripts/envoy-mock-config.mjs)", () => {
    expect(readFileSync(mockBootstrapFile, "utf8")).toBe(mockConfig(readFileSync(providersBootstrapFile, "utf8")));
    const strip = (b: Bootstrap) => ({ ...b, file: "", clusters: Object.fromEntries(Object.entries(b.clusters).filter(([n]) => !(n in MOCK_PORTS))) });
    expect(strip(mock)).toEqual(strip(real));
    for (const name of Object.keys(MOCK_PORTS)) expect(real.clusters[name].tls, `${name} is TLS in envoy.yaml`).toBe(true);
  });

  it("the filters' modules are mounted where envoy.yaml looks for them, and built", () => {
    const text = read("envoy/envoy.yaml");
    const files = [...text.matchAll(/filename: (\/etc\/envoy\/dist\/[\w.-]+\.wasm)/g)].map((m) => m[1]);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const host = hostPathOf(envoyService, f);
      expect(host, f).toBe(join(ROOT, "dist", f.slice("/etc/envoy/dist/".length)));
      expect(existsSync(host!), `${host} (npm run build)`).toBe(true);
    }
  });

  it("publishes the listener and admin ports the bootstrap opens", () => {
    const doc = load(read("envoy/envoy.yaml")) as Obj;
    const listenerPort = doc.static_resources.listeners[0].address.socket_address.port_value;
    const adminPort = doc.admin.address.socket_address.port_value;
    expect(envoyService.ports).toEqual(expect.arrayContaining([`${listenerPort}:${listenerPort}`, `${adminPort}:${adminPort}`]));
  });

  it("each cluster reaches a provider on the internet, a mock on Envoy's loopback, or a compose service on the port it listens on", () => {
    const listening: Record<string, number> = {
      // envoyproxy/ratelimit serves gRPC on GRPC_PORT, 8081 unless set.
      ratelimit: Number(services.ratelimit.environment?.GRPC_PORT ?? 8081),
      // The collector's OTLP/HTTP receiver.
      "otel-collector": Number(String((load(read("envoy/otel-collector/config.yaml")) as Obj).receivers.otlp.protocols.http.endpoint).split(":").pop()),
    };
    for (const b of [real, mock]) {
      for (const c of Object.values(b.clusters)) {
        const [host, port] = [c.address.slice(0, c.address.lastIndexOf(":")), Number(c.address.slice(c.address.lastIndexOf(":") + 1))];
        if (host === "127.0.0.1") {
          const mockSvc = Object.values(services).find((s) => s.network_mode === "service:envoy" && s.command.includes(String(port)));
          expect(mockSvc, `${b.file}: cluster ${c.name} → a mock sharing Envoy's network on ${port}`).toBeDefined();
        } else if (host.includes(".")) {
          expect(c.tls, `${c.name} → ${host} over TLS`).toBe(true);
        } else {
          expect(services[host], `cluster ${c.name}: a compose service named ${host}`).toBeDefined();
          expect(port, `cluster ${c.name}: ${host} listens on`).toBe(listening[host]);
        }
      }
    }
    // The gRPC cluster speaks HTTP/2, the collector's HTTP/1.1.
    expect(real.clusters.ratelimit.http2).toBe(true);
  });

  it("the rate-limit service reads envoy/ratelimit/config.yaml from where its settings say", () => {
    const env = services.ratelimit.environment;
    const target = `${env.RUNTIME_ROOT}/${env.RUNTIME_SUBDIRECTORY}/${env.RUNTIME_APPDIRECTORY ?? "config"}/config.yaml`;
    expect(hostPathOf(services.ratelimit, target)).toBe(join(ENVOY_DIR, "ratelimit/config.yaml"));
    expect(env.REDIS_URL).toBe(`redis:6379`);
    expect(services.redis).toBeDefined();
  });

  it("the collector receives OTLP logs and writes them to a folder mounted from envoy/", () => {
    const cfg = load(read("envoy/otel-collector/config.yaml")) as Obj;
    const configPath = services["otel-collector"].command.find((a: string) => a.startsWith("--config=")).slice("--config=".length);
    expect(hostPathOf(services["otel-collector"], configPath)).toBe(join(ENVOY_DIR, "otel-collector/config.yaml"));
    const logs = cfg.service.pipelines.logs;
    expect(logs.receivers).toContain("otlp");
    const fileExporter = logs.exporters.find((e: string) => e.startsWith("file"));
    expect(logs.exporters).toContain("debug");
    const out = hostPathOf(services["otel-collector"], cfg.exporters[fileExporter].path)!;
    expect(out.startsWith(join(ENVOY_DIR, "audit-logs") + "/")).toBe(true);
    expect(statSync(join(ENVOY_DIR, "audit-logs")).isDirectory()).toBe(true);
  });

  it("each mock serves a cassette whose every request the routes send to that mock's cluster", () => {
    const doc = load(read("envoy/envoy.mock.yaml")) as Obj;
    const routes = doc.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes as Obj[];
    const routeOf = (path: string) => routes.find((r) => path.startsWith(r.match.prefix))?.route.cluster;
    for (const [cluster, port] of Object.entries(MOCK_PORTS as Record<string, number>)) {
      expect(mock.clusters[cluster].address).toBe(`127.0.0.1:${port}`);
      const svc = Object.values(services).find((s) => s.network_mode === "service:envoy" && s.command.includes(String(port)))!;
      const cassette = svc.command[svc.command.indexOf("--cassette") + 1];
      expect(svc.command[svc.command.indexOf("--port") + 1]).toBe(String(port));
      const exchanges = loadCassettes([join(ROOT, cassette)]).flatMap((c) => c.exchanges);
      expect(exchanges.length, cassette).toBeGreaterThan(0);
      for (const e of exchanges) expect(routeOf(e.exchange.request.path), `${e.name} ${e.exchange.request.path}`).toBe(cluster);
    }
  });
});

describe("the mock's command line, behind the chain Envoy runs", () => {
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (stops.length) await stops.pop()!();
  });

  async function run(args: string[]): Promise<string> {
    let stop!: () => void;
    const until = new Promise<void>((r) => (stop = r));
    let stderr = "";
    const createHost = await testCreateHost();
    return new Promise<string>((resolveUrl, reject) => {
      const exited = main(args, { stdout: { write: () => true }, stderr: { write: (s: string) => (stderr += s) }, onListening: (s) => resolveUrl(s.url), until, createHost });
      void exited.then((code) => reject(new Error(`tollgate ${args[0]} exited ${code}: ${stderr}`)));
      stops.push(async () => {
        stop();
        await exited;
      });
    });
  }

  /** The image's entrypoint (`node scripts/tollgate.mjs`) with the compose command, as its own process. */
  async function spawnMock(args: string[]): Promise<string> {
    const child = spawn(process.execPath, [join(ROOT, "scripts/tollgate.mjs"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    stops.push(async () => {
      if (child.exitCode === null) {
        const gone = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await gone;
      }
    });
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d));
    return new Promise<string>((resolveUrl, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d;
        const m = /^tollgate serve: (http:\/\/\S+)/m.exec(out);
        if (m) resolveUrl(m[1]);
      });
      child.once("exit", (code) => reject(new Error(`the mock's command exited ${code}: ${err || out}`)));
    });
  }

  it("a client gets the recorded reply through envoy.mock.yaml's filters, metered and budgeted", async () => {
    const svc = services["mock-openai"];
    // The compose command, with a free port instead of the fixed one, run the way the image runs it.
    const args = svc.command.map((a: string, i: number, all: string[]) => (all[i - 1] === "--port" ? "0" : a));
    expect(args.slice(0, 2)).toEqual(["serve", "--cassette"]);
    expect(read("envoy/mock-llm/Dockerfile")).toMatch(/^ENTRYPOINT \["node", "scripts\/tollgate\.mjs"\]$/m);
    const mockUrl = await spawnMock(args);
    const gatewayUrl = await run(["serve", "--chain", mockBootstrapFile, "--upstream", mockUrl, "--port", "0"]);

    const cassette = loadCassettes([join(ROOT, svc.command[svc.command.indexOf("--cassette") + 1])]).flatMap((c) => c.exchanges);
    const first = cassette.find((e) => e.exchange.request.path === "/v1/chat/completions")!;
    const res = await fetch(`${gatewayUrl}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: Buffer.from(first.exchange.request.body) });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.status).toBe(first.exchange.response.status);
    expect(body.equals(Buffer.from(first.exchange.response.body))).toBe(true);
    // The budget's admitted-response headers show the chain ran on the way.
    expect(res.headers.get("x-ratelimit-limit-tokens")).not.toBeNull();
  });
});
