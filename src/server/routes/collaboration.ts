import type { FastifyInstance, FastifyRequest } from "fastify";
import { z } from "zod";
import { CollaboratorParams, CollaboratorPatch, Id, InviteRequest, JoinRequest, RescueError, TransferRequest } from "../../protocol/index.js";
import type { Caller } from "../auth/service.js";
import type { Services } from "../services.js";
import { parseInput } from "./parse.js";

const IdParams = z.object({ id: Id });

/** Invitations, joining, collaborators' permissions and removal, transfer (see protocol/collaboration.ts). */
export function collaborationRoutes(app: FastifyInstance, s: Services): void {
  const caller = (req: FastifyRequest): Promise<Caller> => s.auth.authenticate(req.headers.authorization);
  const c = s.collaboration;

  app.post("/api/v1/sessions/:id/invitations", async (req, reply) => {
    const who = await caller(req);
    const { id } = parseInput(IdParams, req.params, "path");
    const out = await c.invite(who, id, parseInput(InviteRequest, req.body));
    req.log.info({ sessionId: id, technician: who.technician.email, kind: out.invitation.kind, via: out.invitation.via }, "invitation created");
    return reply.code(201).send(out);
  });

  app.get("/api/v1/invitations", async (req) => c.pendingFor(await caller(req)));

  // No login needed for an external invitation: the PIN is the credential (wrong ones are throttled like customers').
  app.post("/api/v1/invitations/join", async (req) => {
    const address = req.ip;
    if (s.pinsByAddress.blocked(address)) throw new RescueError("rate_limited", "too many PIN attempts; wait a minute");
    const { pin } = parseInput(JoinRequest, req.body);
    const who = req.headers.authorization ? await caller(req) : undefined;
    try {
      const out = await c.join(who, pin);
      req.log.info({ sessionId: out.session.id, as: out.as }, "technician joined");
      return out;
    } catch (err) {
      if (err instanceof RescueError && err.code === "not_found") s.pinsByAddress.fail(address);
      throw err;
    }
  });

  app.patch("/api/v1/sessions/:id/collaborators/:cid", async (req) => {
    const { id, cid } = parseInput(CollaboratorParams, req.params, "path");
    return c.setPermissions(await caller(req), id, cid, parseInput(CollaboratorPatch, req.body).permissions);
  });

  app.post("/api/v1/sessions/:id/collaborators/:cid/remove", async (req) => {
    const { id, cid } = parseInput(CollaboratorParams, req.params, "path");
    return c.remove(await caller(req), id, cid);
  });

  app.post("/api/v1/sessions/:id/transfer", async (req) => {
    const who = await caller(req);
    const { id } = parseInput(IdParams, req.params, "path");
    const session = await c.transfer(who, id, parseInput(TransferRequest, req.body).to);
    req.log.info({ sessionId: id, from: who.technician.email, to: session.technician }, "session transferred");
    return session;
  });
}
