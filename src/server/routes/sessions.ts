import type { FastifyInstance, FastifyRequest } from "fastify";
import * as z from "zod";
import { ChatRequest, CreateSessionRequest, Id, LensAction, RescueError, SESSION_STATUSES, SessionListQuery, SessionStatus } from "../../protocol/index.js";
import type { Caller } from "../auth/service.js";
import type { SessionService } from "../sessions/service.js";
import type { Services } from "../services.js";
import { parseInput } from "./parse.js";

const IdParams = z.object({ id: Id });

/** `?status=a,b` to a list of statuses; none means all. */
function statusesOf(query: unknown): SessionStatus[] {
  const { status } = parseInput(SessionListQuery, query, "query");
  if (!status) return [...SESSION_STATUSES];
  return status.split(",").map((s) => {
    const parsed = SessionStatus.safeParse(s.trim());
    if (!parsed.success) throw new RescueError("bad_request", `unknown status "${s}"; one of ${SESSION_STATUSES.join(", ")}`);
    return parsed.data;
  });
}

export function sessionRoutes(app: FastifyInstance, s: Services): void {
  // The organisation's technicians; an external one is told it is not theirs to do (forbidden).
  const caller = (req: FastifyRequest): Promise<Caller> => s.technician(req.headers.authorization);
  const id = (req: FastifyRequest): string => parseInput(IdParams, req.params, "path").id;
  // Routes a collaborator uses too, an external one with their session-scoped token.
  const participant = (req: FastifyRequest): Promise<Caller> => s.participant(req.headers.authorization);

  app.post("/api/v1/sessions", async (req, reply) => {
    const who = await caller(req);
    const session = await s.sessions.create(who, parseInput(CreateSessionRequest, req.body));
    req.log.info({ sessionId: session.id, technician: who.technician.email, type: session.type, method: session.method }, "session created");
    if (session.delivery?.status === "failed") {
      const { channel, to, reason } = session.delivery;
      req.log.warn({ sessionId: session.id, channel, to, reason }, `${channel}-failed`);
    }
    return reply.code(201).send(session);
  });

  app.get("/api/v1/sessions", async (req) => s.sessions.list(await caller(req), statusesOf(req.query)));
  app.get("/api/v1/sessions/:id", async (req) => s.sessions.get(await participant(req), id(req)));
  app.get("/api/v1/sessions/:id/log", async (req) => s.sessions.logOf(await participant(req), id(req)));
  app.post("/api/v1/sessions/:id/pin", async (req) => s.sessions.regeneratePin(await caller(req), id(req)));

  const actions = { start: "start", hold: "hold", resume: "resume", end: "end" } as const satisfies Record<string, keyof SessionService>;
  for (const action of Object.values(actions)) {
    app.post(`/api/v1/sessions/:id/${action}`, async (req) => {
      const who = await caller(req);
      const session = await s.sessions[action](who, id(req));
      req.log.info({ sessionId: session.id, technician: who.technician.email, status: session.status }, `session ${action}`);
      return session;
    });
  }

  app.post("/api/v1/sessions/:id/chat", async (req) => {
    const who = await participant(req);
    return s.sessions.chatFromTechnician(who, id(req), parseInput(ChatRequest, req.body).text);
  });

  // Lens tools: allowed and logged here; delivered by the lead's daemon (see protocol/lens.ts).
  app.post("/api/v1/sessions/:id/lens", async (req) => {
    const who = await participant(req);
    const action = parseInput(LensAction, req.body);
    const out = await s.sessions.lensAction(who, id(req), action);
    req.log.info({ sessionId: out.sessionId, technician: who.technician.email, action: action.action, delivery: out.delivery }, "lens action");
    return out;
  });
}
