import * as z from "zod";
import { Id, Text } from "./common.js";
import { ChatMessage, Session } from "./session.js";
import { Signal } from "./signal.js";
import { Technician } from "./api.js";
import { Invitation } from "./collaboration.js";

/**
 * Technician WebSocket, GET /api/v1/ws with `Authorization: Bearer <token>` on the upgrade.
 * On open the server sends `hello` then a full `sessions` snapshot; after that a `session`
 * message for every change. A reconnecting client gets a fresh snapshot: that is the truth.
 */
export const ServerToTechnician = z.discriminatedUnion("type", [
  z.object({ type: z.literal("hello"), technician: Technician }),
  z.object({ type: z.literal("sessions"), sessions: z.array(Session) }),
  z.object({ type: z.literal("session"), session: Session }),
  z.object({ type: z.literal("signal"), sessionId: Id, signal: Signal }),
  z.object({ type: z.literal("chat"), message: ChatMessage }),
  /** An internal invitation addressed to this technician: its permissions and comment. */
  z.object({ type: z.literal("invitation"), invitation: Invitation }),
  z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
  /** What the customer did with their media, e.g. screen-share-stopped: a status to show, not an error. */
  z.object({ type: z.literal("customer-media"), sessionId: Id, event: z.enum(["screen-share-stopped"]) }),
]);
export type ServerToTechnician = z.infer<typeof ServerToTechnician>;

/** Media events a daemon may write into the session log; any other is refused. */
export const MediaLogEvent = z.enum(["media-connected", "media-lost", "media-restored", "recording-started", "recording-stopped", "recording-error", "snapshot"]);
export type MediaLogEvent = z.infer<typeof MediaLogEvent>;

export const TechnicianToServer = z.discriminatedUnion("type", [
  z.object({ type: z.literal("signal"), sessionId: Id, signal: Signal }),
  z.object({ type: z.literal("chat"), sessionId: Id, text: Text(2000) }),
  /**
   * Asks the customer's device for a fresh offer on a new connection to this technician: a daemon
   * that restarted (it lost its peer), or one that cannot take an ICE restart on its connection.
   */
  z.object({ type: z.literal("reoffer"), sessionId: Id }),
  /** The daemon's media state, logged by the server (media-connected, recording-started ...). */
  z.object({
    type: z.literal("media"),
    sessionId: Id,
    event: MediaLogEvent,
    detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  }),
]);
export type TechnicianToServer = z.infer<typeof TechnicianToServer>;
