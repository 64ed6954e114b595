import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dropHome, killDaemon, makeHome, rescue, spawnRescue } from "../helpers/cli.js";
import { eventually } from "../helpers/processes.js";
import { startTestServer, type Account, type TestServer } from "../helpers/server.js";

const ROOT = join(import.meta.dirname, "..", "..");
const mode = (path: string) => statSync(path).mode & 0o777;
/** Where no keychain runs, the token goes to RESCUE_HOME/secrets.json. */
const NO_KEYCHAIN = { RESCUE_KEYCHAIN: "off" };

describe("a token file left open to other users (restored from a backup, copied into a shared home)", () => {
  let server: TestServer;
  let tech: Account;
  let home: string;
  let secrets: string;
  let token: string;
  const children: ChildProcess[] = [];

  /** What another user on the machine does: read the file. */
  const othersCanRead = () => (mode(secrets) & 0o044) !== 0 || (mode(home) & 0o055) !== 0;

  beforeAll(async () => {
    server = await startTestServer();
    tech = await server.technician(["lens", "pin"]);
    home = makeHome();
    secrets = join(home, "secrets.json");
    const login = await rescue(home, ["login", "--server", server.url, "--email", tech.email, "--password-stdin", "--json"], {
      stdin: `${tech.password}\n`,
      env: NO_KEYCHAIN,
    });
    expect(login.code, login.stderr).toBe(0);
    expect(mode(secrets)).toBe(0o600);
    token = Object.values(JSON.parse(readFileSync(secrets, "utf8")) as Record<string, string>)[0]!;
    expect(token.length).toBeGreaterThan(20);
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
    await dropHome(home);
    await server.close();
  });

  it("is closed (0600, its folder 0700) by the first command that reads it, which says so once on stderr", async () => {
    await killDaemon(home);
    chmodSync(secrets, 0o644);
    chmodSync(home, 0o755);
    expect(othersCanRead()).toBe(true);

    const who = await spawnRescue(home, ["whoami", "--json"], NO_KEYCHAIN).done;
    expect(who.code, who.stderr).toBe(0);
    expect(who.json()).toMatchObject({ email: tech.email, storage: "file" });
    expect(othersCanRead()).toBe(false);
    expect(mode(secrets)).toBe(0o600);
    expect(mode(home)).toBe(0o700);
    expect(who.stderr).toBe(`warning: ${secrets} holds the sign-in token but was 0644 (open to other users): now 0600\n`);
    expect(who.stderr).not.toContain(token);

    const again = await spawnRescue(home, ["whoami", "--json"], NO_KEYCHAIN).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toBe("");
  });

  it("is closed before the CLI starts the daemon that reads it, with the warning on the command's stderr", async () => {
    await killDaemon(home);
    chmodSync(secrets, 0o666);
    chmodSync(home, 0o777);
    const list = await spawnRescue(home, ["session", "list", "--json"], NO_KEYCHAIN).done;
    expect(list.code, list.stderr).toBe(0);
    expect(list.json()).toEqual([]);
    expect(mode(secrets)).toBe(0o600);
    expect(mode(home)).toBe(0o700);
    expect(list.stderr).toContain(`warning: ${secrets} holds the sign-in token but was 0666 (open to other users): now 0600\n`);
    expect(list.stderr.match(/secrets\.json/g)).toHaveLength(1);
    await killDaemon(home);
  });

  it("is closed by a daemon started on its own, which says so in its log", async () => {
    await killDaemon(home);
    chmodSync(secrets, 0o644);
    const daemon = spawn(process.execPath, [join(ROOT, "bin", "rescued.js")], { env: { ...process.env, ...NO_KEYCHAIN, RESCUE_HOME: home }, stdio: "ignore" });
    children.push(daemon);
    const log = join(home, "logs", "rescued.log");
    const logged = () => {
      try {
        return readFileSync(log, "utf8");
      } catch {
        return "";
      }
    };
    expect(await eventually(() => logged().includes(`${secrets} holds the sign-in token but was 0644`), 30_000)).toBe(true);
    expect(mode(secrets)).toBe(0o600);
    expect(logged()).toMatch(/ warn \S+secrets\.json holds the sign-in token but was 0644 \(open to other users\): now 0600\n/);
    expect(logged()).not.toContain(token);
    await killDaemon(home);
  });
});
