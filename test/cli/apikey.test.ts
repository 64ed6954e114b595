import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, CreatedApiKey, IntegrationSession } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

describe("rescue apikey against a real server and daemon", () => {
  let server: TestServer;
  let tech: Account;
  let home: string;

  beforeAll(async () => {
    server = await startTestServer();
    tech = await server.technician(["lens", "private", "link"]);
    home = makeHome();
    await cliLogin(home, server.url, tech.email, tech.password);
  });
  afterAll(async () => {
    await dropHome(home);
    await server.close();
  });

  const integrationCall = (key: string) =>
    fetch(`${server.url}/api/v1/integration/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "Chat customer" }),
    });

  it("creates a key shown once that the integration API accepts, lists it without the key, and revokes it", async () => {
    const created = await rescue(home, ["apikey", "create", "--name", "CRM chat", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const key = CreatedApiKey.parse(created.json());
    expect(key).toMatchObject({ name: "CRM chat", revokedAt: null });
    expect(key.key.startsWith(key.prefix)).toBe(true);

    const res = await integrationCall(key.key);
    expect(res.status).toBe(201);
    const session = IntegrationSession.parse(await res.json());
    const mine = await rescue(home, ["session", "list", "--json"]);
    expect(mine.json<any[]>().map((s) => s.id)).toContain(session.sessionId);

    const list = await rescue(home, ["apikey", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    const listed = list.json<unknown[]>().map((k) => ApiKey.parse(k));
    expect(listed.find((k) => k.id === key.id)).toMatchObject({ name: "CRM chat", revokedAt: null, lastUsedAt: expect.any(String) });
    expect(list.stdout).not.toContain(key.key);

    const plain = await rescue(home, ["apikey", "list"]);
    expect(plain.stdout.split("\n").find((l) => l.startsWith(key.id))?.split("\t").slice(0, 3)).toEqual([key.id, "CRM chat", key.prefix]);

    const revoked = await rescue(home, ["apikey", "revoke", key.id, "--json"]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.json()).toEqual({ id: key.id, revoked: true });
    expect((await integrationCall(key.key)).status).toBe(401);
    const after = (await rescue(home, ["apikey", "list", "--json"])).json<any[]>().find((k) => k.id === key.id);
    expect(after.revokedAt).toEqual(expect.any(String));

    // Revoking it again, or an id that never was, is "not found".
    expect((await rescue(home, ["apikey", "revoke", key.id])).code).toBe(6);
    expect((await rescue(home, ["apikey", "revoke", "nope"])).code).toBe(6);
    await rescue(home, ["session", "end", session.sessionId]);

    const log = readFileSync(join(home, "logs", "rescued.log"), "utf8");
    expect(log).not.toContain(key.key);
  });

  it("piped without --json, create prints only the key; a default name is given", async () => {
    const r = await rescue(home, ["apikey", "create"]);
    expect(r.code, r.stderr).toBe(0);
    const key = r.stdout.trim();
    expect(key).toMatch(/^rk_[A-Za-z0-9_-]{43}$/);
    const listed = (await rescue(home, ["apikey", "list", "--json"])).json<any[]>().find((k) => key.startsWith(k.prefix) && !k.revokedAt);
    expect(listed.name).toBe("contact center");
    expect((await rescue(home, ["apikey", "revoke", listed.id])).code).toBe(0);
  });

  it("a key needs a login: not logged in exits 4", async () => {
    const h = makeHome();
    try {
      const r = await rescue(h, ["apikey", "list"]);
      expect(r.code, r.stderr).toBe(4);
    } finally {
      await dropHome(h);
    }
  });
});
