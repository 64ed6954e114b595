import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { finaliseOrphanRecordings } from "../../daemon/session/recording-finaliser.js";
import { homePaths } from "../../src/profile/home.js";
import { BUILD_TIMEOUT_MS, buildDist } from "../helpers/build.js";
import { dropHome, makeHome, rescue } from "../helpers/cli.js";
import { eventually } from "../helpers/processes.js";
import { ffprobe, frames, packetTimes, sleep } from "./helpers.js";
import { killableReceiver } from "./killable-receiver.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
beforeAll(buildDist, BUILD_TIMEOUT_MS);

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const mode = (path: string) => statSync(path).mode & 0o777;

async function daemon(home: string, verb: "start" | "stop"): Promise<void> {
  const r = await rescue(home, ["daemon", verb, "--json"]);
  expect(r.code, r.stderr).toBe(0);
}

/**
 * A recording whose process was SIGKILLed has no manifest; the next daemon to start on the
 * profile writes one for it (and only for it), losing nothing of what the file holds.
 */
describe("recordings a crash left without a manifest", () => {
  it("are finalised when a daemon starts: manifest 0600 with hash, duration and frames, listed; the file untouched; never while written", async () => {
    const home = makeHome();
    cleanups.push(() => dropHome(home));
    const paths = homePaths(home);
    mkdirSync(paths.recordings, { recursive: true, mode: 0o700 });
    const name = `crash_1-${new Date().toISOString().replace(/[:.]/g, "-")}.webm`;
    const path = join(paths.recordings, name);
    const manifestPath = path.replace(/\.webm$/, ".json");
    const log = () => (existsSync(paths.log) ? readFileSync(paths.log, "utf8") : "");

    const receiver = await killableReceiver((fn) => cleanups.push(fn));
    await receiver.record(path);
    const playedAt = Date.now();

    // A daemon that starts while another process still writes the file leaves it alone.
    await sleep(1500);
    await daemon(home, "start");
    expect(await eventually(() => log().includes(`${name} has no manifest but was left alone`), 10_000)).toBe(true);
    expect(existsSync(manifestPath)).toBe(false);

    // Killed halfway between two of the clip's keyframes (every 2 s), in the middle of a cluster.
    const elapsed = Date.now() - playedAt;
    await sleep(Math.max(5000, Math.ceil((elapsed - 1000) / 2000) * 2000 + 1000) - elapsed);
    const sentMs = Date.now() - playedAt;
    await receiver.kill();
    const bytes = statSync(path).size;
    const hash = sha256(path);
    const before = await ffprobe(path);
    await daemon(home, "stop");

    const t0 = Date.now();
    await daemon(home, "start");
    expect(await eventually(() => existsSync(manifestPath), 15_000)).toBe(true);
    const startToManifestMs = Date.now() - t0;
    const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
    expect(manifest).toMatchObject({
      session: "crash_1",
      file: name,
      bytes,
      sha256: hash,
      codecs: { video: "vp8", audio: "opus" },
      frames: { video: frames(before, "video"), audio: frames(before, "audio") },
      width: 640,
      height: 480,
      complete: false,
      error: expect.stringMatching(/crash or kill/),
    });
    // Clusters close on the clip's keyframes (every 2 s): the unclosed last one is what a kill costs.
    expect(manifest.durationMs).toBeGreaterThan(sentMs - 2600);
    expect(manifest.durationMs).toBeLessThan(sentMs + 200);
    expect(new Date(manifest.startedAt).getTime()).toBeLessThanOrEqual(playedAt);
    expect(Math.abs(new Date(manifest.endedAt).getTime() - statSync(path).mtimeMs)).toBeLessThan(1);
    expect(mode(manifestPath)).toBe(0o600);
    expect(mode(path)).toBe(0o600);
    expect(sha256(path)).toBe(hash);

    const list = await rescue(home, ["recordings", "list", "--json"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.json()).toEqual([{ session: "crash_1", path, bytes, durationMs: manifest.durationMs, complete: false }]);

    const after = await ffprobe(path);
    expect(frames(after, "video")).toBe(frames(before, "video"));
    expect(frames(after, "audio")).toBe(frames(before, "audio"));
    expect(frames(after, "video")).toBeGreaterThan(100);
    const finalised = new RegExp(`${name} had no manifest .*finalised as incomplete.* in (\\d+) ms`).exec(log());
    expect(finalised).not.toBeNull();
    console.log(
      `killed after ${sentMs} ms sent: manifest durationMs ${manifest.durationMs} (${manifest.durationMs - sentMs} ms), ` +
        `${manifest.frames.video} video frames, ${bytes} bytes, finalised in ${finalised![1]} ms; daemon start to manifest ${startToManifestMs} ms`,
    );

    // Another start finds the manifest and leaves it as it is.
    const written = statSync(manifestPath);
    const text = readFileSync(manifestPath, "utf8");
    await daemon(home, "stop");
    await daemon(home, "start");
    await sleep(2500);
    expect(readFileSync(manifestPath, "utf8")).toBe(text);
    expect(statSync(manifestPath).mtimeMs).toBe(written.mtimeMs);
    expect(statSync(manifestPath).ino).toBe(written.ino);
    expect(log().match(/finalised as incomplete/g)).toHaveLength(1);
  }, 90_000);

  it("list the stretch a killed recording has without audio (the customer paused 3 s) as a gap, as a clean close would", async () => {
    const home = makeHome();
    cleanups.push(() => dropHome(home));
    const dir = homePaths(home).recordings;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const name = `gap_1-${new Date().toISOString().replace(/[:.]/g, "-")}.webm`;
    const path = join(dir, name);
    const receiver = await killableReceiver((fn) => cleanups.push(fn));
    await receiver.record(path);
    await receiver.recorded(60);
    receiver.customer.pause();
    await sleep(3000);
    receiver.customer.resume();
    // Past the resume by two keyframe intervals (2 s each), so the clusters after the gap are on disk.
    const resumed = (await receiver.stats()).recording?.frames ?? 0;
    await receiver.recorded(resumed + 150, 60_000);
    await receiver.kill();

    const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
    const [done] = await finaliseOrphanRecordings({ dir, isLive: () => false, log });
    const gaps = done!.manifest.audio.gaps;
    expect(gaps, JSON.stringify(gaps)).toHaveLength(1);
    expect(gaps[0]!.filled).toBe(false);
    // The pause as the file holds it: 3 s, give or take what a busy machine adds around it.
    expect(gaps[0]!.toMs - gaps[0]!.fromMs).toBeGreaterThan(2500);
    expect(gaps[0]!.toMs - gaps[0]!.fromMs).toBeLessThan(5000);
    // ffprobe sees the same hole between two audio packets.
    const holes = packetTimes(path, "a").flatMap((t, i, all) => (i > 0 && t - all[i - 1]! > 1 ? [[all[i - 1]!, t]] : []));
    expect(holes).toHaveLength(1);
    expect(Math.abs(holes[0]![1]! * 1000 - gaps[0]!.toMs)).toBeLessThan(50);
  }, 120_000);
});
