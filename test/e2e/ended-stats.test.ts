import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SessionStats, TERMINAL_STATUSES } from "../../src/protocol/index.js";
import { killDaemon, rescue } from "../helpers/cli.js";
import { finishedRecording, lensSuite, statsWhen } from "../helpers/lens.js";

describe("session stats after the session has ended", { timeout: 120_000 }, () => {
  const suite = lensSuite();

  it("answers the final figures of what was received (not zeros) until the daemon stops, then exit 6 with the reason", async () => {
    // The customer streams 6 s and leaves: the session ends without the technician.
    const setup = await suite.start({ seconds: 6 });
    const { home, session } = setup;
    const start = await rescue(home, ["session", "start", session.id, "--json"]);
    expect(start.code, start.stderr).toBe(0);
    await statsWhen(home, session.id, (s) => s.video.frames > 30);
    const sent = await setup.customer.result;
    expect(sent.endedBy).toBe("streamed");

    const final = await statsWhen(home, session.id, (s) => s.ended !== undefined, 60_000);
    expect(TERMINAL_STATUSES).toContain(final.ended!.status);
    expect(final.connection?.state).toBe("closed");
    expect(final.video).toMatchObject({ codec: "vp8", width: 640, height: 480, fps: 0, bitrateKbps: 0 });
    expect(final.audio.codec).toBe("opus");
    // What was received: at most what was sent, nearly all of it on loopback.
    expect(final.video.frames).toBeLessThanOrEqual(sent.sentVideoFrames);
    expect(final.video.frames).toBeGreaterThanOrEqual(Math.floor(sent.sentVideoFrames * 0.95));
    expect(final.audio.packets).toBeLessThanOrEqual(sent.sentAudioPackets);
    expect(final.audio.packets).toBeGreaterThanOrEqual(Math.floor(sent.sentAudioPackets * 0.95));

    // The recording's own figures, as its manifest has them once finalised.
    const rec = await finishedRecording(home, session.id);
    const manifest = JSON.parse(readFileSync(rec.path.replace(/\.webm$/, ".json"), "utf8")) as { bytes: number; frames: { video: number } };
    const again = SessionStats.parse((await rescue(home, ["session", "stats", session.id, "--json"])).json());
    expect(again.recording).toMatchObject({ path: rec.path, bytes: manifest.bytes, frames: manifest.frames.video });
    expect(again.video.frames).toBe(final.video.frames);

    // On a terminal, one line says it has ended.
    const text = await rescue(home, ["session", "stats", session.id], { tty: true });
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^ended +${final.ended!.status} at \\d\\d:\\d\\d:\\d\\d: the final figures of its media$`, "m"));
    expect(text.stdout).toContain(`${final.video.frames} frames`);

    // A daemon started after the end has no figures of it: an error, not zeros.
    await killDaemon(home);
    const gone = await rescue(home, ["session", "stats", session.id, "--json"]);
    expect(gone.code).toBe(6);
    expect(gone.stdout).toBe("");
    expect(gone.stderr).toContain(`session ${session.id} has ended (${final.ended!.status}) and this daemon has no figures of it`);
  });
});
