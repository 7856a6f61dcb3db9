// `tollgate serve` in-process for SDK tests: a live loopback proxy through a chain file, answering
// from a cassette. Each server is stopped by the `stops` list the test drains in afterEach.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../cli/main";
import { testCreateHost } from "../replay/testing/hosts";

/** Starts `tollgate serve --chain <chain> --cassette <cassette>` on a free port; resolves to its URL. */
export async function serveChain(chain: string, cassette: string, stops: Array<() => Promise<void>>): Promise<string> {
  let stop!: () => void;
  const until = new Promise<void>((r) => (stop = r));
  const createHost = await testCreateHost();
  return new Promise<string>((resolveUrl, reject) => {
    const exited = main(["serve", "--chain", chain, "--cassette", cassette, "--port", "0"], {
      stdout: { write: () => true },
      stderr: { write: () => true },
      onListening: (s) => resolveUrl(s.url),
      until,
      createHost,
    });
    void exited.then((code) => reject(new Error(`tollgate exited ${code}`)));
    stops.push(async () => {
      stop();
      await exited;
    });
  });
}

/** A cassette file in a temp folder from the YAML of its `exchanges:` list items. */
export function cassetteFile(exchanges: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "tollgate-cassette-")), "c.yaml");
  writeFileSync(file, `exchanges:\n${exchanges}`);
  return file;
}
