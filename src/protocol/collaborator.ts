import * as z from "zod";
import { Id, IsoTime } from "./common.js";

/** What a collaborating technician may do in a session; the lead chooses and may change them. */
export const COLLABORATOR_PERMISSIONS = ["view", "chat", "talk", "annotate", "record"] as const;
export const CollaboratorPermission = z.enum(COLLABORATOR_PERMISSIONS);
export type CollaboratorPermission = z.infer<typeof CollaboratorPermission>;

/** Signals without a `peer` are the lead technician's; collaborators' peers are named by their invitation id. */
export const LEAD_PEER = "lead";

/** A technician who joined a session by invitation. */
export const Collaborator = z.object({
  /** The invitation id; also the customer's name for this technician's media peer. */
  id: Id,
  /** Email of an internal technician, or the external technician's address or label. */
  technician: z.string(),
  external: z.boolean(),
  permissions: z.array(CollaboratorPermission),
  joinedAt: IsoTime,
});
export type Collaborator = z.infer<typeof Collaborator>;
