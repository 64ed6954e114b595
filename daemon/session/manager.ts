import { existsSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { chosenDir, ownPrivateDir } from "../../src/profile/private-dir.js";
import {
  MediaOffer,
  RescueError,
  ServerConfig,
  TERMINAL_STATUSES,
  type Recording,
  type RecordingDetail,
  type CollaboratorPermission,
  type Session,
  type SessionStats,
  type MediaLogDetail,
  type MediaLogEvent,
  type Signal,
  type LensAction,
  type LensRelayResult,
  type LensResult,
  lensCommandOf,
  Technician,
} from "../../src/protocol/index.js";
import { LensJournal } from "./lens-journal.js";
import { timelineItemsOf } from "./timeline-feed.js";
import type { Backend } from "../backend/client.js";
import type { EventLog } from "../events.js";
import type { Logger } from "../log.js";
import { TechnicianPeer } from "./peer.js";
import type { LiveTalk } from "./talk.js";
import { readOggOpus, type OpusPacket } from "../../src/media/ogg-opus.js";
import { listRecordings, recordingName } from "./recordings.js";
import { deleteRecordings, findRecordings } from "./recording-files.js";
import { takeSnapshot, type Snapshot } from "./snapshot.js";
import { StartMemory } from "./start-memory.js";
import { SessionTotals } from "./session-totals.js";
import { RecordingPlaces } from "./recording-places.js";
import { CRASHED_RECORDING, type FinalisedRecording } from "./recording-finaliser.js";
import { SegmentLog } from "./segment-log.js";
import type { VideoTap } from "./video-tap.js";
import { isLoopbackUrl } from "../../src/media/loopback.js";

/** Ended sessions whose final figures a daemon keeps (the oldest go first): a few KB in all. */
const FINAL_FIGURES_KEPT = 200;

const EMPTY_STATS: SessionStats = {
  video: { codec: null, width: null, height: null, frames: 0, fps: 0, bitrateKbps: 0, packetsLost: 0, packetsRecovered: 0 },
  audio: { codec: null, packets: 0, packetsLost: 0, sentPackets: 0, muted: false },
};

/**
 * QA knob: RESCUE_DEBUG_INBOUND_LOSS=N drops N% of the inbound RTP packets (werift's debug hook),
 * to show NACK and PLI repairing a lossy network.
 */
function inboundKeepPercent(env: NodeJS.ProcessEnv): number | undefined {
  const loss = Number(env.RESCUE_DEBUG_INBOUND_LOSS);
  return loss > 0 && loss < 100 ? 100 - loss : undefined;
}

export interface StartOptions {
  record: boolean;
  recordPath?: string;
}

/** What Start decided, kept until the session ends so a (re)connecting customer is recorded too. */
interface PendingStart {
  session: Session;
  recordPath: string | null;
}

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

/** Someone hearing a session's customer (the local API's audio tap). */
export interface AudioListener {
  /** One Opus packet, as it arrives. */
  packet(data: Buffer): void;
  /** The session ended or this technician left it: no more packets will come. */
  end(reason: string): void;
}

/** Statuses in which media flows. */
const RUNNING: readonly Session["status"][] = ["active", "collaborating"];
/** Statuses in which a daemon without the customer's connection asks for one (see adopt). */
const ADOPTABLE: readonly Session["status"][] = ["waiting", "active", "collaborating", "on-hold"];

/**
 * Each session's media: the customer's offer creates a werift peer (the connection is set up
 * while the session waits), Start opens the recorder, hold/resume follow the session's status,
 * and a terminal status closes the peer and finalises the recording.
 */
export class SessionManager {
  private readonly media = new Map<string, MediaSession>();
  private readonly starts = new Map<string, PendingStart>();
  /** The identity of the offer each session's connection answers, to tell a repeat from a new one. */
  private readonly offers = new Map<string, string>();
  /** Each session's offering connection (see connectionOf), to tell a re-offer on it (ICE restart). */
  private readonly connections = new Map<string, string | undefined>();
  /** When media stopped (its last packet, epoch ms) on a session's connection, until it is back. */
  private readonly lostSince = new Map<string, number>();
  /** When this daemon asked the customer for a new connection (adopting the session), epoch ms. */
  private readonly reoffered = new Map<string, number>();
  /** The figures of each session's latest media connection, taken as it closed (see ended()). */
  private readonly lastFigures = new Map<string, SessionStats>();
  /** What each session's closed media connections counted, added to the live one's in stats(). */
  private readonly totals = new SessionTotals();
  /** Ended sessions' final figures, oldest first, at most FINAL_FIGURES_KEPT (see statsOf). */
  private readonly finalFigures = new Map<string, SessionStats>();
  /** Each session's last finished segment, for stats while no segment is being written. */
  private readonly lastSegment = new Map<string, { path: string; bytes: number; frames: number }>();
  /** Offers being taken up, by session: their candidates wait for them. */
  private readonly answering = new Map<string, Promise<void>>();
  /** The newest offer of each session that waits for the one being answered. */
  private readonly nextOffer = new Map<string, Signal>();
  /** The sessions as last pushed, to tell this technician's role in each. */
  private readonly known = new Map<string, Session>();
  /** Audio taps by session: they outlive a peer (a customer who reconnects is heard again). */
  private readonly listeners = new Map<string, Set<AudioListener>>();
  private iceServers: Promise<ServerConfig["iceServers"]> | null = null;
  /** When the cached ICE servers are asked for again (epoch ms). */
  private iceServersRenewAt = Infinity;
  private readonly unsubscribe: () => void;
  /** Every Lens-tool action delivered, with its time. */
  readonly lensJournal: LensJournal;
  /** Keeps each session's recording-stopped before its next segment's recording-started. */
  private readonly segmentLog = new SegmentLog((e) => this.log.error(`a recording event was not logged: ${e.message}`));

  constructor(
    private readonly backend: Backend,
    private readonly events: EventLog,
    private readonly log: Logger,
    readonly recordingsDir: string,
    /** RESCUE_ICE_HOST_ADDRESSES: offered as host candidates beside the interfaces' own. */
    private readonly iceHostAddresses: string[] = [],
    /** What Start decided per session, on disk for a restarted daemon (see StartMemory). */
    private readonly memory: StartMemory = new StartMemory(null),
    /** Recordings written outside `recordingsDir` (--record-path), so that they can be found again. */
    private readonly places: RecordingPlaces = new RecordingPlaces(null),
  ) {
    this.lensJournal = new LensJournal(events, log);
    backend.on("signal", (sessionId, signal) => this.onSignal(sessionId, signal));
    // A collaborator's action the server allowed: this daemon, the lead's, holds the customer's channel.
    backend.on("lens", (sessionId, action, by, ref) => {
      // The server waits for the answer to tell the collaborator whether it reached the page.
      const answer = (result: LensRelayResult) => {
        if (!ref) return;
        try {
          backend.send({ type: "lens-result", sessionId, ref, result });
        } catch (e) {
          this.log.warn(`session ${sessionId}: the answer to a relayed lens ${action.action} was not sent: ${(e as Error).message}`);
        }
      };
      this.lens(sessionId, action, by).then(
        (r) => answer({ delivered: true, ...(r.applied === undefined ? {} : { applied: r.applied }), ...(r.reason ? { reason: r.reason.slice(0, 300) } : {}) }),
        (e: Error) => {
          this.log.warn(`session ${sessionId}: lens ${action.action} by ${by} not delivered: ${e.message}`);
          answer({ delivered: false, message: e.message.slice(0, 500) });
        },
      );
    });
    // A new login or server may bring other ICE servers.
    backend.on("state", (state) => {
      if (state === "signed-in-elsewhere") {
        // The newer daemon of this login gets the customers' offers now: this one lets its media go.
        for (const id of [...this.media.keys()]) void this.closePeer(id, "signed in elsewhere");
        return;
      }
      if (state !== "connected") return;
      this.iceServers = null;
      // The snapshot is in (known is up to date): sessions whose media this daemon lacks are adopted.
      for (const session of this.known.values()) this.adopt(session);
    });
    this.unsubscribe = events.subscribe((e) => {
      // What happens goes onto the timeline of the session's recording, when there is one.
      for (const item of timelineItemsOf(e, e.type === "session" ? this.known.get(e.session.id) : undefined)) {
        // Media loss is noticed seconds after the last packet: its cue goes where the picture stopped.
        const happenedAt = item.kind === "media-lost" ? this.lostSince.get(item.sessionId) : undefined;
        this.media.get(item.sessionId)?.peer.timeline?.add(item.kind, item.text, item.detail, happenedAt);
      }
      if (e.type === "session") {
        const before = this.known.get(e.session.id);
        this.follow(e.session);
        // The customer came back after this daemon lost their connection (it restarted meanwhile).
        if (before?.customer?.away && !e.session.customer?.away) this.adopt(e.session);
      } else if (e.type === "sessions") {
        for (const s of e.sessions) this.follow(s);
        // Not among this login's sessions any more (logged out, another login): nobody here may
        // keep receiving or recording its customer.
        const listed = new Set(e.sessions.map((s) => s.id));
        for (const id of [...this.media.keys()].filter((id) => !listed.has(id))) {
          this.endListeners(id, "logged out");
          void this.closePeer(id, "not among this login's sessions (logged out)");
        }
      }
    });
  }

  /**
   * A session this technician leads, whose customer is there and past the EULA, but whose media
   * this daemon does not have (it restarted, or lost the peer): the customer's device is asked
   * for a new offer on a new connection, and the recording goes on as a new segment.
   */
  private adopt(session: Session): void {
    if (!this.isLead(session) || !ADOPTABLE.includes(session.status) || !session.customer || session.customer.away) return;
    if (this.media.has(session.id) || this.answering.has(session.id)) return;
    this.log.info(`session ${session.id}: ${session.status} with no media connection in this daemon; asking the customer for a new offer`);
    this.reoffered.set(session.id, Date.now());
    this.requestOffer(session.id);
  }

  private requestOffer(sessionId: string): void {
    this.sendToServer(() => this.backend.send({ type: "reoffer", sessionId }));
  }

  private onSignal(sessionId: string, signal: Signal): void {
    if (signal.kind === "offer") {
      const usable = MediaOffer.safeParse(signal.sdp);
      if (!usable.success) return this.log.warn(`session ${sessionId}: offer refused: ${usable.error.issues[0]?.message ?? "not an SDP"}`);
      // A page that saw no answer yet sends the same offer again on Start; the answer is on its way.
      const identity = offerIdentity(signal.sdp);
      if (this.offers.get(sessionId) === identity) return this.log.info(`session ${sessionId}: the same offer again, ignored`);
      // A new offer on the connection already answered (its DTLS certificate), as after
      // restartIce() on a network switch, keeps the customer's DTLS state: werift cannot restart
      // ICE as the answerer, and a new peer would answer with a certificate that connection
      // refuses. A new connection from the customer works: ask for one.
      const connection = connectionOf(signal.sdp);
      const sameConnection = connection !== undefined && this.connections.get(sessionId) === connection;
      this.connections.set(sessionId, connection);
      if (sameConnection && this.media.has(sessionId)) {
        this.log.info(`session ${sessionId}: the customer restarts ICE; asking for a new connection instead`);
        this.offers.set(sessionId, identity);
        return this.requestOffer(sessionId);
      }
      this.offers.set(sessionId, identity);
      // Offers come faster than they are answered (a reloading page, an odd sender): one answer at a
      // time, and of those waiting only the newest, so each does not make (and leak) a peer.
      const replaced = this.nextOffer.has(sessionId);
      this.nextOffer.set(sessionId, signal);
      if (replaced) this.log.info(`session ${sessionId}: a newer offer replaces one not yet answered`);
      if (this.answering.has(sessionId)) return;
      const answering = this.answerOffers(sessionId);
      this.answering.set(sessionId, answering);
      void answering.finally(() => {
        if (this.answering.get(sessionId) === answering) this.answering.delete(sessionId);
      });
      return;
    }
    // Candidates trickle in while the offer is still being taken up (the ICE servers are fetched first).
    const answering = this.answering.get(sessionId);
    if (answering) {
      void answering.then(() => this.onSignal(sessionId, signal));
      return;
    }
    const m = this.media.get(sessionId);
    if (!m) return this.log.info(`signal ${signal.kind} for session ${sessionId} before its offer: ignored`);
    m.answered.then(() => m.peer.handleSignal(signal)).catch((e: Error) => this.log.error(`session ${sessionId}: ${e.message}`));
  }

  /** Answers the session's waiting offers one after another until none waits. */
  private async answerOffers(sessionId: string): Promise<void> {
    for (let offer = this.nextOffer.get(sessionId); offer; offer = this.nextOffer.get(sessionId)) {
      this.nextOffer.delete(sessionId);
      await this.answer(sessionId, offer).catch((e: Error) => this.log.error(`session ${sessionId}: ${e.message}`));
    }
  }

  private async answer(sessionId: string, offer: Signal): Promise<void> {
    // A new offer (the customer reloaded the page) replaces the old connection.
    await this.closePeer(sessionId, "new offer from the customer");
    let iceServers: ServerConfig["iceServers"];
    try {
      iceServers = await this.serverIceServers();
    } catch (e) {
      this.log.error(`session ${sessionId}: cannot answer the offer without the server's ICE configuration: ${(e as Error).message}`);
      return;
    }
    if (this.nextOffer.has(sessionId)) return this.log.info(`session ${sessionId}: offer skipped, a newer one waits`);
    const peer = new TechnicianPeer({
      iceServers,
      loopback: isLoopbackUrl(this.backend.server),
      hostAddresses: this.iceHostAddresses,
      inboundKeepPercent: inboundKeepPercent(process.env),
    });
    const session = this.known.get(sessionId);
    const auto = session !== undefined && (session.status === "on-hold" || RUNNING.includes(session.status) || !this.isLead(session));
    const m: MediaSession = { peer, answered: Promise.resolve(), status: null, started: false, auto };
    this.media.set(sessionId, m);
    peer.on("signal", (signal) => this.sendToServer(() => this.backend.send({ type: "signal", sessionId, signal })));
    peer.on("connected", () => {
      this.log.info(`session ${sessionId}: media connected`);
      this.reoffered.delete(sessionId);
      this.mediaEvent(sessionId, "media-connected", {});
      // Media lost on the connection this one replaced (a network switch, a reload): back now.
      const lostSince = this.lostSince.get(sessionId);
      if (lostSince === undefined) return;
      this.lostSince.delete(sessionId);
      this.mediaEvent(sessionId, "media-restored", { afterMs: Date.now() - lostSince, reason: "new connection" });
    });
    peer.on("first-frame", ({ afterMs, width, height }) =>
      this.events.emit({ type: "media", sessionId, event: "first-frame", detail: { afterMs, width, height } }),
    );
    peer.on("state", (state) => {
      if (state !== "failed" || this.media.get(sessionId) !== m) return;
      // ICE gave up (a customer frozen or offline for ~30 s): a customer who is still (or again)
      // there is asked for a new connection, as after a daemon restart; the segment is finalised.
      this.log.error(`session ${sessionId}: media connection failed`);
      void this.closePeer(sessionId, "media connection failed").then(() => {
        const session = this.known.get(sessionId);
        if (session) this.adopt(session);
      });
    });
    peer.on("recording-error", ({ message, path }) => {
      this.log.error(`session ${sessionId}: recording to ${path} stopped: ${message}`);
      // The technician's own path stays local; the log (which collaborators read) gets the reason.
      this.events.emit({ type: "media", sessionId, event: "recording-error", detail: { message, path } });
      this.sendToServer(() => this.backend.send({ type: "media", sessionId, event: "recording-error", detail: { message } }));
    });
    peer.path.on("lost", ({ reason }) => {
      this.log.warn(`session ${sessionId}: media lost: ${reason}`);
      this.lostSince.set(sessionId, peer.path.since);
      this.mediaEvent(sessionId, "media-lost", { reason });
    });
    peer.path.on("restored", ({ afterMs }) => {
      this.lostSince.delete(sessionId);
      this.log.info(`session ${sessionId}: media restored after ${afterMs} ms`);
      this.mediaEvent(sessionId, "media-restored", { afterMs });
    });
    peer.setCustomerPaused(session?.customer?.paused === true);
    peer.on("error", (e) => this.log.error(`session ${sessionId}: ${e.message}`));
    peer.on("audio", (data) => {
      for (const l of this.listeners.get(sessionId) ?? []) l.packet(data);
    });
    m.answered = peer.handleSignal(offer);
    try {
      await m.answered;
    } catch (e) {
      this.log.error(`session ${sessionId}: cannot answer the offer: ${(e as Error).message}`);
      return;
    }
    if (this.media.get(sessionId) !== m) return;
    const start = this.starts.get(sessionId) ?? this.rememberedStart(sessionId);
    if (start) this.startMedia(sessionId, m, start);
    else this.startIfRunning(sessionId, m);
  }

  /**
   * A running session that a previous daemon started: recorded as Start asked then (the next
   * free segment of its file, or not at all), not by the defaults.
   */
  private rememberedStart(sessionId: string): PendingStart | undefined {
    const session = this.known.get(sessionId);
    const remembered = this.memory.get(sessionId);
    if (!session || !remembered || !this.isLead(session) || !RUNNING.includes(session.status)) return undefined;
    const start: PendingStart = { session, recordPath: remembered.recordPath && freeRecordingPath(remembered.recordPath) };
    this.starts.set(sessionId, start);
    this.log.info(`session ${sessionId}: adopted${start.recordPath ? `, recording the next segment to ${start.recordPath}` : " (not recorded, as started)"}`);
    return start;
  }

  /**
   * Before Start goes to the server: an explicit recording path needs the group's `record`
   * permission, and its folder is made (0700) or, when others may open it, warned about.
   */
  prepare(session: Session, opts: StartOptions): string[] {
    if (!opts.record || !opts.recordPath) return [];
    if (!session.recordable) throw new RescueError("forbidden", "your technician group may not record sessions (permission: record)");
    const warning = chosenDir(dirname(opts.recordPath));
    if (!warning) return [];
    this.log.warn(`session ${session.id}: ${warning}`);
    return [warning];
  }

  /**
   * The server made the session active: record what the customer sends. When their offer has not
   * come yet (a page that offers on Start), media starts as soon as it does. Returns the recording path.
   */
  async started(session: Session, opts: StartOptions): Promise<string | undefined> {
    const recordPath = opts.record && session.recordable ? (opts.recordPath ?? this.defaultRecordingPath(session.id)) : null;
    const start: PendingStart = { session, recordPath };
    this.starts.set(session.id, start);
    this.memory.set(session.id, { recordPath });
    const m = this.media.get(session.id);
    if (!m) {
      this.log.info(`session ${session.id}: started before the customer's media; recording begins when it arrives`);
      return recordPath ?? undefined;
    }
    await m.answered;
    if (m.started) return m.peer.recordingPath ?? undefined;
    return this.startMedia(session.id, m, start);
  }

  private startMedia(sessionId: string, m: MediaSession, start: PendingStart): string | undefined {
    m.started = true;
    m.status = start.session.status;
    const { recording } = m.peer.startMedia({
      recordPath: start.recordPath,
      manifest: { session: sessionId, technician: start.session.technician, customerName: start.session.name || null },
    });
    // A later connection of the same session (the customer reloaded) records to a new file.
    if (start.recordPath) start.recordPath = nextRecordingPath(start.recordPath);
    if (recording) {
      if (resolve(dirname(recording)) !== resolve(this.recordingsDir)) this.places.add(sessionId, recording);
      // After the recording-stopped of the segment before it, which may still be finalising.
      void this.segmentLog.queue(sessionId, Promise.resolve(), () => this.mediaEvent(sessionId, "recording-started", { path: recording }));
      const segment = recordingName(basename(recording))?.segment ?? 1;
      // Who it is of, also for the manifest of a segment a crash leaves (recording-finaliser.ts).
      m.peer.timeline?.add("segment", `segment ${segment} starts`, { segment, technician: start.session.technician, customerName: start.session.name || null });
    }
    return recording ?? undefined;
  }

  /**
   * `session`'s figures: those of stats() while it runs; once it has ended, the final figures of
   * its last media connection here (`ended` set). An ended session this daemon has no figures of
   * (it had no media of it, or it ended before this daemon started) is not_found.
   */
  statsOf(session: Session): SessionStats {
    if (!TERMINAL_STATUSES.includes(session.status) || this.media.has(session.id)) return this.stats(session.id);
    const final = this.finalFigures.get(session.id);
    if (final) return structuredClone(final);
    throw new RescueError(
      "not_found",
      `session ${session.id} has ended (${session.status}) and this daemon has no figures of it: it keeps the final figures of sessions whose media it received, until it stops`,
    );
  }

  /**
   * The session's media figures. Without a media connection in this daemon (the customer away,
   * the session being adopted) they still say what is going on: `connection` lost (since the last
   * packet) or connecting (since the new connection was asked for), `away` from the session, and
   * a recorded session's last segment as `recording` with `paused: true`.
   */
  stats(sessionId: string): SessionStats {
    const m = this.media.get(sessionId);
    const stats = this.totals.apply(sessionId, m ? m.peer.stats() : structuredClone(EMPTY_STATS), m !== undefined);
    const session = this.known.get(sessionId);
    if (!session || !this.takesPart(session) || !ADOPTABLE.includes(session.status) || !session.customer) return stats;
    const away = session.customer.away;
    if (away) stats.away = { since: away.since, until: away.until };
    if (!m) {
      const lost = this.lostSince.get(sessionId);
      stats.connection = away
        ? { state: "lost", since: new Date(lost ?? Date.parse(away.since)).toISOString() }
        : { state: "connecting", since: new Date(this.reoffered.get(sessionId) ?? lost ?? Date.now()).toISOString() };
    }
    const recordPath = this.starts.get(sessionId)?.recordPath ?? this.memory.get(sessionId)?.recordPath;
    const last = this.lastSegment.get(sessionId);
    if (!stats.recording && recordPath && last && session.status !== "waiting") stats.recording = { ...last, paused: true };
    return stats;
  }

  /**
   * The start-up sweep (finaliseOrphanRecordings) that finalises what a killed daemon left. Until
   * its segments are reported (crashFinalised), no segment event is logged: a session adopted
   * meanwhile logs its next segment's recording-started after the killed one's recording-stopped.
   * Resolves when the sweep is done; rejects as it does.
   */
  crashFinalising(sweep: Promise<FinalisedRecording[]>): Promise<void> {
    this.segmentLog.holdUntil(sweep.then((done) => this.crashFinalised(done)));
    return sweep.then(() => undefined);
  }

  /**
   * Segments a killed daemon left, now finalised (see finaliseOrphanRecordings): the session log
   * gets the `recording-stopped` the killed daemon never wrote (complete: false, with why) and the
   * outage as media-lost, from the segment's last write until the adopted connection's media
   * (media-restored, logged as the connection comes up, or at once when it already has).
   * Resolves once all are reported: at once when connected to the server, else on connecting.
   */
  crashFinalised(done: FinalisedRecording[]): Promise<void> {
    const reports: Promise<void>[] = [];
    for (const { path, manifest } of done) {
      const sessionId = manifest.session;
      const endedAt = Date.parse(manifest.endedAt);
      this.lastSegment.set(sessionId, { path, bytes: manifest.bytes, frames: manifest.frames.video });
      const report = () => {
        this.mediaEvent(sessionId, "recording-stopped", {
          path,
          bytes: manifest.bytes,
          videoFrames: manifest.frames.video,
          ...(manifest.durationMs === null ? {} : { durationMs: manifest.durationMs }),
          complete: false,
          reason: manifest.error ?? CRASHED_RECORDING,
        });
        this.mediaEvent(sessionId, "media-lost", { reason: "the daemon stopped while recording (crash or kill)" });
        const peer = this.media.get(sessionId)?.peer;
        if (peer?.path.state === "connected") {
          this.mediaEvent(sessionId, "media-restored", { afterMs: Math.max(0, peer.path.since - endedAt), reason: "new connection" });
        } else if (!this.lostSince.has(sessionId)) {
          this.lostSince.set(sessionId, endedAt);
        }
      };
      // Logged through the server: once this daemon is connected to it.
      if (this.backend.state === "connected") report();
      else {
        reports.push(
          new Promise((reported) => {
            const onState = (state: string) => {
              if (state !== "connected") return;
              this.backend.off("state", onState);
              report();
              reported();
            };
            this.backend.on("state", onState);
          }),
        );
      }
    }
    return Promise.all(reports).then(() => undefined);
  }

  /**
   * Plays an Ogg/Opus file to the customer; the promise settles when it has been played. Refuses
   * at once (not in the background playing): a collaborator without `talk` (forbidden), a file
   * that is not Ogg/Opus (bad_request; read here, before the caller answers, so a temporary file
   * may go once this returns), no connected media (conflict).
   */
  talk(sessionId: string, audioPath: string): Promise<void> {
    this.mayTalk(sessionId);
    let packets: OpusPacket[];
    try {
      packets = readOggOpus(audioPath).packets;
    } catch (e) {
      throw new RescueError("bad_request", `${audioPath}: not an Ogg/Opus file (${(e as Error).message}); rescue session talk --audio converts other formats`);
    }
    if (packets.length === 0) throw new RescueError("bad_request", `${audioPath}: no audio packets in it`);
    return this.withPeer(sessionId, (peer) => peer.talk(packets));
  }

  /** A live talk (the technician's microphone): the same checks as `talk`; packets are pushed by the caller. */
  talkLive(sessionId: string): LiveTalk {
    this.mayTalk(sessionId);
    return this.withPeer(sessionId, (peer) => peer.talkLive());
  }

  /**
   * Hears the customer of a session: `listener` gets each Opus packet while media runs (not on
   * hold, not before Start), across customer reconnects, until the session ends for this
   * technician. Returns the unsubscribe function. Throws conflict when the session is not one
   * this technician is in (or it has ended).
   */
  listen(sessionId: string, listener: AudioListener): () => void {
    const session = this.known.get(sessionId);
    if (!session || !this.takesPart(session)) throw new RescueError("conflict", `session ${sessionId} is not running for you (ended, or you are not in it)`);
    let set = this.listeners.get(sessionId);
    if (!set) this.listeners.set(sessionId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(sessionId) === set) this.listeners.delete(sessionId);
    };
  }

  private endListeners(sessionId: string, reason: string): void {
    const set = this.listeners.get(sessionId);
    this.listeners.delete(sessionId);
    for (const l of set ?? []) l.end(reason);
  }

  /**
   * Keeping the customer's media on disk (a snapshot, the voice saved to a file) is recording: the
   * group's `record` permission for the lead, and the lead's `record` grant for a collaborator.
   * The lead's is asked of the server each time (GET /api/v1/me): an admin may have taken `record`
   * from the group since the session began, and a snapshot is a new capture. Throws forbidden
   * otherwise (the server refuses to log it for them too), or what the server's absence is.
   */
  async maySave(sessionId: string): Promise<void> {
    const session = this.known.get(sessionId);
    if (!session) return;
    if (!session.recordable) throw new RescueError("forbidden", "your technician group may not record sessions (permission: record)");
    if (!this.granted(session, "record")) throw new RescueError("forbidden", "the lead technician has not given you the permission: record");
    if (!this.isLead(session)) return;
    const me = await (await this.backend.ready()).call("GET", "/api/v1/me", Technician);
    if (!me.permissions.includes("record")) {
      throw new RescueError("forbidden", "your technician group may no longer keep customer media (permission: record was taken away after this session began)");
    }
  }

  /** Writes `voice-saved` into the session log: a listener began keeping the customer's voice in a file. */
  voiceSaved(sessionId: string): void {
    this.mediaEvent(sessionId, "voice-saved", {});
  }

  private mayTalk(sessionId: string): void {
    const session = this.known.get(sessionId);
    if (session && !this.granted(session, "talk")) throw new RescueError("forbidden", "the lead technician has not given you the permission: talk");
  }

  private withPeer<T>(sessionId: string, use: (peer: TechnicianPeer) => T): T {
    const peer = this.peerOf(sessionId);
    try {
      return use(peer);
    } catch (e) {
      throw new RescueError("conflict", `cannot talk in session ${sessionId}: ${(e as Error).message}`);
    }
  }

  /** The session's live video for a viewer; conflict when its media is not connected. */
  videoTap(sessionId: string): VideoTap {
    const tap = this.peerOf(sessionId).video;
    if (!tap.format) throw new RescueError("conflict", `session ${sessionId} has no video yet`);
    return tap;
  }

  /** Saves the newest frame as a PNG at `outPath` and writes `snapshot` into the session log; forbidden without `record` (maySave). */
  async snapshot(sessionId: string, outPath: string): Promise<Snapshot> {
    await this.maySave(sessionId);
    let shot: Snapshot;
    try {
      shot = await takeSnapshot(this.videoTap(sessionId), outPath);
    } catch (e) {
      if (e instanceof RescueError) throw e;
      throw new RescueError("conflict", `cannot take a snapshot of session ${sessionId}: ${(e as Error).message}`);
    }
    // The path is the technician's own business: the log, which collaborators read, gets the size.
    this.mediaEvent(sessionId, "snapshot", { width: shot.width, height: shot.height });
    return shot;
  }

  /**
   * Before the lead's own Lens action goes to the server (which logs it): conflict when this
   * daemon leads the session but cannot deliver now (no media connection, or the page's Lens
   * channel is not open yet), so the log holds only what reached the customer.
   */
  lensReady(sessionId: string): void {
    const session = this.known.get(sessionId);
    if (!session || !this.isLead(session)) return;
    if (!this.peerOf(sessionId).lens.open) {
      throw new RescueError("conflict", `the customer's page in session ${sessionId} has no open Lens channel yet (media not connected, or an older page)`);
    }
  }

  /**
   * Delivers a Lens action the server has allowed to the customer's page on the lead's data
   * channel, and records it (see LensJournal). Freeze also saves the technician's still of the
   * frozen picture at `stillPath` (PNG). Zoom and torch wait for the page's answer: `applied`
   * says whether the camera did it. Errors: conflict when this daemon leads no running media
   * for the session or the page has no Lens channel.
   */
  async lens(sessionId: string, action: LensAction, by: string, stillPath?: string): Promise<LensResult> {
    const session = this.known.get(sessionId);
    if (session && !this.isLead(session)) throw new RescueError("conflict", `only the lead technician's daemon delivers Lens tools in session ${sessionId}`);
    const peer = this.peerOf(sessionId);
    const channel = peer.lens;
    const command = lensCommandOf(action, channel.requestId());
    const result: LensResult = { sessionId, action: action.action, delivery: "lead" };
    const atMs = Date.now();
    // The technician's still is the picture at hand when the page is told to hold its own: its
    // frames are taken (synchronously, in takeSnapshot's first step) before the command goes.
    const still = command.op === "freeze" && stillPath ? takeSnapshot(peer.video, stillPath) : undefined;
    still?.catch(() => undefined);
    try {
      if (command.op === "zoom" || command.op === "torch") {
        const reply = await channel.request(command);
        result.applied = reply.applied;
        if (reply.reason) result.reason = reply.reason;
      } else {
        channel.send(command);
      }
    } catch (e) {
      throw new RescueError("conflict", `cannot use Lens tools in session ${sessionId}: ${(e as Error).message}`);
    }
    if (still) {
      try {
        const shot = await still;
        result.snapshot = { path: shot.path, width: shot.width, height: shot.height };
      } catch (e) {
        this.log.warn(`session ${sessionId}: no still of the frozen picture: ${(e as Error).message}`);
      }
    }
    this.lensJournal.record(sessionId, { atMs, action, by, ...(result.applied === undefined ? {} : { applied: result.applied }), ...(result.reason ? { reason: result.reason } : {}) });
    return result;
  }

  setMuted(sessionId: string, muted: boolean): void {
    const peer = this.peerOf(sessionId);
    if (muted) peer.mute();
    else peer.unmute();
  }

  /** Finished recordings (from their manifests) and the ones being written now. */
  recordings(): Promise<Recording[]> {
    return listRecordings(this.recordingsDir, this.liveRecordings(), this.places.all());
  }

  /** The recordings `ref` names (a session id, or a path in the recordings folder or one recorded to with --record-path), with their manifests. */
  showRecordings(ref: string): Promise<RecordingDetail[]> {
    return findRecordings(this.recordingsDir, ref, this.liveRecordings(), this.places);
  }

  /** Deletes the finished recordings `ref` names, manifests and timelines with them; returns the paths removed. */
  deleteRecordings(ref: string): Promise<string[]> {
    return deleteRecordings(this.recordingsDir, ref, this.liveRecordings(), this.places);
  }

  /** Whether a session of this daemon is writing the recording at `path` now. */
  isRecordingTo(path: string): boolean {
    return this.liveRecordings().some((r) => r.path === path);
  }

  private liveRecordings(): Recording[] {
    return [...this.media.entries()].flatMap(([session, m]) => {
      const s = m.peer.stats().recording;
      return s ? [{ session, path: s.path, bytes: s.bytes, durationMs: null }] : [];
    });
  }

  /** Closes every peer, finalising its recording. */
  async close(): Promise<void> {
    this.unsubscribe();
    // The last segments' recording-stopped go out now, whatever the start-up sweep still waits for.
    this.segmentLog.release();
    for (const id of [...this.listeners.keys()]) this.endListeners(id, "daemon stopping");
    this.backend.removeAllListeners("signal");
    this.backend.removeAllListeners("lens");
    await Promise.all([...this.media.keys()].map((id) => this.closePeer(id, "daemon stopping")));
  }

  private follow(session: Session): void {
    const m = this.media.get(session.id);
    if (TERMINAL_STATUSES.includes(session.status)) {
      // An ended session is never needed again: the daemon runs all day.
      this.known.delete(session.id);
      this.starts.delete(session.id);
      this.memory.delete(session.id);
      this.offers.delete(session.id);
      this.connections.delete(session.id);
      this.lostSince.delete(session.id);
      this.reoffered.delete(session.id);
      this.lastSegment.delete(session.id);
      this.lensJournal.forget(session.id);
      this.endListeners(session.id, `session ${session.status}`);
      this.nextOffer.delete(session.id);
      // closePeer takes the connection's figures before its first await: they are there below.
      if (m) void this.closePeer(session.id, `session ${session.status}`);
      this.ended(session);
      return;
    }
    const before = this.known.get(session.id);
    this.known.set(session.id, session);
    // The customer's own pause: a status for the technician (log, event stream), never a media failure.
    const paused = session.customer?.paused === true;
    if (before && (before.customer?.paused === true) !== paused) {
      this.log.info(`session ${session.id}: ${paused ? "paused by the customer" : "resumed by the customer"}`);
      this.events.emit({ type: "media", sessionId: session.id, event: paused ? "customer-paused" : "customer-resumed" });
    }
    // Transferred to someone else, or removed by the lead: the media goes, the recording is finalised.
    if (!this.takesPart(session)) {
      this.memory.delete(session.id);
      this.endListeners(session.id, "no longer in the session");
      if (m) void this.closePeer(session.id, "no longer in the session");
      // Figures of a session this daemon no longer takes part in are not its to give.
      this.lastFigures.delete(session.id);
      this.totals.forget(session.id);
      return;
    }
    if (m && !m.started && m.auto && !this.starts.has(session.id) && RUNNING.includes(session.status)) {
      m.answered.then(() => this.startIfRunning(session.id, m)).catch(() => undefined);
      return;
    }
    m?.peer.setCustomerPaused(session.customer?.paused === true);
    if (!m || m.status === session.status) return;
    const was = m.status;
    m.status = session.status;
    if (session.status === "on-hold") m.peer.hold();
    else if (was === "on-hold" && (session.status === "active" || session.status === "collaborating")) m.peer.resume();
  }

  private isLead(session: Session): boolean {
    return session.technician === this.backend.email;
  }

  /** The lead may do anything in the session; a collaborator what the lead granted (`permission`). */
  private granted(session: Session, permission: CollaboratorPermission): boolean {
    return this.isLead(session) || (session.collaborators ?? []).some((c) => c.technician === this.backend.email && c.permissions.includes(permission));
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
    const records = session.recordable && this.granted(session, "record");
    const recording = this.startMedia(sessionId, m, {
      session: { ...session, technician: this.backend.email ?? session.technician },
      recordPath: records ? this.defaultRecordingPath(sessionId) : null,
    });
    this.log.info(`session ${sessionId}: media started on joining the running session${recording ? `, recording to ${recording}` : ""}`);
  }

  /**
   * Keeps the final figures of an ended session (as its last connection closed, from lastFigures), so a
   * script asking for them after the end gets what was received, not zeros.
   */
  private ended(session: Session): void {
    const figures = this.lastFigures.get(session.id);
    this.lastFigures.delete(session.id);
    this.totals.forget(session.id);
    if (!figures) return;
    figures.connection = { state: "closed", since: session.statusSince };
    figures.video.fps = 0;
    figures.video.bitrateKbps = 0;
    delete figures.paused;
    delete figures.away;
    figures.ended = { status: session.status, at: session.statusSince };
    this.finalFigures.delete(session.id);
    this.finalFigures.set(session.id, figures);
    for (const oldest of this.finalFigures.keys()) {
      if (this.finalFigures.size <= FINAL_FIGURES_KEPT) break;
      this.finalFigures.delete(oldest);
    }
  }

  private async closePeer(sessionId: string, reason: string): Promise<void> {
    const m = this.media.get(sessionId);
    if (!m) return;
    this.media.delete(sessionId);
    // Taken before the connection closes (closing clears its counters); the recording's final
    // size is filled in when the file is finalised.
    const figures = this.totals.apply(sessionId, m.peer.stats(), true);
    this.totals.closedWith(sessionId, figures);
    this.lastFigures.set(sessionId, figures);
    const closing = m.peer.close(reason);
    // Its place in the log is taken now: a next segment started while this one is being
    // finalised is logged as started after this one's recording-stopped.
    await this.segmentLog.queue(sessionId, closing, (info) => this.peerClosed(sessionId, figures, info));
    await closing;
  }

  /** A closed peer's recording, finalised: figures, the last segment and its recording-stopped. */
  private peerClosed(sessionId: string, figures: SessionStats, info: Awaited<ReturnType<TechnicianPeer["close"]>>): void {
    if (info.recording) {
      figures.recording = { ...figures.recording, path: info.recording.path, bytes: info.recording.bytes, frames: info.recording.videoFrames };
      this.lastSegment.set(sessionId, { path: info.recording.path, bytes: info.recording.bytes, frames: info.recording.videoFrames });
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

  private peerOf(sessionId: string): TechnicianPeer {
    const m = this.media.get(sessionId);
    if (!m) throw new RescueError("conflict", `session ${sessionId} has no media connection`);
    return m.peer;
  }

  private defaultRecordingPath(sessionId: string): string {
    const tightened = ownPrivateDir(this.recordingsDir);
    if (tightened) this.log.warn(`${tightened}, now 0700: it holds customer recordings`);
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    return join(this.recordingsDir, `${sessionId}-${stamp}.webm`);
  }

  /**
   * The server's ICE servers, kept until half the life of their TURN credentials has passed (a
   * relay allocation made later would outlive them); asked again after every reconnect.
   */
  private serverIceServers(): Promise<ServerConfig["iceServers"]> {
    if (this.iceServers && Date.now() >= this.iceServersRenewAt) this.iceServers = null;
    this.iceServers ??= this.backend
      .ready()
      .then((rest) => rest.call("GET", "/api/v1/config", ServerConfig))
      .then((c) => {
        const expires = c.iceServersExpireAt ? Date.parse(c.iceServersExpireAt) : Infinity;
        this.iceServersRenewAt = Date.now() + (expires - Date.now()) / 2;
        return c.iceServers;
      });
    this.iceServers.catch(() => (this.iceServers = null));
    return this.iceServers;
  }

  /** Logged on the server (session log) and on the local event stream. */
  private mediaEvent(
    sessionId: string,
    event: MediaLogEvent,
    detail: MediaLogDetail,
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

/** The first of `path`, `x-2.webm`, `x-3.webm` ... that does not exist yet. */
function freeRecordingPath(path: string): string {
  let next = path;
  while (existsSync(next)) next = nextRecordingPath(next);
  return next;
}

/**
 * What names the peer connection an offer comes from: its `o=` session id, which stays the same
 * for every offer of one connection (RFC 8866 5.2; Chrome keeps it across restartIce()), with its
 * DTLS certificate fingerprint (RFC 8122 5). Werift makes a new session id per offer, so its
 * offers never look like one connection's; undefined when either is missing.
 */
export function connectionOf(sdp: string): string | undefined {
  const session = /^o=\S+ (\S+) /m.exec(sdp)?.[1];
  const fingerprint = /^a=fingerprint:(.+)$/m.exec(sdp)?.[1]?.trim().toLowerCase();
  return session && fingerprint ? `${session} ${fingerprint}` : undefined;
}

/** `x.webm` -> `x-2.webm` -> `x-3.webm`. */
function nextRecordingPath(path: string): string {
  const m = /^(.*?)(?:-(\d+))?(\.[^./]+)$/.exec(path);
  if (!m) return `${path}-2`;
  return `${m[1]}-${Number(m[2] ?? 1) + 1}${m[3]}`;
}

/**
 * What makes an offer the same offer: its origin line (session id and version) and ICE
 * credentials. A browser re-sending its local description includes the candidates gathered since,
 * so the text differs while the offer does not.
 */
export function offerIdentity(sdp: string): string {
  const origin = /^o=.*$/m.exec(sdp)?.[0];
  const ufrag = /^a=ice-ufrag:.*$/m.exec(sdp)?.[0];
  return origin && ufrag ? `${origin.trim()}\n${ufrag.trim()}` : sdp;
}
