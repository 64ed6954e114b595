import type { FastifyInstance, FastifyRequest } from "fastify";
import * as z from "zod";
import {
  AddTechnicianRequest,
  GroupName,
  GroupPatch,
  GroupRequest,
  RemoveTechnicianQuery,
  RescueError,
  TechnicianParams,
  TechnicianPatch,
  type OffboardResult,
} from "../../protocol/index.js";
import type { Caller } from "../auth/service.js";
import type { Services } from "../services.js";
import { parseInput } from "./parse.js";

const NameParams = z.object({ name: GroupName });

export function adminRoutes(app: FastifyInstance, s: Services): void {
  const admin = async (req: FastifyRequest): Promise<Caller> => {
    const caller = await s.auth.authenticate(req.headers.authorization);
    if (!caller.technician.admin) throw new RescueError("forbidden", "this needs an administrator");
    return caller;
  };

  app.get("/api/v1/admin/groups", async (req) => {
    await admin(req);
    return s.org.listGroups();
  });

  app.post("/api/v1/admin/groups", async (req, reply) => {
    const who = await admin(req);
    const group = await s.org.createGroup(parseInput(GroupRequest, req.body));
    req.log.info({ group: group.name, by: who.technician.email }, "group created");
    return reply.code(201).send(group);
  });

  app.patch("/api/v1/admin/groups/:name", async (req) => {
    const who = await admin(req);
    const { name } = parseInput(NameParams, req.params, "path");
    const group = await s.org.patchGroup(name, parseInput(GroupPatch, req.body));
    req.log.info({ group: group.name, by: who.technician.email }, "group changed");
    return group;
  });

  app.get("/api/v1/admin/technicians", async (req) => {
    await admin(req);
    return s.org.listTechnicians();
  });

  app.post("/api/v1/admin/technicians", async (req, reply) => {
    const who = await admin(req);
    const created = await s.org.addTechnician(parseInput(AddTechnicianRequest, req.body));
    req.log.info({ technician: created.email, by: who.technician.email }, "technician added");
    return reply.code(201).send(created);
  });

  // Off-boarding. Each action is logged with the technician and the admin, never a password.
  app.delete("/api/v1/admin/technicians/:email", async (req) => {
    const who = await admin(req);
    const { email } = parseInput(TechnicianParams, req.params, "path");
    const { force } = parseInput(RemoveTechnicianQuery, req.query, "query");
    const done = await s.offboarding.remove(email, force === "true", who.technician.email);
    logged(req, who, "technician removed", done);
    return done;
  });

  app.patch("/api/v1/admin/technicians/:email", async (req) => {
    const who = await admin(req);
    const { email } = parseInput(TechnicianParams, req.params, "path");
    const patch = parseInput(TechnicianPatch, req.body);
    let done: OffboardResult | undefined;
    if (patch.group !== undefined) {
      done = await s.offboarding.move(email, patch.group);
      logged(req, who, "technician moved", done);
    }
    if (patch.disabled !== undefined) {
      done = await s.offboarding.setDisabled(email, patch.disabled, patch.force ?? false, who.technician.email);
      logged(req, who, patch.disabled ? "technician disabled" : "technician enabled", done);
    }
    return done;
  });

  app.post("/api/v1/admin/technicians/:email/password", async (req) => {
    const who = await admin(req);
    const { email } = parseInput(TechnicianParams, req.params, "path");
    const reset = await s.offboarding.resetPassword(email);
    req.log.info({ technician: reset.email, revokedTokens: reset.revokedTokens, by: who.technician.email }, "technician password reset");
    return reset;
  });

  app.delete("/api/v1/admin/groups/:name", async (req) => {
    const who = await admin(req);
    const { name } = parseInput(NameParams, req.params, "path");
    const group = await s.offboarding.deleteGroup(name);
    req.log.info({ group: group.name, by: who.technician.email }, "group deleted");
    return group;
  });
}

function logged(req: FastifyRequest, who: Caller, message: string, done: OffboardResult): void {
  req.log.info(
    { technician: done.email, group: done.group, status: done.status, revokedTokens: done.revokedTokens, endedSessions: done.endedSessions, by: who.technician.email },
    message,
  );
}
