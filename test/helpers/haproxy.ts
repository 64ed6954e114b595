import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** The configuration the README documents; the tests run it with only its addresses rewritten. */
export const DEPLOY_HAPROXY_CFG = resolve(import.meta.dirname, "../../deploy/haproxy/rescue.cfg");
/** The systemd drop-in the README installs for Debian's haproxy.service: the limit haproxy runs with. */
export const DEPLOY_HAPROXY_DROPIN = resolve(import.meta.dirname, "../../deploy/haproxy/haproxy.service.d/rescue.conf");

/** The LimitNOFILE of the documented drop-in; throws when the file or the line is missing. */
export function documentedNofile(): number {
  const m = /^LimitNOFILE=(\d+)\s*$/m.exec(readFileSync(DEPLOY_HAPROXY_DROPIN, "utf8"));
  if (!m) throw new Error(`${DEPLOY_HAPROXY_DROPIN} sets no LimitNOFILE`);
  return Number(m[1]);
}

/**
 * argv that runs `args` under a hard and soft file-descriptor limit of `nofile`, as systemd's
 * LimitNOFILE does. As root, CAP_SYS_RESOURCE is dropped too, else haproxy would raise the hard
 * limit itself and a limit too low for its maxconn would go unnoticed.
 */
export function underNofile(nofile: number, args: string[]): string[] {
  const drop = process.getuid?.() === 0 ? ["setpriv", "--bounding-set=-sys_resource"] : [];
  return ["prlimit", `--nofile=${nofile}:${nofile}`, ...drop, ...args];
}

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
 * ("127.0.0.1:PORT", in order, named node1..), everything else (the global maxconn, timeouts, no
 * stickiness, the /readyz check and its intervals) stays as documented unless `opts` overrides it.
 */
export function haproxyConfig(frontendPort: number, backends: string[], opts: HaproxyOptions = {}): string {
  const out: string[] = [];
  let serversWritten = false;
  for (const line of readFileSync(DEPLOY_HAPROXY_CFG, "utf8").split("\n")) {
    const t = line.trim();
    if (t.startsWith("bind ")) {
      if (!out.some((l) => l.trim().startsWith("bind "))) out.push(`  bind 127.0.0.1:${frontendPort}`);
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

/**
 * Starts Debian's haproxy in the foreground in front of `backends`, under the documented
 * LimitNOFILE (documentedNofile); stops it with `stop()`. Throws with haproxy's stderr when it exits.
 */
export async function startHaproxy(backends: string[], opts: HaproxyOptions = {}): Promise<Balancer> {
  const dir = mkdtempSync(join(tmpdir(), "rescue-haproxy-"));
  const port = await freePort();
  const cfg = join(dir, "haproxy.cfg");
  const config = haproxyConfig(port, backends, opts);
  writeFileSync(cfg, config);
  const [cmd, ...args] = underNofile(documentedNofile(), ["haproxy", "-db", "-f", cfg]);
  const child: ChildProcess = spawn(cmd!, args, { stdio: ["ignore", "ignore", "pipe"] });
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
