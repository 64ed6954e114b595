import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lanTechnician, simulatorIn, type LanTechnician } from "../helpers/lan.js";
import { statsWhen } from "../helpers/lens.js";
import { netnsUnavailable } from "../helpers/netns.mjs";

const unavailable = netnsUnavailable();
const SECONDS = 70;
const FPS = 30;

/**
 * A link drop long enough that the media connection fails and is made anew (the first successor
 * may itself be replaced before it connects): the simulator, like a camera, does not stop while
 * its network is gone, so what it says it sent plus what it says it dropped is what fell due over
 * its run, the check a QA script makes.
 */
describe.skipIf(unavailable !== undefined)("the simulator's figures over a drop that kills the connection", { timeout: 240_000 }, () => {
  let lan: LanTechnician;

  beforeAll(async () => {
    lan = await lanTechnician("long-drop", ["lens", "private", "pin", "record"]);
  }, 60_000);

  afterAll(async () => {
    lan?.ns.setLink(true);
    await lan?.close();
  });

  it("sent + dropped is the run's length at the clip's rates, the time without a connection included", async () => {
    const created = await lan.cli(["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string }>();
    const sim = simulatorIn(lan, session.pin, ["--duration", String(SECONDS), "--json"]);
    try {
      expect((await lan.cli(["session", "wait", session.id, "--status", "waiting", "--timeout", "60"])).code).toBe(0);
      expect((await lan.cli(["session", "start", session.id, "--json"])).code).toBe(0);
      await statsWhen(lan.home, session.id, (s) => s.video.frames > 60, 60_000);
      lan.ns.setLink(false);
      await new Promise((r) => setTimeout(r, 40_000));
      lan.ns.setLink(true);
      const done = await sim.done;
      expect(done.code, done.stderr).toBe(0);
      const lead = done
        .json<{ technicians: { peer: string; sentVideoFrames: number; droppedVideoFrames: number; sentAudioPackets: number; droppedAudioPackets: number }[] }>()
        .technicians.find((t) => t.peer === "lead")!;
      const video = lead.sentVideoFrames + lead.droppedVideoFrames;
      const audio = lead.sentAudioPackets + lead.droppedAudioPackets;
      console.log(`${SECONDS} s run, 40 s link drop: video ${lead.sentVideoFrames} sent + ${lead.droppedVideoFrames} dropped = ${video} of ${SECONDS * FPS}; audio ${audio} of ${SECONDS * 50}`);
      // Generous: a busy machine starts streams late and fires timers late.
      expect(video).toBeGreaterThan(SECONDS * FPS * 0.93);
      expect(video).toBeLessThan(SECONDS * FPS * 1.07);
      expect(audio).toBeGreaterThan(SECONDS * 50 * 0.93);
      expect(audio).toBeLessThan(SECONDS * 50 * 1.07);
    } finally {
      sim.child.kill("SIGTERM");
      await sim.done;
      await lan.cli(["session", "end", session.id]);
    }
  });
});
