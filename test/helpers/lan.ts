import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { StartResponse, type Permission } from "../../src/protocol/index.js";
import { initData, startServer, type RunningServer } from "../../src/server/index.js";
import { dropHome, makeHome, rescue, type CliResult } from "./cli.js";
import { createNetns, type NetNs } from "./netns.mjs";

export interface LanTechnician {
  ns: NetNs;
  server: RunningServer;
  home: string;
  /** `rescue ARGS` as this technician; any daemon it starts offers the namespace's host address. */
  cli(args: string[], stdin?: string): Promise<CliResult>;
  close(): Promise<void>;
}

/**
 * A LAN for browser tests: a network namespace (Chromium gathers no loopback candidates), a server
 * on its host-side address (with `serverOptions`), and a technician with `permissions` logged in from a fresh RESCUE_HOME.
 * The veth is named so werift skips it on its own: the daemon reaches the browser only through
 * RESCUE_ICE_HOST_ADDRESSES. `close` stops it all and removes its folders.
 */
export async function lanTechnician(
  name: string,
  permissions: Permission[],
  serverOptions: Partial<Parameters<typeof startServer>[0]> = {},
): Promise<LanTechnician> {
  const ns = createNetns({ hostInterfacePrefix: "veth" });
  const dataDir = join(mkdtempSync(join(tmpdir(), `rescue-${name}-`)), "data");
  const admin = await initData(dataDir, "admin@example.test");
  const server = await startServer({ logLevel: "silent", ...serverOptions, dataDir, host: ns.hostAddress, port: 0 });
  const post = async (path: string, body: unknown, token?: string) =>
    (await (
      await fetch(server.url + path, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      })
    ).json()) as any;
  const { token } = (await post("/api/v1/auth/login", admin)) as { token: string };
  await post("/api/v1/admin/groups", { name: "Support", permissions }, token);
  const tech = await post("/api/v1/admin/technicians", { email: "tech@example.test", group: "Support" }, token);
  const home = makeHome();
  // Every command may start the daemon; each passes the setting on to it.
  const env = { RESCUE_ICE_HOST_ADDRESSES: ns.hostAddress };
  const cli = (args: string[], stdin?: string) => rescue(home, args, { env, ...(stdin === undefined ? {} : { stdin }) });
  const r = await cli(["login", "--server", server.url, "--email", tech.email, "--password-stdin"], tech.password);
  expect(r.code, r.stderr).toBe(0);
  return {
    ns,
    server,
    home,
    cli,
    async close() {
      await dropHome(home);
      await server.close();
      ns.close();
      rmSync(join(dataDir, ".."), { recursive: true, force: true });
    },
  };
}

/**
 * The customer's side in Chromium up to Start: the session's desktop link, a name, the EULA
 * accepted; then the technician waits for Waiting and starts it. Returns what Start answered.
 */
export async function joinAndStart(page: Page, tech: Pick<LanTechnician, "cli">, session: { id: string; links?: { desktop: string } | null }): Promise<StartResponse> {
  await page.goto(session.links!.desktop);
  await page.fill("#name", "Ada");
  await page.click("button[type=submit]");
  await page.waitForSelector('body[data-state="eula"]', { timeout: 10_000 });
  await page.click("#accept");
  const waiting = await tech.cli(["session", "wait", session.id, "--status", "waiting", "--timeout", "20", "--json"]);
  expect(waiting.code, waiting.stderr).toBe(0);
  const started = await tech.cli(["session", "start", session.id, "--json"]);
  expect(started.code, started.stderr).toBe(0);
  return StartResponse.parse(started.json());
}

/** `rescue simulate customer ARGS...` run inside the LAN's namespace: its process and what it printed once it exits. */
export function simulatorIn(lan: Pick<LanTechnician, "ns" | "server">, pin: string, args: string[] = []): { child: ChildProcess; done: Promise<CliResult> } {
  const bin = join(import.meta.dirname, "..", "..", "bin", "rescue.js");
  const child = spawn("ip", ["netns", "exec", lan.ns.name, process.execPath, bin, "simulate", "customer", "--server", lan.server.url, "--pin", pin, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) })));
  return { child, done };
}
