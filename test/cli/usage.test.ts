import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dropHome, loggedInHome, makeHome, rescue, spawnRescue } from "../helpers/cli.js";
import { startTestServer } from "../helpers/server.js";

const home = makeHome();
afterAll(() => dropHome(home));

describe("usage errors", () => {
  it("print the message and one line naming the command's help, with exit 2", async () => {
    const cases: Array<[string[], RegExp, string]> = [
      [["session", "new", "--bogus"], /unknown option '--bogus'/, "rescue session new --help"],
      [["session", "new", "--lens"], /choose exactly one of --pin/, "rescue session new --help"],
      [["session", "wait", "s1"], /required option '--status <status>'/, "rescue session wait --help"],
      [["admin", "group", "create"], /missing required argument/, "rescue admin group create --help"],
      [["sesion"], /unknown command 'sesion'/, "rescue --help"],
      // Each Lens shape's own fields, whichever number is wrong.
      [["lens", "draw", "s1", "--circle", "2,0.5,0.1"], /^rescue: --circle 2,0\.5,0\.1: give X,Y,R, numbers from 0 to 1/, "rescue lens draw --help"],
      [["lens", "draw", "s1", "--circle", "0.5,0.5"], /^rescue: --circle 0\.5,0\.5: give X,Y,R, /, "rescue lens draw --help"],
      [["lens", "draw", "s1", "--arrow", "0.5"], /^rescue: --arrow 0\.5: give X,Y or X,Y,X2,Y2, /, "rescue lens draw --help"],
      [["lens", "draw", "s1", "--line", "0,0,0.5,0.5,2,1"], /^rescue: --line 0,0,0\.5,0\.5,2,1: give X,Y pairs, numbers from 0 to 1/, "rescue lens draw --help"],
      // Found while running (after commander parsed the flags): the same shape.
      [["simulate", "customer", "--server", "http://127.0.0.1:1", "--pin", "12"], /--pin must be 6 digits/, "rescue simulate customer --help"],
    ];
    for (const [args, message, help] of cases) {
      const r = await rescue(home, args);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stdout).toBe("");
      const lines = r.stderr.trimEnd().split("\n").filter((l) => !l.startsWith("(Did you mean"));
      expect(lines, args.join(" ")).toHaveLength(2);
      expect(lines[0]).toMatch(message);
      expect(lines[1]).toBe(`(${help} for usage)`);
      expect(r.stderr).not.toContain("Options:");
    }
  });

  it("refuses simulator flags the server would refuse before it connects to the server", async () => {
    // A real listener on loopback: any connection to it, even one refused later, is counted.
    let connections = 0;
    const listener = createServer((_req, res) => res.end());
    listener.on("connection", () => connections++);
    await new Promise<void>((r) => listener.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    try {
      const cases: Array<[string[], RegExp]> = [
        [["--name", "Eve\u001b[2J"], /^rescue: --name: must not contain control characters$/],
        [["--name", "x".repeat(101)], /^rescue: --name: /],
        [["--server", "ftp://127.0.0.1:1"], /^rescue: --server must be an http:\/\/ or https:\/\/ URL/],
      ];
      for (const [flags, message] of cases) {
        const args = ["simulate", "customer", "--server", url, "--pin", "123456", ...flags];
        const r = await rescue(home, args);
        expect(r.code, flags.join(" ")).toBe(2);
        const lines = r.stderr.trimEnd().split("\n");
        expect(lines, r.stderr).toHaveLength(2);
        expect(lines[0]).toMatch(message);
        expect(lines[1]).toBe("(rescue simulate customer --help for usage)");
      }
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
  }, 120_000);

  it("found by the daemon or the server (a bad address, an oversized chat): the same message and help line, exit 2", async () => {
    const server = await startTestServer();
    const { home: tech } = await loggedInHome(server, ["lens", "private", "pin", "email", "chat"]);
    try {
      const session = await rescue(tech, ["session", "new", "--lens", "--pin", "--json"]);
      expect(session.code, session.stderr).toBe(0);
      const cases: Array<[string[], RegExp, string]> = [
        [["session", "new", "--lens", "--email", "notanemail"], /"notanemail" is not a valid email address/, "rescue session new --help"],
        [["chat", session.json<{ id: string }>().id, "a".repeat(2001)], /text: Too big/, "rescue chat --help"],
      ];
      for (const [args, message, help] of cases) {
        const r = await rescue(tech, args);
        expect(r.code, args.join(" ").slice(0, 80)).toBe(2);
        const lines = r.stderr.trimEnd().split("\n");
        expect(lines, args.join(" ").slice(0, 80)).toHaveLength(2);
        expect(lines[0]).toMatch(message);
        expect(lines[1]).toBe(`(${help} for usage)`);
      }
    } finally {
      await dropHome(tech);
      await server.close();
    }
  }, 120_000);

  it("says plainly that an argument is no session id, before the daemon or server sees it: exit 2 and the help line", async () => {
    const server = await startTestServer();
    const { home: tech } = await loggedInHome(server, ["lens", "pin", "chat"]);
    try {
      const cases: Array<[string[], string, string]> = [
        [["session", "stats", "../../x"], "../../x", "rescue session stats --help"],
        [["session", "end", "a/b"], "a/b", "rescue session end --help"],
        [["session", "log", "x".repeat(65)], "x".repeat(65), "rescue session log --help"],
        [["chat", "a b", "hello"], "a b", "rescue chat --help"],
        [["lens", "erase", "%2e%2e"], "%2e%2e", "rescue lens erase --help"],
      ];
      for (const [args, id, help] of cases) {
        const r = await spawnRescue(tech, [...args, "--json"]).done;
        expect(r.code, args.join(" ")).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr.trimEnd().split("\n")).toEqual([`rescue: not a session id: ${id}`, `(${help} for usage)`]);
      }
    } finally {
      await dropHome(tech);
      await server.close();
    }
  }, 120_000);

  it("says plainly that RESCUE_HOME is not a folder, whatever the command: exit 2 and the help line, nothing made", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rescue-home-file-"));
    const file = join(dir, "passwd");
    writeFileSync(file, "root:x:0:0::/root:/bin/sh\n");
    try {
      const cases: Array<[string, string[], string, string]> = [
        [file, ["whoami"], `RESCUE_HOME ${file} is not a folder`, "rescue whoami --help"],
        [file, ["session", "list", "--json"], `RESCUE_HOME ${file} is not a folder`, "rescue session list --help"],
        [join(file, "profile"), ["daemon", "start"], `RESCUE_HOME ${join(file, "profile")} cannot be made: ${file} is not a folder`, "rescue daemon start --help"],
      ];
      for (const [h, args, message, help] of cases) {
        const r = await spawnRescue(h, args).done;
        expect(r.code, args.join(" ")).toBe(2);
        expect(r.stdout).toBe("");
        expect(r.stderr.trimEnd().split("\n")).toEqual([`rescue: ${message}`, `(${help} for usage)`]);
      }
      expect(readFileSync(file, "utf8")).toBe("root:x:0:0::/root:/bin/sh\n");
      expect(readdirSync(dir)).toEqual(["passwd"]);
      // Help needs no folder.
      expect((await spawnRescue(file, ["whoami", "--help"]).done).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("lists every permission in the group commands' help", async () => {
    const { PERMISSIONS } = await import("../../src/protocol/common.js");
    for (const verb of ["create", "set"]) {
      const help = await rescue(home, ["admin", "group", verb, "--help"]);
      expect(help.code).toBe(0);
      const words = help.stdout.replace(/\s+/g, " ");
      for (const p of PERMISSIONS) expect(words, `${verb}: ${p}`).toMatch(new RegExp(`[ :,]${p}(,|$| )`));
    }
  });

  it("shows a verb's help for rescue help GROUP VERB, with examples in groups too and ids that look real", async () => {
    const viaHelp = await rescue(home, ["help", "session", "new"]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toBe((await rescue(home, ["session", "new", "--help"])).stdout);
    expect(viaHelp.stdout).toMatch(/^Usage: rescue session new/);
    for (const group of ["session", "daemon", "admin", "simulate"]) {
      const help = await rescue(home, [group, "--help"]);
      expect(help.stdout, group).toContain("Examples:\n  $ rescue ");
    }
    // Ids in examples have the shape the server gives them: 14 letters and digits.
    const helps = await Promise.all(["new", "pin", "wait", "start", "end", "log"].map((v) => rescue(home, ["session", v, "--help"])));
    for (const h of [...helps, await rescue(home, ["session", "--help"])]) expect(h.stdout).not.toMatch(/\bs_[a-z0-9]+/);
    expect(helps.map((h) => h.stdout).join("")).toMatch(/ k7m2qd9xw4hbte\b/);
  });

  it("every group has examples, and no example anywhere uses a placeholder id", async () => {
    /** The subcommands a help text lists under "Commands:". */
    const commandsOf = (help: string) =>
      [...(help.split("\nCommands:\n")[1] ?? "").split("\n\n")[0]!.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((n) => n !== "help");
    const seen: string[] = [];
    const walk = async (path: string[]): Promise<void> => {
      const help = await rescue(home, [...path, "--help"]);
      expect(help.code, path.join(" ")).toBe(0);
      const exampleLines = help.stdout.split("\n").filter((l) => l.startsWith("  $ "));
      for (const l of exampleLines) {
        expect(l, path.join(" ")).not.toMatch(/\b(ID|SESSION_ID|k_abc\w*|s_\w+|abc123)\b/);
        // Anything shaped like an id (14 letters and digits) uses the server's alphabet, without look-alikes.
        for (const id of l.match(/\b(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{14}\b/g) ?? []) expect(id).toMatch(/^[a-hj-km-np-z2-9]{14}$/);
      }
      const subs = commandsOf(help.stdout);
      if (path.length > 0 && subs.length > 0) expect(exampleLines.length, `${path.join(" ")} --help has examples`).toBeGreaterThan(0);
      seen.push(path.join(" "));
      for (const sub of subs) await walk([...path, sub]);
    };
    await walk([]);
    expect(seen).toEqual(expect.arrayContaining(["apikey", "invitations", "collaborator", "recordings", "admin group", "admin technician", "admin external", "recordings delete"]));
  }, 120_000);
});
