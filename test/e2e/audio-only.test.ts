import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { rescue } from "../helpers/cli.js";
import { finishedRecording, lensSuite, statsWhen } from "../helpers/lens.js";
import { ffprobe, frames } from "../media/helpers.js";

describe("a Lens customer who grants the microphone but not the camera", { timeout: 90_000 }, () => {
  const suite = lensSuite();

  it("is started like any other and recorded as audio: the file has the voice and no video track", async () => {
    const { home, session } = await suite.start({ seconds: 30, customerArgs: ["--no-camera"] });
    const start = await rescue(home, ["session", "start", session.id, "--json"]);
    expect(start.code, start.stderr).toBe(0);
    expect(start.json()).toMatchObject({ id: session.id, status: "active", recording: expect.stringMatching(/\.webm$/) });
    const stats = await statsWhen(home, session.id, (s) => s.audio.packets > 100);
    expect(stats.video).toMatchObject({ codec: null, frames: 0 });
    // Nothing to see, said plainly rather than a viewer that waits for ever.
    const view = await rescue(home, ["session", "view", session.id, "--frames", "1", "--renderer", "blocks"]);
    expect(view.code).toBe(5);
    expect(view.stderr).toContain("has no video");

    expect((await rescue(home, ["session", "end", session.id])).code).toBe(0);
    const recording = await finishedRecording(home, session.id);
    const probe = await ffprobe(recording.path);
    expect(probe.streams.map((st) => st.codec_type)).toEqual(["audio"]);
    expect(frames(probe, "audio")).toBeGreaterThan(100);
    const manifest = JSON.parse(readFileSync(recording.path.replace(/\.webm$/, ".json"), "utf8"));
    expect(manifest.codecs).toEqual({ video: null, audio: "opus" });
  });
});
