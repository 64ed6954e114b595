import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SessionStats } from "../../src/protocol/index.js";
import { daemonPid, rescue } from "../helpers/cli.js";
import { settled, until } from "../helpers/counts.js";
import { finishedRecording, heardPackets, lensSuite, statsWhen } from "../helpers/lens.js";
import { ffprobe, frames } from "../media/helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Lens by PIN, end to end: server, daemon, CLI, simulated customer", { timeout: 90_000 }, () => {
  const suite = lensSuite();

  it("records what the customer streamed: VP8 + Opus, >= 98% of frames, duration within 5%", async () => {
    const seconds = 6;
    const setup = await suite.start({ seconds });
    const { home, session } = setup;

    const start = await rescue(home, ["session", "start", session.id, "--json"]);
    expect(start.code, start.stderr).toBe(0);
    const started = start.json();
    expect(started).toMatchObject({ id: session.id, status: "active" });
    expect(started.recording).toMatch(/\.webm$/);

    const stats = await statsWhen(home, session.id, (s) => s.video.frames > 30);
    expect(stats.video).toMatchObject({ codec: "vp8", width: 640, height: 480 });
    expect(stats.video.frames).toBeGreaterThan(30);
    expect(stats.audio.codec).toBe("opus");
    expect(stats.recording?.path).toBe(started.recording);
    expect((await rescue(home, ["chat", session.id, "can you show the back of the router?"])).code).toBe(0);

    const sent = await setup.customer.result;
    expect(sent.endedBy).toBe("streamed");
    const rec = await finishedRecording(home, session.id);
    expect(rec.path).toBe(started.recording);

    const probe = await ffprobe(rec.path);
    expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(["opus", "vp8"]);
    expect(frames(probe, "video")).toBeGreaterThanOrEqual(Math.ceil(sent.sentVideoFrames * 0.98));
    const streamedSec = sent.sentVideoFrames / 30;
    expect(Math.abs(Number(probe.format.duration) - streamedSec) / streamedSec).toBeLessThan(0.05);

    const manifest = JSON.parse(readFileSync(rec.path.replace(/\.webm$/, ".json"), "utf8"));
    expect(manifest).toMatchObject({ session: session.id, technician: setup.tech.email, customerName: "Ann", codecs: { video: "vp8", audio: "opus" } });
    expect(manifest.sha256).toBe(createHash("sha256").update(readFileSync(rec.path)).digest("hex"));

    const log = (await rescue(home, ["session", "log", session.id, "--json"])).json<{ event: string; pin?: string }[]>();
    const events = log.map((e) => e.event);
    for (const e of ["created", "pin-issued", "customer-connected", "eula-accepted", "started", "recording-started", "media-connected", "chat", "recording-stopped"]) {
      expect(events, `log has ${e}`).toContain(e);
    }
    expect(log.find((e) => e.event === "pin-issued")?.pin).toBe(session.pin);
  });

  it("repairs 5% inbound packet loss: >= 95% of the frames recorded", async () => {
    const setup = await suite.start({ seconds: 6, daemonEnv: { RESCUE_DEBUG_INBOUND_LOSS: "5" } });
    const { home, session } = setup;
    expect((await rescue(home, ["session", "start", session.id, "--json"])).code).toBe(0);
    // The loss happens and NACK brings packets back.
    const mid = await statsWhen(home, session.id, (s) => s.video.packetsRecovered > 0 && s.video.frames > 30);
    expect(mid.video.codec).toBe("vp8");

    const sent = await setup.customer.result;
    const rec = await finishedRecording(home, session.id);
    const probe = await ffprobe(rec.path);
    expect(frames(probe, "video")).toBeGreaterThanOrEqual(Math.ceil(sent.sentVideoFrames * 0.95));
  });

  it("leaves a playable partial file when the daemon is killed with SIGKILL mid-session", async () => {
    const setup = await suite.start({ seconds: 20 });
    const { home, session } = setup;
    const started = (await rescue(home, ["session", "start", session.id, "--json"])).json();
    // Past the second keyframe (every 2 s in the clip): at least one whole cluster is on disk.
    await statsWhen(home, session.id, (s) => s.video.frames >= 75);
    const pid = daemonPid(home);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, "SIGKILL");
    await sleep(300);

    const probe = await ffprobe(started.recording);
    expect(probe.streams.map((s) => s.codec_name)).toContain("vp8");
    // Clusters start on keyframes (every 2 s in the clip): at least the first cluster is complete.
    expect(frames(probe, "video")).toBeGreaterThanOrEqual(30);
  });

  it("holds, resumes with a keyframe, talks and mutes through the CLI", async () => {
    const voiceDir = mkdtempSync(join(tmpdir(), "rescue-heard-"));
    const heard = join(voiceDir, "heard.ogg");
    try {
      // The customer streams until the session ends: how long the steps take depends on the machine.
      const setup = await suite.start({ seconds: 600, customerArgs: ["--record-voice", heard] });
      const { home, session } = setup;
      expect((await rescue(home, ["session", "start", session.id])).code).toBe(0);
      await statsWhen(home, session.id, (s) => s.video.frames > 20);
      const stats = async () => SessionStats.parse((await rescue(home, ["session", "stats", session.id, "--json"])).json());

      // Hold: the frames already on their way arrive, then none (the customer pauses on the server's on-hold).
      expect((await rescue(home, ["session", "hold", session.id, "--json"])).json().status).toBe("on-hold");
      const held = await settled("recorded frames after hold", async () => (await stats()).video.frames);
      await sleep(1000);
      expect((await stats()).video.frames - held).toBeLessThanOrEqual(2);

      expect((await rescue(home, ["session", "resume", session.id, "--json"])).json().status).toBe("active");
      await statsWhen(home, session.id, (s) => s.video.frames - held > 20);

      // Talk: the daemon's sent count and the customer's heard count both move.
      const clip = new URL("../../src/customer/assets/clip.ogg", import.meta.url).pathname;
      const talk = await rescue(home, ["session", "talk", session.id, "--audio", clip, "--json"]);
      expect(talk.code, talk.stderr).toBe(0);
      await statsWhen(home, session.id, (s) => s.audio.sentPackets > 20, 20_000);
      await until("voice packets the customer heard", () => heardPackets(heard), (n) => n > 20);

      // Mute: nothing more goes out, and what the customer heard stops at what was sent.
      expect((await rescue(home, ["session", "mute", session.id, "--json"])).json()).toEqual({ id: session.id, muted: true });
      const mutedAt = (await stats()).audio.sentPackets;
      const heardAtMute = await settled("voice packets heard after mute", () => heardPackets(heard));
      expect((await stats()).audio.sentPackets - mutedAt).toBeLessThanOrEqual(1);
      expect(heardAtMute).toBeLessThanOrEqual(mutedAt);

      const ended = await rescue(home, ["session", "end", session.id, "--json"]);
      expect(ended.json().status).toBe("closed");
      const sent = await setup.customer.result;
      expect(sent.endedBy).toBe("closed");
      expect(sent.receivedAudioPackets).toBeGreaterThanOrEqual(heardAtMute);
      expect(sent.receivedAudioPackets).toBeLessThanOrEqual(mutedAt + 1);
      await finishedRecording(home, session.id);
    } finally {
      rmSync(voiceDir, { recursive: true, force: true });
    }
  });
});
