import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

describe("group settings from the CLI", () => {
  let server: TestServer;
  let home: string;

  beforeAll(async () => {
    server = await startTestServer();
    home = makeHome();
    await cliLogin(home, server.url, server.admin.email, server.admin.password);
  }, 60_000);
  afterAll(async () => {
    await dropHome(home);
    await server.close();
  });

  it("sets the technicians per session and the PIN expiry, each without resetting the other", async () => {
    const created = await rescue(home, ["admin", "group", "create", "Field", "--permission", "lens,pin", "--max-technicians", "3", "--pin-expiry", "15", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    expect(created.json().settings).toEqual({ pinExpiryMinutes: 15, maxTechnicians: 3 });

    const more = await rescue(home, ["admin", "group", "set", "Field", "--max-technicians", "4", "--json"]);
    expect(more.code, more.stderr).toBe(0);
    expect(more.json().settings).toEqual({ pinExpiryMinutes: 15, maxTechnicians: 4 });

    const shorter = await rescue(home, ["admin", "group", "set", "Field", "--pin-expiry", "10", "--json"]);
    expect(shorter.json().settings).toEqual({ pinExpiryMinutes: 10, maxTechnicians: 4 });

    expect((await rescue(home, ["admin", "group", "set", "Field", "--max-technicians", "11"])).code).toBe(2);
    const nothing = await rescue(home, ["admin", "group", "set", "Field"]);
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain("--max-technicians N");
  }, 60_000);
});
