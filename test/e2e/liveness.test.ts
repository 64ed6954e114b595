import { describe, expect, it } from "vitest";
import { rescue } from "../helpers/cli.js";
import { finishedRecording, lensSuite, statsWhen } from "../helpers/lens.js";
import { ffprobe, frames } from "../media/helpers.js";
import { readTimeline } from "../../daemon/session/timeline.js";

/**
 * A customer who vanishes without closing anything: the simulator frozen with SIGSTOP, as a
 * locked phone or a lost radio link looks from outside. The technician must be told, and what
 * was recorded must stay.
 */
const logOf = async (home: string, id: string) => (await rescue(home, ["session", "log", id, "--json"])).json<Array<{ event: string; reason?: string; afterMs?: number }>>();

const activeSession = async (suite: ReturnType<typeof lensSuite>) => {
  const setup = await suite.start({ seconds: 60 });
  const start = await rescue(setup.home, ["session", "start", setup.session.id, "--json"]);
  expect(start.code, start.stderr).toBe(0);
  await statsWhen(setup.home, setup.session.id, (s) => s.video.frames > 30);
  return setup;
};

describe("a customer who freezes for good", { timeout: 120_000 }, () => {
  const suite = lensSuite({ heartbeatMs: 500, customerGraceMs: 3000 });

  it("is lost within two heartbeats, the session ends when the grace period is over, and the recording keeps what came", async () => {
    const { home, session, customer } = await activeSession(suite);
    customer.child.kill("SIGSTOP");
    const ended = await rescue(home, ["session", "wait", session.id, "--status", "aborted", "--timeout", "20", "--json"]);
    expect(ended.code, ended.stderr).toBe(0);
    const log = await logOf(home, session.id);
    const events = log.map((e) => e.event);
    expect(events).toContain("customer-lost");
    // The abort follows the loss; the daemon's recording-stopped may be logged before or after it.
    const aborted = events.indexOf("aborted");
    expect(log[aborted]).toMatchObject({ event: "aborted", reason: "the customer did not come back within 3 s" });
    expect(aborted).toBeGreaterThan(events.indexOf("customer-lost"));
    const recording = await finishedRecording(home, session.id);
    expect(frames(await ffprobe(recording.path), "video")).toBeGreaterThan(30);
  });
});

describe("a customer who freezes for a few seconds", { timeout: 120_000 }, () => {
  const suite = lensSuite({ heartbeatMs: 60_000 });

  it("logs and shows media-lost, then media-restored, and frames flow again", async () => {
    const { home, session, customer } = await activeSession(suite);
    const stoppedAt = Date.now();
    customer.child.kill("SIGSTOP");
    const lost = await statsWhen(home, session.id, (s) => s.connection?.state === "lost", 15_000);
    const human = await rescue(home, ["session", "stats", session.id]);
    expect(human.stdout).toMatch(/media\tLOST since/);
    await expect.poll(async () => (await logOf(home, session.id)).find((e) => e.event === "media-lost")?.reason, { timeout: 20_000 }).toMatch(/no packets for \d/);

    const continuedAt = Date.now();
    customer.child.kill("SIGCONT");
    const back = await statsWhen(home, session.id, (s) => s.connection?.state === "connected" && s.video.frames > lost.video.frames + 30, 20_000);
    expect(back.video.frames).toBeGreaterThan(lost.video.frames);
    const restored = (await logOf(home, session.id)).find((e) => e.event === "media-restored");
    // The outage is counted from the last packet, not from when it was noticed 3 s later.
    expect(restored?.afterMs).toBeGreaterThan(continuedAt - stoppedAt - 1000);
    expect((await rescue(home, ["session", "list", "--json"])).json().find((s: { id: string }) => s.id === session.id).status).toBe("active");
    // On the recording's timeline the loss stands where the picture stopped, not 3 s into the frozen part:
    // the cues lie the whole outage apart.
    const recordingPath = back.recording!.path;
    await expect.poll(async () => (await readTimeline(recordingPath)).some((e) => e.kind === "media-restored"), { timeout: 5000 }).toBe(true);
    const timeline = await readTimeline(recordingPath);
    const lostCue = timeline.find((e) => e.kind === "media-lost");
    const restoredCue = timeline.find((e) => e.kind === "media-restored");
    expect(lostCue, JSON.stringify(timeline)).toBeDefined();
    expect(restoredCue!.atMs - lostCue!.atMs).toBeGreaterThan(continuedAt - stoppedAt - 1000);
  });
});

describe("a customer who freezes until ICE gives up", { timeout: 180_000 }, () => {
  const suite = lensSuite();

  it("gets a new connection once back: media flows again and the log closes the outage with media-restored", async () => {
    const { home, session, customer } = await activeSession(suite);
    const first = (await statsWhen(home, session.id, (s) => s.recording !== undefined)).recording!.path;
    customer.child.kill("SIGSTOP");
    // Past werift's ICE failure (about 30 s without an answer), and the server's heartbeat.
    await new Promise((r) => setTimeout(r, 40_000));
    // The connection is gone and the customer away: stats say so, and that the recording is paused
    // after its first segment, not "no media, no recording".
    const away = await statsWhen(home, session.id, (s) => s.away !== undefined && s.recording?.paused === true, 20_000);
    expect(away.connection?.state).toBe("lost");
    expect(away.recording?.path).toBe(first);
    const statsText = (await rescue(home, ["session", "stats", session.id])).stdout;
    expect(statsText).toContain(`customer\tAWAY since ${away.away!.since}: reconnecting; the session is aborted at ${away.away!.until}`);
    expect(statsText).toMatch(/^media\tLOST since /m);
    expect(statsText).toContain(`recording\t${first} (`);
    expect(statsText).toContain("paused: the next segment starts when the media is back");
    const listText = (await rescue(home, ["session", "list"])).stdout;
    expect(listText.split("\n").find((l) => l.startsWith(session.id))?.split("\t").at(-1)).toBe(`AWAY, back by ${away.away!.until}`);
    customer.child.kill("SIGCONT");
    const back = await statsWhen(home, session.id, (s) => s.connection?.state === "connected" && s.video.frames > 30, 60_000);
    expect(back.recording?.path).toMatch(/-2\.webm$/);
    const log = await logOf(home, session.id);
    const events = log.map((e) => e.event);
    expect(events.filter((e) => e === "media-restored").length).toBeGreaterThanOrEqual(events.filter((e) => e === "media-lost").length);
    expect(events).not.toContain("aborted");
  });
});

describe("stopping the daemon in a live session", { timeout: 120_000 }, () => {
  const suite = lensSuite();

  it("warns that the session's media and recording pause until a daemon runs again", async () => {
    const { home, session } = await activeSession(suite);
    const stopped = await rescue(home, ["daemon", "stop", "--json"]);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.json()).toMatchObject({ stopped: true });
    expect(stopped.stderr).toContain(`warning: the media and recording of 1 live session (${session.id}) pause until rescued runs again`);
  });
});
