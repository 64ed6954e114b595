import type {
  ChatMessage,
  CreateSessionRequest,
  DaemonEvent,
  DaemonStatus,
  InviteRequest,
  InviteResponse,
  JoinResponse,
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
  /**
   * GET /sessions/:id/audio played on the default speakers ("speaker"), or the default microphone
   * sent with POST /sessions/:id/talk/live ("mic"), through the sound server. Absent where the
   * console has no sound.
   */
  voice?(id: string, kind: VoiceKind): VoiceHandle;
}

export type VoiceKind = "speaker" | "mic";
