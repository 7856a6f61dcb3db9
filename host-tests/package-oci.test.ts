// `npm run package` (scripts/package.mjs): checksums beside each module, and per module an OCI image
// layout + oci-archive tarball in the Wasm image spec's compat variant. Checked against the OCI
// image spec (layout, index, descriptors, digests, sizes, media types), read back with the system's
// own tar and sha256sum rather than our writer's code, walked the way Istio's and Envoy Gateway's
// image fetchers walk it, and built twice to show the digests are reproducible.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain .mjs build script
import { packageModules } from "../scripts/package.mjs";

const ROOT = resolve(__dirname, "..");
const VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
const MODULES = ["token-meter", "budget", "pii-redact", "tollgate", ...(existsSync(join(ROOT, "dist/audit.wasm")) ? ["audit"] : [])];
const ENV = { SOURCE_DATE_EPOCH: "1700000000", TOLLGATE_SOURCE_URL: "https://example.invalid/tollgate.git" };
const CREATED = "2023-11-14T22:13:20Z"; // 1700000000

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const json = (file: string) => JSON.parse(readFileSync(file, "utf8"));

interface Row { name: string; wasmSha256: string; manifestDigest: string; layout: string; tarball: string }

const dirs: string[] = [];
// The modules copied once, so a build running elsewhere cannot change them between package and check.
function stage(): string {
  const dir = mkdtempSync(join(tmpdir(), "tollgate-package-"));
  dirs.push(dir);
  for (const m of MODULES) copyFileSync(join(ROOT, "dist", `${m}.wasm`), join(dir, `${m}.wasm`));
  return dir;
}

let first: { dir: string; rows: Row[]; ms: number };
let second: { dir: string; rows: Row[] };

beforeAll(() => {
  const a = stage();
  const started = performance.now();
  first = { dir: a, rows: packageModules({ distDir: a, env: ENV }), ms: performance.now() - started };
  const b = mkdtempSync(join(tmpdir(), "tollgate-package-"));
  dirs.push(b);
  for (const m of MODULES) copyFileSync(join(a, `${m}.wasm`), join(b, `${m}.wasm`));
  second = { dir: b, rows: packageModules({ distDir: b, env: ENV }) };
  console.log(`packaged ${MODULES.length} modules in ${Math.round(first.ms)} ms`);
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function blob(layout: string, digest: string): Buffer {
  expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  return readFileSync(join(layout, "blobs", "sha256", digest.slice(7)));
}

// A descriptor is honest: the blob it names exists, hashes to its digest and has its size.
function resolveDescriptor(layout: string, d: { mediaType: string; digest: string; size: number }): Buffer {
  const b = blob(layout, d.digest);
  expect(sha256(b)).toBe(d.digest.slice(7));
  expect(b.length).toBe(d.size);
  return b;
}

function readImage(layout: string) {
  const index = json(join(layout, "index.json"));
  const manifestBytes = resolveDescriptor(layout, index.manifests[0]);
  const manifest = JSON.parse(manifestBytes.toString("utf8"));
  const config = JSON.parse(resolveDescriptor(layout, manifest.config).toString("utf8"));
  const layer = resolveDescriptor(layout, manifest.layers[0]);
  return { index, manifest, config, layer };
}

// What the system tar sees in an archive: names, and one member's bytes.
const tarList = (input: Buffer) => execFileSync("tar", ["-tf", "-"], { input }).toString().split("\n").filter(Boolean);
const tarMember = (input: Buffer, name: string) => execFileSync("tar", ["-xOf", "-", name], { input, maxBuffer: 64 << 20 });

describe.each(MODULES)("%s", (name) => {
  const row = () => first.rows.find((r: Row) => r.name === name)!;
  const layout = () => join(first.dir, "oci", name);
  const wasm = () => readFileSync(join(first.dir, `${name}.wasm`));

  it("writes a sha256sum-format checksum that sha256sum -c accepts", () => {
    const text = readFileSync(join(first.dir, `${name}.wasm.sha256`), "utf8");
    expect(text).toBe(`${sha256(wasm())}  ${name}.wasm\n`);
    expect(execFileSync("sha256sum", ["-c", `${name}.wasm.sha256`], { cwd: first.dir }).toString()).toBe(`${name}.wasm: OK\n`);
    expect(row().wasmSha256).toBe(sha256(wasm()));
  });

  it("is an OCI image layout: oci-layout, index.json, and nothing in blobs/ that is not referenced", () => {
    expect(json(join(layout(), "oci-layout"))).toEqual({ imageLayoutVersion: "1.0.0" });
    const { index, manifest } = readImage(layout());
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe("application/vnd.oci.image.index.v1+json");
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0].mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(index.manifests[0].annotations).toEqual({ "org.opencontainers.image.ref.name": VERSION });
    expect(index.manifests[0].digest).toBe(row().manifestDigest);
    const referenced = [index.manifests[0].digest, manifest.config.digest, ...manifest.layers.map((l: { digest: string }) => l.digest)];
    expect(readdirSync(join(layout(), "blobs", "sha256")).sort()).toEqual(referenced.map((d) => d.slice(7)).sort());
    for (const f of readdirSync(join(layout(), "blobs", "sha256"))) expect(sha256(readFileSync(join(layout(), "blobs", "sha256", f)))).toBe(f);
  });

  it("has a compat-variant manifest: OCI config, one tar+gzip layer, release annotations", () => {
    const { manifest, config, layer } = readImage(layout());
    expect(manifest.schemaVersion).toBe(2);
    expect(manifest.mediaType).toBe("application/vnd.oci.image.manifest.v1+json");
    expect(manifest.config.mediaType).toBe("application/vnd.oci.image.config.v1+json");
    expect(manifest.layers.map((l: { mediaType: string }) => l.mediaType)).toEqual(["application/vnd.oci.image.layer.v1.tar+gzip"]);
    expect(manifest.annotations).toMatchObject({
      "module.wasm.image/variant": "compat",
      "org.opencontainers.image.title": name,
      "org.opencontainers.image.version": VERSION,
      "org.opencontainers.image.created": CREATED,
      "org.opencontainers.image.source": ENV.TOLLGATE_SOURCE_URL,
    });
    const revision = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT }).toString().trim();
    expect(manifest.annotations["org.opencontainers.image.revision"]).toBe(revision);
    // The config describes the layer: its diff_id is the digest of the uncompressed tar.
    expect(config).toMatchObject({ architecture: "wasm", os: "wasip1", created: CREATED, rootfs: { type: "layers" } });
    expect(config.rootfs.diff_ids).toEqual([`sha256:${sha256(gunzipSync(layer))}`]);
  });

  it("carries the module byte for byte as plugin.wasm, and Istio's / Envoy Gateway's compat path finds it", () => {
    const { manifest, layer } = readImage(layout());
    // Their extractOCIStandardImage: manifest not Docker's, last layer OCI tar+gzip, then the first
    // tar member whose base name is plugin.wasm; Envoy Gateway then checks the Wasm magic.
    expect(manifest.mediaType).not.toBe("application/vnd.docker.distribution.manifest.v2+json");
    expect(manifest.layers.at(-1).mediaType).toBe("application/vnd.oci.image.layer.v1.tar+gzip");
    const layerTar = gunzipSync(layer);
    expect(tarList(layerTar)).toEqual(["plugin.wasm"]);
    const plugin = tarMember(layerTar, "plugin.wasm");
    expect(Buffer.compare(plugin, wasm())).toBe(0);
    expect([...plugin.subarray(0, 4)]).toEqual([0x00, 0x61, 0x73, 0x6d]);
  });

  it("ships the same layout as an oci-archive tarball", () => {
    const tarball = readFileSync(join(first.dir, "oci", `${name}.tar`));
    const names = tarList(tarball);
    const blobs = readdirSync(join(layout(), "blobs", "sha256")).map((f) => `blobs/sha256/${f}`).sort();
    expect(names).toEqual(["oci-layout", "index.json", "blobs/", "blobs/sha256/", ...blobs]);
    const out = mkdtempSync(join(tmpdir(), "tollgate-package-"));
    dirs.push(out);
    execFileSync("tar", ["-xf", "-", "-C", out], { input: tarball });
    for (const n of ["oci-layout", "index.json", ...blobs]) {
      expect(Buffer.compare(readFileSync(join(out, n)), readFileSync(join(layout(), n))), n).toBe(0);
    }
  });

  it("is reproducible: a second run gives the same digests and the same tarball bytes", () => {
    const again = second.rows.find((r: Row) => r.name === name)!;
    expect(again.manifestDigest).toBe(row().manifestDigest);
    expect(sha256(readFileSync(again.tarball))).toBe(sha256(readFileSync(row().tarball)));
  });
});

describe("package.mjs inputs", () => {
  it("takes the creation time from SOURCE_DATE_EPOCH: another time is another image", () => {
    const dir = stage();
    const [row] = packageModules({ distDir: dir, names: ["token-meter"], env: { ...ENV, SOURCE_DATE_EPOCH: "1700000001" } });
    const { manifest } = readImage(row.layout);
    expect(manifest.annotations["org.opencontainers.image.created"]).toBe("2023-11-14T22:13:21Z");
    expect(row.manifestDigest).not.toBe(first.rows.find((r: Row) => r.name === "token-meter")!.manifestDigest);
  });

  it("refuses a SOURCE_DATE_EPOCH that is not whole seconds, and a module that was not built", () => {
    expect(() => packageModules({ distDir: stage(), names: ["budget"], env: { SOURCE_DATE_EPOCH: "yesterday" } })).toThrow(/SOURCE_DATE_EPOCH/);
    const empty = mkdtempSync(join(tmpdir(), "tollgate-package-"));
    dirs.push(empty);
    expect(() => packageModules({ distDir: empty, env: ENV })).toThrow(/token-meter\.wasm not found: run `npm run build`/);
    expect(() => packageModules({ distDir: empty, names: ["nope"], env: ENV })).toThrow(/unknown modules: nope/);
  });

  it("packages every module in a few seconds", () => {
    expect(first.ms).toBeLessThan(20_000);
    expect(first.rows.map((r: Row) => basename(r.layout)).sort()).toEqual([...MODULES].sort());
  });
});
