import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildDist } from "../helpers/build.js";
import { dropHome, makeHome, rescue } from "../helpers/cli.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

const ROOT = join(import.meta.dirname, "..", "..");
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
// A private tmux server, so nothing else running tmux on this machine is touched.
const socket = `rescue-login-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });

/** `rescue login` in a real terminal (a tmux pane), with its own RESCUE_HOME. */
function loginIn(name: string, home: string) {
  tmux("new-session", "-d", "-s", name, "-x", "120", "-y", "20", `cd '${ROOT}' && env -u CI RESCUE_HOME='${home}' RESCUE_KEYCHAIN=off node bin/rescue.js login; echo "exit=$?"; sleep 60`);
  const screen = () => tmux("capture-pane", "-p", "-t", name);
  const see = (text: string | RegExp) =>
    vi.waitFor(() => (typeof text === "string" ? expect(screen()).toContain(text) : expect(screen()).toMatch(text)), { timeout: 20_000, interval: 100 });
  const type = (t: string) => {
    tmux("send-keys", "-t", name, "-l", t);
    tmux("send-keys", "-t", name, "Enter");
  };
  return { screen, see, type };
}

describe.skipIf(!hasTmux)("rescue login on a terminal without flags", () => {
  let server: TestServer;
  let tech: Account;
  let home: string;
  beforeAll(async () => {
    await buildDist();
    server = await startTestServer();
    tech = await server.technician(["lens", "pin"]);
    home = makeHome();
  }, 180_000);
  afterAll(async () => {
    spawnSync("tmux", ["-L", socket, "kill-server"]);
    await dropHome(home);
    await server?.close();
  });

  it("asks for the server, then the email, then the password naming the account and server", async () => {
    const t = loginIn("first", home);
    await t.see("Server URL (like https://rescue.example.com):");
    t.type(server.url);
    await t.see(`Email for ${server.url}:`);
    t.type(tech.email);
    await t.see(`Password for ${tech.email} on ${server.url}:`);
    t.type(tech.password);
    await t.see(`logged in as ${tech.email} on ${server.url}`);
    await t.see("exit=0");
    expect(t.screen()).not.toContain(tech.password); // the password is not echoed
    const who = await rescue(home, ["whoami", "--json"]);
    expect(who.json()).toMatchObject({ email: tech.email });
  }, 90_000);

  it("next time offers the last server (Enter keeps it) and knows the account", async () => {
    const t = loginIn("again", home);
    await t.see(`Server URL [${server.url}]:`);
    t.type("");
    await t.see(`Password for ${tech.email} on ${server.url}:`);
    t.type("wrong password");
    await t.see("wrong email or password");
    await t.see("exit=4");
  }, 90_000);
});
