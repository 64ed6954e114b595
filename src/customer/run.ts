import { RescueError, WS_CLOSE, type SessionStatus } from "../protocol/index.js";
import { CustomerConnection } from "./connection.js";
import { runSimulatedCustomer, type PeerFigures, type SimulatorOptions } from "./simulator.js";
import { isLoopbackUrl } from "../media/loopback.js";

export interface SimulateCustomerOptions {
  server: string;
  pin: string;
  name?: string;
  acceptEula: boolean;
  durationSec: number;
  videoPath?: string;
  audioPath?: string;
  /** Each frame or packet as it is sent or received (benchmarks). */
  probe?: SimulatorOptions["probe"];
  /** Deny the camera: grant the microphone only and stream audio alone. */
  noCamera?: boolean;
  /** Saves what the technician says to this Ogg/Opus file. */
  recordVoicePath?: string;
  /** Leaving early (Ctrl-C). */
  signal?: AbortSignal;
  /** Human progress lines (stderr in the CLI). */
  progress?: (text: string) => void;
}

export interface SimulateCustomerResult {
  session: string;
  /** Sent to the lead technician (what their daemon records); `technicians` has each one's. */
  sentVideoFrames: number;
  sentAudioPackets: number;
  receivedAudioPackets: number;
  technicians: PeerFigures[];
  /** Lens commands that came from the lead technician (drawings, freeze, camera requests). */
  receivedLensCommands: number;
  /**
   * "streamed", "declined", "left", the status that ended the session, or "ended": the server
   * ended it while the customer was away (the reason is said on progress).
   */
  endedBy: string;
}

const EULA_ANSWER_MS = 10_000;

/** The whole customer: join by PIN, grant devices, answer the EULA, then stream until done. */
export async function simulateCustomer(opts: SimulateCustomerOptions): Promise<SimulateCustomerResult> {
  const say = opts.progress ?? (() => undefined);
  const conn = await CustomerConnection.join(opts.server, opts.pin, opts.name);
  const session = conn.sessionId;
  conn.on("reconnecting", ({ attempt }) => attempt === 1 && say("connection to the server lost: reconnecting"));
  conn.on("reconnected", () => say("reconnected to the session"));
  try {
    say(`joined session ${session}${conn.joined.recorded ? " (this session may be recorded)" : ""}`);
    conn.grantDevices(!opts.noCamera, true);
    conn.answerEula(opts.acceptEula);
    const after = await conn.waitForStatus(["waiting", "declined", "closed", "aborted", "timed-out"], EULA_ANSWER_MS);
    if (after !== "waiting") return { session, sentVideoFrames: 0, sentAudioPackets: 0, receivedAudioPackets: 0, technicians: [], receivedLensCommands: 0, endedBy: after };
    say("waiting for the technician to start the session");

    const statusListeners: ((s: SessionStatus) => void)[] = [];
    conn.on("status", (s) => {
      if (s === "active") say("the technician started the session: streaming");
      for (const l of statusListeners) l(s);
    });
    const closed = new AbortController();
    let closedWith: { code: number; reason: string } | undefined;
    conn.on("closed", (c) => {
      closedWith = c;
      closed.abort();
    });
    const result = await runSimulatedCustomer({
      signalling: {
        send: (signal, peer) => conn.sendSignal(signal, peer),
        onSignal: (l) => conn.on("signal", l),
        onStatus: (l) => statusListeners.push(l),
        onPeer: (l) => conn.on("peer", l),
      },
      iceServers: conn.iceServers,
      loopback: isLoopbackUrl(opts.server),
      durationSec: opts.durationSec,
      videoPath: opts.videoPath,
      audioPath: opts.audioPath,
      probe: opts.probe,
      noCamera: opts.noCamera,
      recordVoicePath: opts.recordVoicePath,
      signal: AbortSignal.any([closed.signal, ...(opts.signal ? [opts.signal] : [])]),
    });
    if (result.endedBy === "left" && closedWith?.code === WS_CLOSE.sessionEnded && !opts.signal?.aborted) {
      // E.g. back after the grace period: "the session has ended: the customer did not come back within 75 s".
      say(closedWith.reason || "the session has ended");
      return { session, ...result, endedBy: "ended" };
    }
    if (result.endedBy === "left" && closed.signal.aborted && !opts.signal?.aborted) {
      throw new RescueError("unavailable", "the server closed the connection");
    }
    return { session, ...result };
  } finally {
    conn.leave();
  }
}
