import * as z from "zod";
import { Id, LensRelayResult, LensRequestId, ServerToCustomer, ServerToTechnician } from "../../protocol/index.js";

/** A server node's id on the bus: random per process (see newNodeId). */
export const NodeId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);

const CloseCode = z.number().int().min(1000).max(4999);
const CloseReason = z.string().max(123);

/**
 * What one node tells the others on the Redis bus. Every node parses what it receives with this
 * schema and drops (and logs) anything else: another node is not trusted blindly either.
 * - technician / customer: a push for the sockets a node holds of that technician or session;
 * - close-technician: every socket of a technician id (an external technician removed);
 * - close-token: every socket opened with a login token (logout), by the token's SHA-256;
 * - close-customer: the session's customer socket (the session ended);
 * - customer-replaced: the customer resumed on node `from`; an older socket elsewhere closes with 4409;
 * - technician-replaced: a connection of the technician opened on node `from` at `openedAt` (epoch
 *   ms; `id` orders those of one millisecond); their sockets opened before it close with 4409;
 * - lens-result: the lead's daemon (`technicianId`) answered a relayed Lens action `ref` on node
 *   `from`; the node waiting for it answers the collaborator.
 */
export const BusMessage = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("technician"), from: NodeId, technicianId: Id, message: ServerToTechnician }),
  z.strictObject({ kind: z.literal("customer"), from: NodeId, sessionId: Id, message: ServerToCustomer }),
  z.strictObject({ kind: z.literal("close-technician"), from: NodeId, technicianId: Id, code: CloseCode, reason: CloseReason }),
  z.strictObject({ kind: z.literal("close-token"), from: NodeId, tokenHash: z.string().regex(/^[0-9a-f]{64}$/) }),
  z.strictObject({ kind: z.literal("close-customer"), from: NodeId, sessionId: Id, code: CloseCode, reason: CloseReason }),
  z.strictObject({ kind: z.literal("customer-replaced"), from: NodeId, sessionId: Id }),
  z.strictObject({
    kind: z.literal("technician-replaced"),
    from: NodeId,
    technicianId: Id,
    openedAt: z.number().int().nonnegative(),
    id: z.string().regex(/^[A-Za-z0-9_-]{12}$/),
  }),
  z.strictObject({ kind: z.literal("lens-result"), from: NodeId, technicianId: Id, sessionId: Id, ref: LensRequestId, result: LensRelayResult }),
]);
export type BusMessage = z.infer<typeof BusMessage>;
