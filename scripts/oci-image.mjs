// One Wasm module as an OCI image in the Wasm image spec's *compat* variant, laid out as an OCI
// image layout (directory) and as an oci-archive tarball. See scripts/PACKAGING.md for why this
// variant: it is the one both Istio and Envoy Gateway pull and any registry stores.
//
//   manifest  application/vnd.oci.image.manifest.v1+json, annotation module.wasm.image/variant=compat
//   config    application/vnd.oci.image.config.v1+json (rootfs.diff_ids = sha256 of the layer's tar)
//   layer     application/vnd.oci.image.layer.v1.tar+gzip, one file: plugin.wasm
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzip, tar } from "./oci-tar.mjs";

export const MEDIA = {
  index: "application/vnd.oci.image.index.v1+json",
  manifest: "application/vnd.oci.image.manifest.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layer: "application/vnd.oci.image.layer.v1.tar+gzip",
};
export const WASM_FILE = "plugin.wasm";
export const LAYOUT_VERSION = "1.0.0";

export function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

// JSON blobs are hashed as written: fixed key order, no whitespace, one encoding.
function jsonBlob(value) {
  return Buffer.from(JSON.stringify(value), "utf8");
}

function descriptor(mediaType, bytes, annotations) {
  const d = { mediaType, digest: `sha256:${sha256(bytes)}`, size: bytes.length };
  if (annotations) d.annotations = annotations;
  return d;
}

/**
 * The image of one module: { blobs: Map<"sha256:hex", Buffer>, manifest, manifestDescriptor }.
 * `meta`: { created (seconds since the epoch), annotations (manifest annotations), refName (tag) }.
 */
export function wasmImage(wasm, meta) {
  const layerTar = tar([{ name: WASM_FILE, data: wasm }], meta.created);
  const layer = gzip(layerTar);
  const createdIso = new Date(meta.created * 1000).toISOString().replace(/\.000Z$/, "Z");
  const config = jsonBlob({
    created: createdIso,
    // GOARCH/GOOS spelling for Wasm; nothing pulls these images by platform.
    architecture: "wasm",
    os: "wasip1",
    config: {},
    rootfs: { type: "layers", diff_ids: [`sha256:${sha256(layerTar)}`] },
    history: [{ created: createdIso, created_by: "tollgate scripts/package.mjs" }],
  });
  const manifest = jsonBlob({
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    config: descriptor(MEDIA.config, config),
    layers: [descriptor(MEDIA.layer, layer)],
    annotations: { "module.wasm.image/variant": "compat", ...meta.annotations },
  });
  const blobs = new Map();
  for (const b of [layer, config, manifest]) blobs.set(`sha256:${sha256(b)}`, b);
  const manifestDescriptor = descriptor(MEDIA.manifest, manifest, meta.refName ? { "org.opencontainers.image.ref.name": meta.refName } : undefined);
  return { blobs, manifest, manifestDescriptor, created: meta.created };
}

function layoutFiles(image) {
  const index = jsonBlob({ schemaVersion: 2, mediaType: MEDIA.index, manifests: [image.manifestDescriptor] });
  const files = [
    { name: "oci-layout", data: jsonBlob({ imageLayoutVersion: LAYOUT_VERSION }) },
    { name: "index.json", data: index },
  ];
  const digests = [...image.blobs.keys()].sort();
  for (const d of digests) files.push({ name: `blobs/sha256/${d.slice("sha256:".length)}`, data: image.blobs.get(d) });
  return files;
}

/** Writes the image layout to `dir` (replacing what was there). */
export function writeLayout(image, dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  for (const f of layoutFiles(image)) writeFileSync(join(dir, f.name), f.data);
}

/** The layout as an oci-archive tarball (`skopeo copy oci-archive:`, `oras cp --from-oci-layout x.tar:TAG`). */
export function layoutTar(image) {
  const files = layoutFiles(image);
  return tar([
    files[0], files[1],
    { name: "blobs/", dir: true }, { name: "blobs/sha256/", dir: true },
    ...files.slice(2),
  ], image.created);
}
