import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { daemonPid, rescue } from "../helpers/cli.js";
import { finishedRecording, lensSuite, statsWhen, type RecordingEntry } from "../helpers/lens.js";
import { ffprobe, frames } from "../media/helpers.js";

/**
 * The technician's daemon restarts in a live session (a stop and start, or a crash): the session
 * stays active on the server, the new daemon asks the customer for a new connection, media flows
 * again and the recording goes on as the next segment. Nothing recorded before is lost.
 */
type LogEntry = { event: string; [k: string]: unknown };
const logOf = async (home: string, id: string) => (await rescue(home, ["session", "log", id, "--json"])).json<LogEntry[]>();
const recordingsOf = async (home: string, id: string) =>
  (await rescue(home, ["recordings", "list", "--json"])).json<(RecordingEntry & { complete: boolean })[]>().filter((r) => r.session === id);

const activeSession = async (suite: ReturnType<typeof lensSuite>) => {
  const setup = await suite.start({ seconds: 120 });
  const start = await rescue(setup.home, ["session", "start", setup.session.id, "--json"]);
  expect(start.code, start.stderr).toBe(0);
  await statsWhen(setup.home, setup.session.id, (s) => s.video.frames > 30);
  return setup;
};

/**
 * The session log tells the segments one after another: each `recording-started`, then its
 * `recording-stopped`, then the next one's `recording-started` (every event of `paths` in order).
 */
function expectSegmentsInOrder(log: LogEntry[], paths: string[]) {
  const segmentEvents = log.filter((e) => (e.event === "recording-started" || e.event === "recording-stopped") && paths.includes(e.path as string));
  const seen = segmentEvents.map((e) => `${e.event} ${paths.indexOf(e.path as string) + 1}`);
  const expected = paths.flatMap((_, i) => [`recording-started ${i + 1}`, `recording-stopped ${i + 1}`]);
  // The last segment may still be recording.
  expect(seen.slice(0, expected.length)).toEqual(seen.length < expected.length ? expected.slice(0, seen.length) : expected);
  expect(seen.length).toBeGreaterThanOrEqual(expected.length - 1);
}

/** Starts the daemon again, then waits for the adopted session's media to bring new frames. */
async function restartAndAdopt(home: string, sessionId: string) {
  const restartedAt = Date.now();
  const started = await rescue(home, ["daemon", "start", "--json"]);
  expect(started.code, started.stderr).toBe(0);
  const stats = await statsWhen(home, sessionId, (s) => s.video.frames > 30 && s.recording !== null, 30_000);
  const list = (await rescue(home, ["session", "list", "--json"])).json<{ id: string; status: string }[]>();
  expect(list.find((s) => s.id === sessionId)?.status).toBe("active");
  return { stats, adoptedMs: Date.now() - restartedAt };
}

describe("a daemon that restarts in a live session", { timeout: 180_000 }, () => {
  const suite = lensSuite();

  it("stopped and started again: adopts the session and records the next segment", async () => {
    const { home, session } = await activeSession(suite);
    const stopped = await rescue(home, ["daemon", "stop", "--json"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    const first = await finishedRecording(home, session.id);
    const firstFrames = frames(await ffprobe(first.path), "video");
    expect(firstFrames).toBeGreaterThan(30);

    const { stats, adoptedMs } = await restartAndAdopt(home, session.id);
    expect(stats.recording!.path).toBe(first.path.replace(/\.webm$/, "-2.webm"));
    const ended = await rescue(home, ["session", "end", session.id, "--json"]);
    expect(ended.code, ended.stderr).toBe(0);
    await expect.poll(async () => (await recordingsOf(home, session.id)).filter((r) => r.durationMs !== null).length, { timeout: 15_000 }).toBe(2);

    // The first segment is as it was; the second holds what came after the restart.
    expect(frames(await ffprobe(first.path), "video")).toBe(firstFrames);
    expect(frames(await ffprobe(stats.recording!.path), "video")).toBeGreaterThan(30);
    const log = await logOf(home, session.id);
    const events = log.map((e) => e.event);
    expect(events.filter((e) => e === "recording-started")).toHaveLength(2);
    expect(events.filter((e) => e === "recording-stopped")).toHaveLength(2);
    expectSegmentsInOrder(log, [first.path, stats.recording!.path]);
    // What the restart cost: the time between the segments, and the frames the clip sent meanwhile (30 fps).
    const manifest = (path: string) => JSON.parse(readFileSync(path.replace(/\.webm$/, ".json"), "utf8")) as { startedAt: string; endedAt: string };
    const gapMs = Date.parse(manifest(stats.recording!.path).startedAt) - Date.parse(manifest(first.path).endedAt);
    console.log(`adopted after a stop: media again ${adoptedMs} ms after daemon start; ${gapMs} ms between segments (~${Math.round((gapMs * 30) / 1000)} frames not recorded)`);
  });

  it("killed with SIGKILL: the next daemon adopts the session; the crash-left file stays listed", async () => {
    const { home, session } = await activeSession(suite);
    const before = await statsWhen(home, session.id, (s) => (s.recording?.bytes ?? 0) > 300_000);
    const crashed = before.recording!.path;
    process.kill(daemonPid(home)!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));

    // From the first command on (it starts the daemon), stats tell the adoption: connecting, never
    // a session without a connection.
    const seen: string[] = [];
    for (let i = 0; i < 60 && seen.at(-1) !== "connected"; i++) {
      const s = (await rescue(home, ["session", "stats", session.id, "--json"])).json<{ connection?: { state: string } }>();
      seen.push(s.connection?.state ?? "none");
    }
    expect(seen).not.toContain("none");
    expect(seen.at(-1)).toBe("connected");
    const { stats } = await restartAndAdopt(home, session.id);
    expect(stats.recording!.path).toBe(crashed.replace(/\.webm$/, "-2.webm"));
    // The new daemon finalised what the killed one left: listed, incomplete, with its duration.
    await expect.poll(async () => (await recordingsOf(home, session.id)).find((r) => r.path === crashed)?.durationMs ?? null, { timeout: 20_000 }).toBeGreaterThan(1000);
    expect((await recordingsOf(home, session.id)).find((r) => r.path === crashed)).toMatchObject({ complete: false });
    // What the crashed daemon wrote is still there and readable.
    expect(frames(await ffprobe(crashed), "video")).toBeGreaterThan(30);
    // The session log tells it too: the killed segment stopped, incomplete, and the media was lost until the new connection.
    await expect
      .poll(async () => (await logOf(home, session.id)).find((e) => e.event === "recording-stopped" && e.path === crashed), { timeout: 20_000 })
      .toMatchObject({ complete: false, reason: "the daemon stopped while recording (crash or kill)" });
    await expect.poll(async () => (await logOf(home, session.id)).map((e) => e.event).lastIndexOf("media-restored"), { timeout: 20_000 }).toBeGreaterThan(-1);
    const log = await logOf(home, session.id);
    const events = log.map((e) => e.event);
    expect(events.indexOf("media-lost")).toBeGreaterThan(-1);
    expect(events.lastIndexOf("media-restored")).toBeGreaterThan(events.indexOf("media-lost"));
    // The log's order is true: the killed segment stopped before the next one started, though
    // the new daemon found (and finalised) the killed one only after adopting the session.
    expectSegmentsInOrder(log, [crashed, stats.recording!.path]);
  });

  it("a session started without recording stays unrecorded when adopted", async () => {
    const setup = await suite.start({ seconds: 120 });
    const { home, session } = setup;
    const start = await rescue(home, ["session", "start", session.id, "--no-record", "--json"]);
    expect(start.code, start.stderr).toBe(0);
    await statsWhen(home, session.id, (s) => s.video.frames > 30);
    process.kill(daemonPid(home)!, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    const started = await rescue(home, ["daemon", "start", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    const stats = await statsWhen(home, session.id, (s) => s.video.frames > 30, 30_000);
    expect(stats.recording ?? null).toBeNull();
    expect(await recordingsOf(home, session.id)).toEqual([]);
  });
});
