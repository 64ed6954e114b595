import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Session, type Permission } from "../../src/protocol/index.js";
import { initData, startServer, type RunningServer } from "../../src/server/index.js";
import { launchChromium, type Chromium } from "../helpers/chromium.js";
import { createNetns, netnsUnavailable, type NetNs } from "../helpers/netns.mjs";

/**
 * The real page against the session's budget of resumes: a customer who reloads once too often is
 * refused (4429, "retry in N s"); the page says it is reconnecting, waits that long and comes back.
 */
const ALL: Permission[] = ["lens", "private", "pin", "link", "chat"];
const unavailable = netnsUnavailable();

describe.skipIf(unavailable !== undefined)("the customer page and the resume budget", { timeout: 120_000 }, () => {
  let ns: NetNs;
  let server: RunningServer;
  let browser: Chromium | undefined;
  let token: string;

  const api = async (method: string, path: string, body?: unknown, auth = token) => {
    const headers: Record<string, string> = auth ? { authorization: `Bearer ${auth}` } : {};
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(server.url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  beforeAll(async () => {
    ns = createNetns();
    const dataDir = join(mkdtempSync(join(tmpdir(), "rescue-resume-budget-")), "data");
    const admin = await initData(dataDir, "admin@example.test");
    // One resume at once, then one per 6 s: the second reload in a row finds the budget spent.
    server = await startServer({ dataDir, host: ns.hostAddress, port: 0, logLevel: "silent", limits: { resume: { burst: 1, windowMs: 6_000 } } });
    const adminToken = (await api("POST", "/api/v1/auth/login", admin, "")).body.token as string;
    await api("POST", "/api/v1/admin/groups", { name: "Support", permissions: ALL }, adminToken);
    const added = await api("POST", "/api/v1/admin/technicians", { email: "tech@example.test", group: "Support" }, adminToken);
    token = (await api("POST", "/api/v1/auth/login", { email: added.body.email, password: added.body.password }, "")).body.token as string;
    browser = await launchChromium(ns, server.url, { viewport: { width: 390, height: 844 }, mobile: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    ns?.close();
  });

  it("a reload refused for too many reconnects: the page waits the time it is told and comes back into the session", async () => {
    const s = Session.parse((await api("POST", "/api/v1/sessions", { type: "lens", method: "pin", name: "Ada" })).body);
    const page = await browser!.context.newPage();
    await page.goto(s.links!.desktop);
    await page.fill("#name", "Ada");
    await page.click("button[type=submit]");
    await page.waitForSelector('body[data-state="eula"]', { timeout: 15_000 });
    await page.click("#accept");
    await page.waitForSelector('body[data-state="waiting"]', { timeout: 15_000 });

    // First reload: within the budget.
    await page.reload();
    await page.waitForSelector('body[data-state="waiting"]', { timeout: 15_000 });
    // Second reload: refused, the page shows it is reconnecting, then is back once the budget refilled.
    const refusedAt = Date.now();
    await page.reload();
    await page.waitForSelector('body[data-state="reconnecting"]', { timeout: 15_000 });
    await page.waitForSelector('body[data-state="waiting"]', { timeout: 30_000 });
    expect(Date.now() - refusedAt).toBeGreaterThan(2_000);

    const log = (await api("GET", `/api/v1/sessions/${s.id}/log`)).body as { event: string }[];
    expect(log.filter((e) => e.event === "customer-reconnected")).toHaveLength(2);
    const now = Session.parse((await api("GET", `/api/v1/sessions/${s.id}`)).body);
    expect(now.status).toBe("waiting");
    expect(now.customer?.away ?? null).toBeNull();
    await page.close();
  });
});
