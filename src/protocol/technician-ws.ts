import * as z from "zod";
import { Id, Printable, Text } from "./common.js";
import { ChatMessage, Session } from "./session.js";
import { Signal } from "./signal.js";
import { Technician } from "./api.js";
import { Invitation } from "./collaboration.js";
import { LensAction, LensRelayResult, LensRequestId } from "./lens.js";

export const CustomerMediaEvent = z.enum(["screen-share-stopped", "pin-refused-network"]);
export type CustomerMediaEvent = z.infer<typeof CustomerMediaEvent>;

/**
 * Technician WebSocket, GET /api/v1/ws with `Authorization: Bearer <token>` on the upgrade.
 * On open the server sends `hello` then a full `sessions` snapshot; after that a `session`
 * message for every change. A reconnecting client gets a fresh snapshot: that is the truth.
 * One connection per technician: a newer one (another daemon of the same login, here or on
 * another machine) replaces the older, which the server closes with WS_CLOSE.replaced (4409,
 * "signed in elsewhere ..."); a client closed so does not reconnect on its own.
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
  /**
   * What became of the customer, a status to show, not an error: screen-share-stopped (they stopped
   * sharing), pin-refused-network (their live PIN was refused because their network spent its
   * budget of wrong PINs: send them another way in; see SECURITY.md "PIN guessing").
   */
  z.object({ type: z.literal("customer-media"), sessionId: Id, event: CustomerMediaEvent }),
  /**
   * To the lead's daemon: a Lens action the server allowed a collaborator (`by`, with `annotate`);
   * the daemon delivers it on its data channel to the customer's page and answers `lens-result`
   * with the same `ref`, which the server hands back to the collaborator.
   */
  z.object({ type: z.literal("lens"), sessionId: Id, action: LensAction, by: z.string(), ref: LensRequestId.optional() }),
]);
export type ServerToTechnician = z.infer<typeof ServerToTechnician>;

/** Media events a daemon may write into the session log; any other is refused. */
export const MediaLogEvent = z.enum(["media-connected", "media-lost", "media-restored", "recording-started", "recording-stopped", "recording-error", "snapshot", "voice-saved"]);
export type MediaLogEvent = z.infer<typeof MediaLogEvent>;

/**
 * What a media event may say besides its name, and nothing else: the log entry's own fields
 * (event, at, by) are the server's to write. Its text goes into a log that every technician in
 * the session prints, so control characters arrive in caret notation (Printable).
 */
export const MediaLogDetail = z
  .object({
    path: Printable(4096),
    bytes: z.number().int().nonnegative(),
    videoFrames: z.number().int().nonnegative(),
    durationMs: z.number().nonnegative(),
    afterMs: z.number().nonnegative(),
    width: z.number().int().nonnegative(),
    height: z.number().int().nonnegative(),
    reason: Printable(500),
    message: Printable(500),
    /** recording-stopped: false when the segment was cut short (its daemon was killed). */
    complete: z.boolean(),
  })
  .partial()
  .strict();
export type MediaLogDetail = z.infer<typeof MediaLogDetail>;

export const TechnicianToServer = z.discriminatedUnion("type", [
  z.object({ type: z.literal("signal"), sessionId: Id, signal: Signal }).strict(),
  z.object({ type: z.literal("chat"), sessionId: Id, text: Text(2000) }).strict(),
  /**
   * Asks the customer's device for a fresh offer on a new connection to this technician: a daemon
   * that restarted (it lost its peer), or one that cannot take an ICE restart on its connection.
   */
  z.object({ type: z.literal("reoffer"), sessionId: Id }).strict(),
  /** The lead's daemon: what became of a relayed Lens action (`ref` of the server's `lens` message). */
  z.object({ type: z.literal("lens-result"), sessionId: Id, ref: LensRequestId, result: LensRelayResult }).strict(),
  /** The daemon's media state, logged by the server (media-connected, recording-started ...). */
  z.object({
    type: z.literal("media"),
    sessionId: Id,
    event: MediaLogEvent,
    detail: MediaLogDetail.optional(),
  }).strict(),
]);
export type TechnicianToServer = z.infer<typeof TechnicianToServer>;
