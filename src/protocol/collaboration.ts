import * as z from "zod";
import { Email, Id, IsoTime, Pin, Text } from "./common.js";
import { CollaboratorPermission } from "./collaborator.js";
import { Session } from "./session.js";

/**
 * Technician collaboration and transfer (server API, technician routes):
 *
 *   POST  /api/v1/sessions/:id/invitations        InviteRequest -> 201 InviteResponse (lead; session active or collaborating)
 *   POST  /api/v1/invitations/join                JoinRequest -> JoinResponse. With a technician token: an internal
 *                                                 invitation addressed to that technician. Without one: an external
 *                                                 invitation; the answer carries a token scoped to that one session.
 *   GET   /api/v1/invitations                     -> Invitation[] (pending ones addressed to the caller)
 *   PATCH /api/v1/sessions/:id/collaborators/:cid CollaboratorPatch -> Session (lead)
 *   POST  /api/v1/sessions/:id/collaborators/:cid/remove -> Session (lead)
 *   POST  /api/v1/sessions/:id/transfer           TransferRequest -> Session (to an online internal technician)
 *   GET   /api/v1/admin/external-technicians      -> ExternalTechnician[] (admin)
 *   POST  /api/v1/admin/external-technicians      AddExternalTechnicianRequest -> 201 ExternalTechnician (admin)
 *
 * The external token opens the technician WebSocket like a login token but reaches only its
 * session (signalling, chat, log, per the collaborator's permissions); removal or the session's
 * end revokes it.
 */
export const InvitationKind = z.enum(["internal", "external"]);
export type InvitationKind = z.infer<typeof InvitationKind>;
/** How an external technician gets the invitation; internal ones are always by email (their account). */
export const InvitationVia = z.enum(["email", "pin", "link"]);
export type InvitationVia = z.infer<typeof InvitationVia>;
export const InvitationStatus = z.enum(["pending", "joined", "removed", "expired"]);

export const Invitation = z.object({
  id: Id,
  sessionId: Id,
  sessionName: z.string(),
  /** The lead technician's email. */
  from: z.string(),
  kind: InvitationKind,
  via: InvitationVia,
  /** External only: the invitee is on the approved list kept by admins. */
  approved: z.boolean(),
  /** The invitee's address, when known. */
  to: z.string().nullable(),
  permissions: z.array(CollaboratorPermission),
  comment: z.string().nullable(),
  status: InvitationStatus,
  /** What `rescue join --pin` takes; null once used. */
  pin: Pin.nullable(),
  expiresAt: IsoTime,
  createdAt: IsoTime,
});
export type Invitation = z.infer<typeof Invitation>;

export const DEFAULT_COLLABORATOR_PERMISSIONS: CollaboratorPermission[] = ["view", "chat"];

export const InviteRequest = z
  .strictObject({
    kind: InvitationKind,
    via: InvitationVia.default("email"),
    /**
     * The internal technician's email; for an external one, their address (needed when via is
     * email; with pin or link it names an approved technician, or labels an unlisted one).
     */
    to: Email.optional(),
    permissions: z.array(CollaboratorPermission).default(DEFAULT_COLLABORATOR_PERMISSIONS),
    comment: Text(500).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.kind === "internal" && (v.via !== "email" || !v.to)) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "an internal invitation names the technician's email" });
    }
    if (v.kind === "external" && v.via === "email" && !v.to) ctx.addIssue({ code: "custom", path: ["to"], message: "via email needs \"to\"" });
  });
export type InviteRequest = z.input<typeof InviteRequest>;

export const InviteResponse = z.object({
  invitation: Invitation,
  pin: Pin.optional(),
  /** For external technicians: `rescue join --link URL` takes it. */
  link: z.string().url().optional(),
});
export type InviteResponse = z.infer<typeof InviteResponse>;

export const JoinRequest = z.strictObject({ pin: Pin });
export type JoinRequest = z.infer<typeof JoinRequest>;

export const JoinResponse = z.object({
  invitation: Invitation,
  session: Session,
  /** External technicians only: the bearer token for this session, shown once. */
  token: z.string().optional(),
  /** The external technician's name in the session (their address, or a label). */
  as: z.string(),
});
export type JoinResponse = z.infer<typeof JoinResponse>;

export const CollaboratorPatch = z.strictObject({ permissions: z.array(CollaboratorPermission) });
export type CollaboratorPatch = z.infer<typeof CollaboratorPatch>;

export const TransferRequest = z.strictObject({ to: Email });
export type TransferRequest = z.infer<typeof TransferRequest>;

/** An external technician admins approved for invitations (GET/POST /api/v1/admin/external-technicians). */
export const ExternalTechnician = z.object({ email: z.string(), name: z.string(), addedAt: IsoTime });
export type ExternalTechnician = z.infer<typeof ExternalTechnician>;
export const AddExternalTechnicianRequest = z.strictObject({ email: Email, name: Text(100).optional() });
export type AddExternalTechnicianRequest = z.input<typeof AddExternalTechnicianRequest>;

/** Local API: `rescue join` with a server for a daemon that is not logged in (external technicians). */
export const LocalJoinRequest = JoinRequest.extend({ server: z.string().url().optional() });
export type LocalJoinRequest = z.infer<typeof LocalJoinRequest>;

/** `cid` is the collaborator id (the invitation id) or the collaborator's email. */
export const CollaboratorParams = z.object({ id: Id, cid: z.union([Id, Email]) });
