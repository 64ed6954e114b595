import type { FastifyBaseLogger } from "fastify";
import type { WebSocket } from "ws";
import { CustomerToServer, LEAD_PEER, WS_CLOSE, type IceServer, type ServerToCustomer } from "../../protocol/index.js";
import { EULA_TEXT } from "../eula.js";
import type { BucketStore, Rate } from "../limits/buckets.js";
import type { PinGuard } from "../limits/pin-guard.js";
import type { SessionService } from "../sessions/service.js";
import type { Hub } from "./hub.js";
import { closeWith, errorMessage, inOrder, messageBudget, parseMessage } from "./messages.js";
import { keepAlive } from "../../net/heartbeat.js";

export interface CustomerDeps {
  sessions: SessionService;
  hub: Hub;
  pins: PinGuard;
  buckets: BucketStore;
  /** Every message of one socket; over it the socket is closed (rateLimited). */
  messageRate: Rate;
  iceServers: IceServer[];
  log: FastifyBaseLogger;
  /** True while the server shuts down: closing sockets then does not abort sessions. */
  stopping: () => boolean;
  joinTimeoutMs: number;
  heartbeatMs: number;
}

/** Steps a customer goes through, in this order. */
type Phase = "pin" | "joined" | "devices" | "accepted";

/** One customer connection: join with a PIN, report devices, answer the EULA, then signal and chat. */
export function customerConnection(ws: WebSocket, address: string, deps: CustomerDeps): void {
  const { sessions, hub, log } = deps;
  let phase: Phase = "pin";
  let sessionId: string | undefined;
  let customerName = "Customer";
  let detach = () => {};
  const send = (m: ServerToCustomer): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
  };
  const refuse = (message: string) => send({ type: "error", code: "conflict", message });
  const withinBudget = messageBudget(ws, deps.buckets, deps.messageRate);

  const joinTimer = setTimeout(() => closeWith(ws, WS_CLOSE.badMessage, "join expected"), deps.joinTimeoutMs);
  // A customer who vanished without closing (phone locked, radio lost) is found by the heartbeat.
  let lost = false;
  keepAlive(ws, deps.heartbeatMs, () => {
    lost = true;
    log.info({ sessionId }, "customer lost: no pong");
  });

  ws.on("error", (err) => log.debug({ err: err.message }, "customer socket error"));
  ws.on("close", () => {
    clearTimeout(joinTimer);
    detach();
    if (sessionId && !deps.stopping()) {
      sessions.customerLeft(sessionId, lost ? { lost: { heartbeatMs: deps.heartbeatMs } } : {}).catch((err: unknown) => log.error({ err, sessionId }, "marking customer left failed"));
    }
  });

  ws.on(
    "message",
    inOrder(
      async (data, isBinary) => {
        if (!(await withinBudget())) return log.warn({ sessionId, address }, "customer socket flooding: closed");
        const msg = parseMessage(ws, CustomerToServer, data, isBinary);
        if (!msg) return;
        if (phase === "pin" && msg.type !== "join") return closeWith(ws, WS_CLOSE.badMessage, "the first message must be join");
        switch (msg.type) {
          case "join": {
            if (phase !== "pin") return refuse("already joined");
            clearTimeout(joinTimer);
            const check = await deps.pins.check(address, () => sessions.customerJoin(msg.pin, msg.name, address));
            if (!check.ok && check.throttled) {
              log.debug({ address }, "PIN attempts throttled");
              return closeWith(ws, WS_CLOSE.rateLimited, `too many wrong PINs from your network; try again in ${check.retryAfterSeconds} s`);
            }
            if (!check.ok) return closeWith(ws, WS_CLOSE.invalidPin, "unknown or expired PIN");
            const row = check.value;
            if (ws.readyState !== ws.OPEN) return sessions.customerLeft(row.id);
            sessionId = row.id;
            customerName = msg.name ?? customerName;
            phase = "joined";
            detach = hub.addCustomer(row.id, ws);
            log.info({ sessionId, address }, "customer joined");
            send({ type: "joined", sessionId: row.id, sessionType: row.type, recorded: row.recordable, eula: EULA_TEXT, iceServers: deps.iceServers });
            send({ type: "status", status: row.status });
            return;
          }
          case "devices":
            if (phase !== "joined") return refuse("devices are reported once, right after join");
            await sessions.customerDevices(sessionId!, msg.camera, msg.microphone);
            phase = "devices";
            return;
          case "eula": {
            if (phase !== "devices") return refuse(phase === "joined" ? "report devices before answering the EULA" : "the EULA is already answered");
            const row = await sessions.customerEula(sessionId!, msg.accepted);
            if (row.status === "waiting") phase = "accepted";
            return;
          }
          case "signal": {
            if (phase !== "accepted") return refuse("signalling opens once the EULA is accepted");
            const row = await sessions.customerMaySignal(sessionId!);
            if (!row) return refuse("the session does not take signals now");
            // A collaborator's peer is named by its invitation id; no name (or LEAD_PEER) is the lead.
            const to = !msg.peer || msg.peer === LEAD_PEER ? row.technicianId : row.collaborators.find((c) => c.id === msg.peer)?.technicianId;
            if (!to) return refuse(`no technician ${msg.peer} in this session`);
            hub.toTechnician(to, { type: "signal", sessionId: row.id, signal: msg.signal });
            return;
          }
          case "chat":
            if (phase !== "accepted") return refuse("chat opens once the EULA is accepted");
            await sessions.customerChat(sessionId!, customerName, msg.text);
            return;
          case "media":
            if (phase !== "accepted") return refuse("media opens once the EULA is accepted");
            log.info({ sessionId, state: msg.state }, `customer-${msg.state}`);
            await sessions.customerMedia(sessionId!, msg.state);
            return;
          case "screen-share":
            if (phase !== "accepted") return refuse("screen sharing opens once the EULA is accepted");
            await sessions.customerScreenStopped(sessionId!);
            return;
          case "leave":
            return closeWith(ws, 1000, "left");
        }
      },
      (err) => send(errorMessage(err)),
    ),
  );
}
