import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildDist } from "../helpers/build.js";
import { cellOf, pictureBox, pointAt } from "../../src/tui/lens-geometry.js";
import { layout } from "../../src/tui/layout.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;
// A private tmux server, so nothing else running tmux on this machine is touched.
const socket = `rescue-console-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
const dir = mkdtempSync(join(tmpdir(), "rescue-console-tmux-"));

/** Runs the console fixture in its own tmux window of the given size, with extra environment. */
function consoleIn(name: string, columns: number, rows: number, env: Record<string, string> = {}) {
  const vars = Object.entries(env).map(([k, v]) => `${k}='${v}'`).join(" ");
  tmux(
    "new-session", "-d", "-s", name, "-x", String(columns), "-y", String(rows),
    // CI variables switch Ink to plain output; the shell stays after the console so its exit shows.
    `cd '${root}' && env -u CI -u NO_COLOR TERM=xterm-256color ${vars} node test/tui/fixtures/console-fixture.mjs; sleep 60`,
  );
  const screen = () => tmux("capture-pane", "-p", "-t", name);
  const coloured = () => tmux("capture-pane", "-p", "-e", "-t", name);
  const see = (text: string | RegExp) =>
    vi.waitFor(() => (typeof text === "string" ? expect(screen()).toContain(text) : expect(screen()).toMatch(text)), {
      timeout: 15_000,
      interval: 100,
    });
  const keys = (...k: string[]) => tmux("send-keys", "-t", name, ...k);
  const text = (t: string) => tmux("send-keys", "-t", name, "-l", t);
  /** Bytes written to the terminal in one go, as tmux or SSH pass a burst of keys. */
  const burst = (...hex: string[]) => tmux("send-keys", "-t", name, "-H", ...hex);
  const resize = (x: number, y: number) => tmux("resize-window", "-t", name, "-x", String(x), "-y", String(y));
  return { screen, coloured, see, keys, text, burst, resize };
}

/** Whether the pane's program asked for mouse reports: xterm's button mode (1000) and SGR form (1006). */
const mouseModes = (name: string) => tmux("display-message", "-p", "-t", name, "#{mouse_standard_flag}#{mouse_sgr_flag}").trim();
/** A string as the hex bytes `burst` sends. */
const hex = (s: string) => [...Buffer.from(s, "latin1")].map((b) => b.toString(16).padStart(2, "0"));

/** The parameters of every SGR sequence on a captured screen that sets a colour. */
function colourCodes(text: string): string[] {
  // eslint-disable-next-line no-control-regex
  const params = [...text.matchAll(/\x1b\[([0-9;]*)m/g)].flatMap((m) => m[1]!.split(";"));
  return params.filter((p) => /^(3[0-8]|4[0-8]|9[0-7]|10[0-7])$/.test(p));
}

const title = hasTmux ? "console in a real terminal (tmux)" : "console in a real terminal: skipped, tmux is not installed";

describe.skipIf(!hasTmux)(title, () => {
  beforeAll(async () => {
    await buildDist();
  }, 180_000);

  afterAll(() => {
    spawnSync("tmux", ["-L", socket, "kill-server"]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows the list, marks the new Waiting session, selects, opens help and quits with 0", async () => {
    const c = consoleIn("main", 80, 24);
    await c.see(/> Ada Lovelace\s+Lens\s+Active\s+-\s+\d+s/);
    await c.see("VP8  1280x720  30.0 fps  1.50 Mbit/s");
    expect(c.screen()).toContain("Rec   /tmp/recordings/s1.webm  3.0 MiB");
    await c.see(/ Bob Jansen\s+Lens\s+Waiting\s+-\s+\d+s\s+NEW/);
    // The status word is yellow, not only coloured and not only a word.
    expect(c.coloured()).toMatch(/\x1b\[33mWaiting/);
    expect(tmux("display-message", "-p", "-t", "main", "#{window_bell_flag}").trim()).toBe("1");

    c.keys("Down");
    await c.see(/> Bob Jansen\s+Lens\s+Waiting/);
    await c.see("── Bob Jansen · Lens · Waiting");
    expect(c.screen()).toContain("Customer ready (camera on, microphone on, EULA accepted). Press s to start.");

    c.keys("?");
    await c.see("Keys");
    expect(c.screen()).toContain("start the selected Waiting session");
    for (const line of c.screen().split("\n")) expect(line.length).toBeLessThanOrEqual(80);

    c.keys("Escape");
    await c.see("> Bob Jansen");
    expect(c.screen()).not.toContain("Keys");

    // Wider: the shortcut hints fit on one line and names get more room.
    c.resize(120, 30);
    await c.see(/↑↓ select {2}n new .* q quit/);
    for (const line of c.screen().split("\n")) expect(line.length).toBeLessThanOrEqual(120);

    c.keys("q");
    await c.see("console exited with 0");
  });

  it("closes the help and the log with q, and says who is Waiting over an overlay", async () => {
    const pidFile = join(dir, "overlay.pid");
    const c = consoleIn("overlay", 80, 24, { FIXTURE_WAITING: "signal", FIXTURE_PID: pidFile });
    await c.see(/> Ada Lovelace\s+Lens\s+Active/);

    c.keys("?");
    await c.see("Keys");
    c.keys("q");
    await c.see("> Ada Lovelace");
    expect(c.screen()).not.toContain("Keys");

    c.keys("l");
    await c.see("Session log: Ada Lovelace");
    c.keys("q");
    await c.see("> Ada Lovelace");
    expect(c.screen()).not.toContain("Session log");
    expect(c.screen()).not.toContain("console exited");

    c.keys("?");
    await c.see("Keys");
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGUSR2");
    await c.see("New: Bob Jansen is Waiting · Esc returns to the list");
    expect(c.screen()).toContain("Keys");
    c.keys("Escape");
    // Ada's customer is live: the selection stays there and Bob is marked NEW.
    await c.see(/> Ada Lovelace[\s\S]*Bob Jansen\s+Lens\s+Waiting\s+-\s+\d+s\s+NEW/);

    c.keys("q");
    await c.see("console exited with 0");
  });

  it("shows a session's recordings, deletes them only after y, closes with q; refuses what does not apply", async () => {
    const requests = join(dir, "recordings.ndjson");
    const c = consoleIn("recordings", 80, 24, { FIXTURE_REQUESTS: requests });
    await c.see(/> Ada Lovelace\s+Lens\s+Active/);
    // At 80x24 the help does not fit: it says how many keys are below and scrolls to them.
    expect(c.screen()).toMatch(/w collaborators {2}T talk {2}R recordings/);
    c.keys("?");
    await c.see("Keys");
    await c.see(/↓ \d+ more/);
    for (let i = 0; i < 8; i++) c.keys("Down");
    await c.see(/R +the selected session's recordings/);
    await c.see(/q +leave the console/);
    expect(c.screen()).toMatch(/↑ \d+ above/);
    expect(c.screen()).not.toMatch(/↓ \d+ more/);
    c.keys("q");
    await c.see("> Ada Lovelace");

    c.keys("R");
    await c.see("Recordings of Ada Lovelace");
    expect(c.screen()).toContain("Segment 1: /tmp/recordings/s1.webm");
    expect(c.screen()).toContain("3.1 MB · 1:23.4");
    expect(c.screen()).toContain("Timeline: 2 events: chat 1, hold 1");
    expect(c.screen()).toContain("00:05.2  chat  customer: hello");
    c.keys("d");
    await c.see("Delete this recording with manifests and timelines? y deletes");
    c.keys("n");
    // The notice line says Bob is Waiting (it comes first over an overlay): the prompt goes, the file stays.
    await vi.waitFor(() => expect(c.screen()).not.toContain("y deletes"), { timeout: 15_000 });
    expect(c.screen()).toContain("Segment 1: /tmp/recordings/s1.webm");
    expect(existsSync(requests)).toBe(false);
    c.keys("d");
    await c.see("y deletes");
    c.keys("y");
    await c.see("No recordings of this session");
    expect(readFileSync(requests, "utf8").trim().split("\n").map((l) => JSON.parse(l) as unknown)).toEqual([{ deleteRecordings: "s1" }]);
    c.keys("q");
    await c.see("> Ada Lovelace");
    expect(c.screen()).not.toContain("console exited");

    // Ada's session has nobody else in it; Bob's is not running, so there is no one to talk to.
    c.keys("w");
    await c.see("Error: collaborators: nobody else is in this session");
    await c.see(/Bob Jansen\s+Lens\s+Waiting/);
    c.keys("Down");
    await c.see(/> Bob Jansen/);
    c.keys("T");
    await c.see("Error: talk: only in a running session");
    c.keys("q");
    await c.see("console exited with 0");
  });

  it("keeps a burst of Backspaces and control characters out of a typed name", async () => {
    const requests = join(dir, "requests.ndjson");
    const c = consoleIn("input", 80, 24, { FIXTURE_REQUESTS: requests });
    await c.see("Ada Lovelace");
    c.keys("n");
    await c.see("New session");
    c.keys("Tab");
    await c.see("> Name");
    c.text("Boxyz");
    await c.see("Boxyz");
    c.burst("7f", "7f", "7f");
    c.burst("01", "02", "1b", "5b", "32", "7e");
    c.text("b Jansen");
    await c.see("Bob Jansen");
    c.keys("Enter");
    await c.see("Session created: Bob Jansen (Lens)");
    const sent = readFileSync(requests, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { name: string });
    expect(sent.map((r) => r.name)).toEqual(["Bob Jansen"]);
    c.keys("Escape");
    await c.see(/> Bob Jansen\s+Lens\s+Connecting/);
    c.keys("q");
    await c.see("console exited with 0");
  });

  it("ignores Ctrl+F1 and pasted colour codes it does not know, in the list and in a dialog, and still answers keys", async () => {
    const requests = join(dir, "escapes.ndjson");
    const c = consoleIn("escapes", 80, 24, { FIXTURE_REQUESTS: requests });
    await c.see(/> Ada Lovelace\s+Lens\s+Active/);
    // xterm's Ctrl+F1 and Shift+F1, an SGR colour alone, and coloured text as a paste brings it.
    for (const s of ["\x1b[1;5P", "\x1b[1;2P", "\x1b[31m", "x\x1b[31mRED\x1b[0m"]) c.burst(...hex(s));
    c.keys("?");
    await c.see("Keys");
    c.keys("Escape");
    await c.see("q quit");
    expect(c.screen()).not.toContain("console exited");

    c.keys("n");
    await c.see("New session");
    c.keys("Tab");
    await c.see("> Name");
    c.text("Bob");
    c.burst(...hex("\x1b[1;5P"));
    c.burst(...hex("\x1b[1;2P"));
    c.burst(...hex(" \x1b[31mJansen\x1b[0m"));
    await c.see("Bob Jansen");
    c.keys("Enter");
    await c.see("Session created: Bob Jansen (Lens)");
    const sent = readFileSync(requests, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { name: string });
    expect(sent.map((r) => r.name)).toEqual(["Bob Jansen"]);
    c.keys("Escape");
    c.keys("q");
    await c.see("console exited with 0");
    expect(c.screen()).not.toMatch(/TypeError|a key could not be handled/);
  });

  it("says the terminal is too small below its minimum size and draws again when it grows", async () => {
    const c = consoleIn("small", 80, 24);
    await c.see("Ada Lovelace");
    c.resize(40, 12);
    await c.see("terminal too small");
    expect(c.screen()).toContain("40x12, needs 60x15");
    c.resize(30, 8);
    await c.see("30x8, needs 60x15");
    c.resize(80, 24);
    await c.see(/> Ada Lovelace\s+Lens\s+Active/);
    expect(c.screen()).not.toContain("too small");
    c.keys("q");
    await c.see("console exited with 0");
  });

  it("draws no colours under NO_COLOR, keeping bold and inverse", async () => {
    const c = consoleIn("nocolor", 80, 24, { NO_COLOR: "1" });
    await c.see(/Bob Jansen\s+Lens\s+Waiting/);
    expect(colourCodes(c.coloured())).toEqual([]);
    // eslint-disable-next-line no-control-regex
    expect(c.coloured()).toMatch(/\x1b\[[0-9;]*\b(1|7)\b[0-9;]*m/);
    c.keys("q");
    await c.see("console exited with 0");
  });

  it("Lens tools: the picture takes the keys and the mouse, a click places a pointer there, and mouse reporting ends with them and on exit", async () => {
    const lens = join(dir, "lens.ndjson");
    const c = consoleIn("lens", 100, 30, { FIXTURE_LENS: lens, FIXTURE_VIDEO: "1" });
    await c.see(/Bob Jansen\s+Lens\s+Waiting/);
    await c.see("\u2580".repeat(20));
    expect(mouseModes("lens")).toBe("00");

    c.keys("v");
    await c.see("Lens: cursor 0.50,0.50 · red");
    await vi.waitFor(() => expect(mouseModes("lens")).toBe("11"), { timeout: 10_000 });
    // The fixture reports a 1280x720 camera: the cursor sits on the cell its geometry gives.
    const box = pictureBox(layout(100, 30, 2, false), false, { width: 1280, height: 720 })!;
    const cursorCell = (x: number, y: number) => {
      const { col, row } = cellOf(box, { x, y });
      return [...c.screen().split("\n")[box.top + row]!][box.left + col];
    };
    await vi.waitFor(() => expect(cursorCell(0.5, 0.5)).toBe("+"), { timeout: 10_000 });
    c.keys("Right", "Right", "Right", "Right", "Right", "Space");
    await c.see("red pointer at 0.60,0.50");

    // A left click in the picture, as the terminal reports it (SGR: press M, release m).
    const column = box.left + 8;
    const row = box.top + 4;
    const at = pointAt(box, column, row)!;
    c.burst(...hex(`\x1b[<0;${column};${row}M`));
    c.burst(...hex(`\x1b[<0;${column};${row}m`));
    await c.see(`red pointer at ${at.x.toFixed(2)},${at.y.toFixed(2)}`);
    await c.see(`Lens: cursor ${at.x.toFixed(2)},${at.y.toFixed(2)}`);
    const sent = () => readFileSync(lens, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { id: string; action: unknown });
    expect(sent()).toEqual([
      { id: "s1", action: { action: "draw", shape: { kind: "pointer", x: 0.6, y: 0.5 }, color: "red" } },
      { id: "s1", action: { action: "draw", shape: { kind: "pointer", x: at.x, y: at.y }, color: "red" } },
    ]);
    // No stray text from the report anywhere on the screen.
    expect(c.screen()).not.toContain("[<0;");

    // Esc gives the keys back: the terminal stops reporting the mouse.
    c.keys("Escape");
    await c.see("q quit");
    await vi.waitFor(() => expect(mouseModes("lens")).toBe("00"), { timeout: 10_000 });
    // Again, then leave the console straight from the picture.
    c.keys("v");
    await vi.waitFor(() => expect(mouseModes("lens")).toBe("11"), { timeout: 10_000 });
    c.keys("C-c");
    await c.see("console exited with 0");
    expect(mouseModes("lens")).toBe("00");
  });

  it("a crash while the picture has the keys leaves the terminal without mouse reporting", async () => {
    const pidFile = join(dir, "crash.pid");
    const c = consoleIn("crash", 100, 30, { FIXTURE_CRASH: "1", FIXTURE_PID: pidFile });
    await c.see(/> Ada Lovelace\s+Lens\s+Active/);
    c.keys("v");
    await c.see("Lens: cursor");
    await vi.waitFor(() => expect(mouseModes("crash")).toBe("11"), { timeout: 10_000 });
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGUSR1");
    await c.see("fixture crash");
    expect(c.screen()).not.toContain("console exited");
    expect(mouseModes("crash")).toBe("00");
  });
});
