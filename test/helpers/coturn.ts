import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A coturn (`turnserver`) with REST credentials (use-auth-secret), as an operator would run it. */
export interface Coturn {
  /** The listening port, UDP and TCP, on every listening address. */
  port: number;
  /** The shared secret, as in the 0600 file at `secretFile` for --turn-secret-file. */
  secret: string;
  secretFile: string;
  /** coturn's log so far. */
  log(): string;
  close(): Promise<void>;
}

export function coturnUnavailable(): string | undefined {
  return existsSync("/usr/bin/turnserver") ? undefined : "needs coturn (turnserver); .ci/run installs it";
}

/** A free TCP port (coturn takes the same number for UDP; a clash there fails startCoturn, which retries). */
async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const address = s.address();
      s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * Starts coturn listening on `addresses` (relaying from them too), with a random secret.
 * Loopback peers are allowed only when one of the addresses is loopback.
 */
export async function startCoturn(addresses: string[]): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), "rescue-coturn-"));
  const secret = randomBytes(24).toString("hex");
  const secretFile = join(dir, "turn-secret");
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const logFile = join(dir, "turn.log");
  const loopback = addresses.some((a) => a.startsWith("127."));
  for (let attempt = 0; ; attempt++) {
    const port = await freePort(addresses[0]!);
    const config = join(dir, "turnserver.conf");
    writeFileSync(
      config,
      [
        ...addresses.map((a) => `listening-ip=${a}`),
        ...addresses.map((a) => `relay-ip=${a}`),
        `listening-port=${port}`,
        "use-auth-secret",
        `static-auth-secret=${secret}`,
        "realm=rescue.test",
        "fingerprint",
        "no-tls",
        "no-dtls",
        "no-cli",
        "no-multicast-peers",
        ...(loopback ? ["allow-loopback-peers"] : []),
        // Every request with its user, for tests that look for a peer's credential.
        "verbose",
        `log-file=${logFile}`,
        "simple-log",
        `pidfile=${join(dir, "turnserver.pid")}`,
        `userdb=${join(dir, "turndb")}`,
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    const child = spawn("/usr/bin/turnserver", ["-c", config], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const log = () => (existsSync(logFile) ? readFileSync(logFile, "utf8") : "");
    const ready = await waitFor(() => /Total (UDP|General) servers|IPv4. (UDP|TCP) listener opened on/.test(log()), child, 10_000);
    if (ready && !/Cannot bind|Address already in use/i.test(log())) {
      return {
        port,
        secret,
        secretFile,
        log,
        close: async () => {
          await stop(child);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    }
    await stop(child);
    if (attempt >= 4) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`coturn did not start: ${stderr}\n${log()}`);
    }
  }
}

async function waitFor(cond: () => boolean, child: ChildProcess, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (child.exitCode !== null || Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(kill);
}
