import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  RescueError,
  ServerConfig,
  TERMINAL_STATUSES,
  type Recording,
  type Session,
  type SessionStats,
  type Signal,
} from "../../src/protocol/index.js";
import type { Backend } from "../backend/client.js";
import type { EventLog } from "../events.js";
import type { Logger } from "../log.js";
import { TechnicianPeer } from "./peer.js";
import { listRecordings } from "./recordings.js";
import { isLoopbackUrl } from "../../src/customer/loopback.js";

const EMPTY_STATS: SessionStats = {
  video: { codec: null, width: null, height: null, frames: 0, fps: 0, bitrateKbps: 0, packetsLost: 0, packetsRecovered: 0 },
  audio: { codec: null, packets: 0, packetsLost: 0, sentPackets: 0, muted: false },
};

/** How long Start waits for the customer's offer when it has not arrived yet. */
const OFFER_WAIT_MS = 10_000;

interface MediaSession {
  peer: TechnicianPeer;
  /** Settles once the customer's offer is answered. */
  answered: Promise<void>;
  status: Session["status"] | null;
  /** Media (and recording) started, by Start or on its own. */
  started: boolean;
  /**
   * The offer came into a running session (a collaborator joining, a transfer, a reconnect):
   * media starts without a Start command once the session is active.
   */
  auto: boolean;
}

/** Statuses in which media flows. */
const RUNNING: readonly Session["status"][] = ["active", "collaborating"];

/**
 * Each session's media: the customer's offer creates a werift peer (the connection is set up
 * while the session waits), Start opens the recorder, hold/resume follow the session's status,
 * and a terminal status closes the peer and finalises the recording.
 */
export class SessionManager {
  private readonly media = new Map<string, MediaSession>();
  private readonly offerWaiters = new Map<string, () => void>();
  /** Candidates that arrive while an offer waits for the ICE configuration, by session. */
  private readonly early = new Map<string, Signal[]>();
  /** The sessions as last pushed, to tell this technician's role in each. */
  private readonly known = new Map<string, Session>();
  private iceServers: Promise<ServerConfig["iceServers"]> | null = null;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly backend: Backend,
    private readonly events: EventLog,
    private readonly log: Logger,
    readonly recordingsDir: string,
  ) {
    backend.on("signal", (sessionId, signal) => this.onSignal(sessionId, signal));
    // A new login or server may bring other ICE servers.
    backend.on("state", (state) => {
      if (state === "connected") this.iceServers = null;
    });
    this.unsubscribe = events.subscribe((e) => {
      if (e.type === "session") this.follow(e.session);
      else if (e.type === "sessions") for (const s of e.sessions) this.follow(s);
    });
  }

  private onSignal(sessionId: string, signal: Signal): void {
    if (signal.kind === "offer") {
      void this.answer(sessionId, signal);
      return;
    }
    const m = this.media.get(sessionId);
    const early = this.early.get(sessionId);
    if (!m && early) return void early.push(signal);
    if (!m) return this.log.info(`signal ${signal.kind} for session ${sessionId} before its offer: ignored`);
    m.answered.then(() => m.peer.handleSignal(signal)).catch((e: Error) => this.log.error(`session ${sessionId}: ${e.message}`));
  }

  private async answer(sessionId: string, offer: Signal): Promise<void> {
    // A new offer (the customer reloaded the page) replaces the old connection.
    const early: Signal[] = [];
    this.early.set(sessionId, early);
    await this.closePeer(sessionId, "new offer from the customer");
    let iceServers: ServerConfig["iceServers"];
    try {
      // The first answer of a fresh login asks the server for its ICE servers: trickled candidates wait meanwhile.
      iceServers = await this.serverIceServers();
    } catch (e) {
      this.log.error(`session ${sessionId}: cannot answer the offer without the server's ICE configuration: ${(e as Error).message}`);
      return;
    } finally {
      if (this.early.get(sessionId) === early) this.early.delete(sessionId);
    }
    const peer = new TechnicianPeer({ iceServers, loopback: isLoopbackUrl(this.backend.server) });
    const session = this.known.get(sessionId);
    const auto = session !== undefined && (session.status === "on-hold" || RUNNING.includes(session.status) || !this.isLead(session));
    const m: MediaSession = { peer, answered: Promise.resolve(), status: null, started: false, auto };
    this.media.set(sessionId, m);
    peer.on("signal", (signal) => this.sendToServer(() => this.backend.send({ type: "signal", sessionId, signal })));
    peer.on("connected", () => {
      this.log.info(`session ${sessionId}: media connected`);
      this.mediaEvent(sessionId, "media-connected", {});
    });
    peer.on("first-frame", ({ afterMs, width, height }) =>
      this.events.emit({ type: "media", sessionId, event: "first-frame", detail: { afterMs, width, height } }),
    );
    peer.on("state", (state) => {
      if (state === "failed") this.log.error(`session ${sessionId}: media connection failed`);
    });
    peer.on("error", (e) => this.log.error(`session ${sessionId}: ${e.message}`));
    m.answered = peer.handleSignal(offer);
    for (const signal of early) m.answered.then(() => peer.handleSignal(signal)).catch((e: Error) => this.log.error(`session ${sessionId}: ${e.message}`));
    m.answered.then(
      () => this.startIfRunning(sessionId, m),
      (e: Error) => this.log.error(`session ${sessionId}: cannot answer the offer: ${e.message}`),
    );
    this.offerWaiters.get(sessionId)?.();
  }

  /**
   * Before Start goes to the server: the customer's connection must be there (its offer comes
   * right after the EULA) and an explicit recording path needs the group's `record` permission.
   */
  async prepare(session: Session, opts: { record: boolean; recordPath?: string }): Promise<void> {
    if (opts.record && opts.recordPath && !session.recordable) {
      throw new RescueError("forbidden", "your technician group may not record sessions (permission: record)");
    }
    const m = await this.waitForPeer(session.id);
    await m.answered;
  }

  /** Called once the server has made the session active. Returns the recording path, if any. */
  async started(session: Session, opts: { record: boolean; recordPath?: string }): Promise<string | undefined> {
    const m = this.media.get(session.id);
    if (!m) throw new RescueError("unavailable", `the customer's media connection of session ${session.id} went away`);
    m.status = session.status;
    m.started = true;
    const recordPath = opts.record && session.recordable ? (opts.recordPath ?? this.defaultRecordingPath(session.id)) : null;
    const { recording } = m.peer.startMedia({
      recordPath,
      manifest: { session: session.id, technician: session.technician, customerName: session.name || null },
    });
    if (recording) this.mediaEvent(session.id, "recording-started", { path: recording });
    return recording ?? undefined;
  }

  stats(sessionId: string): SessionStats {
    return this.media.get(sessionId)?.peer.stats() ?? EMPTY_STATS;
  }

  /** Refuses at once (not in the background playing) when a collaborator lacks `talk`. */
  talk(sessionId: string, audioPath: string): Promise<void> {
    const session = this.known.get(sessionId);
    const me = session?.collaborators?.find((c) => c.technician === this.backend.email);
    if (session && !this.isLead(session) && !me?.permissions.includes("talk")) {
      throw new RescueError("forbidden", "the lead technician has not given you the permission: talk");
    }
    return this.play(sessionId, audioPath);
  }

  private async play(sessionId: string, audioPath: string): Promise<void> {
    const peer = this.peerOf(sessionId);
    try {
      await peer.talk(audioPath);
    } catch (e) {
      throw new RescueError("conflict", `cannot talk in session ${sessionId}: ${(e as Error).message}`);
    }
  }

  setMuted(sessionId: string, muted: boolean): void {
    const peer = this.peerOf(sessionId);
    if (muted) peer.mute();
    else peer.unmute();
  }

  /** Finished recordings (from their manifests) and the ones being written now. */
  recordings(): Promise<Recording[]> {
    const live = [...this.media.entries()].flatMap(([session, m]) => {
      const s = m.peer.stats().recording;
      return s ? [{ session, path: s.path, bytes: s.bytes, durationMs: null }] : [];
    });
    return listRecordings(this.recordingsDir, live);
  }

  /** Closes every peer, finalising its recording. */
  async close(): Promise<void> {
    this.unsubscribe();
    this.backend.removeAllListeners("signal");
    await Promise.all([...this.media.keys()].map((id) => this.closePeer(id, "daemon stopping")));
  }

  private follow(session: Session): void {
    this.known.set(session.id, session);
    const m = this.media.get(session.id);
    if (TERMINAL_STATUSES.includes(session.status)) {
      if (m) void this.closePeer(session.id, `session ${session.status}`);
      return;
    }
    // Transferred to someone else, or removed by the lead: the media goes, the recording is finalised.
    if (!this.takesPart(session)) {
      if (m) void this.closePeer(session.id, "no longer in the session");
      return;
    }
    if (m && !m.started && m.auto && RUNNING.includes(session.status)) {
      m.answered.then(() => this.startIfRunning(session.id, m)).catch(() => undefined);
      return;
    }
    if (!m || m.status === session.status) return;
    const was = m.status;
    m.status = session.status;
    if (session.status === "on-hold") m.peer.hold();
    else if (was === "on-hold" && (session.status === "active" || session.status === "collaborating")) m.peer.resume();
  }

  private isLead(session: Session): boolean {
    return session.technician === this.backend.email;
  }

  private takesPart(session: Session): boolean {
    return this.isLead(session) || (session.collaborators ?? []).some((c) => c.technician === this.backend.email);
  }

  /**
   * Media for an offer that came into a running session: a collaborator records only with the
   * `record` permission; a lead (after a transfer) records anew when the group allows it.
   */
  private startIfRunning(sessionId: string, m: MediaSession): void {
    const session = this.known.get(sessionId);
    if (!session || !m.auto || m.started || this.media.get(sessionId) !== m || !RUNNING.includes(session.status)) return;
    m.started = true;
    m.status = session.status;
    const me = session.collaborators?.find((c) => c.technician === this.backend.email);
    const records = session.recordable && (this.isLead(session) || me?.permissions.includes("record") === true);
    const { recording } = m.peer.startMedia({
      recordPath: records ? this.defaultRecordingPath(sessionId) : null,
      manifest: { session: sessionId, technician: this.backend.email ?? session.technician, customerName: session.name || null },
    });
    this.log.info(`session ${sessionId}: media started on joining the running session${recording ? `, recording to ${recording}` : ""}`);
    if (recording) this.mediaEvent(sessionId, "recording-started", { path: recording });
  }

  private async closePeer(sessionId: string, reason: string): Promise<void> {
    const m = this.media.get(sessionId);
    if (!m) return;
    this.media.delete(sessionId);
    const info = await m.peer.close(reason);
    if (info.recording) {
      this.log.info(`session ${sessionId}: recording finalised at ${info.recording.path} (${info.recording.bytes} bytes)`);
      this.mediaEvent(sessionId, "recording-stopped", {
        path: info.recording.path,
        bytes: info.recording.bytes,
        videoFrames: info.recording.videoFrames,
        durationMs: info.recording.durationMs,
      });
    }
    if (info.recordingError) this.log.error(`session ${sessionId}: recording failed: ${info.recordingError}`);
  }

  private waitForPeer(sessionId: string): Promise<MediaSession> {
    const m = this.media.get(sessionId);
    if (m) return Promise.resolve(m);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.offerWaiters.delete(sessionId);
        reject(new RescueError("unavailable", `no media connection from the customer of session ${sessionId} yet`));
      }, OFFER_WAIT_MS);
      this.offerWaiters.set(sessionId, () => {
        clearTimeout(timer);
        this.offerWaiters.delete(sessionId);
        resolve(this.media.get(sessionId)!);
      });
    });
  }

  private peerOf(sessionId: string): TechnicianPeer {
    const m = this.media.get(sessionId);
    if (!m) throw new RescueError("conflict", `session ${sessionId} has no media connection`);
    return m.peer;
  }

  private defaultRecordingPath(sessionId: string): string {
    mkdirSync(this.recordingsDir, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    return join(this.recordingsDir, `${sessionId}-${stamp}.webm`);
  }

  private serverIceServers(): Promise<ServerConfig["iceServers"]> {
    this.iceServers ??= this.backend
      .ready()
      .then((rest) => rest.call("GET", "/api/v1/config", ServerConfig))
      .then((c) => c.iceServers);
    this.iceServers.catch(() => (this.iceServers = null));
    return this.iceServers;
  }

  /** Logged on the server (session log) and on the local event stream. */
  private mediaEvent(
    sessionId: string,
    event: "media-connected" | "recording-started" | "recording-stopped",
    detail: Record<string, string | number>,
  ): void {
    this.events.emit({ type: "media", sessionId, event, detail });
    this.sendToServer(() => this.backend.send({ type: "media", sessionId, event, detail }));
  }

  private sendToServer(send: () => void): void {
    try {
      send();
    } catch (e) {
      this.log.error(`cannot reach the server: ${(e as Error).message}`);
    }
  }
}
