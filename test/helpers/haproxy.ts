import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The configuration the README documents; the tests run it with only its addresses rewritten. */
export const DEPLOY_HAPROXY_CFG = resolve(import.meta.dirname, "../../deploy/haproxy/rescue.cfg");

export interface Balancer {
  /** http://127.0.0.1:PORT of the frontend. */
  readonly url: string;
  /** The configuration haproxy runs. */
  readonly config: string;
  stop(): Promise<void>;
}

export interface HaproxyOptions {
  /** Path checked on each node (default: what the deploy file checks, /readyz). */
  checkPath?: string;
  /** `balance` algorithm instead of the deploy file's (e.g. "first": every connection to the first live node). */
  balance?: string;
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
 * deploy/haproxy/rescue.cfg on loopback: its public binds (and the HTTPS redirect, which needs the
 * TLS bind) become one plain `bind 127.0.0.1:frontendPort`, its `server` lines become `backends`
 * ("127.0.0.1:PORT", in order, named node1..), the global maxconn is 4096, everything else (timeouts, no stickiness, the
 * /readyz check and its intervals) stays as documented unless `opts` overrides it.
 */
export function haproxyConfig(frontendPort: number, backends: string[], opts: HaproxyOptions = {}): string {
  const out: string[] = [];
  let serversWritten = false;
  for (const line of readFileSync(DEPLOY_HAPROXY_CFG, "utf8").split("\n")) {
    const t = line.trim();
    if (t.startsWith("bind ")) {
      if (!out.some((l) => l.trim().startsWith("bind "))) out.push(`  bind 127.0.0.1:${frontendPort}`);
    } else if (t.startsWith("maxconn ") && !serversWritten && !out.some((l) => l.trim().startsWith("frontend"))) {
      // The global limit needs that many file descriptors; a test process may not raise its limit so far.
      out.push("  maxconn 4096");
    } else if (t.startsWith("http-request redirect scheme https")) {
      continue;
    } else if (t.startsWith("server ")) {
      if (!serversWritten) {
        // `balance first` fills a server up to its maxconn before the next one: each gets a high one.
        const extra = opts.balance === "first" ? " maxconn 10000" : "";
        out.push(...backends.map((b, i) => `  server node${i + 1} ${b} check${extra}`));
        serversWritten = true;
      }
    } else if (t.startsWith("balance ") && opts.balance) {
      out.push(`  balance ${opts.balance}`);
    } else if (t.startsWith("option httpchk ") && opts.checkPath) {
      out.push(`  option httpchk GET ${opts.checkPath}`);
    } else {
      out.push(line);
    }
  }
  if (!serversWritten) throw new Error(`${DEPLOY_HAPROXY_CFG} has no server lines`);
  return out.join("\n");
}

/** Starts Debian's haproxy in the foreground in front of `backends`; stops it with `stop()`. */
export async function startHaproxy(backends: string[], opts: HaproxyOptions = {}): Promise<Balancer> {
  const dir = mkdtempSync(join(tmpdir(), "rescue-haproxy-"));
  const port = await freePort();
  const cfg = join(dir, "haproxy.cfg");
  const config = haproxyConfig(port, backends, opts);
  writeFileSync(cfg, config);
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
    config,
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
