import * as z from "zod";
import { IceServer, Id, Pin, SessionStatus, Text } from "./common.js";
import { ChatMessage } from "./session.js";
import { Signal } from "./signal.js";

/**
 * Customer WebSocket, GET /api/v1/customer/ws. The first message must be `join` with the PIN;
 * a wrong or expired PIN closes with WS_CLOSE.invalidPin and the same reason either way.
 * A customer whose socket dropped may send `resume` instead, within the grace period.
 * Order: join -> devices -> eula; the session becomes `waiting` only on eula accepted.
 * Only then may the customer send signals (its offer); media flows once status is `active`.
 * In a desktop session the shared screen is the video: `devices.camera` says whether one was picked.
 */
export const CustomerToServer = z.discriminatedUnion("type", [
  z.object({ type: z.literal("join"), pin: Pin, name: Text(100).optional() }).strict(),
  /**
   * Instead of `join`, after a dropped socket or a page reload: the credential from the last
   * `joined.resume`. Each use gives a new one; a wrong or spent one closes with WS_CLOSE.invalidPin;
   * past the session's budget of resumes it closes with WS_CLOSE.rateLimited and "retry in N s"
   * (retryAfterOfClose), and the credential stays good for a try after that.
   * `awayMs`: how long the customer has been without a connection (by its clock, a page reload
   * included: the page keeps the time it was left in sessionStorage), at most a day: counted from
   * the last message it received from the server (a `pong` to its `ping` every few seconds), not
   * from when it noticed the socket had died, which after an outage is when the network is back. The server
   * bounds it by its grace period and logs it as customer-reconnected `reportedAwayMs`, for reading
   * only: the log's `afterMs` is always the server's own measure.
   */
  z.object({ type: z.literal("resume"), sessionId: Id, token: z.string().min(32).max(128), awayMs: z.number().int().nonnegative().max(86_400_000).optional() }).strict(),
  z.object({ type: z.literal("devices"), camera: z.boolean(), microphone: z.boolean() }).strict(),
  z.object({ type: z.literal("eula"), accepted: z.boolean() }).strict(),
  /** `peer` names the technician (see LEAD_PEER); absent means the lead. */
  z.object({ type: z.literal("signal"), signal: Signal, peer: Id.optional() }).strict(),
  z.object({ type: z.literal("chat"), text: Text(2000) }).strict(),
  /**
   * The customer pauses or resumes their own stream (after the EULA): logged, and shown to the
   * technician as `customer.paused` on the session. `leave` ends the session.
   */
  z.object({ type: z.literal("media"), state: z.enum(["paused", "resumed"]) }).strict(),
  z.object({ type: z.literal("leave") }).strict(),
  /**
   * Sent by the page every few seconds, answered with `pong`: a socket whose other end is gone
   * (the server dropped it during a network outage) is noticed by the page once its network is
   * back, and the last answer tells when the page last heard from the server (`awayMs` counts
   * from there).
   */
  z.object({ type: z.literal("ping") }).strict(),
  /** Desktop sessions: the customer stopped sharing their screen (the browser's stop button or the page's). */
  z.object({ type: z.literal("screen-share"), state: z.literal("stopped") }).strict(),
]);
export type CustomerToServer = z.infer<typeof CustomerToServer>;

export const ServerToCustomer = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("joined"),
    sessionId: Id,
    sessionType: z.enum(["lens", "desktop"]),
    /** Shown to the customer before anything is streamed. */
    recorded: z.boolean(),
    eula: z.string(),
    iceServers: z.array(IceServer),
    /**
     * The customer's resume credential (keep it, e.g. in the tab's sessionStorage) and how long
     * after a dropped connection it still works. Absent from older servers.
     */
    resume: z.object({ token: z.string(), graceMs: z.number().int().nonnegative() }).optional(),
    /** True when this answers `resume`: the customer is back in the session where they left it. */
    resumed: z.boolean().optional(),
  }),
  z.object({ type: z.literal("status"), status: SessionStatus }),
  z.object({ type: z.literal("signal"), signal: Signal, peer: Id.optional() }),
  /**
   * A technician's media peer: on `joined` the customer offers to it (replacing any peer of that
   * name, e.g. the lead after a transfer); on `left` it closes it.
   */
  z.object({ type: z.literal("peer"), peer: Id, event: z.enum(["joined", "left"]) }),
  z.object({ type: z.literal("chat"), message: ChatMessage }),
  z.object({ type: z.literal("error"), code: z.string(), message: z.string() }),
  /** The answer to the customer's `ping`. */
  z.object({ type: z.literal("pong") }),
]);
export type ServerToCustomer = z.infer<typeof ServerToCustomer>;
