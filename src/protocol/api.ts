import * as z from "zod";
import { ConnectionMethod, Email, IceServer, Id, IsoTime, Language, Permission, SessionMode, SessionType, Text } from "./common.js";
import { Session } from "./session.js";

/**
 * The server's HTTP API, all under /api/v1, JSON in and out, errors as ErrorBody.
 * Technician routes take `Authorization: Bearer <token>`.
 *
 *   POST /api/v1/auth/login            LoginRequest -> LoginResponse
 *   POST /api/v1/auth/logout           -> 204
 *   GET  /api/v1/me                    -> Me
 *   GET  /api/v1/config                -> ServerConfig (ICE servers for peers)
 *   POST /api/v1/sessions              CreateSessionRequest -> 201 Session (with delivery when sms/email)
 *                                      A bad phone number or address is a 400 and creates nothing. A carrier
 *                                      that refuses or fails still answers 201: the session and its PIN stay
 *                                      valid (the PIN can be read out), delivery.status is "failed" with the
 *                                      carrier's reason, and the log holds sms-failed/email-failed.
 *   GET  /api/v1/sessions?status=S     -> Session[] (the caller's sessions)
 *   GET  /api/v1/sessions/:id          -> Session
 *   POST /api/v1/sessions/:id/pin      -> Session with a new PIN ("create another PIN")
 *   POST /api/v1/sessions/:id/start    -> Session  (waiting -> active)
 *   POST /api/v1/sessions/:id/hold     -> Session  (active|collaborating -> on-hold)
 *   POST /api/v1/sessions/:id/resume   -> Session  (on-hold -> active)
 *   POST /api/v1/sessions/:id/end      -> Session  (any live status -> closed)
 *   GET  /api/v1/sessions/:id/log      -> SessionLogEntry[]
 *   POST /api/v1/sessions/:id/chat     ChatRequest -> ChatMessage
 *   GET  /api/v1/admin/groups          -> Group[]                       (admin)
 *   POST /api/v1/admin/groups          GroupRequest -> Group            (admin)
 *   PATCH /api/v1/admin/groups/:name   GroupPatch -> Group              (admin)
 *   GET  /api/v1/admin/technicians     -> Technician[]                  (admin)
 *   POST /api/v1/admin/technicians     AddTechnicianRequest -> AddTechnicianResponse (admin)
 *   DELETE /api/v1/admin/technicians/:email[?force=true]  -> OffboardResult (admin; see RemoveTechnician)
 *   PATCH  /api/v1/admin/technicians/:email  TechnicianPatch -> OffboardResult (admin: move, disable, enable)
 *   POST   /api/v1/admin/technicians/:email/password  -> PasswordReset (admin; a new password, old tokens revoked)
 *   DELETE /api/v1/admin/external-technicians/:email  -> ExternalTechnician (admin; the approval withdrawn)
 *   DELETE /api/v1/admin/groups/:name  -> Group (admin; conflict while technicians are in it)
 *   GET  /api/v1/ws                    technician WebSocket (see technician-ws.ts)
 *   GET  /api/v1/customer/ws           customer WebSocket (see customer-ws.ts)
 *   /api/v1/apikeys, /api/v1/integration/..., /api/v1/openapi.json: the contact-center API (see integration.ts)
 *   POST /api/v1/delivery/twilio/:id  Twilio's SMS status callback, form-encoded TwilioStatusCallback signed with
 *                                      X-Twilio-Signature (see twilio.ts) -> 204; unsigned or forged 403, another
 *                                      message than the session's 404, over the limits 429
 * Customer pages (HTML): GET / and /pin (PIN entry, ?code=PIN prefills), /m/:pin (mobile link), /lens?pin=PIN
 * (the session page: the camera page for a Lens PIN, the screen-sharing page for a desktop PIN).
 */

export const LoginRequest = z.strictObject({
  email: Email,
  password: z.string().min(1).max(1024),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

export const Technician = z.object({
  id: Id,
  email: z.string(),
  name: z.string(),
  group: z.string(),
  admin: z.boolean(),
  permissions: z.array(Permission),
  /** Admin listings only: whether the account may log in (disabled: reversibly not; removed: for good). */
  status: z.enum(["active", "disabled", "removed"]).optional(),
});
export type Technician = z.infer<typeof Technician>;
export type TechnicianStatus = NonNullable<Technician["status"]>;

export const LoginResponse = z.object({
  token: z.string(),
  expiresAt: IsoTime,
  technician: Technician,
});
export type LoginResponse = z.infer<typeof LoginResponse>;

export const Me = Technician;
export type Me = Technician;

export const ServerConfig = z.object({
  iceServers: z.array(IceServer),
  publicUrl: z.string().url(),
  /** When the TURN credentials in iceServers lapse: ask again before then. Absent: they do not. */
  iceServersExpireAt: IsoTime.optional(),
});
export type ServerConfig = z.infer<typeof ServerConfig>;

/** The CLI's rule for `--mode`: a Lens session shows the customer's camera, so view is its only mode. */
export function modeFitsType(v: { type: SessionType; mode: SessionMode }, ctx: z.RefinementCtx): void {
  if (v.type === "lens" && v.mode !== "view") ctx.addIssue({ code: "custom", path: ["mode"], message: `mode ${v.mode} applies to desktop sessions` });
}

export const CreateSessionRequest = z
  .strictObject({
    type: SessionType.default("lens"),
    mode: SessionMode.default("view"),
    name: Text(100).optional(),
    method: ConnectionMethod,
    /** Phone number (E.164 or national with `region`) for sms, address for email. */
    to: z.string().trim().min(1).max(254).optional(),
    language: Language.default("en"),
  })
  .superRefine((v, ctx) => {
    modeFitsType(v, ctx);
    if ((v.method === "sms" || v.method === "email") && !v.to) {
      ctx.addIssue({ code: "custom", path: ["to"], message: `method ${v.method} needs "to"` });
    }
  });
export type CreateSessionRequest = z.input<typeof CreateSessionRequest>;

export const SessionListQuery = z.object({
  status: z.string().optional(),
});

export const ChatRequest = z.strictObject({ text: Text(2000) });
export type ChatRequest = z.infer<typeof ChatRequest>;

const PinExpiryMinutes = z.number().int().min(1).max(24 * 60);
const MaxTechnicians = z.number().int().min(1).max(10);

export const GroupSettings = z.object({
  /** Minutes a PIN stays valid. */
  pinExpiryMinutes: PinExpiryMinutes.default(20),
  /** Technicians in one session, lead included. */
  maxTechnicians: MaxTechnicians.default(5),
});

/** Settings to change: only those given (no defaults, which would reset the others). */
const GroupSettingsChange = z.strictObject({ pinExpiryMinutes: PinExpiryMinutes.optional(), maxTechnicians: MaxTechnicians.optional() });

export const Group = z.object({
  name: z.string(),
  permissions: z.array(Permission),
  settings: GroupSettings,
});
export type Group = z.infer<typeof Group>;

export const GroupName = z.string().trim().min(1).max(64).regex(/^[\p{L}\p{N} ._-]+$/u, "letters, digits, space, . _ -");

export const GroupRequest = z.strictObject({
  name: GroupName,
  permissions: z.array(Permission).default([]),
  settings: GroupSettings.partial().strict().optional(),
});
export type GroupRequest = z.input<typeof GroupRequest>;

export const GroupPatch = z.strictObject({
  permissions: z.array(Permission).optional(),
  settings: GroupSettingsChange.optional(),
});
export type GroupPatch = z.input<typeof GroupPatch>;

export const AddTechnicianRequest = z.strictObject({
  email: Email,
  group: GroupName,
  name: Text(100).optional(),
  admin: z.boolean().default(false),
});
export type AddTechnicianRequest = z.input<typeof AddTechnicianRequest>;

/** The generated password is shown once and never again. */
export const AddTechnicianResponse = z.object({ email: z.string(), password: z.string() });
export type AddTechnicianResponse = z.infer<typeof AddTechnicianResponse>;

export const SessionList = z.array(Session);

/** Path parameter naming a technician by email. */
export const TechnicianParams = z.strictObject({ email: Email });

/**
 * An administrator's change to a technician: `group` moves them; `disabled` true takes their access
 * away (tokens revoked, sockets closed), false gives it back. `force` lets a disable end the live
 * sessions they lead, which are refused otherwise.
 */
export const TechnicianPatch = z
  .strictObject({ group: GroupName.optional(), disabled: z.boolean().optional(), force: z.boolean().optional() })
  .refine((p) => p.group !== undefined || p.disabled !== undefined, "give group or disabled");
export type TechnicianPatch = z.input<typeof TechnicianPatch>;

/** Query of DELETE /api/v1/admin/technicians/:email: `force=true` ends the live sessions they lead. */
export const RemoveTechnicianQuery = z.strictObject({ force: z.enum(["true", "false"]).optional() });

/**
 * What an off-boarding action did: the technician's state after it, how many login tokens it
 * revoked (their sockets closed on every node), and the sessions it ended (with `force`).
 */
export const OffboardResult = z.object({
  email: z.string(),
  group: z.string(),
  status: z.enum(["active", "disabled", "removed"]),
  revokedTokens: z.number().int().nonnegative(),
  endedSessions: z.array(Id),
});
export type OffboardResult = z.infer<typeof OffboardResult>;

/** A new password, shown once; every older token of the technician is revoked. */
export const PasswordReset = z.object({ email: z.string(), password: z.string(), revokedTokens: z.number().int().nonnegative() });
export type PasswordReset = z.infer<typeof PasswordReset>;
