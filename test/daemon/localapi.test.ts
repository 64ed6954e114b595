import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { LOCALAPI_VERSION, LOCALAPI_VERSION_HEADER } from "../../src/protocol/index.js";
import { DAEMON_NODE_FLAGS } from "../../src/cli/daemon/node-flags.js";
import { daemonPid, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { localRequest } from "../helpers/localapi.js";

const RESCUED = join(import.meta.dirname, "..", "..", "bin", "rescued.js");

function runRescued(home: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [RESCUED], { env: { ...process.env, RESCUE_HOME: home }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("exit", (code) => resolve({ code, stderr }));
  });
}

const mode = (p: string) => statSync(p).mode & 0o777;

/** Live rescued processes started for this RESCUE_HOME. */
function daemonsOf(home: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      const status = readFileSync(`/proc/${entry}/status`, "utf8");
      if (!cmdline.includes("rescued.js") || /^State:\s+Z/m.test(status)) continue;
      if (readFileSync(`/proc/${entry}/environ`, "utf8").split("\0").includes(`RESCUE_HOME=${home}`)) pids.push(Number(entry));
    } catch {
      // The process went away while we looked.
    }
  }
  return pids;
}

describe("rescued local API", () => {
  const homes: string[] = [];
  const home = () => {
    const h = makeHome();
    homes.push(h);
    return h;
  };
  afterEach(async () => {
    await Promise.all(homes.splice(0).map(dropHome));
  });

  it("listens on a 0600 socket in a 0700 folder and logs to RESCUE_HOME/logs", async () => {
    const h = home();
    const r = await rescue(h, ["daemon", "start", "--json"]);
    expect(r.code).toBe(0);
    const status = r.json();
    expect(status).toMatchObject({ running: true, home: h, server: null, backend: { state: "logged-out" } });
    expect(status.pid).toBe(daemonPid(h));
    expect(mode(join(h, "run"))).toBe(0o700);
    expect(statSync(join(h, "run", "rescued.sock")).isSocket()).toBe(true);
    expect(mode(join(h, "run", "rescued.sock"))).toBe(0o600);
    expect(mode(join(h, "logs", "rescued.log"))).toBe(0o600);
  });

  it("refuses a second daemon for the same RESCUE_HOME and keeps the first one serving", async () => {
    const h = home();
    expect((await rescue(h, ["daemon", "start"])).code).toBe(0);
    const first = daemonPid(h);
    const second = await runRescued(h);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/already running/);
    expect(daemonPid(h)).toBe(first);
    const status = await rescue(h, ["daemon", "status", "--json"]);
    expect(status.code).toBe(0);
    expect(status.json().pid).toBe(first);
  });

  it("commands starting the daemon at the same time end up with one daemon", async () => {
    const h = home();
    const results = await Promise.all(Array.from({ length: 6 }, () => rescue(h, ["session", "list"])));
    for (const r of results) expect(r.code, r.stderr).toBe(4);
    // The daemons that lost the race exit once they see the lock; on a busy machine that takes a moment.
    const deadline = Date.now() + 5000;
    while (daemonsOf(h).length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(daemonsOf(h)).toEqual([daemonPid(h)]);
  });

  it("removes a stale socket file and pid file left by a dead daemon", async () => {
    const h = home();
    mkdirSync(join(h, "run"), { recursive: true, mode: 0o700 });
    writeFileSync(join(h, "run", "rescued.sock"), "");
    writeFileSync(join(h, "run", "rescued.pid"), "999999");
    const r = await rescue(h, ["daemon", "start", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(join(h, "run", "rescued.sock")).isSocket()).toBe(true);
  });

  it("answers 403 to anything with Origin or Referer and refuses another API version", async () => {
    const h = home();
    await rescue(h, ["daemon", "start"]);
    const ok = await localRequest(h, "GET", "/api/v1/status");
    expect(ok.status).toBe(200);
    expect(ok.headers[LOCALAPI_VERSION_HEADER]).toBe(LOCALAPI_VERSION);
    for (const headers of [{ origin: "http://evil.example" }, { referer: "http://evil.example/page" }]) {
      const r = await localRequest(h, "GET", "/api/v1/status", { headers });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.text).error.code).toBe("forbidden");
      const shutdown = await localRequest(h, "POST", "/api/v1/shutdown", { headers });
      expect(shutdown.status).toBe(403);
    }
    for (const version of [null, "0"]) {
      const r = await localRequest(h, "GET", "/api/v1/status", { version });
      expect(r.status).toBe(400);
      expect(r.headers[LOCALAPI_VERSION_HEADER]).toBe(LOCALAPI_VERSION);
      expect(JSON.parse(r.text).error.message).toMatch(/version mismatch.*restart the daemon/);
    }
    expect((await localRequest(h, "GET", "/api/v1/status")).status).toBe(200);
  });

  it("validates bodies and rejects unknown routes", async () => {
    const h = home();
    await rescue(h, ["daemon", "start"]);
    const bad = await localRequest(h, "POST", "/api/v1/sessions", { body: { method: "carrier-pigeon" } });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).error.code).toBe("bad_request");
    const unknown = await localRequest(h, "GET", "/api/v1/nope");
    expect(unknown.status).toBe(404);
    const badSince = await localRequest(h, "GET", "/api/v1/events?since=-1");
    expect(badSince.status).toBe(400);
  });

  it("answers a malformed escape in the path and an unknown field with 400, naming it, and logs no stack", async () => {
    const h = home();
    await rescue(h, ["daemon", "start"]);
    for (const [method, path] of [["GET", "/api/v1/sessions/%ZZ"], ["GET", "/api/v1/sessions/%E0%A4%A/log"], ["PATCH", "/api/v1/admin/groups/%"]] as const) {
      const res = await localRequest(h, method, path, method === "PATCH" ? { body: {} } : {});
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.text).error).toMatchObject({ code: "bad_request", message: expect.stringMatching(/malformed/) });
    }
    const typo = await localRequest(h, "POST", "/api/v1/sessions", { body: { method: "pin", nmae: "Jane" } });
    expect(typo.status).toBe(400);
    expect(JSON.parse(typo.text).error.message).toBe('body: unknown field "nmae"');
    expect((await localRequest(h, "GET", "/api/v1/status")).status).toBe(200);
    expect(readFileSync(join(h, "logs", "rescued.log"), "utf8")).not.toMatch(/URIError|decodeURIComponent|internal error/);
  });

  it("exit codes without a daemon or a login: 3 daemon down, 4 not logged in", async () => {
    const h = home();
    const down = await rescue(h, ["daemon", "status", "--json"]);
    expect(down.code).toBe(3);
    expect(down.json()).toEqual({ running: false });
    expect(down.stderr).toMatch(/rescue daemon start/);
    const noAuto = await rescue(h, ["session", "list", "--json"], { env: { RESCUE_NO_AUTOSTART: "1" } });
    expect(noAuto.code).toBe(3);
    expect(noAuto.stdout).toBe("");
    expect(existsSync(join(h, "run", "rescued.sock"))).toBe(false);
    // Any other command starts the daemon, which says nobody is logged in.
    const notLogged = await rescue(h, ["session", "list", "--json"]);
    expect(notLogged.code).toBe(4);
    expect(notLogged.stderr).toMatch(/not logged in: run rescue login --server URL/);
    expect(daemonPid(h)).not.toBeNull();
    // Started with the daemon's Node flags (a small young generation: less RSS).
    const cmdline = readFileSync(`/proc/${daemonPid(h)}/cmdline`, "utf8").split("\0");
    expect(DAEMON_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const flag of DAEMON_NODE_FLAGS) expect(cmdline.slice(0, cmdline.findIndex((a) => a.endsWith("rescued.js")))).toContain(flag);
    const whoami = await rescue(h, ["whoami", "--json"]);
    expect(whoami.code).toBe(4);
    const stop = await rescue(h, ["daemon", "stop", "--json"]);
    expect(stop.code).toBe(0);
    expect(stop.json().stopped).toBe(true);
    const after = await rescue(h, ["daemon", "status"]);
    expect(after.code, after.stderr).toBe(3);
  });

  it("an old daemon speaking another API version: commands say restart it, and daemon stop does", async () => {
    const h = home();
    mkdirSync(join(h, "run"), { recursive: true, mode: 0o700 });
    // A stand-in for a rescued of another version: answers everything with version 0.
    const old = spawn(
      process.execPath,
      [
        "-e",
        `const fs = require("fs"), http = require("http"), path = require("path");
         const run = path.join(process.env.RESCUE_HOME, "run");
         const server = http.createServer((req, res) => res.writeHead(400, { "${LOCALAPI_VERSION_HEADER}": "0" }).end("{}"));
         server.listen(path.join(run, "rescued.sock"), () => { fs.writeFileSync(path.join(run, "rescued.pid"), String(process.pid)); console.log("up"); });
         process.on("SIGTERM", () => { fs.rmSync(path.join(run, "rescued.pid")); server.close(() => process.exit(0)); });`,
      ],
      { env: { ...process.env, RESCUE_HOME: h }, stdio: ["ignore", "pipe", "inherit"] },
    );
    const exited = new Promise((resolve) => old.on("exit", resolve));
    await new Promise((resolve) => old.stdout!.once("data", resolve));
    try {
      const list = await rescue(h, ["session", "list"]);
      expect(list.code).toBe(3);
      expect(list.stderr).toMatch(/local API version 0.*rescue daemon stop/);
      const stop = await rescue(h, ["daemon", "stop", "--json"]);
      expect(stop.code, stop.stderr).toBe(0);
      expect(stop.json()).toEqual({ stopped: true, pid: old.pid });
      expect(await exited).toBe(0);
    } finally {
      old.kill();
    }
  });

  it("usage errors exit 2 pointing at the command's help; --version and --help exit 0", async () => {
    const h = home();
    const noMethod = await rescue(h, ["session", "new", "--lens"]);
    expect(noMethod.code).toBe(2);
    expect(noMethod.stderr).toMatch(/exactly one of --pin/);
    expect(noMethod.stderr).toMatch(/\(rescue session new --help for usage\)\n$/);
    const unknown = await rescue(h, ["session", "list", "--bogus"]);
    expect(unknown.code).toBe(2);
    expect((await rescue(h, ["session", "wait", "x"])).code).toBe(2);
    const noPassword = await rescue(h, ["login", "--server", "http://127.0.0.1:9", "--email", "a@b.example"]);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toMatch(/--password-stdin/);
    const version = await rescue(h, ["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const help = await rescue(h, ["session", "wait", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:/);
    const bare = await rescue(h, []);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/Usage: rescue/);
  });
});
