import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliResult } from "../helpers/cli.js";
import { lanTechnician, type LanTechnician } from "../helpers/lan.js";
import { statsWhen } from "../helpers/lens.js";
import { netnsUnavailable } from "../helpers/netns.mjs";
import { SessionStats } from "../../src/protocol/index.js";
import { packetTimes } from "../media/helpers.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "rescue.js");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unavailable = netnsUnavailable();

/** `rescue simulate customer` inside the LAN's namespace, streaming for a minute. */
function customerIn(lan: LanTechnician, pin: string): { child: ChildProcess; customer: Promise<CliResult> } {
  const child = spawn("ip", ["netns", "exec", lan.ns.name, process.execPath, BIN, "simulate", "customer", "--server", lan.server.url, "--pin", pin, "--duration", "60", "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const customer = new Promise<CliResult>((done) => child.on("close", (code) => done({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) })));
  return { child, customer };
}

/**
 * The customer's link goes down for some seconds while they stream (the simulator in a network
 * namespace, the link taken down by the kernel). A camera cannot send what it could not send
 * when it was taken: after the outage the customer goes on live, and the daemon gets media at
 * the live rate, not the outage's frames late in a burst.
 */
describe.skipIf(unavailable !== undefined)("a customer link that drops for some seconds", { timeout: 180_000 }, () => {
  let lan: LanTechnician;

  beforeAll(async () => {
    lan = await lanTechnician("link-drop", ["lens", "private", "pin", "record"]);
  }, 60_000);

  afterAll(async () => {
    lan?.ns.setLink(true);
    await lan?.close();
  });

  it("after the link comes back the frames arrive at the live rate: none of the outage's are sent late", async () => {
    const created = await lan.cli(["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string }>();
    const { child, customer } = customerIn(lan, session.pin);
    try {
      expect((await lan.cli(["session", "wait", session.id, "--status", "waiting", "--timeout", "60"])).code).toBe(0);
      expect((await lan.cli(["session", "start", session.id, "--json"])).code).toBe(0);
      const stats = async () => SessionStats.parse((await lan.cli(["session", "stats", session.id, "--json"])).json());
      await statsWhen(lan.home, session.id, (s) => s.video.frames > 90, 60_000);

      const outageMs = 7_000;
      lan.ns.setLink(false);
      const downAt = Date.now();
      await sleep(outageMs);
      const beforeUp = (await stats()).video.frames;
      lan.ns.setLink(true);
      const upAt = Date.now();
      // Frames received since the link came back, against the time that passed: at 30 fps live,
      // at most 30 a second (and one second's more for a stats poll that lags behind).
      const samples: { afterUpMs: number; frames: number }[] = [];
      while (Date.now() - upAt < 8_000) {
        const s = await stats();
        samples.push({ afterUpMs: Date.now() - upAt, frames: s.video.frames - beforeUp });
        await sleep(200);
      }
      const seen = JSON.stringify({ outageMs: upAt - downAt, samples });
      // The media came back (the connection lives through a short outage).
      expect(samples.at(-1)!.frames, seen).toBeGreaterThan(30);
      for (const s of samples) expect(s.frames, seen).toBeLessThanOrEqual(30 * (s.afterUpMs / 1000 + 1));
    } finally {
      child.kill("SIGTERM");
      await customer;
      await lan.cli(["session", "end", session.id]);
    }
  });
});

type LogEntry = { at: string; event: string; afterMs?: number; path?: string; [k: string]: unknown };
type Segment = { path: string; durationMs: number | null; manifest: { startedAt: string; endedAt: string; frames: { video: number }; audio: { gaps: { fromMs: number; toMs: number; filled?: boolean }[] } } | null };


/**
 * The same outage, told three ways: the recording's pictures (ffprobe), its manifest's gaps
 * (`recordings show`) and the session log's media-lost / media-restored. Each must give the
 * outage's length, and the recording must hold no picture from inside it as if it were live.
 */
describe.skipIf(unavailable !== undefined)("a customer link drop in the recording, its manifest and the session log", { timeout: 180_000 }, () => {
  let lan: LanTechnician;

  beforeAll(async () => {
    lan = await lanTechnician("drop-agree", ["lens", "private", "pin", "record"]);
  }, 60_000);

  afterAll(async () => {
    lan?.ns.setLink(true);
    await lan?.close();
  });

  it("the gap in the pictures, the manifest's gap and the log's outage are the same outage", async () => {
    const created = await lan.cli(["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string }>();
    const { child, customer } = customerIn(lan, session.pin);
    let ended = false;
    try {
      expect((await lan.cli(["session", "wait", session.id, "--status", "waiting", "--timeout", "60"])).code).toBe(0);
      expect((await lan.cli(["session", "start", session.id, "--json"])).code).toBe(0);
      await statsWhen(lan.home, session.id, (s) => s.video.frames > 90 && s.recording !== null, 60_000);

      lan.ns.setLink(false);
      const downAt = Date.now();
      await sleep(7_000);
      lan.ns.setLink(true);
      const outageMs = Date.now() - downAt;
      // Media again for a while after the outage, then the end finalises the recording.
      const before = SessionStats.parse((await lan.cli(["session", "stats", session.id, "--json"])).json());
      // A new connection (a new segment) counts its frames from zero.
      await statsWhen(lan.home, session.id, (s) => s.video.frames > (s.recording?.path === before.recording?.path ? before.video.frames : 0) + 120, 60_000);
      await sleep(5_000);
      expect((await lan.cli(["session", "end", session.id, "--json"])).code).toBe(0);
      ended = true;

      let segments: Segment[] = [];
      await expect
        .poll(
          async () => {
            const shown = await lan.cli(["recordings", "show", session.id, "--json"]);
            segments = shown.code === 0 ? shown.json<Segment[]>() : [];
            return segments.length > 0 && segments.every((s) => s.manifest !== null);
          },
          { timeout: 30_000, interval: 500 },
        )
        .toBe(true);
      const log = (await lan.cli(["session", "log", session.id, "--json"])).json<LogEntry[]>();
      const seen = JSON.stringify({ outageMs, segments: segments.map((s) => ({ ...s.manifest, path: s.path })), log: log.filter((e) => /^(media|recording)-/.test(e.event)) });

      // The session log: one outage, lost then restored, its length the outage's.
      const lost = log.filter((e) => e.event === "media-lost");
      const restored = log.filter((e) => e.event === "media-restored");
      expect(lost, seen).toHaveLength(1);
      expect(restored, seen).toHaveLength(1);
      const logGapMs = restored[0]!.afterMs!;

      // The recording: the pictures stop for the outage (the biggest step between two frames) and
      // go on; a new segment after it counts the time between the segments instead.
      let pictureGapMs: number;
      let manifestGapMs: number;
      const framesPerSecond: number[] = [];
      if (segments.length === 1) {
        const times = packetTimes(segments[0]!.path, "v");
        let step = 0;
        let at = 0;
        for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > step) [step, at] = [times[i]! - times[i - 1]!, i];
        pictureGapMs = step * 1000;
        // Live before and after the gap: about 30 pictures a second on each side, none crowded in.
        framesPerSecond.push(at / Math.max(times[at - 1]! - times[0]!, 1), (times.length - at) / Math.max(times.at(-1)! - times[at]!, 1));
        const gaps = segments[0]!.manifest!.audio.gaps.filter((g) => !g.filled);
        expect(gaps, seen).toHaveLength(1);
        manifestGapMs = gaps[0]!.toMs - gaps[0]!.fromMs;
        // The audio gap and the picture gap are at the same place on the recording's clock.
        expect(Math.abs(gaps[0]!.fromMs - times[at - 1]! * 1000), seen).toBeLessThan(1_500);
      } else {
        expect(segments, seen).toHaveLength(2);
        const [a, b] = segments as [Segment, Segment];
        manifestGapMs = Date.parse(b.manifest!.startedAt) - Date.parse(a.manifest!.endedAt);
        pictureGapMs = manifestGapMs;
        for (const s of segments) {
          const times = packetTimes(s.path, "v");
          framesPerSecond.push(times.length / Math.max(times.at(-1)! - times[0]!, 1));
        }
      }
      const figures = JSON.stringify({ outageMs, logGapMs, manifestGapMs, pictureGapMs, framesPerSecond });
      console.log(`link drop told three ways: ${figures}`);
      // Each tells the outage: at least most of it, at most it and the time to notice the link back.
      for (const gap of [logGapMs, manifestGapMs, pictureGapMs]) {
        expect(gap, `${figures} ${seen}`).toBeGreaterThan(outageMs - 1_500);
        expect(gap, `${figures} ${seen}`).toBeLessThan(outageMs + 4_000);
      }
      // And they agree with each other.
      expect(Math.max(logGapMs, manifestGapMs, pictureGapMs) - Math.min(logGapMs, manifestGapMs, pictureGapMs), figures).toBeLessThan(2_000);
      // Nothing from the outage recorded as live: no burst of late pictures after it.
      for (const fps of framesPerSecond) expect(fps, figures).toBeLessThan(33);
    } finally {
      child.kill("SIGTERM");
      await customer;
      if (!ended) await lan.cli(["session", "end", session.id]);
    }
  });
});

/**
 * A longer outage, in which the server's heartbeat finds the customer's socket dead: the customer
 * resumes once the network is back and says how long it was away, counted from its last contact
 * with the server, not from noticing (only when the network was back) that its socket had died.
 */
describe.skipIf(unavailable !== undefined)("a customer away long enough for the server to drop its socket", { timeout: 180_000 }, () => {
  let lan: LanTechnician;

  beforeAll(async () => {
    lan = await lanTechnician("away", ["lens", "private", "pin", "record"], { heartbeatMs: 1_000 });
  }, 60_000);

  afterAll(async () => {
    lan?.ns.setLink(true);
    await lan?.close();
  });

  it("customer-reconnected.reportedAwayMs covers the whole outage", async () => {
    const created = await lan.cli(["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string }>();
    const { child, customer } = customerIn(lan, session.pin);
    type Entry = { at: string; event: string; afterMs?: number; reportedAwayMs?: number };
    const log = async () => (await lan.cli(["session", "log", session.id, "--json"])).json<Entry[]>();
    try {
      expect((await lan.cli(["session", "wait", session.id, "--status", "waiting", "--timeout", "60"])).code).toBe(0);
      expect((await lan.cli(["session", "start", session.id, "--json"])).code).toBe(0);
      await statsWhen(lan.home, session.id, (s) => s.video.frames > 30, 60_000);

      const outageMs = 12_000;
      lan.ns.setLink(false);
      const downAt = Date.now();
      // The server notices (heartbeat) while the link is down; the customer cannot know yet.
      await expect.poll(async () => (await log()).some((e) => e.event === "customer-lost"), { timeout: outageMs, interval: 500 }).toBe(true);
      await sleep(Math.max(0, downAt + outageMs - Date.now()));
      lan.ns.setLink(true);
      const upAt = Date.now();
      let back: Entry | undefined;
      await expect.poll(async () => (back = (await log()).find((e) => e.event === "customer-reconnected")), { timeout: 60_000, interval: 500 }).toBeTruthy();
      const seen = JSON.stringify({ outageMs: upAt - downAt, back });
      const reconnectedAfterDownMs = Date.parse(back!.at) - downAt;
      // Its last contact was before the link went down (a ping is answered every 5 s at the latest).
      expect(back!.reportedAwayMs, seen).toBeGreaterThanOrEqual(upAt - downAt);
      expect(back!.reportedAwayMs, seen).toBeLessThanOrEqual(reconnectedAfterDownMs + 5_000 + 1_000);
    } finally {
      child.kill("SIGTERM");
      await customer;
      await lan.cli(["session", "end", session.id]);
    }
  });
});
