import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { consolePerTest } from "./console.js";
import { FakeDaemon } from "./fake-daemon.js";
import { KEYS } from "./terminal.js";


const open = consolePerTest({ columns: 100 });

describe("console: new PINs, the session id, recordings after the end", () => {
  it("the dialog's 'create another PIN' says the old PIN no longer works, and shows the session id", async () => {
    const d = new FakeDaemon();
    const t = open(d);
    await t.see("No sessions yet");
    await t.type("n", KEYS.tab, "A", "d", "a", KEYS.enter);
    await t.see("Session created: Ada (Lens)");
    expect(t.lastFrame()).toMatch(/Session ID +s1/);
    expect(t.lastFrame()).not.toContain("no longer works");
    await t.type("a");
    await t.see("New PIN: the old PIN 482913 no longer works");
    expect(t.lastFrame()).toContain("PIN 482914");
    await t.type("a");
    await t.see("New PIN: the old PIN 482914 no longer works");
  });

  it("p gives the selected Connecting session a new PIN from the main screen, naming the dead one", async () => {
    const d = new FakeDaemon();
    const s = d.seed("Bob", "connecting");
    const t = open(d);
    await t.see(/> Bob\s+Lens\s+Connecting\s+482913/);
    expect(t.lastFrame()).toContain(`Bob · Lens · Connecting`);
    expect(t.lastFrame()).toContain(` · ${s.id}`);
    await t.type("p");
    await t.see(`new PIN 482914 for Bob; the old PIN 482913 no longer works`);
    await t.see(/> Bob\s+Lens\s+Connecting\s+482914/);
    expect(d.calls).toContain(`regeneratePin ${s.id}`);
  });

  it("p brings back a session that timed out before its customer came; it refuses once the customer joined", async () => {
    const d = new FakeDaemon();
    d.seed("Cas", "timed-out");
    const t = open(d);
    await t.see(/Session ended: Timed out\. l shows its log, p gives it a new PIN\./);
    await t.type("p");
    await t.see(/> Cas\s+Lens\s+Connecting\s+\d{6}/);
    d.customerJoins("s1");
    await t.see(/> Cas\s+Lens\s+Waiting/);
    await t.type("p");
    await t.see("new PIN: only before the customer joins");
  });

  it("keeps the recording's path in view after the session ends", async () => {
    const d = new FakeDaemon();
    d.seed("Dee", "connecting");
    const t = open(d);
    await t.see("Dee");
    d.customerJoins("s1");
    await t.see(/> Dee\s+Lens\s+Waiting/);
    await t.type("s");
    await t.see("/tmp/rescue-home/recordings/s1.webm");
    await t.type("e", "y");
    await t.see("Session ended: Closed.");
    expect(t.lastFrame()).toContain("Recording  /tmp/rescue-home/recordings/s1.webm");
  });
});

describe("console: the customer's link to the clipboard or the browser", () => {
  const bin = mkdtempSync(join(tmpdir(), "rescue-console-bin-"));

  it("L copies the link with the desktop's clipboard tool", async () => {
    // A clipboard tool as a desktop has one: xclip on X11, here writing what it gets to a file.
    const copied = join(bin, "copied.txt");
    writeFileSync(join(bin, "xclip"), `#!/bin/sh\n[ "$1 $2" = "-selection clipboard" ] || exit 3\ncat > "${copied}"\n`);
    chmodSync(join(bin, "xclip"), 0o755);
    const d = new FakeDaemon();
    const s = d.seed("Eva", "connecting");
    const t = open(d, 160, 24, { PATH: `${bin}:${process.env.PATH}`, DISPLAY: ":9" });
    await t.see("Eva");
    await t.type("L");
    await t.see(`link copied (xclip): ${s.links!.mobile}`);
    expect(readFileSync(copied, "utf8")).toBe(s.links!.mobile);

  });

  it("without a clipboard tool the notice says which it tried; o opens the link with xdg-open", async () => {
    const d = new FakeDaemon();
    const s = d.seed("Fay", "connecting");
    const none = open(d, 200, 24, { PATH: "/nonexistent", DISPLAY: "", WAYLAND_DISPLAY: "" });
    await none.see("Fay");
    await none.type("L");
    await none.see("Error: copy-link failed: copy: no clipboard here; tried wl-copy (WAYLAND_DISPLAY is unset), xclip (DISPLAY is unset)");
    none.instance.unmount();

    // The real xdg-open; with no desktop environment and no URL handler registered it hands the
    // URL to $BROWSER: here a browser stand-in that writes down what it got.
    const opened = join(bin, "opened.txt");
    writeFileSync(join(bin, "browser"), `#!/bin/sh\nprintf %s "$1" > "${opened}"\n`);
    chmodSync(join(bin, "browser"), 0o755);
    const xdg = join(bin, "xdg");
    mkdirSync(xdg, { recursive: true });
    const env = {
      PATH: process.env.PATH,
      DISPLAY: ":9",
      BROWSER: join(bin, "browser"),
      ...Object.fromEntries(["XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_DIRS"].map((k) => [k, xdg])),
    };
    const t = open(d, 200, 24, env);
    await t.see("Fay");
    await t.type("o");
    // The shell creates the file before writing into it: wait for the whole link.
    await vi.waitFor(() => expect(existsSync(opened) && readFileSync(opened, "utf8")).toBe(s.links!.mobile), { timeout: 20_000, interval: 100 });
    await vi.waitFor(() => expect(t.lastFrame()).toContain(`link opened with xdg-open: ${s.links!.mobile}`), { timeout: 20_000 });
    rmSync(bin, { recursive: true, force: true });
  }, 40_000);
});
