import { describe, expect, it } from "vitest";
import type { Permission } from "../../src/protocol/index.js";
import { cliLogin, dropHome, makeHome, rescue } from "../helpers/cli.js";
import { finishedRecording, lensSuite, simulateCustomer, statsWhen } from "../helpers/lens.js";
import { ffprobe, frames } from "../media/helpers.js";

const LEAD: Permission[] = ["lens", "private", "pin", "record", "chat", "invite-internal"];

interface Figures {
  peer: string;
  sentVideoFrames: number;
  sentAudioPackets: number;
  receivedAudioPackets: number;
}

/**
 * What a QA compares: the simulator's "sent" figures against the lead's recording. With a
 * collaborator watching, the customer streams a copy to each technician; the top-level figures
 * are the lead's, and each technician's own are listed beside them.
 */
describe("the simulated customer's figures with a lead and a collaborator", { timeout: 120_000 }, () => {
  const suite = lensSuite();

  it("sentVideoFrames/sentAudioPackets are what the lead got (the recording holds them all); technicians[] has the collaborator's apart", async () => {
    const server = suite.server;
    const lead = await server.technician(LEAD);
    const viewer = await server.technician(["lens", "private", "pin"]);
    const leadHome = makeHome();
    const viewerHome = makeHome();
    let customer: ReturnType<typeof simulateCustomer> | undefined;
    try {
      await cliLogin(leadHome, server.url, lead.email, lead.password);
      await cliLogin(viewerHome, server.url, viewer.email, viewer.password);
      const created = await rescue(leadHome, ["session", "new", "--lens", "--pin", "--json"]);
      expect(created.code, created.stderr).toBe(0);
      const { id, pin } = created.json<{ id: string; pin: string }>();
      customer = simulateCustomer(server.url, pin, ["--duration", "14"]);
      expect((await rescue(leadHome, ["session", "wait", id, "--status", "waiting", "--timeout", "60"])).code).toBe(0);
      const started = await rescue(leadHome, ["session", "start", id, "--json"]);
      expect(started.code, started.stderr).toBe(0);

      const invited = await rescue(leadHome, ["invite", "--session", id, "--internal", viewer.email, "--permission", "view", "--json"]);
      expect(invited.code, invited.stderr).toBe(0);
      const joined = await rescue(viewerHome, ["join", "--pin", invited.json<{ pin: string }>().pin, "--json"]);
      expect(joined.code, joined.stderr).toBe(0);
      // The collaborator really gets a stream of their own while the lead's goes on.
      await statsWhen(viewerHome, id, (s) => s.video.frames > 60, 60_000);

      const result = (await customer.result) as Awaited<typeof customer.result> & { technicians: Figures[] };
      expect(result.endedBy).toBe("streamed");
      expect((await rescue(leadHome, ["session", "end", id])).code).toBe(0);
      const probe = await ffprobe((await finishedRecording(leadHome, id)).path);
      // On loopback the lead's recording holds (nearly) every frame and packet sent to the lead, and never more.
      const recordedVideo = frames(probe, "video");
      const recordedAudio = frames(probe, "audio");
      expect(recordedVideo, `${recordedVideo} recorded of ${result.sentVideoFrames} sent`).toBeGreaterThanOrEqual(Math.floor(result.sentVideoFrames * 0.98));
      expect(recordedVideo).toBeLessThanOrEqual(result.sentVideoFrames);
      expect(recordedAudio, `${recordedAudio} recorded of ${result.sentAudioPackets} sent`).toBeGreaterThanOrEqual(Math.floor(result.sentAudioPackets * 0.98));
      expect(recordedAudio).toBeLessThanOrEqual(result.sentAudioPackets);
      const [toLead, toViewer, ...more] = result.technicians;
      expect(more).toEqual([]);
      expect(toLead!.peer).toBe("lead");
      expect(toViewer!.peer).toBe(invited.json<{ invitation: { id: string } }>().invitation.id);
      expect(toViewer!.sentVideoFrames).toBeGreaterThan(60);
      expect(result.sentVideoFrames).toBe(toLead!.sentVideoFrames);
      expect(result.sentAudioPackets).toBe(toLead!.sentAudioPackets);
      expect(result.receivedAudioPackets).toBe(toLead!.receivedAudioPackets);
    } finally {
      customer?.child.kill("SIGKILL");
      await dropHome(viewerHome);
      await dropHome(leadHome);
    }
  });
});
