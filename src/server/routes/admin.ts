import type { FastifyInstance, FastifyRequest } from "fastify";
import * as z from "zod";
import { AddTechnicianRequest, GroupName, GroupPatch, GroupRequest, RescueError } from "../../protocol/index.js";
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
}
