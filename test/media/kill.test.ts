import { fork, type ChildProcess } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { CustomerPeer } from "../../src/customer/peer.js";
import type { Signal } from "../../src/protocol/index.js";
import { buildDist } from "../helpers/build.js";
import { ffprobe, frames, sleep, tempDir } from "./helpers.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
beforeAll(buildDist, 60_000);

type Message = { type: string; signal?: Signal };

function waitFor(child: ChildProcess, type: string): Promise<Message> {
  return new Promise((resolve) => {
    const onMessage = (message: Message): void => {
      if (message.type !== type) return;
      child.off("message", onMessage);
      resolve(message);
    };
    child.on("message", onMessage);
  });
}

describe("crash safety", () => {
  it("leaves a readable recording when the receiving process is killed with SIGKILL", async () => {
    const tmp = tempDir();
    cleanups.push(tmp.cleanup);
    const child = fork(join(import.meta.dirname, "fixtures", "receiver.mjs"), { stdio: "ignore" });
    cleanups.push(() => void child.kill("SIGKILL"));
    await waitFor(child, "ready");
    const customer = new CustomerPeer({ iceServers: [], loopback: true });
    cleanups.push(() => customer.close());
    customer.on("signal", (signal) => child.send({ type: "signal", signal }));
    child.on("message", (message: Message) => {
      if (message.type === "signal") void customer.handleSignal(message.signal!);
    });
    const connected = waitFor(child, "connected");
    await customer.start();
    await connected;

    const recordPath = join(tmp.dir, "killed.webm");
    child.send({ type: "start", recordPath });
    await waitFor(child, "started");
    void customer.play(30);
    await sleep(4500);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
    await customer.close();

    expect(existsSync(recordPath)).toBe(true);
    expect(statSync(recordPath).size).toBeGreaterThan(50_000);
    const probe = await ffprobe(recordPath);
    expect(probe.streams.find((s) => s.codec_type === "video")?.codec_name).toBe("vp8");
    // Clusters close on keyframes (every 2 s in the clip): at least the first complete cluster is readable.
    expect(frames(probe, "video")).toBeGreaterThanOrEqual(55);
    expect(frames(probe, "audio")).toBeGreaterThan(0);
  });
});
