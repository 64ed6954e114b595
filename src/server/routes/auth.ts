import type { FastifyInstance } from "fastify";
import { LoginRequest } from "../../protocol/index.js";
import { technicianView } from "../auth/service.js";
import type { Services } from "../services.js";
import { parseInput } from "./parse.js";

export function authRoutes(app: FastifyInstance, s: Services): void {
  app.post("/api/v1/auth/login", async (req) => {
    const { email, password } = parseInput(LoginRequest, req.body);
    const res = await s.auth.login(email, password, req.ip);
    req.log.info({ technician: email }, "login");
    return res;
  });

  app.post("/api/v1/auth/logout", async (req, reply) => {
    const caller = await s.auth.authenticate(req.headers.authorization);
    await s.auth.logout(caller);
    s.hub.closeToken(caller.tokenHash);
    return reply.code(204).send();
  });

  app.get("/api/v1/me", async (req) => {
    const caller = await s.auth.authenticate(req.headers.authorization);
    return technicianView(caller.technician, caller.group);
  });

  // External collaborators' daemons need the ICE servers too.
  app.get("/api/v1/config", async (req) => {
    const caller = await s.participant(req.headers.authorization);
    // Fresh TURN credentials at every call: a daemon that reconnects or answers a new offer renews them.
    const { iceServers, expiresAt } = s.iceServersFor(`t-${caller.technician.id}`);
    return { iceServers, publicUrl: s.config.publicUrl, ...(expiresAt ? { iceServersExpireAt: expiresAt.toISOString() } : {}) };
  });
}
