import type { FastifyInstance, FastifyRequest } from "fastify";
import * as z from "zod";
import {
  AddExternalTechnicianRequest,
  TechnicianParams,
  ALREADY_EXISTS,
  CollaboratorParams,
  CollaboratorPatch,
  Id,
  InviteRequest,
  JoinRequest,
  RescueError,
  TransferRequest,
  type ExternalTechnician,
} from "../../protocol/index.js";
import type { Caller } from "../auth/service.js";
import type { Services } from "../services.js";
import { parseInput } from "./parse.js";

const IdParams = z.object({ id: Id });

/** Invitations, joining, collaborators' permissions and removal, transfer (see protocol/collaboration.ts). */
export function collaborationRoutes(app: FastifyInstance, s: Services): void {
  // The organisation's technicians; an external one is told it is not theirs to do (forbidden).
  const caller = (req: FastifyRequest): Promise<Caller> => s.technician(req.headers.authorization);
  const c = s.collaboration;

  app.post("/api/v1/sessions/:id/invitations", async (req, reply) => {
    const who = await caller(req);
    const { id } = parseInput(IdParams, req.params, "path");
    const out = await c.invite(who, id, parseInput(InviteRequest, req.body));
    req.log.info({ sessionId: id, technician: who.technician.email, kind: out.invitation.kind, via: out.invitation.via }, "invitation created");
    return reply.code(201).send(out);
  });

  app.get("/api/v1/invitations", async (req) => c.pendingFor(await caller(req)));

  // The link an external technician receives is for the console; opened in a browser it says so.
  app.get("/collaborate/:pin", async (req, reply) => {
    const { pin } = parseInput(z.object({ pin: z.string().regex(/^\d{6}$/) }), req.params, "path");
    const url = `${s.config.publicUrl.replace(/\/+$/, "")}/collaborate/${pin}`;
    return reply
      .type("text/plain; charset=utf-8")
      .header("cache-control", "no-store")
      .send(`You are invited to collaborate on a Rescue session.\nJoin from the technician console:\n\n  rescue join --link ${url}\n`);
  });

  // No login needed for an external invitation: the PIN is the credential (wrong ones are throttled like customers').
  app.post("/api/v1/invitations/join", async (req, reply) => {
    const { pin } = parseInput(JoinRequest, req.body);
    const who = req.headers.authorization ? await caller(req) : undefined;
    const check = await s.pins.check(req.ip, async () => {
      try {
        return await c.join(who, pin);
      } catch (err) {
        if (err instanceof RescueError && err.code === "not_found") return undefined;
        throw err;
      }
    });
    if (!check.ok && check.throttled) {
      reply.header("retry-after", String(check.retryAfterSeconds));
      throw new RescueError("rate_limited", `too many wrong PINs from your network; try again in ${check.retryAfterSeconds} s`, { retryAfterSeconds: check.retryAfterSeconds });
    }
    if (!check.ok) throw new RescueError("not_found", "unknown or expired invitation PIN");
    req.log.info({ sessionId: check.value.session.id, as: check.value.as }, "technician joined");
    return check.value;
  });

  app.patch("/api/v1/sessions/:id/collaborators/:cid", async (req) => {
    const { id, cid } = parseInput(CollaboratorParams, req.params, "path");
    return c.setPermissions(await caller(req), id, cid, parseInput(CollaboratorPatch, req.body).permissions);
  });

  app.post("/api/v1/sessions/:id/collaborators/:cid/remove", async (req) => {
    const { id, cid } = parseInput(CollaboratorParams, req.params, "path");
    return c.remove(await caller(req), id, cid);
  });

  // The approved external technicians, kept by admins.
  const admin = async (req: FastifyRequest): Promise<Caller> => {
    const who = await caller(req);
    if (!who.technician.admin) throw new RescueError("forbidden", "this needs an administrator");
    return who;
  };
  const external = (r: { email: string; name: string; addedAt: string }): ExternalTechnician => ({ email: r.email, name: r.name, addedAt: r.addedAt });
  app.get("/api/v1/admin/external-technicians", async (req) => {
    await admin(req);
    return (await s.store.externalTechnicians.list()).map(external);
  });
  app.post("/api/v1/admin/external-technicians", async (req, reply) => {
    const who = await admin(req);
    const body = parseInput(AddExternalTechnicianRequest, req.body);
    if (await s.store.externalTechnicians.get(body.email)) throw new RescueError("conflict", `${body.email} is already approved`, { reason: ALREADY_EXISTS });
    if (await s.store.technicians.byEmail(body.email)) throw new RescueError("conflict", `${body.email} is a technician of the organisation`);
    const row = { email: body.email, name: body.name ?? body.email.split("@")[0]!, addedAt: s.now().toISOString() };
    await s.store.externalTechnicians.insert(row);
    req.log.info({ email: row.email, by: who.technician.email }, "external technician approved");
    return reply.code(201).send(external(row));
  });
  app.delete("/api/v1/admin/external-technicians/:email", async (req) => {
    const who = await admin(req);
    const { email } = parseInput(TechnicianParams, req.params, "path");
    const row = await s.offboarding.withdrawExternal(email);
    req.log.info({ email: row.email, by: who.technician.email }, "external technician withdrawn");
    return external(row);
  });

  app.post("/api/v1/sessions/:id/transfer", async (req) => {
    const who = await caller(req);
    const { id } = parseInput(IdParams, req.params, "path");
    const session = await c.transfer(who, id, parseInput(TransferRequest, req.body).to);
    req.log.info({ sessionId: id, from: who.technician.email, to: session.technician }, "session transferred");
    return session;
  });
}
