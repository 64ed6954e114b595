import type { FastifyBaseLogger } from "fastify";
import type { WebSocket } from "ws";
import { LEAD_PEER, TechnicianToServer, type ServerToTechnician } from "../../protocol/index.js";
import { technicianView, type Caller } from "../auth/service.js";
import type { CollaborationService } from "../sessions/collaboration.js";
import type { SessionService } from "../sessions/service.js";
import type { Hub } from "./hub.js";
import type { BucketStore, Rate } from "../limits/buckets.js";
import { errorMessage, inOrder, messageBudget, parseMessage } from "./messages.js";

/** One technician connection (usually their daemon): pushes of their sessions, signalling, chat, media events. */
export async function technicianConnection(
  ws: WebSocket,
  caller: Caller,
  deps: { sessions: SessionService; collaboration: CollaborationService; hub: Hub; log: FastifyBaseLogger; buckets: BucketStore; messageRate: Rate },
) {
  const { sessions, hub, log } = deps;
  const send = (m: ServerToTechnician): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  const registration = hub.addTechnician(caller.technician.id, caller.tokenHash, ws);
  ws.on("error", (err) => log.debug({ err: err.message }, "technician socket error"));
  ws.on("close", registration.detach);
  const withinBudget = messageBudget(ws, deps.buckets, deps.messageRate, () => log.warn({ technician: caller.technician.email }, "technician socket flooding: closed"));

  ws.on(
    "message",
    inOrder(
      async (data, isBinary) => {
        if (!(await withinBudget())) return;
        const msg = parseMessage(ws, TechnicianToServer, data, isBinary);
        if (!msg) return;
        switch (msg.type) {
          case "signal": {
            const { row, peer } = await sessions.signalTarget(caller, msg.sessionId);
            if (!(await hub.hasCustomer(row.id))) return send({ type: "error", code: "conflict", message: `no customer connected to session ${row.id}` });
            hub.toCustomer(row.id, { type: "signal", signal: msg.signal, ...(peer === LEAD_PEER ? {} : { peer }) });
            return;
          }
          case "reoffer": {
            // The customer's device makes a new connection to this technician and offers on it;
            // limited per technician and session (a refusal is an error message, the socket stays).
            const { row, peer } = await sessions.reofferTarget(caller, msg.sessionId);
            if (!(await hub.hasCustomer(row.id))) return send({ type: "error", code: "conflict", message: `no customer connected to session ${row.id}` });
            log.info({ sessionId: row.id, technician: caller.technician.email }, "customer asked for a new offer");
            hub.toCustomer(row.id, { type: "peer", peer, event: "joined" });
            return;
          }
          case "chat":
            await sessions.chatFromTechnician(caller, msg.sessionId, msg.text);
            return;
          case "media":
            await sessions.mediaEvent(caller, msg.sessionId, msg.event, msg.detail ?? {});
            return;
          case "lens-result":
            // Counted only when this technician leads the session and was asked (the Hub checks).
            hub.lensResult(caller.technician.id, msg.sessionId, msg.ref, msg.result);
            return;
        }
      },
      (err) => send(errorMessage(err)),
    ),
  );

  send({ type: "hello", technician: technicianView(caller.technician, caller.group) });
  const snapshot = await sessions.snapshot(caller);
  send({ type: "sessions", sessions: snapshot });
  registration.ready();
  // The customer's device offers (again) to this technician in sessions they collaborate in,
  // within their reoffer budget; a session over it is an error message, the socket stays.
  for (const refused of await deps.collaboration.connected(caller, snapshot)) send(errorMessage(refused));
}

