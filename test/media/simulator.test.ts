import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { TechnicianPeer } from "../../daemon/session/peer.js";
import type { SessionStatus, Signal } from "../../src/protocol/index.js";
import { runSimulatedCustomer } from "../../src/customer/simulator.js";
import { ffprobe, frames, sleep, tempDir } from "./helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

describe("simulated customer", () => {
  it("offers while waiting, streams when active, pauses on hold and stops after its duration", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const technician = new TechnicianPeer({ iceServers: [], loopback: true });
    cleanups.push(async () => void (await technician.close()));
    const toCustomer: Array<(signal: unknown) => void> = [];
    const statusListeners: Array<(status: SessionStatus) => void> = [];
    const setStatus = (status: SessionStatus): void => statusListeners.forEach((fn) => fn(status));
    technician.on("signal", (signal) => toCustomer.forEach((fn) => fn(signal)));
    const connected = new Promise<void>((resolve) => technician.once("connected", resolve));

    const run = runSimulatedCustomer({
      iceServers: [],
      loopback: true,
      durationSec: 3,
      signalling: {
        send: (signal: Signal) => void technician.handleSignal(signal),
        onSignal: (listener) => toCustomer.push(listener),
        onStatus: (listener) => statusListeners.push(listener),
      },
    });
    await connected; // set up while the session is still waiting
    const recordPath = join(tmp.dir, "sim.webm");
    technician.startMedia({ recordPath });
    setStatus("active");
    await sleep(1000);
    setStatus("on-hold");
    technician.hold();
    await sleep(500);
    technician.resume();
    setStatus("active");
    const result = await run;
    await technician.close();

    expect(result.endedBy).toBe("streamed");
    // 3 s of stream time of which 0.5 s on hold: about 2.5 s of frames at 30 fps.
    expect(result.sentVideoFrames).toBeGreaterThan(65);
    expect(result.sentVideoFrames).toBeLessThan(82);
    const probe = await ffprobe(recordPath);
    expect(frames(probe, "video")).toBeGreaterThanOrEqual(Math.floor(result.sentVideoFrames * 0.95));
  });

  it("ends when the session reaches a terminal status", async () => {
    const statusListeners: Array<(status: SessionStatus) => void> = [];
    const run = runSimulatedCustomer({
      iceServers: [],
      loopback: true,
      durationSec: 60,
      signalling: { send: () => undefined, onSignal: () => undefined, onStatus: (l) => statusListeners.push(l) },
    });
    await sleep(100);
    statusListeners.forEach((fn) => fn("declined"));
    expect(await run).toMatchObject({ endedBy: "declined", sentVideoFrames: 0 });
  });
});
