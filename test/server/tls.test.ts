import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RescueError } from "../../src/protocol/index.js";
import { initData, startServer } from "../../src/server/index.js";
import { buildDist } from "../helpers/build.js";
import { makeTestCa, type TestCa } from "../helpers/certs.js";
import { dropHome, makeHome, spawnRescue } from "../helpers/cli.js";
import { eventually } from "../helpers/processes.js";
import { SERVER_BIN, startServerProcess, type ServerProcess } from "../helpers/server-process.js";

let dir: string;
let ca: TestCa;
let certFile: string;
let keyFile: string;
let firstSerial: string;
let server: ServerProcess;
let admin: { email: string; password: string };
const homes: string[] = [];

/** The serial number of the certificate a new TLS connection to the server is shown. */
function servedSerial(url: string): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: Number(port), ca: ca.ca, servername: "localhost" }, () => {
      resolve(socket.getPeerCertificate().serialNumber.toUpperCase());
      socket.end();
    });
    socket.on("error", reject);
  });
}

/** `rescue ARGS` as its own process: NODE_EXTRA_CA_CERTS is read only when a process starts. */
async function cli(home: string, args: string[], opts: { trust?: boolean; stdin?: string } = {}) {
  const env = opts.trust === false ? { NODE_EXTRA_CA_CERTS: "" } : { NODE_EXTRA_CA_CERTS: ca.caFile };
  return spawnRescue(home, args, env, opts.stdin === undefined ? {} : { stdin: opts.stdin }).done;
}

beforeAll(async () => {
  await buildDist();
  dir = mkdtempSync(join(tmpdir(), "rescue-tls-"));
  ca = makeTestCa(dir);
  certFile = join(dir, "server.pem");
  keyFile = join(dir, "server.key");
  firstSerial = ca.issue(certFile, keyFile);
  const data = join(dir, "data");
  admin = JSON.parse(execFileSync(process.execPath, [SERVER_BIN, "init", "--data", data, "--json"], { encoding: "utf8" }));
  server = await startServerProcess(["--data", data, "--port", "0", "--tls-cert", certFile, "--tls-key", keyFile], { NODE_EXTRA_CA_CERTS: "" });
}, 600_000);

afterAll(async () => {
  for (const home of homes) await dropHome(home);
  if (server?.child.exitCode === null) {
    server.child.kill("SIGTERM");
    await server.exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("rescue-server --tls-cert --tls-key", () => {
  it("serves HTTPS and WSS; the CLI and its daemon trust a private CA through NODE_EXTRA_CA_CERTS, and not without it", async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(await servedSerial(server.url)).toBe(firstSerial);

    // Plain HTTP on the TLS port gets no answer a client could take for the API.
    const plain = await fetch(server.url.replace("https:", "http:") + "/healthz").then((r) => r.status, () => "refused");
    expect(plain).not.toBe(200);

    // Without the CA the certificate is refused: nothing is sent to an unknown server.
    const untrusting = makeHome();
    homes.push(untrusting);
    const refused = await cli(untrusting, ["login", "--server", server.url, "--email", admin.email, "--password-stdin", "--json"], { trust: false, stdin: `${admin.password}\n` });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/certificate/i);
    expect(refused.stderr).toContain("NODE_EXTRA_CA_CERTS");

    const home = makeHome();
    homes.push(home);
    const login = await cli(home, ["login", "--server", server.url, "--email", admin.email, "--password-stdin", "--json"], { stdin: `${admin.password}\n` });
    expect(login.code, login.stderr).toBe(0);
    // The daemon (undici for REST, ws for the socket) starts with this CLI's environment.
    const created = await cli(home, ["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string; links: { mobile: string } }>();
    expect(session.links.mobile).toBe(`${server.url}/m/${session.pin}`);

    // The simulated customer over WSS, trusting the same CA.
    const customer = spawnRescue(home, ["simulate", "customer", "--server", server.url, "--pin", session.pin, "--duration", "4", "--json"], { NODE_EXTRA_CA_CERTS: ca.caFile });
    const waited = await cli(home, ["session", "wait", session.id, "--status", "waiting", "--timeout", "60", "--json"]);
    expect(waited.code, waited.stderr).toBe(0);
    const started = await cli(home, ["session", "start", session.id, "--no-record", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    expect(started.json().status).toBe("active");
    const sent = await customer.done;
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.json().sentVideoFrames).toBeGreaterThan(0);
    const daemonStatus = await cli(home, ["daemon", "status", "--json"]);
    expect(daemonStatus.stdout).toMatch(/"connected"/);

    // Nothing secret in the server's log; every line a JSON record with a level and a time.
    const log = server.stderr();
    expect(log).not.toContain(admin.password);
    expect(log).not.toContain(session.pin);
    for (const record of server.records()) expect(record).toEqual(expect.objectContaining({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String) }));
  }, 400_000);

  it("reloads renewed files on SIGHUP: new connections see the new certificate, a broken renewal keeps the working one", async () => {
    const agent = new Agent({ connect: { ca: ca.ca } });
    const before = await request(`${server.url}/healthz`, { dispatcher: agent });
    expect(before.statusCode).toBe(200);
    await before.body.text();

    const renewed = ca.issue(certFile, keyFile);
    expect(renewed).not.toBe(firstSerial);
    expect(await servedSerial(server.url)).toBe(firstSerial);
    server.child.kill("SIGHUP");
    expect(await eventually(() => server.records().some((r) => r.msg === "TLS certificate reloaded"), 30_000)).toBe(true);
    expect(await servedSerial(server.url)).toBe(renewed);
    // The connection opened before the renewal still works.
    const after = await request(`${server.url}/healthz`, { dispatcher: agent });
    expect(after.statusCode).toBe(200);
    await after.body.text();
    await agent.close();

    // A key that does not belong to the certificate (a half-finished renewal) is refused.
    ca.issue(join(dir, "other.pem"), join(dir, "other.key"));
    execFileSync("cp", [join(dir, "other.key"), keyFile]);
    server.child.kill("SIGHUP");
    expect(await eventually(() => server.records().some((r) => /TLS reload failed/.test(r.msg) && r.level === 50), 30_000)).toBe(true);
    expect(await servedSerial(server.url)).toBe(renewed);
    expect(server.child.exitCode).toBe(null);

    writeFileSync(keyFile, "not a key");
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
  }, 300_000);

  it("refuses a private key every user may read, and a certificate with a key that is not its own", async () => {
    const keyDir = mkdtempSync(join(dir, "keys-"));
    const cert = join(keyDir, "c.pem");
    const key = join(keyDir, "k.pem");
    ca.issue(cert, key);
    const dataDir = join(keyDir, "data");
    await initData(dataDir, "admin@example.test");
    chmodSync(key, 0o644);
    const open = await startServer({ dataDir, port: 0, logLevel: "silent", tls: { certFile: cert, keyFile: key } }).catch((e: unknown) => e);
    expect(open).toBeInstanceOf(RescueError);
    expect((open as RescueError).code).toBe("forbidden");
    expect((open as RescueError).message).toContain("chmod 600");

    chmodSync(key, 0o640);
    ca.issue(join(keyDir, "other.pem"), join(keyDir, "other.key"));
    const mismatched = await startServer({ dataDir, port: 0, logLevel: "silent", tls: { certFile: cert, keyFile: join(keyDir, "other.key") } }).catch((e: unknown) => e);
    expect((mismatched as RescueError).code).toBe("bad_request");

    // The folder was released each time: a good pair starts.
    const good = await startServer({ dataDir, port: 0, logLevel: "silent", tls: { certFile: cert, keyFile: key } });
    expect(good.url).toMatch(/^https:/);
    await good.close();
  }, 60_000);
});
