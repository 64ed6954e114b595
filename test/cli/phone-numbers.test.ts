import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorBody } from "../../src/protocol/index.js";
import { openSqliteStore } from "../../src/server/store/sqlite.js";
import { dropHome, loggedInHome, rescue } from "../helpers/cli.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

/** Numbers of a plausible length that no country's plan has (India has no 8-digit numbers): the short metadata took them. */
const IMPOSSIBLE = ["+9112345678", "+31212345678", "+49 1 2345678"];

/** Numbers that cannot exist, sent to the server's API and to `rescue session new --sms`: no SMS goes out. */
describe("phone numbers are checked against each country's numbering plan", () => {
  let server: TestServer;
  let tech: Account;
  let home: string;

  beforeAll(async () => {
    server = await startTestServer();
    ({ home, tech } = await loggedInHome(server, ["lens", "private", "sms"]));
  });
  afterAll(async () => {
    await dropHome(home);
    await server.close();
  });

  const outbox = async () => {
    const store = openSqliteStore(server.dataDir);
    try {
      return await store.outbox.list();
    } finally {
      store.close();
    }
  };

  it("the server's API refuses them, naming the country, and sends nothing", async () => {
    for (const to of IMPOSSIBLE) {
      const res = await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { type: "lens", method: "sms", to } });
      expect(res.status, to).toBe(400);
    }
    const india = await server.api("POST", "/api/v1/sessions", { token: tech.token, body: { method: "sms", to: "+9112345678" } });
    expect(ErrorBody.parse(india.body).error.message).toMatch(/^"\+9112345678" is not a valid phone number for India/);
    expect((await server.api("GET", "/api/v1/sessions", { token: tech.token })).body).toEqual([]);
    expect(await outbox()).toEqual([]);
  });

  it("the CLI refuses them before the session is made (exit 2), and takes a real one", async () => {
    const bad = await rescue(home, ["session", "new", "--lens", "--sms", "+9112345678", "--json"]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toMatch(/not a valid phone number for India/);
    expect((await rescue(home, ["session", "list", "--json"])).json()).toEqual([]);

    const good = await rescue(home, ["session", "new", "--lens", "--sms", "+91 98765 43210", "--json"]);
    expect(good.code, good.stderr).toBe(0);
    expect(good.json().delivery).toMatchObject({ channel: "sms", to: "+919876543210" });
    expect((await outbox()).map((m) => m.to)).toEqual(["+919876543210"]);
  });
});
