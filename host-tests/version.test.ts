// Version stamps: every shipped module (each filter and the bundle) says which release and which
// sources it was built from, in its first log line and in a build_info gauge; test fixtures stay
// silent; the build hash depends on the module's own sources and nothing else.
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { closeProbeHosts, trackedHost } from "./support/probe";
// @ts-expect-error plain .mjs build script
import { buildHash, importClosure, readStamp, stampedEntries, stampFor, stampText, writeStamp, SLOT } from "../scripts/version.mjs";

afterAll(closeProbeHosts);

const ROOT = resolve(__dirname, "..");
const VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
const dist = (name: string) => join(ROOT, "dist", `${name}.wasm`);
const BUILD_INFO = /^tollgate\.build_info\.module=\.([^;]+);version=\.([^;]+);build=\.([0-9a-f]{12});$/;

// The smallest configuration each filter accepts (budget needs a rule).
const CONFIGS: Record<string, unknown> = { budget: { rules: [{ name: "all", limit: { tokens: 1000 }, window: { calendar: "hour" } }] } };

let seq = 0;
async function hostFor(code: string, rootIds: string[]) {
  const vmId = `version-${++seq}`;
  return trackedHost(rootIds.map((rootId) => ({ name: rootId, rootId, vmId, code, configuration: JSON.stringify(CONFIGS[rootId] ?? {}) })), { workers: 2 });
}

describe("a stamped module reports its release and build", () => {
  for (const [module, roots] of [["token-meter", ["token-meter"]], ["budget", ["budget"]], ["pii-redact", ["pii-redact"]],
    ["tollgate", ["pii-redact", "token-meter", "budget"]]] as const) {
    it(`${module}: first log line of each root, and one build_info gauge for the module`, async () => {
      const stamp = readStamp(readFileSync(dist(module)));
      expect(stamp).toMatchObject({ module, version: VERSION });
      expect(stamp.hash).toMatch(/^[0-9a-f]{64}$/);
      const host = await hostFor(dist(module), [...roots]);
      for (const root of roots) {
        // Canary (worker -1) and each worker start a VM; each root's first line is the stamp.
        for (const worker of [-1, 0, 1]) {
          const first = host.logs.find((l) => l.filter === root && l.worker === worker);
          expect(first?.level).toBe(2);
          expect(first?.message).toBe(`tollgate: ${root} ${VERSION} (module ${module}, build ${stamp.hash})`);
        }
      }
      const gauges = Object.entries(host.metrics()).filter(([k]) => k.startsWith("tollgate.build_info"));
      expect(gauges.map(([k, v]) => [k.match(BUILD_INFO)?.slice(1), v])).toEqual([[[module, VERSION, stamp.hash.slice(0, 12)], 1]]);
    });
  }

  it("the stamped hash is the hash of the sources in the tree (what `node scripts/version.mjs` prints)", (ctx) => {
    // CI builds a clean clone and then tests it: every module must match. In a shared working tree
    // someone may edit a source while a build compiles it (minutes on a busy machine), which
    // leaves that module stale rather than wrong; those are not compared outside CI.
    const strict = process.env.CI === "true";
    let checked = 0;
    for (const entry of stampedEntries()) {
      if (!existsSync(dist(entry.name))) continue; // an entry this checkout has not built
      const built = statSync(dist(entry.name)).mtimeMs;
      const inputs = [...importClosure(entry.file), "asconfig.json"].map((f: string) => statSync(join(ROOT, f)).mtimeMs);
      const have = readStamp(readFileSync(dist(entry.name)));
      const want = stampFor(entry);
      if (!strict && have?.hash !== want.hash && inputs.some((m) => m > built - 5 * 60_000)) continue;
      expect(have, entry.name).toEqual(want);
      checked++;
    }
    if (checked === 0) ctx.skip(); // every module is older than an edit: nothing to compare yet
  });

  it("the Prometheus series carries module, version and build as labels with matching stats_tags", async () => {
    const host = await trackedHost([{ name: "token-meter", rootId: "token-meter", vmId: `version-${++seq}`, code: dist("token-meter"), configuration: "{}" }], {
      statsTags: ["module", "version", "build"].map((t) => ({ tagName: t, regex: `(\\.?${t}=\\.(.*?);)` })),
    });
    const hash = readStamp(readFileSync(dist("token-meter"))).hash.slice(0, 12);
    expect(host.prometheus()).toContain(`tollgate_build_info{module="token-meter",version="${VERSION}",build="${hash}"} 1`);
  });
});

describe("on other hosts", () => {
  // Kong calls proxy_on_vm_start but names the root by a number (its plugin_root_id); APISIX never
  // calls proxy_on_vm_start, so the stamp comes at the first configure instead.
  it.each(["kong", "apisix"] as const)("%s: the first line of each VM is the stamp, once, and nothing traps", async (kind) => {
    const stamp = readStamp(readFileSync(dist("token-meter")));
    const host = await trackedHost([{ name: "token-meter", rootId: "token-meter", vmId: `version-${++seq}`, code: dist("token-meter"), configuration: "{}" }], { host: kind, workers: 2 });
    const root = kind === "kong" ? host.logs[0]?.message.match(/^tollgate: (\d+) /)?.[1] : "token-meter";
    const line = `tollgate: ${root} ${VERSION} (module token-meter, build ${stamp.hash})`;
    const workers = [...new Set(host.logs.map((l) => l.worker))];
    expect(workers.length).toBeGreaterThan(0);
    for (const w of workers) {
      const mine = host.logs.filter((l) => l.worker === w);
      expect(mine[0].message).toBe(line);
      expect(mine.filter((l) => l.message === line)).toHaveLength(1);
    }
  });
});

describe("unstamped modules", () => {
  it("a test fixture carries no stamp and logs nothing at vm start", async () => {
    expect(readStamp(readFileSync(dist("passthrough")))).toBeNull();
    const host = await trackedHost([{ name: "p", rootId: "passthrough", vmId: `version-${++seq}`, code: dist("passthrough"), configuration: "{}" }]);
    expect(host.logs.filter((l) => l.message.startsWith("tollgate: passthrough "))).toEqual([]);
    expect(Object.keys(host.metrics()).filter((k) => k.startsWith("tollgate.build_info"))).toEqual([]);
  });

  it("stamping a module without the slot, or a stamp too long for it, is refused", () => {
    expect(() => writeStamp(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), "x 1 ab")).toThrow(/no slot/);
    expect(() => stampText({ module: "m", version: "1", hash: "a".repeat(SLOT) })).toThrow(/longer than/);
    expect(() => stampText({ module: "m x", version: "1", hash: "ab" })).toThrow(/must be/);
  });

  it("re-stamping replaces the slot only: same size, same bytes outside it, readable back", () => {
    const bytes = readFileSync(dist("budget"));
    const again = writeStamp(bytes, stampText({ module: "budget", version: "9.9.9-rc.1", hash: "ab".repeat(32) }));
    expect(again.length).toBe(bytes.length);
    expect(readStamp(again)).toEqual({ module: "budget", version: "9.9.9-rc.1", hash: "ab".repeat(32) });
    let differing = 0;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== again[i]) differing++;
    expect(differing).toBeGreaterThan(0);
    expect(differing).toBeLessThanOrEqual(SLOT * 2);
  });

  it("the module reports whatever its stamp says (read at run time, not compiled in)", async () => {
    const bytes = writeStamp(readFileSync(dist("token-meter")), stampText({ module: "token-meter", version: "9.9.9-rc.1", hash: "ab".repeat(32) }));
    const host = await trackedHost([{ name: "tm", rootId: "token-meter", vmId: `version-${++seq}`, code: bytes, configuration: "{}" }]);
    expect(host.logs[0].message).toBe(`tollgate: token-meter 9.9.9-rc.1 (module token-meter, build ${"ab".repeat(32)})`);
    expect(host.metrics()["tollgate.build_info.module=.token-meter;version=.9.9.9-rc.1;build=.abababababab;"]).toBe(1);
  });
});

describe("the build hash", () => {
  const trees: string[] = [];
  afterAll(() => trees.forEach((t) => rmSync(t, { recursive: true, force: true })));

  // A miniature repository: an entry importing a library file, and a library file it does not import.
  function tree(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), "tollgate-version-"));
    trees.push(dir);
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(join(dir, p, ".."), { recursive: true });
      writeFileSync(join(dir, p), text);
    }
    return dir;
  }
  const base = {
    "asconfig.json": "{}",
    "filters/x/index.ts": 'export * from "../sdk/dispatcher";\nimport { a } from "../lib/a";\n',
    "filters/sdk/dispatcher.ts": "export function f(): void {}\n",
    "filters/lib/a.ts": "export const a = 1;\n",
    "filters/lib/b.ts": "export const b = 2;\n",
  };
  const hashOf = (dir: string) => buildHash(join(dir, "filters/x/index.ts"), { repoRoot: dir });

  it("is the same for the same sources in another checkout", () => {
    expect(hashOf(tree(base))).toBe(hashOf(tree(base)));
  });

  it("changes when a file the module imports changes, and not when an unrelated file does", () => {
    const h = hashOf(tree(base));
    expect(hashOf(tree({ ...base, "filters/lib/a.ts": "export const a = 2;\n" }))).not.toBe(h);
    expect(hashOf(tree({ ...base, "filters/sdk/dispatcher.ts": "export function f(): void { }\n" }))).not.toBe(h);
    expect(hashOf(tree({ ...base, "asconfig.json": '{"x":1}' }))).not.toBe(h);
    expect(hashOf(tree({ ...base, "filters/lib/b.ts": "export const b = 3;\n" }))).toBe(h);
  });
});
