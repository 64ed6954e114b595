import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export interface TestRedis {
  url: string;
  port: number;
  /** A fresh client (closed by `stop`). */
  client(): Redis;
  /** Kills redis-server (SIGKILL), as a crash would; `revive` starts it again on the same port, empty. */
  crash(): Promise<void>;
  revive(): Promise<void>;
  /** Stops redis-server (SIGTERM, then SIGKILL) and removes its folder. */
  stop(): Promise<void>;
}

/** A free TCP port on loopback (bound and released; redis-server takes it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      const port = typeof address === "object" && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * A throwaway redis-server on 127.0.0.1 and a free port, in a temporary folder, with no
 * persistence (no RDB, no AOF). Debian's redis-server (.ci/run installs it). With `password`,
 * clients must AUTH (requirepass); `url` then carries it.
 */
export async function startRedis(opts: { password?: string } = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), "rescue-redis-"));
  let child: ChildProcess | undefined;
  let port = 0;
  let stderr = "";
  const launch = async (): Promise<ChildProcess | undefined> => {
    const proc = spawn(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning", ...(opts.password ? ["--requirepass", opts.password] : [])],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    proc.stdout?.on("data", (d) => (stderr += String(d)));
    proc.stderr?.on("data", (d) => (stderr += String(d)));
    if (await ready(port, proc, opts.password)) return proc;
    proc.kill("SIGKILL");
    return undefined;
  };
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    child = await launch();
  }
  if (!child) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`redis-server did not start: ${stderr.slice(-500)}`);
  }
  const clients: Redis[] = [];
  const url = opts.password ? `redis://:${encodeURIComponent(opts.password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`;
  let proc = child;
  const exit = async (signal: NodeJS.Signals) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill(signal);
    const force = setTimeout(() => proc.kill("SIGKILL"), 3_000);
    await exited;
    clearTimeout(force);
  };
  return {
    url,
    port,
    client() {
      const c = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
      c.on("error", () => undefined);
      clients.push(c);
      return c;
    },
    crash: () => exit("SIGKILL"),
    async revive() {
      const next = await launch();
      if (!next) throw new Error(`redis-server did not start again on port ${port}: ${stderr.slice(-500)}`);
      proc = next;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      await exit("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Whether redis-server answers PING on `port` within 10 s (false when it exited). */
async function ready(port: number, proc: ChildProcess, password?: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) return false;
    const c = new Redis({ host: "127.0.0.1", port, ...(password ? { password } : {}), lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    c.on("error", () => undefined);
    try {
      await c.connect();
      if ((await c.ping()) === "PONG") return true;
    } catch {
      // not yet
    } finally {
      c.disconnect();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
