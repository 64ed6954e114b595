import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Balancer {
  /** http://127.0.0.1:PORT of the frontend. */
  readonly url: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The load-balancer configuration the README documents (deploy/haproxy/rescue.cfg), on loopback:
 * round robin over `backends` ("127.0.0.1:PORT"), no stickiness, WebSocket tunnels kept for an hour,
 * nodes checked on `checkPath` every 500 ms so a dead one leaves the pool within about a second.
 */
export function haproxyConfig(frontendPort: number, backends: string[], checkPath = "/readyz"): string {
  return [
    "global",
    "  maxconn 4096",
    "defaults",
    "  mode http",
    "  timeout connect 2s",
    "  timeout client 60s",
    "  timeout server 60s",
    "  timeout tunnel 1h",
    "  option forwardfor",
    "  option redispatch",
    "  retries 2",
    "frontend rescue",
    `  bind 127.0.0.1:${frontendPort}`,
    "  default_backend nodes",
    "backend nodes",
    "  balance roundrobin",
    `  option httpchk GET ${checkPath}`,
    "  http-check expect status 200",
    "  default-server inter 500ms fall 2 rise 1",
    ...backends.map((b, i) => `  server node${i + 1} ${b} check`),
    "",
  ].join("\n");
}

/** Starts Debian's haproxy in the foreground in front of `backends`; stops it with `stop()`. */
export async function startHaproxy(backends: string[], checkPath?: string): Promise<Balancer> {
  const dir = mkdtempSync(join(tmpdir(), "rescue-haproxy-"));
  const port = await freePort();
  const cfg = join(dir, "haproxy.cfg");
  writeFileSync(cfg, haproxyConfig(port, backends, checkPath));
  const child: ChildProcess = spawn("haproxy", ["-db", "-f", cfg], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited ${child.exitCode}: ${stderr}`);
    try {
      await fetch(url + "/healthz");
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`haproxy did not listen on ${url}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
