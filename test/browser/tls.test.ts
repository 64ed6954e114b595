import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { initData, startServer, type RunningServer } from "../../src/server/index.js";
import { makeTestCa, type TestCa } from "../helpers/certs.js";
import { launchChromium, type Chromium } from "../helpers/chromium.js";
import { createNetns, netnsUnavailable, type NetNs } from "../helpers/netns.mjs";

let dir: string;
let ns: NetNs;
let ca: TestCa;
let server: RunningServer;
let dispatcher: Agent;
let adminToken: string;
const browsers: Chromium[] = [];

async function api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await request(server.url + path, {
    method: method as "GET" | "POST",
    dispatcher,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.statusCode, body: await res.body.json() };
}

/** A browser home whose NSS store (what Chromium on Linux trusts) holds the test CA, or nothing. */
function browserHome(trustCa: boolean): string {
  const home = mkdtempSync(join(dir, "home-"));
  if (trustCa) {
    const db = join(home, ".pki", "nssdb");
    mkdirSync(db, { recursive: true, mode: 0o700 });
    execFileSync("certutil", ["-d", `sql:${db}`, "-N", "--empty-password"]);
    execFileSync("certutil", ["-d", `sql:${db}`, "-A", "-t", "C,,", "-n", "Rescue Test CA", "-i", ca.caFile]);
  }
  return home;
}

const unavailable = netnsUnavailable() ?? (() => {
  try {
    execFileSync("certutil", ["-H"], { stdio: "ignore" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "needs certutil (libnss3-tools)";
  }
  return undefined;
})();

describe.skipIf(unavailable !== undefined)("the customer page over HTTPS in Chromium", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "rescue-browser-tls-"));
    ns = createNetns();
    ca = makeTestCa(dir);
    const certFile = join(dir, "server.pem");
    const keyFile = join(dir, "server.key");
    ca.issue(certFile, keyFile, { ips: [ns.hostAddress] });
    const dataDir = join(dir, "data");
    const admin = await initData(dataDir, "admin@example.test");
    server = await startServer({ dataDir, host: ns.hostAddress, port: 0, logLevel: "silent", tls: { certFile, keyFile } });
    dispatcher = new Agent({ connect: { ca: ca.ca } });
    adminToken = (await api("POST", "/api/v1/auth/login", admin)).body.token;
  }, 60_000);

  afterAll(async () => {
    for (const b of browsers) await b.close();
    await dispatcher?.close();
    await server?.close();
    ns?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a browser that trusts the CA opens the link as a secure context, joins over WSS and the session waits; one that does not is refused", async () => {
    const admin = adminToken;
    const created = await api("POST", "/api/v1/sessions", { method: "pin", name: "TLS customer" }, admin);
    expect(created.status).toBe(201);
    expect(created.body.links.desktop).toMatch(new RegExp(`^https://${ns.hostAddress.replace(/\./g, "\\.")}:\\d+/`));

    // No flag that bypasses certificate checks or marks the origin secure: the CA in the store does it.
    const trusting = await launchChromium(ns, server.url, { env: { HOME: browserHome(true) }, treatAsSecure: false });
    browsers.push(trusting);
    const page = await trusting.context.newPage();
    const response = await page.goto(created.body.links.desktop);
    expect(response?.status()).toBe(200);
    expect(await page.evaluate(() => [location.protocol, window.isSecureContext])).toEqual(["https:", true]);
    await page.fill("#name", "Ada");
    await page.click("button[type=submit]");
    await page.waitForSelector('body[data-state="eula"]', { timeout: 20_000 });
    await page.click("#accept");
    await page.waitForSelector('body[data-state="waiting"]', { timeout: 20_000 });
    const session = await api("GET", `/api/v1/sessions/${created.body.id}`, undefined, admin);
    expect(session.body).toMatchObject({ status: "waiting", customer: { camera: true, microphone: true } });

    const untrusting = await launchChromium(ns, server.url, { env: { HOME: browserHome(false) }, treatAsSecure: false });
    browsers.push(untrusting);
    const refused = await untrusting.context.newPage();
    await expect(refused.goto(created.body.links.desktop)).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
  }, 120_000);
});
