import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { Permission } from "../../src/protocol/index.js";
import { initData, startServer, type RunningServer } from "../../src/server/index.js";
import { dropHome, makeHome, rescue, type CliResult } from "./cli.js";
import { createNetns, type NetNs } from "./netns.js";

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
 * on its host-side address, and a technician with `permissions` logged in from a fresh RESCUE_HOME.
 * The veth is named so werift skips it on its own: the daemon reaches the browser only through
 * RESCUE_ICE_HOST_ADDRESSES. `close` stops it all and removes its folders.
 */
export async function lanTechnician(name: string, permissions: Permission[]): Promise<LanTechnician> {
  const ns = createNetns({ hostInterfacePrefix: "veth" });
  const dataDir = join(mkdtempSync(join(tmpdir(), `rescue-${name}-`)), "data");
  const admin = await initData(dataDir, "admin@example.test");
  const server = await startServer({ dataDir, host: ns.hostAddress, port: 0, logLevel: "silent" });
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
