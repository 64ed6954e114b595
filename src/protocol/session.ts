import * as z from "zod";
import { Collaborator } from "./collaborator.js";
import { ConnectionMethod, Id, IsoTime, Pin, SessionMode, SessionStatus, SessionType } from "./common.js";

export const SessionLinks = z.object({
  /** Desktop link, `/?code=PIN` on the server's public URL. */
  desktop: z.string().url(),
  /** Mobile link, `/m/PIN`. */
  mobile: z.string().url(),
  /** Page where the customer types the PIN by hand. */
  pinEntry: z.string().url(),
});
export type SessionLinks = z.infer<typeof SessionLinks>;

/**
 * How far the invitation got. `queued`: no carrier is configured, the message waits in the
 * server's outbox (`rescue-server outbox`) and has not left the machine. `sent`: a carrier took
 * it. `delivered`: the carrier reports it reached the handset (Twilio status callbacks; email has
 * no such report). `failed`: refused, or the carrier reports it failed or undelivered.
 */
export const DeliveryStatus = z.enum(["queued", "sent", "delivered", "failed"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;
export const Delivery = z.object({
  channel: z.enum(["sms", "email"]),
  to: z.string(),
  status: DeliveryStatus,
  /** The carrier's reason when status is failed. */
  reason: z.string().optional(),
  /** The carrier's error code when it reported one (Twilio's ErrorCode, e.g. 30003). */
  code: z.number().int().optional(),
  /** The carrier's own last status word when it called back (Twilio: sent, delivered, undelivered, failed ...). */
  carrierStatus: z.string().optional(),
  /** When the carrier last reported on the message. */
  updatedAt: IsoTime.optional(),
});
export type Delivery = z.infer<typeof Delivery>;

/** A session as the server reports it to technicians (and the daemon to the CLI). */
export const Session = z.object({
  id: Id,
  name: z.string(),
  type: SessionType,
  mode: SessionMode,
  status: SessionStatus,
  method: ConnectionMethod,
  /** The live PIN; null once the customer has joined or the session has ended. */
  pin: Pin.nullable(),
  expiresAt: IsoTime.nullable(),
  links: SessionLinks.nullable(),
  /** Email of the technician who holds the session. */
  technician: z.string(),
  createdAt: IsoTime,
  statusSince: IsoTime,
  /** Whether the group allows recording; the customer is told when true. */
  recordable: z.boolean(),
  customer: z
    .object({
      camera: z.boolean(),
      microphone: z.boolean(),
      eulaAcceptedAt: IsoTime.nullable(),
      /**
       * True while the customer has paused their own camera and microphone (the Lens page's
       * pause); the server logs customer-paused and customer-resumed. Absent from older servers.
       */
      paused: z.boolean().optional(),
      /**
       * Set while the customer's connection is down (socket closed or no heartbeat): they may come
       * back (page reload, network switch) until `until`; after that the session is aborted.
       * Null or absent while they are connected.
       */
      away: z.object({ since: IsoTime, until: IsoTime }).nullable().optional(),
    })
    .nullable(),
  delivery: Delivery.optional(),
  /** Technicians who joined by invitation (absent when none). */
  collaborators: z.array(Collaborator).optional(),
});
export type Session = z.infer<typeof Session>;

export const SESSION_LOG_EVENTS = [
  "created",
  "pin-issued",
  "sms-sent",
  "sms-failed",
  "sms-queued",
  "sms-delivered",
  "email-sent",
  "email-queued",
  "email-failed",
  "customer-connected",
  "devices-granted",
  /** The customer's page got neither camera nor microphone (refused, or none there); they may try again. */
  "devices-denied",
  "eula-accepted",
  "eula-declined",
  "started",
  "held",
  "resumed",
  "chat",
  "recording-started",
  "recording-stopped",
  "media-connected",
  /** The technician's daemon stopped receiving media (no packets, or ICE disconnected/failed). */
  "media-lost",
  /** Media arrives again after media-lost. */
  "media-restored",
  /** Writing the technician's recording failed (a full disk): it stopped, the session goes on. */
  "recording-error",
  /** The technician saved a still of the live video (`session snapshot`). */
  "snapshot",
  /** The technician began saving the customer's voice to a file (`session listen --out`). */
  "voice-saved",
  /** A Lens drawing or erase (`shape`, `color`, `all`) by a technician (`by`). */
  "annotation",
  /** Both sides hold the picture (`rescue lens freeze`), and let it go. */
  "freeze",
  "unfreeze",
  /** The technician asked the customer's camera to zoom (`level`) or switch its light (`torch`). */
  "camera",
  "customer-paused",
  "customer-resumed",
  "customer-disconnected",
  /** The customer came back within the grace period after a disconnect (`afterMs`). */
  "customer-reconnected",
  /** The customer's socket answered no heartbeat: they vanished without closing (phone locked, radio lost). */
  "customer-lost",
  /** The customer of a desktop session stopped sharing their screen; the session goes on (chat). */
  "screen-share-stopped",
  /**
   * The session's live PIN came from a network (`address`, an IPv4 address or IPv6 /64) whose budget
   * of wrong PINs was spent, and was refused like any PIN from there (SECURITY.md "PIN guessing").
   */
  "pin-refused-network",
  "invited",
  "joined",
  "transferred",
  "permissions-changed",
  "removed",
  "closed",
  "timed-out",
  "aborted",
] as const;
export const SessionLogEvent = z.enum(SESSION_LOG_EVENTS);
export type SessionLogEvent = z.infer<typeof SessionLogEvent>;

/** One line of the persisted session log: `at`, `event`, then event-specific fields. */
export const SessionLogEntry = z
  .object({
    at: IsoTime,
    event: SessionLogEvent,
    by: z.string().optional(),
  })
  .catchall(z.unknown());
export type SessionLogEntry = z.infer<typeof SessionLogEntry>;

/** A whole session log as a reader takes it: an entry it cannot read is left out, the rest still shows. */
export const SessionLog = z.array(z.unknown()).transform((entries) =>
  entries.flatMap((e) => {
    const parsed = SessionLogEntry.safeParse(e);
    return parsed.success ? [parsed.data] : [];
  }),
);

export const ChatMessage = z.object({
  sessionId: Id,
  from: z.enum(["technician", "customer", "system"]),
  /** Technician email or customer name. */
  author: z.string(),
  text: z.string(),
  at: IsoTime,
});
export type ChatMessage = z.infer<typeof ChatMessage>;
