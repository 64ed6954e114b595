import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExternalTechnician, Group, OffboardResult, PasswordReset } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

describe("rescue admin off-boarding verbs against a real server and daemon", () => {
  let server: TestServer;
  let adminHome: string;
  let techHome: string;
  let tech: Account;

  beforeAll(async () => {
    server = await startTestServer();
    tech = await server.technician(["lens", "private", "pin"]);
    adminHome = makeHome();
    techHome = makeHome();
    await cliLogin(adminHome, server.url, server.admin.email, server.admin.password);
    await cliLogin(techHome, server.url, tech.email, tech.password);
  });
  afterAll(async () => {
    await dropHome(adminHome);
    await dropHome(techHome);
    await server.close();
  });

  const me = (token: string) => server.api("GET", "/api/v1/me", { token });

  it("a technician can run none of them (exit 5) and nothing changes", async () => {
    for (const args of [
      ["technician", "disable", server.admin.email],
      ["technician", "remove", server.admin.email, "--force"],
      ["technician", "reset-password", server.admin.email, "--json"],
      ["technician", "set", tech.email, "--group", "Administrators"],
      ["group", "delete", "Administrators"],
      ["external", "remove", "nobody@partner.test"],
    ]) {
      const r = await rescue(techHome, ["admin", ...args]);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(5);
      expect(r.stdout).toBe("");
    }
    expect((await me(server.admin.token)).status).toBe(200);
  });

  it("disable, enable, set, reset-password and remove print the contract's JSON and take effect at once; the technician's daemon says why it is logged out", async () => {
    const other = await server.createGroup("Tier 2", ["lens", "private"]);
    const status = async () => (await rescue(techHome, ["daemon", "status", "--json"])).json<{ backend: { state: string; lastError?: string } }>().backend;
    for (let i = 0; i < 100 && (await status()).state !== "connected"; i++) await new Promise((r) => setTimeout(r, 200));
    expect((await status()).state).toBe("connected");
    const disabled = await rescue(adminHome, ["admin", "technician", "disable", tech.email, "--json"]);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(OffboardResult.parse(disabled.json())).toMatchObject({ email: tech.email, status: "disabled", endedSessions: [] });
    expect((await me(tech.token)).status).toBe(401);
    let backend = await status();
    for (let i = 0; i < 100 && backend.state !== "logged-out"; i++) {
      await new Promise((r) => setTimeout(r, 200));
      backend = await status();
    }
    expect(backend).toMatchObject({ state: "logged-out", lastError: "account disabled by an administrator" });
    const listed = await rescue(adminHome, ["admin", "technician", "list", "--json"]);
    expect(listed.json<any[]>().find((t) => t.email === tech.email).status).toBe("disabled");

    const enabled = await rescue(adminHome, ["admin", "technician", "enable", tech.email, "--json"]);
    expect(OffboardResult.parse(enabled.json()).status).toBe("active");
    const moved = await rescue(adminHome, ["admin", "technician", "set", tech.email, "--group", other.name, "--json"]);
    expect(moved.code, moved.stderr).toBe(0);
    expect(OffboardResult.parse(moved.json()).group).toBe("Tier 2");

    const reset = await rescue(adminHome, ["admin", "technician", "reset-password", tech.email, "--json"]);
    expect(reset.code, reset.stderr).toBe(0);
    const { password } = PasswordReset.parse(reset.json());
    expect((await server.api("POST", "/api/v1/auth/login", { body: { email: tech.email, password: tech.password } })).status).toBe(401);
    const token = await server.login(tech.email, password);
    const plain = await rescue(adminHome, ["admin", "technician", "reset-password", tech.email]);
    expect(plain.stdout.trim()).toMatch(/^\S{12,}$/);
    expect((await me(token)).status).toBe(401);

    // The group still has them: refused (5) with what to do.
    const refused = await rescue(adminHome, ["admin", "group", "delete", "Tier 2"]);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain(tech.email);

    const removed = await rescue(adminHome, ["admin", "technician", "remove", tech.email, "--json"]);
    expect(removed.code, removed.stderr).toBe(0);
    expect(OffboardResult.parse(removed.json()).status).toBe("removed");
    expect((await rescue(adminHome, ["admin", "technician", "remove", tech.email])).code).toBe(6);
  });

  it("the last administrator cannot disable themselves (exit 5); external remove and group delete print what went", async () => {
    const self = await rescue(adminHome, ["admin", "technician", "disable", server.admin.email]);
    expect(self.code).toBe(5);
    expect(self.stderr).toMatch(/last administrator/);

    expect((await rescue(adminHome, ["admin", "external", "add", "vendor@partner.test"])).code).toBe(0);
    const withdrawn = await rescue(adminHome, ["admin", "external", "remove", "vendor@partner.test", "--json"]);
    expect(withdrawn.code, withdrawn.stderr).toBe(0);
    expect(ExternalTechnician.parse(withdrawn.json()).email).toBe("vendor@partner.test");
    expect((await rescue(adminHome, ["admin", "external", "remove", "vendor@partner.test"])).code).toBe(6);

    await server.createGroup("Empty", []);
    const deleted = await rescue(adminHome, ["admin", "group", "delete", "Empty", "--json"]);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(Group.parse(deleted.json()).name).toBe("Empty");
  });
});
