import type {
  ChatMessage,
  CollaboratorPermission,
  CreateSessionRequest,
  DaemonEvent,
  DaemonStatus,
  InviteRequest,
  InviteResponse,
  JoinResponse,
  RecordingDetail,
  Session,
  SessionLogEntry,
  SessionStats,
  StartRequest,
  StartResponse,
} from "../protocol/index.js";
import type { VideoSource } from "../picture/live-picture.js";
import type { LensActionInput, LensResult } from "../protocol/lens.js";

/** A running voice of the console: the customer on the speakers, or the microphone to the customer. */
export interface VoiceHandle {
  /** Ends it (idempotent). */
  stop(): void;
  /** Settles when it has ended: null when stopped or the session ended, or why it failed. */
  done: Promise<string | null>;
}

/**
 * What the console needs from the daemon, one method per local API route it uses
 * (src/protocol/localapi.ts). Implementations parse every answer with the protocol schemas and
 * reject with RescueError; code `unavailable` means the daemon cannot be reached.
 */
export interface ConsoleClient {
  /** GET /status */
  status(): Promise<DaemonStatus>;
  /**
   * GET /events?since=N: the events the daemon still holds whose id is greater than `since`
   * (0 for all of them), then live ones until `signal` aborts. Ids are gap-free. The iteration
   * ends or rejects when the daemon goes away.
   */
  events(since: number, signal: AbortSignal): AsyncIterable<DaemonEvent>;
  /** GET /sessions */
  listSessions(): Promise<Session[]>;
  /** POST /sessions */
  createSession(req: CreateSessionRequest): Promise<Session>;
  /** POST /sessions/:id/pin ("create another PIN") */
  regeneratePin(id: string): Promise<Session>;
  /** POST /sessions/:id/start */
  start(id: string, opts?: StartRequest): Promise<StartResponse>;
  /** POST /sessions/:id/hold */
  hold(id: string): Promise<Session>;
  /** POST /sessions/:id/resume */
  resume(id: string): Promise<Session>;
  /** POST /sessions/:id/end */
  end(id: string): Promise<Session>;
  /** GET /sessions/:id/log */
  log(id: string): Promise<SessionLogEntry[]>;
  /** GET /sessions/:id/stats */
  stats(id: string): Promise<SessionStats>;
  /** GET /sessions/:id/video: the live video stream, from its current keyframe on */
  videoStream(id: string): Promise<VideoSource>;
  /** POST /sessions/:id/chat */
  chat(id: string, text: string): Promise<ChatMessage>;
  /** POST /sessions/:id/mute */
  mute(id: string): Promise<void>;
  /** POST /sessions/:id/unmute */
  unmute(id: string): Promise<void>;
  /** POST /sessions/:id/invitations */
  invite(id: string, req: InviteRequest): Promise<InviteResponse>;
  /** POST /join: an invitation addressed to me, by its PIN (the daemon is logged in, so no token comes back) */
  join(pin: string): Promise<Omit<JoinResponse, "token">>;
  /**
   * POST /sessions/:id/lens: a Lens tool on the customer's picture (draw, erase, freeze ...), as
   * `rescue lens` sends it; coordinates 0..1 of the frame.
   */
  lens(id: string, action: LensActionInput): Promise<LensResult>;
  /** POST /sessions/:id/transfer, to an online technician of the organisation by email */
  transfer(id: string, to: string): Promise<Session>;
  /** PATCH /sessions/:id/collaborators/:collaborator (by id or email): replaces what they may do; the lead only (forbidden otherwise) */
  setCollaborator(id: string, collaborator: string, permissions: CollaboratorPermission[]): Promise<Session>;
  /** POST /sessions/:id/collaborators/:collaborator/remove: the lead only (forbidden otherwise) */
  removeCollaborator(id: string, collaborator: string): Promise<Session>;
  /**
   * POST /sessions/:id/talk: plays an audio file once to the customer, converted to Ogg/Opus first
   * when it is another format (as `rescue session talk --audio`); resolves with the file's absolute path.
   */
  talkFile(id: string, file: string): Promise<string>;
  /** GET /recordings/show?ref=: a session's recordings (segments in order) with their manifests; not_found when it has none */
  showRecordings(ref: string): Promise<RecordingDetail[]>;
  /** POST /recordings/delete: removes a session's finished recordings with manifests and timelines; the paths removed */
  deleteRecordings(ref: string): Promise<string[]>;
  /**
   * GET /sessions/:id/audio played on the default speakers ("speaker"), or the default microphone
   * sent with POST /sessions/:id/talk/live ("mic"), through the sound server. Absent where the
   * console has no sound.
   */
  voice?(id: string, kind: VoiceKind): VoiceHandle;
}

export type VoiceKind = "speaker" | "mic";
