// A real redis-server (Debian package `redis-server`) on a free loopback port, for tests that
// need the Redis a rate-limit service counts in. No persistence, its own temp dir, and
// stop()/restart() on the same port so tests can simulate an outage. Every process started
// here is also killed when the Node process exits, so a failing test never leaves one behind.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

export interface RedisServer {
  readonly port: number;
  /** "redis://127.0.0.1:PORT". */
  readonly url: string;
  /** Whether the server process is up (false between stop() and restart()). */
  readonly running: boolean;
  /** Kill the server (SIGTERM; SIGKILL if it lingers); the port stays reserved for restart(). */
  stop(): Promise<void>;
  /** Start it again on the same port (stopping it first if needed); resolves once it answers PING. */
  restart(): Promise<void>;
  /** Stop and remove the temp dir. Safe to call twice. */
  close(): Promise<void>;
}

export interface RedisServerOptions {
  /** Fixed port; default: a free one. */
  port?: number;
  /** How long to wait for PING after a (re)start. Default 10 s. */
  startTimeoutMs?: number;
}

// Children alive in this process, killed synchronously on exit (the only hook that also runs
// when vitest tears a worker down after a failed test that skipped its own cleanup).
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

export function findRedisServerBinary(): string | undefined {
  const candidates = [process.env.REDIS_SERVER_BIN, "/usr/bin/redis-server", "/usr/local/bin/redis-server"];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) if (dir) candidates.push(join(dir, "redis-server"));
  return candidates.find((p): p is string => !!p && existsSync(p));
}

export async function freeLoopbackPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", resolve);
  });
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** One raw PING over RESP; true on "+PONG". */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    let buf = "";
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.once("error", () => done(false));
    sock.once("connect", () => sock.write("PING\r\n"));
    sock.on("data", (d) => {
      buf += d.toString();
      if (buf.includes("\r\n")) done(buf.startsWith("+PONG"));
    });
  });
}

export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = findRedisServerBinary();
  if (!bin) {
    throw new Error(
      "redis-server not found (looked in REDIS_SERVER_BIN, /usr/bin, /usr/local/bin and PATH): " +
        "install the Debian package `redis-server` (apt-get install redis-server).",
    );
  }
  const port = opts.port ?? (await freeLoopbackPort());
  const startTimeoutMs = opts.startTimeoutMs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), "tollgate-redis-"));
  let child: ChildProcess | undefined;
  let closed = false;

  const launch = async () => {
    const args = [
      "--port", String(port),
      "--bind", "127.0.0.1",
      "--dir", dir,
      // No persistence: each test run starts empty and nothing is written next to the repo.
      "--save", "",
      "--appendonly", "no",
      "--daemonize", "no",
      "--logfile", "",
      "--loglevel", "warning",
    ];
    const proc = spawn(bin, args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr?.on("data", (d) => (stderr += d.toString()));
    live.add(proc);
    proc.once("exit", () => live.delete(proc));
    child = proc;
    const deadline = Date.now() + startTimeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`redis-server exited during start (code ${proc.exitCode}): ${stderr.trim()}`);
      }
      if (await ping(port)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    proc.kill("SIGKILL");
    throw new Error(`redis-server on port ${port} did not answer PING within ${startTimeoutMs} ms: ${stderr.trim()}`);
  };

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 2_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return !!child && child.exitCode === null && child.signalCode === null;
    },
    stop,
    restart: async () => {
      if (closed) throw new Error("redis server already closed");
      await stop();
      await launch();
    },
    close: async () => {
      closed = true;
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
