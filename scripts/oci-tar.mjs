// Deterministic ustar archives and gzip streams for scripts/package.mjs: the same inputs give the
// same bytes on every machine, so image digests are reproducible.
//
// Header layout (POSIX ustar, 512-byte blocks): name 100, mode 8, uid 8, gid 8, size 12, mtime 12,
// chksum 8, typeflag 1, linkname 100, magic "ustar\0" 6, version "00" 2, uname 32, gname 32,
// devmajor 8, devminor 8, prefix 155, padding 12. Numeric fields are zero-padded octal ending in
// NUL; the checksum is the byte sum of the header with its own field read as eight spaces.
// Owner is 0:0 with empty user and group names, so the archive does not depend on who built it.
import { gzipSync } from "node:zlib";

const BLOCK = 512;

function octal(value, width) {
  const s = value.toString(8);
  if (s.length > width - 1) throw new Error(`tar: ${value} does not fit a ${width}-byte field`);
  return s.padStart(width - 1, "0") + "\0";
}

function header({ name, size, mode, mtime, type }) {
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length > 100) throw new Error(`tar: entry name longer than 100 bytes: ${name}`);
  const h = Buffer.alloc(BLOCK);
  nameBytes.copy(h, 0);
  h.write(octal(mode, 8), 100, "ascii");
  h.write(octal(0, 8), 108, "ascii");
  h.write(octal(0, 8), 116, "ascii");
  h.write(octal(size, 12), 124, "ascii");
  h.write(octal(mtime, 12), 136, "ascii");
  h.write(type, 156, "ascii");
  h.write("ustar\0", 257, "ascii");
  h.write("00", 263, "ascii");
  h.write(octal(0, 8), 329, "ascii");
  h.write(octal(0, 8), 337, "ascii");
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return h;
}

/**
 * A ustar archive of `entries` in the order given: { name, data } for a file (mode 0644) or
 * { name: "dir/", dir: true } for a directory (mode 0755). `mtime` is seconds since the epoch.
 */
export function tar(entries, mtime) {
  const parts = [];
  for (const e of entries) {
    if (e.dir) {
      const name = e.name.endsWith("/") ? e.name : e.name + "/";
      parts.push(header({ name, size: 0, mode: 0o755, mtime, type: "5" }));
      continue;
    }
    const data = Buffer.from(e.data);
    parts.push(header({ name: e.name, size: data.length, mode: 0o644, mtime, type: "0" }));
    parts.push(data);
    const pad = (BLOCK - (data.length % BLOCK)) % BLOCK;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK)); // end of archive
  return Buffer.concat(parts);
}

/**
 * gzip with a fixed header: no name, mtime 0, OS byte 255 ("unknown") instead of the build
 * platform's, so only the zlib version (Node's bundled one) can change the compressed bytes.
 */
export function gzip(bytes) {
  const out = gzipSync(bytes, { level: 6 });
  out.writeUInt32LE(0, 4);
  out[9] = 0xff;
  return out;
}
