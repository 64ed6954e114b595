import { Signal, TERMINAL_STATUSES, type IceServer, type SessionStatus } from "../protocol/index.js";
import { CustomerPeer } from "./peer.js";

/**
 * The seam between the simulated customer's media and its connection to the server. The
 * WebSocket client (join, devices, EULA) provides this once the EULA is accepted: `send` relays a
 * signal to the technician, `onSignal` delivers the technician's signals, and `onStatus` the
 * session's status as the server reports it (`active` starts or resumes streaming, `on-hold`
 * pauses, a terminal status ends the run).
 */
export interface SimulatorSignalling {
  send(signal: Signal): void;
  onSignal(listener: (signal: unknown) => void): void;
  onStatus(listener: (status: SessionStatus) => void): void;
}

export interface SimulatorOptions {
  signalling: SimulatorSignalling;
  /** From the server's `joined` message. */
  iceServers: IceServer[];
  /** Gather 127.0.0.1 too (server and daemon on this machine). */
  loopback?: boolean;
  /** Seconds of media to stream once active; the clip loops. */
  durationSec: number;
  videoPath?: string;
  audioPath?: string;
  /** Leaving early (Ctrl-C): closes the peer and resolves. */
  signal?: AbortSignal;
}

export interface SimulatorResult {
  sentVideoFrames: number;
  sentAudioPackets: number;
  receivedAudioPackets: number;
  /** "streamed" when the duration was played; otherwise the status or reason that ended it. */
  endedBy: string;
}

/**
 * Runs the customer's peer: sends the offer at once (the connection is set up while the session
 * waits), streams when the session becomes active, pauses on hold, resumes with a keyframe.
 */
export async function runSimulatedCustomer(opts: SimulatorOptions): Promise<SimulatorResult> {
  const peer = new CustomerPeer({
    iceServers: opts.iceServers,
    loopback: opts.loopback,
    videoPath: opts.videoPath,
    audioPath: opts.audioPath,
  });
  let playing = false;
  let finish!: (endedBy: string) => void;
  const finished = new Promise<string>((resolve) => (finish = resolve));

  peer.on("signal", (signal) => opts.signalling.send(signal));
  peer.on("state", (state) => {
    if (state === "failed") finish("connection-failed");
  });
  opts.signalling.onSignal((raw) => {
    const parsed = Signal.safeParse(raw);
    if (!parsed.success) return;
    peer.handleSignal(parsed.data).catch(() => finish("signalling-failed"));
  });
  opts.signalling.onStatus((status) => {
    if (TERMINAL_STATUSES.includes(status)) return finish(status);
    if (status === "on-hold") return peer.pause();
    if (status !== "active" && status !== "collaborating") return;
    if (playing) return peer.resume();
    playing = true;
    peer.play(opts.durationSec).then(
      () => finish("streamed"),
      () => finish("connection-failed"),
    );
  });
  if (opts.signal?.aborted) finish("left");
  opts.signal?.addEventListener("abort", () => finish("left"), { once: true });

  await peer.start();
  const endedBy = await finished;
  await peer.close(endedBy);
  return {
    sentVideoFrames: peer.sentVideoFrames,
    sentAudioPackets: peer.sentAudioPackets,
    receivedAudioPackets: peer.receivedAudioPackets,
    endedBy,
  };
}
