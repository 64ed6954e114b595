import { spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliResult } from "../helpers/cli.js";
import { lanTechnician, type LanTechnician } from "../helpers/lan.js";
import { finishedRecording, statsWhen } from "../helpers/lens.js";
import { lossUnavailable, netnsUnavailable } from "../helpers/netns.mjs";
import { ffprobe, frames } from "../media/helpers.js";

const BIN = join(import.meta.dirname, "..", "..", "bin", "rescue.js");

const unavailable = netnsUnavailable() ?? lossUnavailable();

/**
 * Loss made by the kernel, not by a hook in the daemon: the simulated customer streams from a
 * network namespace whose outgoing UDP nftables drops at random, so media, retransmissions, RTCP
 * and STUN are all lost alike, as on a mobile network. The daemon must ask for what is missing
 * and record what the customer sent.
 */
describe.skipIf(unavailable !== undefined)("a lossy customer link (3% of UDP dropped by the kernel)", { timeout: 120_000 }, () => {
  let lan: LanTechnician;

  beforeAll(async () => {
    lan = await lanTechnician("lossy-link", ["lens", "private", "pin", "record"]);
  }, 60_000);

  afterAll(async () => {
    await lan?.close();
  });

  it("NACK repairs the loss: >= 95% of the frames sent are in the recording, and the stats show the repair", async () => {
    const created = await lan.cli(["session", "new", "--lens", "--pin", "--name", "Ann", "--json"]);
    expect(created.code, created.stderr).toBe(0);
    const session = created.json<{ id: string; pin: string }>();

    const seconds = 12;
    const child = spawn("ip", ["netns", "exec", lan.ns.name, process.execPath, BIN, "simulate", "customer", "--server", lan.server.url, "--pin", session.pin, "--name", "Ann", "--duration", String(seconds), "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const customer = new Promise<CliResult>((done) => child.on("close", (code) => done({ code: code ?? -1, stdout, stderr, json: () => JSON.parse(stdout) })));

    const waited = await lan.cli(["session", "wait", session.id, "--status", "waiting", "--timeout", "30", "--json"]);
    expect(waited.code, waited.stderr).toBe(0);
    const start = await lan.cli(["session", "start", session.id, "--json"]);
    expect(start.code, start.stderr).toBe(0);
    // From the first frames on, the customer's link loses 3% of what it sends. (A connection made
    // over the lossy link failed once in CI, three times over with no frame: followed up apart.)
    await statsWhen(lan.home, session.id, (s) => s.video.frames > 0, 60_000);
    lan.ns.setLoss(3);

    // While it streams: the kernel dropped packets and the daemon got them again by NACK.
    const stats = await statsWhen(lan.home, session.id, (s) => s.video.packetsRecovered > 0, 60_000);
    expect(stats.video.frames, JSON.stringify(stats.video)).toBeGreaterThan(0);

    const sent = await customer;
    lan.ns.setLoss(0);
    expect(sent.code, sent.stderr).toBe(0);
    const result = sent.json<{ sentVideoFrames: number; endedBy: string }>();
    expect(result.endedBy).toBe("streamed");
    expect(result.sentVideoFrames).toBeGreaterThan(seconds * 30 * 0.5);


    const ended = await lan.cli(["session", "end", session.id]);
    expect(ended.code, ended.stderr).toBe(0);
    const rec = await finishedRecording(lan.home, session.id);
    const probe = await ffprobe(rec.path);
    expect(frames(probe, "video"), `${frames(probe, "video")} of ${result.sentVideoFrames} frames recorded`).toBeGreaterThanOrEqual(Math.ceil(result.sentVideoFrames * 0.95));
  });
});
