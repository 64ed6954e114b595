import { fork, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { CustomerPeer } from "../../src/customer/peer.js";
import type { SessionStats, Signal } from "../../src/protocol/index.js";
import { until } from "../helpers/counts.js";

type Message = { type: string; signal?: Signal; stats?: SessionStats };

export interface KillableReceiver {
  child: ChildProcess;
  customer: CustomerPeer;
  /** Starts recording to `path` and the customer's clip (30 fps VP8 + Opus); resolves when the recorder is open. */
  record(path: string): Promise<void>;
  /** The receiving peer's stats (frames received, frames written to the recording ...). */
  stats(): Promise<SessionStats>;
  /** Waits until the recording holds at least `frames` video frames (generous deadline: a busy machine). */
  recorded(frames: number, timeoutMs?: number): Promise<SessionStats>;
  /** SIGKILLs the receiving process and waits for it to be gone, then closes the customer. */
  kill(): Promise<void>;
}

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

/**
 * The technician's receiving side (the real peer and recorder, compiled, from dist/) in a child
 * process, connected on loopback to a customer in this process; `cleanup` gets what to undo.
 */
export async function killableReceiver(cleanup: (fn: () => Promise<void> | void) => void): Promise<KillableReceiver> {
  const child = fork(join(import.meta.dirname, "fixtures", "receiver.mjs"), { stdio: "ignore" });
  cleanup(() => void child.kill("SIGKILL"));
  await waitFor(child, "ready");
  const customer = new CustomerPeer({ iceServers: [], loopback: true });
  cleanup(() => customer.close());
  customer.on("signal", (signal) => child.send({ type: "signal", signal }));
  child.on("message", (message: Message) => {
    if (message.type === "signal") void customer.handleSignal(message.signal!);
  });
  const connected = waitFor(child, "connected");
  await customer.start();
  await connected;
  return {
    child,
    customer,
    async record(path) {
      child.send({ type: "start", recordPath: path });
      await waitFor(child, "started");
      void customer.play(30);
    },
    async stats() {
      const answer = waitFor(child, "stats");
      child.send({ type: "stats" });
      return (await answer).stats!;
    },
    recorded(frames, timeoutMs = 30_000) {
      return until(`video frames written by the receiver`, () => this.stats(), (s) => (s.recording?.frames ?? 0) >= frames, timeoutMs);
    },
    async kill() {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
      await customer.close();
    },
  };
}
