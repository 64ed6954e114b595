import { LEAD_PEER, Signal, TERMINAL_STATUSES, type IceServer, type SessionStatus } from "../protocol/index.js";
import { CustomerPeer, type CustomerPeerOptions } from "./peer.js";

/**
 * The seam between the simulated customer's media and its connection to the server. The
 * WebSocket client (join, devices, EULA) provides this once the EULA is accepted: `send` relays a
 * signal to the technician, `onSignal` delivers the technician's signals, and `onStatus` the
 * session's status as the server reports it (`active` starts or resumes streaming, `on-hold`
 * pauses, a terminal status ends the run).
 */
export interface SimulatorSignalling {
  /** `peer` names a collaborating technician; undefined is the lead. */
  send(signal: Signal, peer?: string): void;
  onSignal(listener: (signal: unknown, peer?: string) => void): void;
  onStatus(listener: (status: SessionStatus) => void): void;
  /** Technicians joining (offer to them; the lead again after a transfer) and leaving. */
  onPeer?(listener: (peer: string, event: "joined" | "left") => void): void;
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
  probe?: CustomerPeerOptions["probe"];
  /** Offer audio only, as a customer without a camera (or who denied it). */
  noCamera?: boolean;
  /** The lead's peer saves the technician's voice to this Ogg/Opus file (QA). */
  recordVoicePath?: string;
  /** Leaving early (Ctrl-C): closes the peer and resolves. */
  signal?: AbortSignal;
}

/** What went to one technician's peer connection (every connection made to them, summed). */
export interface PeerFigures {
  /** "lead", or the collaborator's id as the server names their peer. */
  peer: string;
  sentVideoFrames: number;
  sentAudioPackets: number;
  receivedAudioPackets: number;
  /** Not sent because the network could not take them when they were due (an outage): never sent late. */
  droppedVideoFrames: number;
  droppedAudioPackets: number;
}

export interface SimulatorResult {
  /** Sent to the lead technician, whose daemon records: what to compare with the recording. */
  sentVideoFrames: number;
  sentAudioPackets: number;
  /** The lead technician's voice, as their daemon's `audio.sentPackets` counts it. */
  receivedAudioPackets: number;
  /** Each technician's figures, the lead first, then collaborators in the order they joined. */
  technicians: PeerFigures[];
  /** Lens commands (drawings, freeze, camera requests) that came on the lead's data channel. */
  receivedLensCommands: number;
  /** "streamed" when the duration was played; otherwise the status or reason that ended it. */
  endedBy: string;
}

/**
 * Runs the customer's side: one peer per technician (the lead, and each collaborator who may
 * view), so no technician forwards media. Each peer offers at once; the lead's connection is set
 * up while the session waits. Streaming starts when the session becomes active (for a peer
 * added later: once it connects), pauses on hold, resumes with a keyframe. The lead's peer
 * plays the duration; the others stream until the run ends. A lead connection that fails is
 * made anew, and so is one the lead's daemon asks for (`peer` joined).
 */
export async function runSimulatedCustomer(opts: SimulatorOptions): Promise<SimulatorResult> {
  const peers = new Map<string, CustomerPeer>();
  // Per technician, so that one collaborator's stream does not read as the lead's (each gets its own copy).
  const none = (peer: string): PeerFigures => ({ peer, sentVideoFrames: 0, sentAudioPackets: 0, receivedAudioPackets: 0, droppedVideoFrames: 0, droppedAudioPackets: 0 });
  const figures = new Map<string, PeerFigures>([[LEAD_PEER, none(LEAD_PEER)]]);
  let receivedLensCommands = 0;
  let status: SessionStatus | null = null;
  let firstPlayAt: number | null = null;
  let heldSince: number | null = null;
  let heldMs = 0;
  let finish!: (endedBy: string) => void;
  const finished = new Promise<string>((resolve) => (finish = resolve));
  const running = () => status === "active" || status === "collaborating";

  /** Seconds of the lead's duration still to stream (a new lead after a transfer plays the rest). */
  const remainingSec = (): number => {
    if (firstPlayAt === null) return opts.durationSec;
    const held = heldMs + (heldSince === null ? 0 : Date.now() - heldSince);
    return Math.max(0.1, opts.durationSec - (Date.now() - firstPlayAt - held) / 1000);
  };

  const playing = new WeakSet<CustomerPeer>();
  /**
   * Since when the lead has had no connection streaming (ms): the last one failed or was replaced,
   * and no successor streams yet (one may be replaced in turn before it connects). See dropUnsent.
   */
  let leadGoneAt: number | null = null;
  const play = (name: string, peer: CustomerPeer): void => {
    if (playing.has(peer)) return peer.resume();
    playing.add(peer);
    const lead = name === LEAD_PEER;
    if (lead && leadGoneAt !== null) {
      // What fell due from the last streaming connection's end until this one streams went nowhere: dropped.
      peer.once("streaming", () => {
        if (leadGoneAt === null || peers.get(LEAD_PEER) !== peer) return;
        peer.dropUnsent(Date.now() - leadGoneAt);
        leadGoneAt = null;
      });
    }
    const seconds = lead ? remainingSec() : undefined;
    firstPlayAt ??= Date.now();
    peer.play(seconds).then(
      () => lead && peers.get(name) === peer && finish("streamed"),
      () => lead && peers.get(name) === peer && finish("connection-failed"),
    );
  };

  const drop = async (name: string, reason: string): Promise<void> => {
    const peer = peers.get(name);
    if (!peer) return;
    peers.delete(name);
    await peer.close(reason);
    let f = figures.get(name);
    if (!f) figures.set(name, (f = none(name)));
    f.sentVideoFrames += peer.sentVideoFrames;
    f.sentAudioPackets += peer.sentAudioPackets;
    f.receivedAudioPackets += peer.receivedAudioPackets;
    f.droppedVideoFrames += peer.droppedVideoFrames;
    f.droppedAudioPackets += peer.droppedAudioPackets;
    receivedLensCommands += peer.lensCommands.length;
  };

  const add = async (name: string): Promise<void> => {
    const old = peers.get(name);
    // A lead connection that streamed is replaced (it failed, or the daemon asked for a new one).
    if (name === LEAD_PEER && old && playing.has(old)) leadGoneAt ??= Date.now();
    await drop(name, "replaced");
    const peer = new CustomerPeer({
      iceServers: opts.iceServers,
      loopback: opts.loopback,
      videoPath: opts.videoPath,
      audioPath: opts.audioPath,
      probe: opts.probe,
      noCamera: opts.noCamera,
      recordVoicePath: name === LEAD_PEER ? opts.recordVoicePath : undefined,
      lensChannel: name === LEAD_PEER,
    });
    peers.set(name, peer);
    peer.on("signal", (signal) => opts.signalling.send(signal, name === LEAD_PEER ? undefined : name));
    peer.on("state", (state) => {
      if (state !== "failed" || peers.get(name) !== peer) return;
      // As the page does: a dead connection to the lead is made anew (the network came back, or
      // their daemon restarted and asks for an offer); the run ends with the session.
      if (name === LEAD_PEER) {
        leadGoneAt ??= Date.now();
        void add(LEAD_PEER).catch(() => finish("connection-failed"));
      }
      else void drop(name, "connection failed");
    });
    await peer.start();
    if (running()) play(name, peer);
  };

  opts.signalling.onSignal((raw, name) => {
    const parsed = Signal.safeParse(raw);
    const peer = peers.get(name ?? LEAD_PEER);
    if (!parsed.success || !peer) return;
    peer.handleSignal(parsed.data).catch(() => (name ? void drop(name, "signalling failed") : finish("signalling-failed")));
  });
  opts.signalling.onStatus((next) => {
    const was = status;
    status = next;
    if (TERMINAL_STATUSES.includes(next)) return finish(next);
    if (next === "on-hold") {
      heldSince ??= Date.now();
      for (const p of peers.values()) p.pause();
      return;
    }
    if (!running()) return;
    if (heldSince !== null) heldMs += Date.now() - heldSince;
    heldSince = null;
    if (was !== "active" && was !== "collaborating") for (const [name, p] of peers) play(name, p);
  });
  opts.signalling.onPeer?.((name, event) => {
    if (event === "left") void drop(name, "the technician left");
    else add(name).catch(() => (name === LEAD_PEER ? finish("connection-failed") : drop(name, "could not connect")));
  });
  if (opts.signal?.aborted) finish("left");
  opts.signal?.addEventListener("abort", () => finish("left"), { once: true });

  await add(LEAD_PEER);
  const endedBy = await finished;
  await Promise.all([...peers.keys()].map((name) => drop(name, endedBy)));
  const lead = figures.get(LEAD_PEER)!;
  return {
    sentVideoFrames: lead.sentVideoFrames,
    sentAudioPackets: lead.sentAudioPackets,
    receivedAudioPackets: lead.receivedAudioPackets,
    technicians: [...figures.values()],
    receivedLensCommands,
    endedBy,
  };
}
