import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildDist } from "../helpers/build.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
// A private tmux server, so nothing else running tmux on this machine is touched.
const socket = `rescue-console-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
const screen = () => tmux("capture-pane", "-p", "-t", "console");
const coloured = () => tmux("capture-pane", "-p", "-e", "-t", "console");
const see = (text: string | RegExp) =>
  vi.waitFor(() => (typeof text === "string" ? expect(screen()).toContain(text) : expect(screen()).toMatch(text)), {
    timeout: 10_000,
    interval: 100,
  });

const title = hasTmux ? "console in a real 80x24 terminal (tmux)" : "console in a real terminal: skipped, tmux is not installed";

describe.skipIf(!hasTmux)(title, () => {
  beforeAll(async () => {
    await buildDist();
    tmux(
      "new-session", "-d", "-s", "console", "-x", "80", "-y", "24",
      // CI variables switch Ink to plain output; the shell stays after the console so its exit shows.
      `cd '${root}' && env -u CI TERM=xterm-256color node test/tui/fixtures/console-fixture.mjs; sleep 60`,
    );
  }, 180_000);

  afterAll(() => {
    spawnSync("tmux", ["-L", socket, "kill-server"]);
  });

  it("shows the list, marks the new Waiting session, selects, opens help and quits with 0", async () => {
    await see(/> Ada Lovelace\s+Lens\s+Active\s+-\s+\d+s/);
    await see("VP8  1280x720  30.0 fps  1.50 Mbit/s");
    expect(screen()).toContain("Rec   /tmp/recordings/s1.webm  3.0 MiB");
    await see(/ Bob Jansen\s+Lens\s+Waiting\s+-\s+\d+s\s+NEW/);
    // The status word is yellow, not only coloured and not only a word.
    expect(coloured()).toMatch(/\x1b\[33mWaiting/);
    expect(tmux("display-message", "-p", "-t", "console", "#{window_bell_flag}").trim()).toBe("1");

    tmux("send-keys", "-t", "console", "Down");
    await see(/> Bob Jansen\s+Lens\s+Waiting/);
    await see("── Bob Jansen · Lens · Waiting");
    expect(screen()).toContain("Customer ready (camera on, microphone on, EULA accepted). Press s to start.");

    tmux("send-keys", "-t", "console", "?");
    await see("Keys");
    expect(screen()).toContain("start the selected Waiting session");
    for (const line of screen().split("\n")) expect(line.length).toBeLessThanOrEqual(80);

    tmux("send-keys", "-t", "console", "Escape");
    await see("> Bob Jansen");
    expect(screen()).not.toContain("Keys");

    // Wider: the shortcut hints fit on one line and names get more room.
    tmux("resize-window", "-t", "console", "-x", "120", "-y", "30");
    await see(/↑↓ select {2}n new .* q quit/);
    for (const line of screen().split("\n")) expect(line.length).toBeLessThanOrEqual(120);

    tmux("send-keys", "-t", "console", "?");
    await see("Keys");
    tmux("send-keys", "-t", "console", "q");
    await see("console exited with 0");
  });
});
