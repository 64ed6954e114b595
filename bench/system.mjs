// The whole system for benchmarks: an embedded server in this process on loopback, a technician
// logged in with their own RESCUE_HOME (daemon started by the CLI), and the CLI run as scripts
// run it. Needs `npm run build`.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const BIN = join(root, "bin", "rescue.js");

/**
 * Starts it all in a temporary folder named after `name`; `close()` stops the daemon and server and
 * removes the folder. With `ns` (a namespace from test/helpers/netns.mjs) the server listens on the
 * namespace's veth peer and the daemon offers that address as a host candidate, so a customer run
 * in the namespace (`runIn`) reaches both over a link the bench can make lossy.
 */
export async function startSystem(name, { ns } = {}) {
  const { initData, startServer } = await import(join(root, "dist/src/server/index.js"));
  const work = mkdtempSync(join(tmpdir(), `rescue-bench-${name}-`));
  const home = join(work, "home");
  const env = { ...process.env, RESCUE_HOME: home, RESCUE_KEYCHAIN: "off", ...(ns ? { RESCUE_ICE_HOST_ADDRESSES: ns.hostAddress } : {}) };
  const admin = await initData(join(work, "data"), "bench@example.test");
  const server = await startServer({ dataDir: join(work, "data"), host: ns?.hostAddress ?? "127.0.0.1", port: 0, logLevel: ns ? "error" : "warn" });

  /** `rescue ARGS` as a child process: `done` resolves with its stdout, rejects on a non-zero exit. */
  const run = (args, stdin = "", { inNs = false } = {}) => {
    const [file, argv] = inNs ? ["ip", ["netns", "exec", ns.name, process.execPath, BIN, ...args]] : [process.execPath, [BIN, ...args]];
    const child = spawn(file, argv, { env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.stdin.end(stdin);
    const done = new Promise((resolve, reject) =>
      child.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`rescue ${args.join(" ")}: exit ${code}: ${err}`)))),
    );
    return { child, done };
  };
  const rescue = (args, stdin) => run(args, stdin).done;
  try {
    await rescue(["login", "--server", server.url, "--email", admin.email, "--password-stdin"], admin.password);
    await rescue(["daemon", "start"]);
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    work,
    home,
    env,
    server,
    bin: BIN,
    run,
    /** `rescue ARGS` run inside the namespace given to startSystem (the customer's side). */
    runIn: (args) => run(args, "", { inNs: true }),
    rescue,
    async close() {
      await rescue(["daemon", "stop"]).catch(() => undefined);
      await server.close();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** The value below which a share `p` (0..1) of `values` lies. */
export function pct(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
}

export function round(n, digits = 3) {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

/** A JSON client of the server at `url`: `api(method, path, token?, body?)` resolves with the body, throws on a non-2xx answer. */
export function apiOf(url) {
  return async (method, path, token, body) => {
    const res = await fetch(url + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}
