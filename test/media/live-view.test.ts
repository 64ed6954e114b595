import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync, spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { bundledClip } from "../../src/customer/assets.js";
import { parseBlockLines } from "../../src/picture/blocks.js";
import { daemonPid, rescue } from "../helpers/cli.js";
import { lensSuite, statsWhen, type LensSetup } from "../helpers/lens.js";
import { cellsToRgb, decodeFrames, meanAbsDiff, mirrored } from "../helpers/picture.js";
import { ffprobe, frames } from "./helpers.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "rescue.js");
const hasTmux = spawnSync("tmux", ["-V"]).status === 0;

/** A picture within this mean difference (of 255) of a clip frame shows that frame. */
const SAME_PICTURE = 12;

describe("live view: the technician sees the customer's camera in the terminal", { timeout: 90_000 }, () => {
  const suite = lensSuite();
  let clipFrames: Buffer[];

  beforeAll(() => {
    clipFrames = decodeFrames(bundledClip().video, 48, 36);
  });

  const activeSession = async (): Promise<LensSetup> => {
    const setup = await suite.start({ seconds: 30 });
    const start = await rescue(setup.home, ["session", "start", setup.session.id, "--json"]);
    expect(start.code, start.stderr).toBe(0);
    await statsWhen(setup.home, setup.session.id, (s) => s.video.frames > 10);
    return setup;
  };

  it("view --frames 3 --renderer blocks prints three frames whose colours are the clip's", async () => {
    const { home, session } = await activeSession();
    const view = await rescue(home, ["session", "view", session.id, "--frames", "3", "--renderer", "blocks", "--size", "48x18"]);
    expect(view.code, view.stderr).toBe(0);
    const frames = view.stdout.split("\x1b[1;1H").filter(Boolean).map((f) => "\x1b[1;1H" + f);
    expect(frames).toHaveLength(3);
    const pictures = frames.map((text) => cellsToRgb(parseBlockLines(text)));
    // One painted frame per decoded frame: the clip changes every frame, so no two in a row match
    // (a decoder padding to a constant frame rate repeats them).
    for (let i = 1; i < pictures.length; i++) expect(pictures[i]!.rgb.equals(pictures[i - 1]!.rgb)).toBe(false);
    for (const picture of pictures) {
      expect([picture.width, picture.height]).toEqual([48, 36]);
      const nearest = Math.min(...clipFrames.map((f) => meanAbsDiff(picture.rgb, f)));
      expect(nearest).toBeLessThan(SAME_PICTURE);
      // The check can fail: the same colours in the wrong places are far from every clip frame.
      const wrong = Math.min(...clipFrames.map((f) => meanAbsDiff(mirrored(picture.rgb, 48, 36), f)));
      expect(wrong).toBeGreaterThan(3 * SAME_PICTURE);
    }
  });

  it("letterboxes the 4:3 picture in a tall area, decoding with the ffmpeg npm installed when PATH has none", async () => {
    const { home, session } = await activeSession();
    const bin = join(home, "empty-bin");
    mkdirSync(bin);
    const view = await rescue(home, ["session", "view", session.id, "--frames", "1", "--renderer", "blocks", "--size", "24x24"], { env: { PATH: bin } });
    expect(view.code, view.stderr).toBe(0);
    const cells = parseBlockLines(view.stdout);
    expect(cells).toHaveLength(24);
    // 24 wide by 48 tall: a 24x18 picture in the middle, black bands of 15 pixel rows above and below.
    const black = (c: number[]) => c.every((v) => v < 8);
    expect(cells.slice(0, 7).every((row) => row.every((c) => black(c.top) && black(c.bottom)))).toBe(true);
    expect(cells.slice(-7).every((row) => row.every((c) => black(c.top) && black(c.bottom)))).toBe(true);
    expect(cells.slice(9, 15).flat().filter((c) => !black(c.top)).length).toBeGreaterThan(100);
  });

  it("snapshot writes a PNG of the clip's size, private to the technician, and logs it without the path", async () => {
    const { home, session } = await activeSession();
    const out = join(home, "shots", "router.png");
    const shot = await rescue(home, ["session", "snapshot", session.id, "--out", out, "--json"]);
    expect(shot.code, shot.stderr).toBe(0);
    const result = shot.json<{ path: string; width: number; height: number; at: string }>();
    expect(result).toMatchObject({ path: out, width: 640, height: 480 });
    expect(Date.parse(result.at)).toBeGreaterThan(Date.now() - 60_000);
    const png = readFileSync(out);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(statSync(out).mode & 0o777).toBe(0o600);
    // The PNG shows the clip: decoded at the clip-frame size, it is near one of its frames.
    const picture = decodeFrames(out, 48, 36)[0]!;
    expect(Math.min(...clipFrames.map((f) => meanAbsDiff(picture, f)))).toBeLessThan(SAME_PICTURE);

    // A place that cannot be written is refused as such (exit 2), not as a decoding failure.
    const unwritable = await rescue(home, ["session", "snapshot", session.id, "--out", "/proc/rescue-test.png"]);
    expect(unwritable.code).toBe(2);
    expect(unwritable.stderr).toContain("cannot write /proc/rescue-test.png");

    const byDefault = await rescue(home, ["session", "snapshot", session.id, "--json"]);
    expect(byDefault.code, byDefault.stderr).toBe(0);
    expect(byDefault.json().path).toMatch(new RegExp(`^${home}/snapshots/${session.id}-.*\\.png$`));
    expect(statSync(join(home, "snapshots")).mode & 0o777).toBe(0o700);

    const log = await rescue(home, ["session", "log", session.id, "--json"]);
    const snapshots = log.json<Array<{ event: string; width?: number; path?: string }>>().filter((e) => e.event === "snapshot");
    expect(snapshots).toHaveLength(2);
    expect(snapshots[0]).toMatchObject({ width: 640, height: 480 });
    expect(JSON.stringify(snapshots)).not.toContain(home);
  });

  it("once an admin takes record from the group, a running session's snapshots and saved voice are refused; watching goes on", async () => {
    const { home, session, tech } = await activeSession();
    const { server } = suite;
    const me = await server.api<{ group: string; permissions: string[] }>("GET", "/api/v1/me", { token: await server.login(tech.email, tech.password) });
    const permissions = me.body.permissions.filter((p) => p !== "record");
    expect((await server.api("PATCH", `/api/v1/admin/groups/${encodeURIComponent(me.body.group)}`, { token: server.admin.token, body: { permissions } })).status).toBe(200);

    const out = join(home, "after-revoke.png");
    const shot = await rescue(home, ["session", "snapshot", session.id, "--out", out]);
    expect(shot.code, shot.stderr).toBe(5);
    expect(shot.stderr).toMatch(/permission: record/);
    expect(existsSync(out)).toBe(false);
    const wav = join(home, "after-revoke.wav");
    const listen = await rescue(home, ["session", "listen", session.id, "--out", wav]);
    expect(listen.code, listen.stderr).toBe(5);
    expect(existsSync(wav)).toBe(false);
    // Not a new capture: the live view itself is the technician's to keep watching.
    const view = await rescue(home, ["session", "view", session.id, "--frames", "1", "--renderer", "blocks", "--size", "24x12"]);
    expect(view.code, view.stderr).toBe(0);
    const log = await rescue(home, ["session", "log", session.id, "--json"]);
    expect(log.json<Array<{ event: string }>>().some((e) => e.event === "snapshot" || e.event === "voice-saved")).toBe(false);
  });

  it("--window hands the live stream to a desktop player, and names mpv and ffplay when neither is installed", async () => {
    const { home, session } = await activeSession();
    const bin = join(home, "bin");
    mkdirSync(bin);
    const none = await rescue(home, ["session", "view", session.id, "--window"], { env: { PATH: bin, DISPLAY: ":99" } });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/install mpv or ffplay/);

    // A stand-in "mpv" that keeps what it is given: it must be a stream any player decodes.
    const got = join(home, "player-input.ivf");
    writeFileSync(join(bin, "mpv"), `#!/bin/sh\necho "$@" > "${got}.args"\nhead -c 200000 > "${got}"\n`, { mode: 0o755 });
    const noDisplay = await rescue(home, ["session", "view", session.id, "--window"], { env: { PATH: `${bin}:${process.env.PATH}`, DISPLAY: "", WAYLAND_DISPLAY: "" } });
    expect(noDisplay.code).toBe(1);
    expect(noDisplay.stderr).toMatch(/no desktop display here/);
    const played = await rescue(home, ["session", "view", session.id, "--window"], { env: { PATH: `${bin}:${process.env.PATH}`, DISPLAY: ":99" } });
    expect(played.code, played.stderr).toBe(0);
    expect(readFileSync(`${got}.args`, "utf8")).toContain("--demuxer-lavf-format=ivf");
    const probe = await ffprobe(got);
    const video = probe.streams.find((st) => st.codec_type === "video");
    expect(video).toMatchObject({ codec_name: "vp8", width: 640, height: 480 });
    expect(frames(probe, "video")).toBeGreaterThan(5);

    // The real ffplay, with SDL told to use a PulseAudio that does not run: the live view has no
    // sound, so it plays anyway (before, SDL could not start and the window closed at once).
    const ffplayOnly = join(home, "ffplay-bin");
    mkdirSync(ffplayOnly);
    symlinkSync(execFileSync("sh", ["-c", "command -v ffplay"], { encoding: "utf8" }).trim(), join(ffplayOnly, "ffplay"));
    const noPulse = { PATH: ffplayOnly, DISPLAY: ":99", SDL_VIDEODRIVER: "dummy", SDL_AUDIODRIVER: "pulseaudio", PULSE_SERVER: `unix:${join(home, "no-pulse")}` };
    const ctrlC = new AbortController();
    const timer = setTimeout(() => ctrlC.abort(), 4000);
    const started = Date.now();
    const shown = await rescue(home, ["session", "view", session.id, "--window"], { env: noPulse, signal: ctrlC.signal });
    clearTimeout(timer);
    expect(shown.code, shown.stderr).toBe(0);
    expect(Date.now() - started, "ffplay showed the video until Ctrl-C").toBeGreaterThan(3500);
    const log = join(home, "logs", "rescued.log");
    expect(existsSync(log) ? readFileSync(log, "utf8") : "").not.toMatch(/connection to PulseAudio/);
  });

  it.skipIf(!hasTmux)("in a real terminal (tmux): fills it, says what it shows, follows a resize, and Ctrl-C restores the screen", async () => {
    const { home, session } = await activeSession();
    const socket = `rescue-view-test-${process.pid}`;
    const tmux = (...args: string[]) => execFileSync("tmux", ["-L", socket, ...args], { encoding: "utf8" });
    const screen = () => tmux("capture-pane", "-p", "-t", "view");
    const see = (re: RegExp) => vi.waitFor(() => expect(screen()).toMatch(re), { timeout: 15_000, interval: 100 });
    try {
      tmux("new-session", "-d", "-s", "view", "-x", "80", "-y", "24", `echo before-view; RESCUE_HOME='${home}' node '${BIN}' session view ${session.id}; echo "view exited with $?"; sleep 60`);
      await see(new RegExp(`${session.id}  640x480 \\d+ fps \\d+ kbps  Ctrl-C to stop`));
      // 23 rows of picture above the status line: a 4:3 picture of 61x46 pixels centred in 80 columns.
      const painted = () => screen().split("\n").slice(0, 23).filter((l) => l.includes("\u2580"));
      // The status line can be drawn before the first picture: wait for the picture too.
      await vi.waitFor(() => expect(painted()).toHaveLength(23), { timeout: 15_000, interval: 100 });
      expect(screen()).not.toContain("before-view");
      tmux("resize-window", "-t", "view", "-x", "50", "-y", "16");
      await see(new RegExp(`${session.id}  640x480`));
      await vi.waitFor(() => expect(painted()).toHaveLength(15), { timeout: 15_000 });
      for (const line of screen().split("\n")) expect(line.length).toBeLessThanOrEqual(50);
      tmux("send-keys", "-t", "view", "C-c");
      await see(/view exited with 0/);
      // The alternate screen is gone: what was there before the view is back, the picture is not.
      expect(screen()).toContain("before-view");
      expect(screen()).not.toContain("\u2580");
    } finally {
      spawnSync("tmux", ["-L", socket, "kill-server"]);
    }
  });

  it("says the daemon went away (exit 3) when it dies mid-view, rather than that the video ended", async () => {
    const { home, session } = await activeSession();
    let frames = 0;
    const viewing = rescue(home, ["session", "view", session.id, "--renderer", "blocks", "--size", "16x6"], {
      onStdout: (soFar) => (frames = soFar.split("\x1b[1;1H").length - 1),
    });
    await vi.waitFor(() => expect(frames).toBeGreaterThan(5), { timeout: 15_000 });
    process.kill(daemonPid(home)!, "SIGKILL");
    const view = await viewing;
    expect(view.code).toBe(3);
    expect(view.stderr).toContain(`rescued went away while showing ${session.id}`);
  });

  it("refuses clearly: an unknown renderer is a usage error, a session not started an error saying what to run", async () => {
    const { home, session } = await suite.start({ seconds: 30 });
    const bad = await rescue(home, ["session", "view", session.id, "--renderer", "ascii"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("one of kitty, iterm, sixel, blocks");
    expect((await rescue(home, ["session", "view", session.id, "--size", "100000x100000"])).code).toBe(2);
    // A session not started yet is refused at once, even with its connection up, as listen does.
    await statsWhen(home, session.id, (st) => st.connection?.route !== undefined);
    const waiting = await rescue(home, ["session", "view", session.id, "--renderer", "blocks"]);
    expect(waiting.code).toBe(1);
    expect(waiting.stderr).toBe(
      `rescue: the session has not started (it is waiting): run rescue session start ${session.id} first, or rescue session wait ${session.id} --status active\n`,
    );
    const unknown = await rescue(home, ["session", "snapshot", "nosuchsession", "--json"]);
    expect(unknown.code).toBe(6);
  });
});
