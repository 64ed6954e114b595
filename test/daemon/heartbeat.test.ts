import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { tapEvents } from "../helpers/localapi.js";
import { TcpProxy } from "../helpers/proxy.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

const HEARTBEAT_MS = 300;

describe("rescued and a server link that goes silent", () => {
  let server: TestServer;
  let proxy: TcpProxy;
  let home: string;

  beforeAll(async () => {
    server = await startTestServer();
    proxy = new TcpProxy(Number(new URL(server.url).port));
    await proxy.open();
    const tech = await server.technician(["lens", "private", "pin"]);
    home = makeHome();
    expect((await rescue(home, ["daemon", "start"], { env: { RESCUE_HEARTBEAT_MS: String(HEARTBEAT_MS) } })).code).toBe(0);
    await cliLogin(home, proxy.url, tech.email, tech.password);
  });
  afterAll(async () => {
    await dropHome(home);
    await proxy.cut();
    await server.close();
  });

  it("finds a link that carries nothing any more within two heartbeats and reconnects", async () => {
    await expect.poll(async () => (await rescue(home, ["daemon", "status", "--json"])).json().backend.state, { timeout: 10_000 }).toBe("connected");
    const tap = tapEvents(home, null);
    await tap.opened;
    const frozenAt = Date.now();
    proxy.freeze();
    const isLost = (e: any) => e.type === "backend" && e.state === "reconnecting";
    const lost = (await tap.until((evs) => evs.some(isLost))).find(isLost);
    const detectedMs = Date.now() - frozenAt;
    expect(detectedMs).toBeLessThan(2 * HEARTBEAT_MS + 3000);
    expect(lost.error).toMatch(/answered no ping/);
    // A new connection goes through the proxy as before: the daemon is back without help.
    await tap.until((evs) => evs.some((e) => e.type === "backend" && e.state === "connected" && e.id > lost.id), 10_000);
    tap.close();
  });

  it("refuses a heartbeat setting that is not a number of milliseconds", async () => {
    const other = makeHome();
    const started = await rescue(other, ["daemon", "start"], { env: { RESCUE_HEARTBEAT_MS: "often" } });
    expect(started.code).not.toBe(0);
    expect(started.stderr).toMatch(/RESCUE_HEARTBEAT_MS: often is not a whole number/);
    await dropHome(other);
  });
});
