import * as z from "zod";
import { Id, IsoTime, SessionStatus } from "./common.js";
import { ChatMessage, Session } from "./session.js";
import { Invitation } from "./collaboration.js";

/**
 * The daemon's local API: HTTP over the unix socket RESCUE_HOME/run/rescued.sock, routes under
 * /api/v1, one table in daemon/localapi/routes.ts. Every request carries LOCALAPI_VERSION_HEADER;
 * the daemon answers with it too and refuses a mismatch (the client says "restart the daemon").
 * Any request with Origin or Referer gets 403. Errors are ErrorBody, as on the server.
 *
 *   GET  /api/v1/status                 -> DaemonStatus
 *   POST /api/v1/reload                 re-read credentials (after login/logout) -> DaemonStatus
 *   POST /api/v1/shutdown               -> 202, then the daemon exits
 *   GET  /api/v1/events?since=N         NDJSON stream of DaemonEvent, gap-free ids
 *   GET  /api/v1/sessions?status=S      -> Session[]
 *   POST /api/v1/sessions               CreateSessionRequest -> Session
 *   GET  /api/v1/sessions/:id           -> Session
 *   POST /api/v1/sessions/:id/pin       -> Session
 *   POST /api/v1/sessions/:id/start     StartRequest -> StartResponse
 *   POST /api/v1/sessions/:id/hold|resume|end -> Session
 *   GET  /api/v1/sessions/:id/log       -> SessionLogEntry[]
 *   GET  /api/v1/sessions/:id/stats     -> SessionStats
 *   POST /api/v1/sessions/:id/chat      ChatRequest -> ChatMessage
 *   POST /api/v1/sessions/:id/talk      TalkRequest -> 202 (the file is read before the answer)
 *   POST /api/v1/sessions/:id/talk/live body: a live Ogg/Opus stream (chunked) -> LiveTalkResponse when it ends
 *   GET  /api/v1/sessions/:id/audio     the customer's voice, live: an Ogg/Opus stream (audio/ogg), a page per packet
 *                                       (?save=1: the client keeps it in a file: needs record, logged as voice-saved)
 *   POST /api/v1/sessions/:id/mute|unmute -> 204
 *   GET  /api/v1/sessions/:id/video     the live video: VP8 in IVF (video/x-ivf) or H.264 Annex B
 *                                       (video/h264), from the current keyframe on, until the media ends
 *   POST /api/v1/sessions/:id/snapshot  SnapshotRequest -> Snapshot (PNG of the newest frame)
 *   POST /api/v1/sessions/:id/lens      LensAction -> LensResult (draw, erase, freeze, zoom, torch; see lens.ts)
 *   GET  /api/v1/recordings             -> Recording[]
 *   GET  /api/v1/recordings/show?ref=R  -> RecordingDetail[] (R: a session id, or a recording's path or file name)
 *   POST /api/v1/recordings/delete      RecordingRef -> DeletedRecordings (only files in the recordings folder)
 *   POST /api/v1/apikeys                CreateApiKeyRequest -> 201 CreatedApiKey (passed through, never kept or logged)
 *   GET  /api/v1/apikeys                -> ApiKey[]
 *   DELETE /api/v1/apikeys/:id          -> 204
 *   POST /api/v1/sessions/:id/invitations InviteRequest -> InviteResponse
 *   POST /api/v1/join                   LocalJoinRequest -> JoinResponse (without its token)
 *   GET  /api/v1/invitations            -> Invitation[]
 *   PATCH /api/v1/sessions/:id/collaborators/:cid CollaboratorPatch -> Session
 *   POST /api/v1/sessions/:id/collaborators/:cid/remove -> Session
 *   POST /api/v1/sessions/:id/transfer  TransferRequest -> Session
 *   /api/v1/admin/...                   proxied to the server with the technician's token
 */
export { LOCALAPI_VERSION, LOCALAPI_VERSION_HEADER } from "./localapi-version.js";

/**
 * The daemon's connection to the server. `signed-in-elsewhere`: a newer connection of the same
 * technician (another daemon with this login) replaced this one; it stays down until the
 * technician takes over again here (rescue login, or rescue daemon stop and a command).
 */
export const BackendState = z.enum(["logged-out", "connecting", "connected", "reconnecting", "signed-in-elsewhere"]);
export type BackendState = z.infer<typeof BackendState>;

export const DaemonStatus = z.object({
  pid: z.number().int(),
  version: z.string(),
  startedAt: IsoTime,
  home: z.string(),
  server: z.string().nullable(),
  technician: z.string().nullable(),
  backend: z.object({
    state: BackendState,
    since: IsoTime,
    lastError: z.string().optional(),
  }),
});
export type DaemonStatus = z.infer<typeof DaemonStatus>;

export const StartRequest = z.strictObject({
  record: z.boolean().default(true),
  /** Where to write the recording instead of RESCUE_HOME/recordings. */
  recordPath: z.string().min(1).max(4096).optional(),
});
export type StartRequest = z.input<typeof StartRequest>;

export const StartResponse = z.object({
  id: Id,
  status: z.literal("active"),
  recording: z.string().optional(),
  /** What the technician should know, e.g. that the --record-path folder is open to other users. */
  warnings: z.array(z.string()).optional(),
});
export type StartResponse = z.infer<typeof StartResponse>;

export const TalkRequest = z.strictObject({ audioPath: z.string().min(1).max(4096) });
export const TalkResponse = z.object({ playing: z.string() });
export type TalkResponse = z.infer<typeof TalkResponse>;

export const SnapshotRequest = z.strictObject({
  /** Absolute path of the PNG to write; default RESCUE_HOME/snapshots/ID-TIME.png. */
  out: z.string().min(1).max(4096).refine((p) => p.startsWith("/"), "an absolute path").optional(),
});
export type SnapshotRequest = z.input<typeof SnapshotRequest>;
export const Snapshot = z.object({ path: z.string(), width: z.number().int().positive(), height: z.number().int().positive(), at: IsoTime });
export type Snapshot = z.infer<typeof Snapshot>;
/** The end of a live talk (POST /api/v1/sessions/:id/talk/live). */
export const LiveTalkResponse = z.object({
  /** Opus packets read from the upload. */
  receivedPackets: z.number().int(),
  /** Of those, sent to the customer (the rest came while muted). */
  sentPackets: z.number().int(),
  /** "upload-ended", or "stopped": the session ended, the customer reconnected, or another talk replaced this one. */
  endedBy: z.string(),
});
export type LiveTalkResponse = z.infer<typeof LiveTalkResponse>;

/** Answers that carry nothing a caller reads (shutdown: anything; a DELETE: no body). */
export const AnyAnswer = z.unknown();
export const NoAnswer = z.undefined();

export const SessionStats = z.object({
  /**
   * The media path: lost when nothing arrives (a frozen sender, a dead link, the customer away)
   * until it comes back; connecting while a new connection is asked for (a daemon adopting the
   * session). Absent when the session has no media to expect (waiting for its customer, ended).
   */
  connection: z
    .object({
      state: z.enum(["connecting", "connected", "lost", "closed"]),
      since: IsoTime,
      /**
       * The ICE candidate types of the pair in use, once one is nominated: `relay` on either side
       * means the media goes through a TURN server.
       */
      route: z.object({ local: z.string(), remote: z.string() }).optional(),
    })
    .optional(),
  /**
   * The customer's connection to the server dropped: the session is aborted at `until` unless they
   * are back (the session's `customer.away`). Media is `lost` meanwhile.
   */
  away: z.object({ since: IsoTime, until: IsoTime }).optional(),
  /** Media stopped on purpose, not lost: "customer" (their page's pause) or "hold" (the technician's). */
  paused: z.enum(["customer", "hold"]).optional(),
  /**
   * The session has ended (`status`, at `at`): the figures are final, those of its media
   * connections in this daemon as the last one closed; `fps` and `bitrateKbps` are 0 (nothing
   * arrives any more), `connection` is closed. The daemon keeps them for sessions that ended while it ran.
   */
  ended: z.object({ status: SessionStatus, at: IsoTime }).optional(),
  /**
   * The session's media connections in this daemon so far, the live one included (a page reload,
   * a new network or a daemon adopting the session each make one). Frames and packet counts are
   * the session's, added up over them; `fps`, `bitrateKbps`, codecs and size are the live one's.
   * Absent in answers of daemons that did not count it.
   */
  connections: z.number().int().optional(),
  video: z.object({
    codec: z.string().nullable(),
    width: z.number().int().nullable(),
    height: z.number().int().nullable(),
    frames: z.number().int(),
    fps: z.number(),
    bitrateKbps: z.number(),
    packetsLost: z.number().int(),
    packetsRecovered: z.number().int(),
  }),
  audio: z.object({
    codec: z.string().nullable(),
    packets: z.number().int(),
    packetsLost: z.number().int(),
    /** Technician -> customer direction (VoIP): packets that went out (none while muted or before DTLS is up). */
    sentPackets: z.number().int(),
    muted: z.boolean(),
  }),
  /** `error`: writing stopped (a full disk); the file keeps what it has. */
  /** `frames`: video frames written so far (the next one is frame number `frames`, from 0, in the file). */
  /**
   * `paused`: no media connection now (the customer away, the daemon adopting the session): `path`
   * is the last segment, finished; the next segment starts when the media is back.
   */
  recording: z
    .object({ path: z.string(), bytes: z.number().int(), frames: z.number().int().optional(), error: z.string().optional(), paused: z.boolean().optional() })
    .optional(),
});
export type SessionStats = z.infer<typeof SessionStats>;

export const Recording = z.object({
  session: Id,
  path: z.string(),
  bytes: z.number().int(),
  durationMs: z.number().nullable(),
  /** False for a recording that stopped early (a full disk, a crash); absent while it is being written. */
  complete: z.boolean().optional(),
});
export type Recording = z.infer<typeof Recording>;

/** One event on a recording's timeline: `atMs` from the recording's first frame (daemon/session/timeline.ts). */
export const TimelineEntry = z.object({ atMs: z.number(), kind: z.string(), text: z.string(), detail: z.record(z.string(), z.unknown()).optional() });
export type TimelineEntry = z.infer<typeof TimelineEntry>;

/** The manifest written beside a recording (daemon/session/recorder-manifest.ts); unknown fields kept. */
export const RecordingManifest = z.looseObject({
  session: z.string(),
  file: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  codecs: z.object({ video: z.string().nullable(), audio: z.string().nullable() }),
  frames: z.object({ video: z.number().int(), audio: z.number().int() }),
  width: z.number().int().nullable(),
  height: z.number().int().nullable(),
  /** The sizes recorded, in order; `fromMs` on the recording's timeline. */
  video: z.object({ sizes: z.array(z.object({ width: z.number().int(), height: z.number().int(), frames: z.number().int(), fromMs: z.number() })) }),
  /**
   * Stretches without the sender's audio, ms. `filled`: silence was written there (a muted sender); false: no audio packets at all (an outage, hold); absent in older manifests.
   */
  audio: z.object({ gaps: z.array(z.object({ fromMs: z.number(), toMs: z.number(), filled: z.boolean().optional() })) }),
  durationMs: z.number().nullable(),
  bytes: z.number().int(),
  sha256: z.string(),
  complete: z.boolean(),
  error: z.string().optional(),
  /** What happened during the recording, ms on its clock (also in the `.vtt` beside it); absent in older manifests. */
  timeline: z.array(TimelineEntry).optional(),
});
export type RecordingManifest = z.infer<typeof RecordingManifest>;

/** One recording (a segment) with its manifest: null while it is being written, or when none could be read. */
export const RecordingDetail = Recording.extend({ live: z.boolean(), manifest: RecordingManifest.nullable() });
export type RecordingDetail = z.infer<typeof RecordingDetail>;

export const RecordingRef = z.strictObject({ ref: z.string().min(1).max(4096) });
export const DeletedRecordings = z.object({ deleted: z.array(z.string()) });
export type DeletedRecordings = z.infer<typeof DeletedRecordings>;

const EventBase = { id: z.number().int().nonnegative(), at: IsoTime };
export const DaemonEvent = z.discriminatedUnion("type", [
  /** Full list, sent after (re)connecting to the server and when a session leaves this technician (transferred, removed): replace what you hold. */
  z.object({ ...EventBase, type: z.literal("sessions"), sessions: z.array(Session) }),
  z.object({ ...EventBase, type: z.literal("session"), session: Session }),
  z.object({ ...EventBase, type: z.literal("chat"), message: ChatMessage }),
  z.object({ ...EventBase, type: z.literal("invitation"), invitation: Invitation }),
  z.object({ ...EventBase, type: z.literal("backend"), state: BackendState, error: z.string().optional() }),
  z.object({ ...EventBase, type: z.literal("media"), sessionId: Id, event: z.string(), detail: z.record(z.string(), z.unknown()).optional() }),
]);
export type DaemonEvent = z.infer<typeof DaemonEvent>;
