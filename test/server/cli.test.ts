import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MIGRATIONS } from "../../src/server/store/migrations.js";
import { buildDist } from "../helpers/build.js";
import { listeningUrl, logRecords, startServerProcess, type ServerProcess } from "../helpers/server-process.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/rescue-server.js");
let tmp: string;
const children: ChildProcess[] = [];

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, RESCUE_LOG_LEVEL: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** Whether the process has a handler for SIGHUP (signal 1: bit 0 of SigCgt in /proc/PID/status). */
function catchesSighup(pid: number): boolean {
  const line = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
  return line !== undefined && (BigInt(`0x${line}`) & 1n) === 1n;
}

/** Starts the server and resolves with its URL once it logs the listening record. */
async function start(args: string[]): Promise<ServerProcess> {
  const started = startServerProcess(args);
  const server = await started;
  children.push(server.child);
  return server;
}

beforeAll(async () => {
  await buildDist();
  tmp = mkdtempSync(join(tmpdir(), "rescue-server-cli-"));
}, 600_000);
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("rescue-server", () => {
  it("init, start, outbox and a clean stop on SIGTERM", async () => {
    const data = join(tmp, "data");
    const init = await run(["init", "--data", data, "--admin-email", "boss@example.test", "--json"]);
    expect(init.code).toBe(0);
    const admin = JSON.parse(init.stdout);
    expect(admin).toEqual({ email: "boss@example.test", password: expect.stringMatching(/^\S{16,}$/) });
    expect(statSync(data).mode & 0o777).toBe(0o700);
    expect(statSync(join(data, "rescue.db")).mode & 0o777).toBe(0o600);
    expect((await run(["init", "--data", data, "--json"])).code).toBe(1);

    const server = await start(["--data", data, "--port", "0", "--public-url", "https://rescue.example.test"]);
    const api = async (path: string, token?: string, body?: unknown) => {
      const res = await fetch(server.url + path, {
        method: body ? "POST" : "GET",
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      return res.json() as Promise<any>;
    };
    const { token } = await api("/api/v1/auth/login", undefined, { email: admin.email, password: admin.password });
    const session = await api("/api/v1/sessions", token, { method: "sms", to: "+31612345678" });
    expect(session.links.mobile).toBe(`https://rescue.example.test/m/${session.pin}`);
    await api("/api/v1/sessions", token, { method: "email", to: "c@example.test" });

    const outbox = await run(["outbox", "--data", data, "--json"]);
    expect(outbox.code).toBe(0);
    const rows = JSON.parse(outbox.stdout);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual({ channel: "sms", to: "+31612345678", body: expect.stringContaining(session.links.mobile), at: expect.any(String) });
    expect(rows[1]).toMatchObject({ channel: "email", to: "c@example.test" });
    // --jq as every `rescue` command with --json takes it: real jq, strings raw, one line each when piped.
    const phones = await run(["outbox", "--data", data, "--jq", '.[] | select(.channel == "sms") | .to']);
    expect(phones.code, phones.stderr).toBe(0);
    expect(phones.stdout).toBe("+31612345678\n");
    const badExpr = await run(["outbox", "--data", data, "--jq", ".[] |"]);
    expect(badExpr.code).toBe(2);
    expect(badExpr.stdout).toBe("");
    expect(badExpr.stderr).toMatch(/--jq: jq: error/);
    const failing = await run(["outbox", "--data", data, "--jq", '.[] | .to, error("stop")']);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toBe("+31612345678\n");
    expect(failing.stderr).toMatch(/--jq: .*stop/);
    expect(server.stderr()).not.toContain(admin.password);
    expect(server.stderr()).not.toContain(token);

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  }, 120_000);

  it("one server per data folder: a second start is refused and touches nothing; a killed server's claim is taken over", async () => {
    const data = join(tmp, "one-server");
    expect((await run(["init", "--data", data, "--json"])).code).toBe(0);
    const first = await start(["--data", data, "--port", "0"]);
    const second = await run(["start", "--data", data, "--port", "0", "--customer-grace", "5"]);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`another rescue-server (pid ${first.child.pid}) is serving`);
    expect(second.stderr).not.toMatch(/listening on/);
    expect((await fetch(`${first.url}/`)).status).toBe(200);
    first.child.kill("SIGKILL");
    await first.exited;
    const next = await start(["--data", data, "--port", "0"]);
    next.child.kill("SIGTERM");
    expect(await next.exited).toBe(0);
  }, 120_000);

  it("migrate on the SQLite store lists the applied migrations; without --data or --database it is a usage error", async () => {
    const data = join(tmp, "migrate-data");
    expect((await run(["init", "--data", data, "--json"])).code).toBe(0);
    const migrated = await run(["migrate", "--data", data, "--json"]);
    expect(migrated.code, migrated.stderr).toBe(0);
    const result = JSON.parse(migrated.stdout);
    expect(result.engine).toBe("sqlite");
    expect(result.applied).toEqual([]);
    expect(result.migrations.map((m: { id: number }) => m.id)).toEqual(MIGRATIONS.map((m) => m.id));
    expect((await run(["migrate", "--data", join(tmp, "nothing-here")])).code).toBe(6);
    const neither = await run(["migrate"]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("--database");
  });

  it("exit codes: usage 2, missing data 6, help 0 with examples", async () => {
    expect((await run(["start"])).code).toBe(2);
    expect((await run(["frobnicate"])).code).toBe(2);
    expect((await run(["start", "--data", "x", "--port", "99999"])).code).toBe(2);
    const missing = await run(["start", "--data", join(tmp, "nothing-here")]);
    expect(missing.code).toBe(6);
    expect(missing.stderr).toContain("rescue-server init");
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Examples:");
    const startHelp = await run(["start", "--help"]);
    expect(startHelp.stdout).toContain("--public-url");
    expect(startHelp.stdout).toContain("--trust-proxy 127.0.0.1,10.0.0.0/8");
    expect(startHelp.stdout).toContain("--limits ./limits.json");
  }, 120_000);

  it("checks --trust-proxy and --limits before starting: a bad entry or a misspelt limit is a usage error", async () => {
    const proxy = await run(["start", "--data", join(tmp, "nothing-here"), "--trust-proxy", "10.0.0.0/33"]);
    expect(proxy.code).toBe(2);
    expect(proxy.stderr).toContain('not an address or CIDR: "10.0.0.0/33"');
    const data = join(tmp, "limits-data");
    expect((await run(["init", "--data", data, "--json"])).code).toBe(0);
    const file = join(tmp, "limits.json");
    writeFileSync(file, JSON.stringify({ pins: { perSorce: { burst: 1, windowMs: 1000 } } }));
    const typo = await run(["start", "--data", data, "--limits", file]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("perSorce");
  }, 60_000);

  it("a --public-url that customer links cannot be built on is a usage error, not a server sending broken links", async () => {
    const data = join(tmp, "public-url-data");
    expect((await run(["init", "--data", data, "--json"])).code).toBe(0);
    for (const [value, says] of [
      ["notaurl", "is not a URL"],
      ["ftp://rescue.example.test", "is not an http:// or https:// URL"],
      ["https://user:secret@rescue.example.test", "carries a user or password"],
      ["https://rescue.example.test/?code=1", "has a query or fragment"],
    ] as const) {
      const bad = await run(["start", "--data", data, "--port", "0", "--public-url", value]);
      expect(bad.code, value).toBe(2);
      expect(bad.stderr).toContain(says);
      expect(bad.stderr).not.toContain("listening on");
    }
    const good = await start(["--data", data, "--port", "0", "--public-url", "https://rescue.example.test/support"]);
    expect(good.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  }, 120_000);

  it("a SIGHUP that comes while the server starts, from the first moment it can be caught, neither kills it nor goes unheard", async () => {
    const data = join(tmp, "early-sighup");
    expect((await run(["init", "--data", data, "--json"])).code).toBe(0);
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, [BIN, "start", "--data", data, "--port", "0"], { cwd: ROOT });
      children.push(child);
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on("close", r));
      // Node's own start-up (before any of the program runs) cannot catch a signal: the first SIGHUP
      // goes the moment the process has a handler, then one every few ms until it listens.
      const deadline = Date.now() + 60_000;
      while (child.exitCode === null && !catchesSighup(child.pid!)) {
        expect(Date.now(), "no SIGHUP handler was installed").toBeLessThan(deadline);
        await new Promise((r) => setTimeout(r, 1));
      }
      let sent = 0;
      while (child.exitCode === null && !listeningUrl(stderr) && Date.now() < deadline) {
        child.kill("SIGHUP");
        sent++;
        await new Promise((r) => setTimeout(r, 5));
      }
      const url = listeningUrl(stderr);
      expect(url, `round ${round}: the server did not come up (exit ${child.exitCode}, signal ${child.signalCode}): ${stderr}`).toBeDefined();
      for (let i = 0; i < 5; i++) child.kill("SIGHUP");
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // The SIGHUPs that came before it was up were heard and answered once it was.
      const early = logRecords(stderr).find((r) => /^SIGHUP received while starting/.test(r.msg));
      expect(early, stderr).toBeDefined();
      expect(early!.signals).toBeGreaterThanOrEqual(1);
      expect(early!.signals).toBeLessThanOrEqual(sent);
      expect(logRecords(stderr).some((r) => r.msg === "SIGHUP ignored: no TLS certificate to reload")).toBe(true);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  }, 240_000);
});
