import { describe, it, expect, afterEach } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { main } from "./cli/main";
import { testCreateHost } from "./replay/testing/hosts";

const recordings = resolve(__dirname, "recordings");
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** Runs `tollgate <args>` in-process until the test ends; resolves with the server's URL. */
async function startCli(args: string[]): Promise<{ url: string; stderr: () => string }> {
  let stop!: () => void;
  const until = new Promise<void>((r) => (stop = r));
  let stderr = "";
  const createHost = await testCreateHost();
  const listening = new Promise<string>((resolveUrl, reject) => {
    const exited = main(args, {
      stdout: { write: () => true },
      stderr: { write: (s: string) => (stderr += s) },
      onListening: (s) => resolveUrl(s.url),
      until,
      createHost,
    });
    void exited.then((code) => reject(new Error(`tollgate exited ${code}: ${stderr}`)));
    cleanups.push(async () => {
      stop();
      await exited;
    });
  });
  return { url: await listening, stderr: () => stderr };
}

/** Reads a fetch body as the chunks the client received, with their arrival times. */
async function readChunks(res: Response): Promise<{ chunks: Uint8Array[]; at: number[] }> {
  const reader = res.body!.getReader();
  const chunks: Uint8Array[] = [];
  const at: number[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    at.push(performance.now());
  }
  return { chunks, at };
}

const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)));

describe("tollgate serve", () => {
  it("--cassette: a real client gets the recorded SSE byte-exact, streamed in several chunks with the recorded gaps", async () => {
    const body = readFileSync(join(recordings, "anthropic/messages-stream-text.sse"));
    // One chunk per SSE event, 40 ms apart.
    const events = body.toString("latin1").split(/(?<=\n\n)/).map((s) => s.length);
    const dir = mkdtempSync(join(tmpdir(), "tollgate-serve-"));
    const cassette = join(dir, "c.yaml");
    writeFileSync(
      cassette,
      `exchanges:
  - name: stream
    request: { method: POST, path: /v1/messages }
    response:
      status: 200
      headers: [[content-type, text/event-stream; charset=utf-8]]
      body_file: ${join(recordings, "anthropic/messages-stream-text.sse")}
      chunks: [${events.join(", ")}]
      gaps_ms: [${events.map((_, i) => (i ? 40 : 0)).join(", ")}]
`,
    );
    const { url } = await startCli(["serve", "--chain", resolve(__dirname, "../envoy/envoy.yaml"), "--cassette", cassette, "--port", "0"]);
    const res = await fetch(`${url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: "claude", stream: true }) });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const { chunks, at } = await readChunks(res);
    expect(concat(chunks).equals(body)).toBe(true);
    expect(chunks.length).toBeGreaterThan(3);
    // Streaming, not buffered: the stream took about as long as its recorded gaps.
    expect(at.at(-1)! - at[0]).toBeGreaterThan(40 * (events.length - 1) * 0.6);

    const miss = await fetch(`${url}/v1/nothing`);
    expect(miss.status).toBe(404);
    expect(await miss.json()).toMatchObject({ error: { type: "tollgate_cassette_miss" } });
  });

  it("--upstream: live traffic passes the chain; the upstream sees the request and the client the stream as it arrives", async () => {
    let seen: { method?: string; url?: string; host?: string; body?: string } = {};
    const upstream = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c) => parts.push(c));
      req.on("end", async () => {
        seen = { method: req.method, url: req.url, host: req.headers.host, body: Buffer.concat(parts).toString() };
        res.writeHead(200, { "content-type": "text/event-stream" });
        for (let i = 0; i < 4; i++) {
          res.write(`data: {"i":${i}}\n\n`);
          await new Promise((r) => setTimeout(r, 50));
        }
        res.end("data: [DONE]\n\n");
      });
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise<void>((r) => upstream.close(() => r())));
    const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

    const { url } = await startCli(["serve", "--upstream", upstreamUrl, "--port", "0"]);
    const started = performance.now();
    const res = await fetch(`${url}/v1/chat/completions?x=1`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"stream":true}' });
    const { chunks, at } = await readChunks(res);
    expect(seen).toEqual({ method: "POST", url: "/v1/chat/completions?x=1", host: upstreamUrl.slice(7), body: '{"stream":true}' });
    expect(Buffer.concat(chunks.map((c) => Buffer.from(c))).toString()).toBe('data: {"i":0}\n\ndata: {"i":1}\n\ndata: {"i":2}\n\ndata: {"i":3}\n\ndata: [DONE]\n\n');
    expect(chunks.length).toBeGreaterThan(1);
    // The first event reached the client long before the upstream finished.
    expect(at[0] - started).toBeLessThan(at.at(-1)! - started - 100);
  });

  it("--upstream that refuses connections: the client gets Envoy's 503", async () => {
    const { url } = await startCli(["serve", "--upstream", "http://127.0.0.1:1", "--port", "0"]);
    const res = await fetch(`${url}/v1/models`);
    expect(res.status).toBe(503);
  });
});
