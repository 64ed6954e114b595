import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { homePaths, rescueHome } from "../../src/profile/home.js";
import { dropHome, makeHome, rescue } from "../helpers/cli.js";

describe("where the tool's files go", () => {
  it("RESCUE_HOME first, then $XDG_CONFIG_HOME/rescue, then ~/.rescue; everything in that one folder", () => {
    expect(rescueHome({ RESCUE_HOME: "/srv/p1", XDG_CONFIG_HOME: "/x" })).toBe("/srv/p1");
    expect(rescueHome({ XDG_CONFIG_HOME: "/home/ann/.config" })).toBe("/home/ann/.config/rescue");
    expect(rescueHome({ RESCUE_HOME: "", XDG_CONFIG_HOME: "" })).toBe(join(homedir(), ".rescue"));
    const p = homePaths("/home/ann/.config/rescue");
    for (const path of [p.socket, p.lock, p.log, p.recordings, p.snapshots, p.secrets]) expect(path.startsWith("/home/ann/.config/rescue/")).toBe(true);
  });

  it("the help says so, as the README does", async () => {
    const home = makeHome();
    try {
      const help = await rescue(home, ["--help"]);
      expect(help.stdout.replace(/\s+/g, " ")).toContain("RESCUE_HOME=DIR if set, else $XDG_CONFIG_HOME/rescue, else ~/.rescue");
    } finally {
      await dropHome(home);
    }
  });
});
