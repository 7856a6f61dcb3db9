#!/usr/bin/env node
// `npm run package`: for each shipped module in dist/ (token-meter, budget, pii-redact, audit when
// built, and the tollgate bundle) writes
//   dist/<name>.wasm.sha256        sha256sum format (`cd dist && sha256sum -c *.sha256`)
//   dist/oci/<name>/               OCI image layout, Wasm image spec compat variant
//   dist/oci/<name>.tar            the same layout as an oci-archive tarball
// and prints each image's manifest digest. No Docker, no network. Pushing: scripts/PACKAGING.md.
//
//   node scripts/package.mjs [--dist DIR] [--out DIR] [name ...]
//
// Reproducible: the image creation time is SOURCE_DATE_EPOCH, else the HEAD commit's time, else
// 0; tar entries carry that time and owner 0:0; gzip headers are fixed (scripts/oci-tar.mjs).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { layoutTar, sha256, wasmImage, writeLayout } from "./oci-image.mjs";
import { readStamp } from "./version.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Shipped modules, in the order they are printed. `optional` ones are skipped when not built. */
export const MODULES = [
  { name: "token-meter", description: "Tollgate token meter: counts and prices LLM API calls (proxy-wasm)" },
  { name: "budget", description: "Tollgate budgets: token, cost and request limits for LLM API calls (proxy-wasm)" },
  { name: "pii-redact", description: "Tollgate PII redaction for LLM API traffic (proxy-wasm)" },
  { name: "audit", description: "Tollgate audit records for LLM API calls (proxy-wasm)", optional: true },
  { name: "tollgate", description: "Tollgate bundle: pii-redact, token-meter and budget in one module (proxy-wasm)" },
];

function git(args) {
  try {
    return execFileSync("git", args, { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() || null;
  } catch {
    return null;
  }
}

/** Release metadata shared by every image of one run. */
export function releaseMeta(env = process.env) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  let created = 0;
  if (env.SOURCE_DATE_EPOCH !== undefined && env.SOURCE_DATE_EPOCH !== "") {
    if (!/^\d+$/.test(env.SOURCE_DATE_EPOCH)) throw new Error(`SOURCE_DATE_EPOCH must be whole seconds, got "${env.SOURCE_DATE_EPOCH}"`);
    created = Number(env.SOURCE_DATE_EPOCH);
  } else {
    const t = git(["log", "-1", "--format=%ct"]);
    if (t && /^\d+$/.test(t)) created = Number(t);
  }
  const repo = typeof pkg.repository === "string" ? pkg.repository : pkg.repository?.url;
  const source = env.TOLLGATE_SOURCE_URL || repo || git(["remote", "get-url", "origin"]) || null;
  return { version: pkg.version, license: pkg.license ?? null, revision: git(["rev-parse", "HEAD"]), source, created };
}

/** Root ids the module registers (registerRootContext("...") in its entry file). */
export function rootIdsOf(name) {
  const entry = join(root, "filters", name, "index.ts");
  if (!existsSync(entry)) return [];
  return [...readFileSync(entry, "utf8").matchAll(/registerRootContext\(\s*"([^"]+)"/g)].map((m) => m[1]);
}

function annotations(mod, wasm, rel) {
  const a = {
    "org.opencontainers.image.title": mod.name,
    "org.opencontainers.image.description": mod.description,
    "org.opencontainers.image.version": rel.version,
    "org.opencontainers.image.created": new Date(rel.created * 1000).toISOString().replace(/\.000Z$/, "Z"),
  };
  if (rel.revision) a["org.opencontainers.image.revision"] = rel.revision;
  if (rel.source) a["org.opencontainers.image.source"] = rel.source;
  if (rel.license) a["org.opencontainers.image.licenses"] = rel.license;
  const stamp = readStamp(wasm);
  if (stamp) a["dev.tollgate.build"] = stamp.hash;
  const roots = rootIdsOf(mod.name);
  if (roots.length) a["dev.tollgate.root-ids"] = roots.join(",");
  return a;
}

/**
 * Packages the modules found in `distDir` into `outDir` (default: distDir). Returns one row per
 * module: { name, wasmSha256, manifestDigest, layout, tarball }. Throws if a required module is
 * missing.
 */
export function packageModules({ distDir = join(root, "dist"), outDir = distDir, names = null, env = process.env } = {}) {
  const rel = releaseMeta(env);
  const wanted = names ? MODULES.filter((m) => names.includes(m.name)) : MODULES;
  if (names) {
    const unknown = names.filter((n) => !MODULES.some((m) => m.name === n));
    if (unknown.length) throw new Error(`unknown modules: ${unknown.join(", ")} (have: ${MODULES.map((m) => m.name).join(", ")})`);
  }
  const rows = [];
  mkdirSync(join(outDir, "oci"), { recursive: true });
  for (const mod of wanted) {
    const file = join(distDir, `${mod.name}.wasm`);
    if (!existsSync(file)) {
      if (mod.optional && !names) continue;
      throw new Error(`${relative(root, file)} not found: run \`npm run build\` first`);
    }
    const wasm = readFileSync(file);
    const wasmSha256 = sha256(wasm);
    writeFileSync(join(outDir, `${mod.name}.wasm.sha256`), `${wasmSha256}  ${mod.name}.wasm\n`);
    const image = wasmImage(wasm, { created: rel.created, refName: rel.version, annotations: annotations(mod, wasm, rel) });
    const layout = join(outDir, "oci", mod.name);
    writeLayout(image, layout);
    const tarball = join(outDir, "oci", `${mod.name}.tar`);
    writeFileSync(tarball, layoutTar(image));
    rows.push({ name: mod.name, wasmSha256, manifestDigest: image.manifestDescriptor.digest, layout, tarball });
  }
  return rows;
}

function main() {
  const args = process.argv.slice(2);
  const opt = (flag) => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v === undefined ? undefined : resolve(v);
  };
  const distDir = opt("--dist");
  const outDir = opt("--out");
  const names = args.length ? args : null;
  const started = performance.now();
  let rows;
  try {
    rows = packageModules({ distDir, outDir, names });
  } catch (e) {
    console.error(`package: ${e.message}`);
    process.exit(1);
  }
  const rel = releaseMeta();
  console.log(`tollgate ${rel.version}${rel.revision ? ` (${rel.revision.slice(0, 12)})` : ""}, created ${new Date(rel.created * 1000).toISOString()}`);
  for (const r of rows) {
    console.log(`${r.name.padEnd(12)} image ${r.manifestDigest}  wasm sha256:${r.wasmSha256}`);
    console.log(`${"".padEnd(12)} ${relative(process.cwd(), r.layout)}/  ${relative(process.cwd(), r.tarball)}`);
  }
  if (!rel.source) console.log("note: no source URL (set TOLLGATE_SOURCE_URL or package.json \"repository\"): images carry no org.opencontainers.image.source");
  console.log(`packaged ${rows.length} module${rows.length === 1 ? "" : "s"} in ${Math.round(performance.now() - started)} ms; push: see scripts/PACKAGING.md`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) main();
