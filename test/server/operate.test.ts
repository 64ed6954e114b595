import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isLoopback, publicUrlProblem } from "../../src/server/exposure.js";
import { buildDist } from "../helpers/build.js";
import { makeTestCa } from "../helpers/certs.js";
import { createNetns, netnsUnavailable, type NetNs } from "../helpers/netns.mjs";
import { logRecords, SERVER_BIN, startServerProcess } from "../helpers/server-process.js";

const ROOT = resolve(import.meta.dirname, "../..");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
let tmp: string;
let data: string;
let admin: { email: string; password: string };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  await buildDist();
  tmp = mkdtempSync(join(tmpdir(), "rescue-operate-"));
  data = join(tmp, "data");
  admin = JSON.parse(execFileSync(process.execPath, [SERVER_BIN, "init", "--data", data, "--json"], { encoding: "utf8" }));
}, 600_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Stops a started server with SIGTERM and returns its exit code. */
async function stop(server: { child: { kill(s: NodeJS.Signals): boolean }; exited: Promise<number | null> }): Promise<number | null> {
  server.child.kill("SIGTERM");
  return server.exited;
}

describe("rescue-server --version", () => {
  it("prints the package version, as rescue version does", () => {
    expect(execFileSync(process.execPath, [SERVER_BIN, "--version"], { encoding: "utf8" }).trim()).toBe(VERSION);
    expect(execFileSync(process.execPath, [join(ROOT, "bin/rescue.js"), "version"], { encoding: "utf8" }).trim()).toBe(VERSION);
  }, 60_000);
});

describe("public URL warning", () => {
  it("knows loopback hosts and which public URLs customers can use", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "app.localhost", "::ffff:127.0.0.1"]) expect(isLoopback(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.5", "rescue.example.com", "198.51.100.1"]) expect(isLoopback(host), host).toBe(false);
    expect(publicUrlProblem("127.0.0.1", "http://127.0.0.1:8080")).toBeUndefined();
    expect(publicUrlProblem("0.0.0.0", "https://rescue.example.com")).toBeUndefined();
    expect(publicUrlProblem("0.0.0.0", "http://127.0.0.1:8080")).toMatch(/loopback/);
    expect(publicUrlProblem("::", "https://localhost:8443")).toMatch(/loopback/);
    expect(publicUrlProblem("10.0.0.5", "http://rescue.example.com")).toMatch(/HTTPS/);
  });

  it("a server reachable from other machines warns loudly when customer links are http:// or loopback, and not when they are https://", async () => {
    const bare = await startServerProcess(["--data", data, "--host", "0.0.0.0", "--port", "0"]);
    const warning = bare.records().find((r) => /CUSTOMER LINKS WILL NOT WORK/.test(r.msg));
    expect(warning).toMatchObject({ level: 40, publicUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    expect(await stop(bare)).toBe(0);

    const plain = await startServerProcess(["--data", data, "--host", "0.0.0.0", "--port", "0", "--public-url", "http://rescue.example.test"]);
    expect(plain.records().find((r) => /CUSTOMER LINKS WILL NOT WORK/.test(r.msg))?.msg).toMatch(/HTTPS/);
    expect(await stop(plain)).toBe(0);

    const good = await startServerProcess(["--data", data, "--host", "0.0.0.0", "--port", "0", "--public-url", "https://rescue.example.test"]);
    expect(good.records().some((r) => /CUSTOMER LINKS/.test(r.msg))).toBe(false);
    expect(await stop(good)).toBe(0);
  }, 120_000);
});

describe("default port", () => {
  let ns: NetNs | undefined;
  const skip = netnsUnavailable();
  afterAll(() => ns?.close());

  it.skipIf(skip)("start listens on 8080 without TLS and 8443 with it (tried in a namespace of its own, where those ports are free)", async () => {
    ns = createNetns();
    const certDir = join(tmp, "certs");
    execFileSync("mkdir", ["-m", "700", certDir]);
    const ca = makeTestCa(certDir);
    ca.issue(join(certDir, "s.pem"), join(certDir, "s.key"));
    const node = ns.wrapper(process.execPath);
    for (const [extra, port, scheme] of [[[], 8080, "http"], [["--tls-cert", join(certDir, "s.pem"), "--tls-key", join(certDir, "s.key")], 8443, "https"]] as const) {
      const child = spawn(node, [SERVER_BIN, "start", "--data", data, "--host", ns.nsAddress, "--public-url", "https://rescue.example.test", ...extra], { cwd: ROOT });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.on("close", r));
      const deadline = Date.now() + 60_000;
      while (!/"msg":"listening on/.test(stderr) && child.exitCode === null && Date.now() < deadline) await sleep(100);
      const listening = logRecords(stderr).find((r) => /^listening on/.test(r.msg));
      expect(listening?.url, stderr).toBe(`${scheme}://${ns.nsAddress}:${port}`);
      // Reachable on that port from outside the namespace.
      await new Promise<void>((ok, fail) => {
        const s = connect({ host: ns!.nsAddress, port }, () => (s.end(), ok()));
        s.on("error", fail);
      });
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    }
  }, 180_000);
});

describe("logs", () => {
  it("piped: JSON lines, each with a level and a time, no password or token", async () => {
    const server = await startServerProcess(["--data", data, "--port", "0", "--log-level", "info"]);
    const res = await fetch(`${server.url}/api/v1/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(admin) });
    const { token } = (await res.json()) as { token: string };
    await fetch(`${server.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${token}` } });
    await fetch(`${server.url}/m/123456?pin=654321`);
    expect(await stop(server)).toBe(0);
    const records = logRecords(server.stderr());
    expect(records.length).toBeGreaterThan(4);
    for (const r of records) {
      expect(typeof r.level).toBe("number");
      expect(typeof r.time).toBe("number");
      expect(typeof r.msg).toBe("string");
    }
    expect(records.map((r) => r.msg)).toEqual(expect.arrayContaining(["delivery: sms: outbox; email: outbox", "stopping"]));
    const text = server.stderr();
    expect(text).not.toContain(admin.password);
    expect(text).not.toContain(token);
    expect(text).not.toContain("123456");
    expect(text).not.toContain("654321");
  }, 120_000);

  it("--log-format pretty on a pipe, and a fatal error as a log line", async () => {
    const out = await new Promise<{ code: number | null; stderr: string }>((done) => {
      const child = spawn(process.execPath, [SERVER_BIN, "start", "--data", join(tmp, "missing"), "--log-format", "pretty"], { cwd: ROOT });
      let stderr = "";
      child.stderr.on("data", (d) => (stderr += d));
      child.on("close", (code) => done({ code, stderr }));
    });
    expect(out.code).toBe(6);
    expect(out.stderr).toMatch(/^\[?\d\d:\d\d:\d\d\.\d{3}\]? FATAL.*no Rescue data in .*rescue-server init/m);
    expect(out.stderr).not.toContain('"level"');
  }, 60_000);

  it("on a terminal (a tmux pty): readable lines with a time and a level, no JSON", async () => {
    const session = `rescue-log-${process.pid}`;
    const stamp = join(tmp, "tty-done");
    const script = `${JSON.stringify(process.execPath)} ${JSON.stringify(SERVER_BIN)} start --data ${JSON.stringify(data)} --port 0; echo exit=$? > ${JSON.stringify(stamp)}; sleep 60`;
    execFileSync("tmux", ["new-session", "-d", "-s", session, "-x", "250", "-y", "50", script]);
    try {
      let pane = "";
      const deadline = Date.now() + 60_000;
      while (!/listening on http/.test(pane) && Date.now() < deadline) {
        await sleep(250);
        pane = execFileSync("tmux", ["capture-pane", "-p", "-J", "-t", session], { encoding: "utf8" });
      }
      expect(pane).toMatch(/^\[?\d\d:\d\d:\d\d\.\d{3}\]? INFO.*: listening on http:\/\/127\.0\.0\.1:\d+/m);
      expect(pane).toMatch(/INFO.*: delivery: sms: outbox/);
      expect(pane).not.toContain('{"level"');
      execFileSync("tmux", ["send-keys", "-t", session, "C-c"]);
      for (const end = Date.now() + 30_000; Date.now() < end; await sleep(250)) {
        try {
          if (readFileSync(stamp, "utf8").includes("exit=")) break;
        } catch {
          // not yet
        }
      }
      expect(readFileSync(stamp, "utf8").trim()).toBe("exit=0");
      pane = execFileSync("tmux", ["capture-pane", "-p", "-J", "-t", session], { encoding: "utf8" });
      expect(pane).toMatch(/INFO.*: stopping/);
    } finally {
      execFileSync("tmux", ["kill-session", "-t", session]);
    }
  }, 120_000);
});
