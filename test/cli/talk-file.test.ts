import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { playAudioFile } from "../../src/cli/talk-file.js";

// A temporary folder on a 16 KiB tmpfs: the file passes the check that ffmpeg can read it, and
// the conversion itself then fails when the disk is full, as it would on a full /tmp.
const root = process.getuid?.() === 0;
let dir = "";
let tiny = "";
const savedTmp = process.env.TMPDIR;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "rescue-talk-file-"));
  if (!root) return;
  tiny = join(dir, "full");
  execFileSync("mkdir", [tiny]);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=16k,mode=0700", "tmpfs", tiny]);
});
afterAll(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = savedTmp;
  if (tiny) execFileSync("umount", [tiny]);
  rmSync(dir, { recursive: true, force: true });
});

describe("talk --audio when ffmpeg cannot convert the file", () => {
  it.skipIf(!root)("says so in one line with ffmpeg's first reason, keeps ffmpeg's lines in the log, and leaves no temporary copy", async () => {
    const wav = join(dir, "tone.wav");
    // 20 s of voice is about 80 KB of Ogg/Opus: more than the 16 KiB disk holds.
    execFileSync("ffmpeg", ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=20", wav]);
    const log = join(dir, "logs", "rescued.log");
    process.env.TMPDIR = tiny;
    let reachedDaemon = false;
    const daemon = { talk: async () => void (reachedDaemon = true) };

    const failure = await playAudioFile(process.env, daemon, "k7m2qd9xw4hbte", wav, log).then(
      () => null,
      (e: Error) => e,
    );

    expect(failure).toBeInstanceOf(Error);
    const message = failure!.message;
    expect(message).not.toContain("\n");
    expect(message).toMatch(/^--audio .*tone\.wav: could not convert it to Ogg\/Opus: .*No space left on device.* \(ffmpeg's messages are in .*rescued\.log\)$/);
    // ffmpeg's own "[ogg @ 0x...]"-style lines are not shown to the user...
    expect(message).not.toMatch(/@ 0x[0-9a-f]+\]/);
    // ...they are in the profile's log, one line, private.
    expect(existsSync(log)).toBe(true);
    expect(readFileSync(log, "utf8")).toMatch(/warn ffmpeg converting .*tone\.wav to Ogg\/Opus exited \d+: .*No space left on device/);
    expect(reachedDaemon).toBe(false);
    // The half-written private copy is gone.
    expect(readdirSync(tiny)).toEqual([]);
  }, 60_000);
});
