import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDist } from "../helpers/build.js";
import { dropHome, makeHome, rescue } from "../helpers/cli.js";
import { eventually } from "../helpers/processes.js";
import { Recorder } from "../../daemon/session/recorder.js";
import { writeManifest } from "../../daemon/session/recorder-manifest.js";
import { bundledClip } from "../../src/customer/assets.js";
import { readIvf } from "../../src/media/ivf.js";
import { readOggOpus } from "../../src/media/ogg-opus.js";

const ID = "k7m2qd9xw4hbte";
const NAME = `${ID}-2026-11-30T07-12-00-000Z`;
let home: string;
let recordings: string;
let bin: string;

/** A real 2 s VP8 + Opus WebM, as the recorder writes them, last changed a minute ago (so the daemon's sweep takes it). */
function makeRecording(path: string): void {
  execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "2", "-c:v", "libvpx", "-b:v", "300k", "-c:a", "libopus", "-y", path]);
  const then = new Date(Date.now() - 60_000);
  utimesSync(path, then, then);
}

beforeAll(async () => {
  await buildDist();
  home = makeHome();
  recordings = join(home, "recordings");
  mkdirSync(recordings, { mode: 0o700 });
  makeRecording(join(recordings, `${NAME}.webm`));
  makeRecording(join(recordings, `${NAME}-2.webm`));
  // The daemon gives recordings without a manifest one on start: the manifests under test are its own.
  expect((await rescue(home, ["daemon", "start"])).code).toBe(0);
  expect(await eventually(() => existsSync(join(recordings, `${NAME}.json`)) && existsSync(join(recordings, `${NAME}-2.json`)), 60_000)).toBe(true);
  // A PATH with only ffplay on it: mpv is installed here too, and would be preferred.
  bin = mkdtempSync(join(tmpdir(), "rescue-player-"));
  symlinkSync(execFileSync("sh", ["-c", "command -v ffplay"], { encoding: "utf8" }).trim(), join(bin, "ffplay"));
}, 240_000);

afterAll(async () => {
  await dropHome(home);
  rmSync(bin, { recursive: true, force: true });
});

describe("rescue recordings show", () => {
  it("prints a session's segments with their manifests", async () => {
    const r = await rescue(home, ["recordings", "show", ID, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const segments = r.json();
    expect(segments.map((s: any) => s.path)).toEqual([join(recordings, `${NAME}.webm`), join(recordings, `${NAME}-2.webm`)]);
    for (const s of segments) {
      // Manifests the start-up sweep wrote: the file is whole, but nobody saw it end.
      expect(s).toMatchObject({ session: ID, live: false, complete: false });
      expect(s.manifest.error).toMatch(/.+/);
      expect(s.manifest.codecs).toEqual({ video: "vp8", audio: "opus" });
      expect(s.manifest.frames.video).toBeGreaterThanOrEqual(28);
      expect(s.manifest.frames.audio).toBeGreaterThan(50);
      expect(s.durationMs).toBeGreaterThan(1800);
      expect(s.durationMs).toBeLessThan(2200);
      expect(s.bytes).toBe(readFileSync(s.path).length);
      expect(s.manifest.video.sizes[0]).toMatchObject({ width: 320, height: 240 });
    }
  });

  it("takes a path to the recording or to its manifest, and prints lines for people", async () => {
    const byPath = await rescue(home, ["recordings", "show", join(recordings, `${NAME}-2.webm`), "--json"]);
    expect(byPath.code, byPath.stderr).toBe(0);
    expect(byPath.json().map((s: any) => s.path)).toEqual([join(recordings, `${NAME}-2.webm`)]);
    const byManifest = await rescue(home, ["recordings", "show", join(recordings, `${NAME}.json`)]);
    expect(byManifest.code, byManifest.stderr).toBe(0);
    expect(byManifest.stdout).toContain(`session\t${ID}`);
    expect(byManifest.stdout).toContain("codecs\tvideo vp8, audio opus");
    expect(byManifest.stdout).toMatch(/sizes\t320x240 \(\d+ frames from 0:00\.0\)/);
    expect(byManifest.stdout).toContain("gaps\tnone");
    expect(byManifest.stdout).toMatch(/complete\tno: .+/);
    expect(byManifest.stdout).toContain(`path\t${join(recordings, `${NAME}.webm`)}`);
  });

  it("tells a gap without audio (a muted microphone, video went on) from one without any media (an outage, hold)", async () => {
    const id = "g4p5m8qd9xw4hb";
    const path = join(recordings, `${id}-2026-11-30T08-00-00-000Z.webm`);
    const video = readIvf(bundledClip().video).frames;
    const audio = readOggOpus(bundledClip().audio).packets;
    const recorder = new Recorder({ path, videoCodec: "vp8", audioStallMs: 150, batchMs: 20 });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Frames with their audio; 30-59 without audio (muted); then both tracks jump 2 s (an outage).
    for (const [from, to, withAudio] of [[0, 30, true], [30, 60, false], [60, 90, true], [150, 180, true]] as const) {
      for (let i = from; i < to; i++) {
        recorder.addVideoFrame({ data: video[i]!.data, keyframe: video[i]!.keyframe, timestamp: i * 3000 });
        if (withAudio) for (const k of [0, 1]) recorder.addAudioPacket(audio[i * 2 + k]!.data, (i * 2 + k) * 960);
        await sleep(10);
      }
    }
    const summary = await recorder.finalise();
    expect(summary.audioGaps.map((g) => g.filled)).toEqual([true, false]);
    await writeManifest(summary, { session: id, technician: null, customerName: null, startedAt: new Date(), endedAt: new Date(), codecs: { video: "vp8", audio: "opus" } });

    const shown = await rescue(home, ["recordings", "show", id]);
    expect(shown.code, shown.stderr).toBe(0);
    const [muted, outage] = summary.audioGaps as unknown as [{ fromMs: number; toMs: number }, { fromMs: number; toMs: number }];
    const at = (ms: number) => `${Math.floor(ms / 60_000)}:${((ms % 60_000) / 1000).toFixed(1).padStart(4, "0")}`;
    expect(shown.stdout).toMatch(
      new RegExp(`^gaps\\t2, \\d+:\\d\\d\\.\\d in all: ${at(muted.fromMs)}-${at(muted.toMs)} without audio \\(silence; video went on\\), ${at(outage.fromMs)}-${at(outage.toMs)} without video or audio$`, "m"),
    );
  });

  it("says not found (exit 6) for an unknown session", async () => {
    const r = await rescue(home, ["recordings", "show", "zzzzzzzzzzzzzz"]);
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/no recording zzzzzzzzzzzzzz/);
  });
});

describe("rescue recordings open", () => {
  it("plays each segment in the desktop player and waits for it", async () => {
    const env = { PATH: bin, DISPLAY: ":99", SDL_VIDEODRIVER: "dummy", SDL_AUDIODRIVER: "dummy" };
    const started = Date.now();
    const r = await rescue(home, ["recordings", "open", ID, "--json"], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().played).toEqual([join(recordings, `${NAME}.webm`), join(recordings, `${NAME}-2.webm`)]);
    // ffplay -autoexit returns when the file has played: two 2 s segments.
    expect(Date.now() - started).toBeGreaterThan(3500);
  }, 60_000);

  it("a player that cannot start without a sound server says so on one line; what it printed goes to the log", async () => {
    // SDL told to use PulseAudio where none runs: ffplay cannot start at all.
    const env = { PATH: bin, DISPLAY: ":99", SDL_VIDEODRIVER: "dummy", SDL_AUDIODRIVER: "pulseaudio", PULSE_SERVER: `unix:${join(bin, "no-pulse")}` };
    const path = join(recordings, `${NAME}.webm`);
    const r = await rescue(home, ["recordings", "open", path], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ffplay could not play ${path}: no PulseAudio server reachable for its sound: start one (pulseaudio --start, or PipeWire's pipewire-pulse)\n`);
    const logged = readFileSync(join(home, "logs", "rescued.log"), "utf8").split("\n");
    expect(logged.find((l) => l.includes(`ffplay playing ${path} exited 1:`))).toMatch(/ warn .*connection to PulseAudio/);
  }, 60_000);

  it("names the players it looks for when none is installed, and the display it needs", async () => {
    const none = await rescue(home, ["recordings", "open", ID], { env: { PATH: "/nonexistent", DISPLAY: ":99" } });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/install mpv or ffplay/);
    const headless = await rescue(home, ["recordings", "open", ID], { env: { PATH: bin, DISPLAY: "", WAYLAND_DISPLAY: "" } });
    expect(headless.code).toBe(1);
    expect(headless.stderr).toMatch(/DISPLAY and WAYLAND_DISPLAY are unset/);
  });
});

describe("rescue recordings delete", () => {
  it("needs --yes when stdin is not a terminal, and deletes nothing without it", async () => {
    const r = await rescue(home, ["recordings", "delete", ID]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/pass --yes/);
    expect(existsSync(join(recordings, `${NAME}.webm`))).toBe(true);
  });

  it("attack: a ../ path out of the recordings folder is refused and the file stays", async () => {
    const victim = join(home, `${ID}-2026-11-30T08-00-00-000Z.webm`);
    writeFileSync(victim, "not yours");
    const r = await rescue(home, ["recordings", "delete", `${recordings}/../${ID}-2026-11-30T08-00-00-000Z.webm`, "--yes"]);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/not in the recordings folder/);
    expect(readFileSync(victim, "utf8")).toBe("not yours");
    const other = await rescue(home, ["recordings", "delete", join(home, "secrets.json"), "--yes"]);
    expect(other.code).toBe(5);
  });

  it("attack: a symlink in the recordings folder is refused, by path and by session, and its target stays", async () => {
    const outside = mkdtempSync(join(tmpdir(), "rescue-victim-"));
    try {
      const target = join(outside, "precious.webm");
      writeFileSync(target, "keep me");
      const link = join(recordings, "qqqqqqqqqqqqqq-2026-11-30T09-00-00-000Z.webm");
      symlinkSync(target, link);
      const byPath = await rescue(home, ["recordings", "delete", link, "--yes"]);
      expect(byPath.code).toBe(5);
      expect(byPath.stderr).toMatch(/not a plain file|not in the recordings folder/);
      const bySession = await rescue(home, ["recordings", "delete", "qqqqqqqqqqqqqq", "--yes"]);
      expect(bySession.code).toBe(5);
      expect(readFileSync(target, "utf8")).toBe("keep me");
      expect(existsSync(link)).toBe(true);
      rmSync(link);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("attack: a manifest naming a file outside its folder does not lead delete there", async () => {
    const victim = join(home, "victim.webm");
    writeFileSync(victim, "not yours");
    const manifest = join(recordings, "wwwwwwwwwwwwww-2026-11-30T10-00-00-000Z.json");
    writeFileSync(manifest, JSON.stringify({ session: "wwwwwwwwwwwwww", file: "../victim.webm", bytes: 9, durationMs: 1 }));
    const r = await rescue(home, ["recordings", "delete", "wwwwwwwwwwwwww", "--yes"]);
    expect(r.code).toBe(6);
    expect(readFileSync(victim, "utf8")).toBe("not yours");
    rmSync(manifest);
  });

  it("with --yes deletes a session's recordings, manifests and timelines", async () => {
    writeFileSync(join(recordings, `${NAME}.vtt`), "WEBVTT\n");
    const r = await rescue(home, ["recordings", "delete", ID, "--yes", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json().deleted.sort()).toEqual(
      [`${NAME}.webm`, `${NAME}.json`, `${NAME}.vtt`, `${NAME}-2.webm`, `${NAME}-2.json`].map((n) => join(recordings, n)).sort(),
    );
    for (const p of r.json().deleted) expect(existsSync(p)).toBe(false);
    const list = await rescue(home, ["recordings", "list", "--json"]);
    expect(list.json().filter((x: any) => x.session === ID)).toEqual([]);
    const again = await rescue(home, ["recordings", "delete", ID, "--yes"]);
    expect(again.code).toBe(6);
  });
});
