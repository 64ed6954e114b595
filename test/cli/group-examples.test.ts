import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

/** The `rescue admin group VERB ...` example lines of a help text, as argument lists after `rescue`. */
function groupExamples(help: string, verb = "create"): string[][] {
  return help
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith(`$ rescue admin group ${verb} `))
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

  /** Runs each example on a group of its own (made empty first for `set`); its technician then creates a Lens PIN session. */
  async function examplesLetTechniciansWork(examples: string[][], prefix: string, makeFirst: boolean): Promise<void> {
    const admin = makeHome();
    homes.push(admin);
    expect((await cliLogin(admin, server.url, server.admin.email, server.admin.password)).code).toBe(0);
    for (const [i, example] of examples.entries()) {
      const name = `${prefix}${i}`;
      if (makeFirst) expect((await rescue(admin, ["admin", "group", "create", name])).code).toBe(0);
      const created = await rescue(admin, example.map((a) => (a === "Support" ? name : a)));
      expect(created.code, `${example.join(" ")}: ${created.stderr}`).toBe(0);
      const added = await rescue(admin, ["admin", "technician", "add", `${prefix.toLowerCase()}${i}@example.test`, "--group", name, "--json"]);
      expect(added.code, added.stderr).toBe(0);
      const tech = makeHome();
      homes.push(tech);
      expect((await cliLogin(tech, server.url, `${prefix.toLowerCase()}${i}@example.test`, added.json<{ password: string }>().password)).code).toBe(0);
      const session = await rescue(tech, ["session", "new", "--lens", "--pin", "--json"]);
      expect(session.code, `${example.join(" ")}: ${session.stderr}`).toBe(0);
    }
  }

  it("make a group whose technicians can create a Lens session by PIN", async () => {
    const home = makeHome();
    homes.push(home);
    const helps = [await rescue(home, ["admin", "--help"]), await rescue(home, ["admin", "group", "--help"]), await rescue(home, ["admin", "group", "create", "--help"])];
    const examples = helps.flatMap((h) => groupExamples(h.stdout));
    expect(examples.length).toBeGreaterThanOrEqual(3);
    await examplesLetTechniciansWork(examples, "Example", false);
  }, 120_000);

  it("and the permission list `set` shows leaves them able to do the same", async () => {
    const home = makeHome();
    homes.push(home);
    const examples = groupExamples((await rescue(home, ["admin", "group", "set", "--help"])).stdout, "set").filter((e) => e.includes("--permission"));
    expect(examples.length).toBeGreaterThanOrEqual(1);
    await examplesLetTechniciansWork(examples, "Set", true);
  }, 120_000);
});
