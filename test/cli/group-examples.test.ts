import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** The `rescue admin group create ...` example lines of a help text, as argument lists after `rescue`. */
function groupExamples(help: string): string[][] {
  return help
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("$ rescue admin group create "))
    .map((l) => l.slice("$ rescue ".length).split(/\s+/));
}

/**
 * A newcomer copies the group example from --help: its technicians must be able to do what the
 * example suggests (a Lens session by PIN), not meet "your group lacks the permission: private".
 */
describe("the admin group examples in --help", () => {
  let server: TestServer;
  const homes: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    for (const h of homes) await dropHome(h);
    await server.close();
  });

  it("make a group whose technicians can create a Lens session by PIN", async () => {
    const admin = makeHome();
    homes.push(admin);
    expect((await cliLogin(admin, server.url, server.admin.email, server.admin.password)).code).toBe(0);
    const helps = [await rescue(admin, ["admin", "--help"]), await rescue(admin, ["admin", "group", "--help"]), await rescue(admin, ["admin", "group", "create", "--help"])];
    const examples = helps.flatMap((h) => groupExamples(h.stdout));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const [i, example] of examples.entries()) {
      const name = `Example${i}`;
      const created = await rescue(admin, example.map((a) => (a === "Support" ? name : a)));
      expect(created.code, `${example.join(" ")}: ${created.stderr}`).toBe(0);
      const added = await rescue(admin, ["admin", "technician", "add", `tech${i}@example.test`, "--group", name, "--json"]);
      expect(added.code, added.stderr).toBe(0);
      const tech = makeHome();
      homes.push(tech);
      expect((await cliLogin(tech, server.url, `tech${i}@example.test`, added.json<{ password: string }>().password)).code).toBe(0);
      const session = await rescue(tech, ["session", "new", "--lens", "--pin", "--json"]);
      expect(session.code, `${example.join(" ")}: ${session.stderr}`).toBe(0);
    }
  }, 120_000);
});
