import type { FastifyBaseLogger } from "fastify";
import type { WebSocket } from "ws";
import { CustomerToServer, LEAD_PEER, RescueError, WS_CLOSE, type IceServer, type ServerToCustomer } from "../../protocol/index.js";
import { eulaText } from "../eula.js";
import type { BucketStore, Rate } from "../limits/buckets.js";
import type { PinGuard } from "../limits/pin-guard.js";
import { sourceOf } from "../limits/source.js";
import type { SessionService } from "../sessions/service.js";
import type { SessionRow } from "../store/types.js";
import type { CustomerContacts } from "./customer-contacts.js";
import type { Hub } from "./hub.js";
import { closeWith, errorMessage, inOrder, messageBudget, parseMessage } from "./messages.js";
import { keepAlive } from "../../net/heartbeat.js";

export interface CustomerDeps {
  sessions: SessionService;
  hub: Hub;
  /** This node's last contact with each customer socket it holds (for a resume's measured gap). */
  contacts: CustomerContacts;
  pins: PinGuard;
  buckets: BucketStore;
  /** Every message of one socket; over it the socket is closed (rateLimited). */
  messageRate: Rate;
  /** The ICE servers for this session's customer, with TURN credentials made for this connection. */
  iceServers: (sessionId: string) => IceServer[];
  log: FastifyBaseLogger;
  /** True while the server shuts down: closing sockets then does not abort sessions. */
  stopping: () => boolean;
  joinTimeoutMs: number;
  heartbeatMs: number;
  /** Told how long (seconds) each accepted join took, from its message's arrival to `joined` written. */
  joinAnswered?: (seconds: number) => void;
}

/** Why a PIN from a source that spent its budget of wrong PINs is refused, and what the customer can do. */
export const PIN_THROTTLED_REASON = "too many wrong PINs from your network: connect from another network (e.g. mobile data) or call your technician";

/** How often, and for how long (ms), a customer's leave the store could not take is tried again. */
const LEFT_RETRY_MS = 1_000;
const LEFT_RETRY_FOR_MS = 60_000;

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
  const withinBudget = messageBudget(ws, deps.buckets, deps.messageRate, () => log.warn({ sessionId, address }, "customer socket flooding: closed"));

  /**
   * Tells the session that its customer's connection ended (`how`: they left, were lost, or it
   * dropped). A store that cannot be written for a moment (PostgreSQL restarting) is tried again
   * every LEFT_RETRY_MS for LEFT_RETRY_FOR_MS, so a customer who ended the session is not later
   * taken for one who never came back; but not once the customer is back on a newer socket, on
   * any node: a stale leave must not undo a return. A refusal of the session model is final.
   */
  const markLeft = async (id: string, how: Parameters<SessionService["customerLeft"]>[1]): Promise<void> => {
    const giveUpAt = Date.now() + LEFT_RETRY_FOR_MS;
    for (let attempt = 1; ; attempt++) {
      try {
        await sessions.customerLeft(id, how);
        if (attempt > 1) log.info({ sessionId: id, attempt }, "marking customer left succeeded on a later try");
        return;
      } catch (err) {
        const retryable = !(err instanceof RescueError) || err.code === "unavailable" || err.code === "internal";
        if (!retryable || Date.now() > giveUpAt || deps.stopping()) return void log.error({ err, sessionId: id }, "marking customer left failed");
        log.warn({ err: (err as Error).message, sessionId: id, attempt }, "marking customer left failed: trying again");
      }
      await new Promise((r) => setTimeout(r, LEFT_RETRY_MS));
      if (await hub.hasCustomer(id).catch(() => false)) return;
    }
  };

  const joinTimer = setTimeout(() => closeWith(ws, WS_CLOSE.badMessage, "join expected"), deps.joinTimeoutMs);
  // A customer who vanished without closing (phone locked, radio lost) is found by the heartbeat.
  let lost = false;
  keepAlive(ws, deps.heartbeatMs, () => {
    lost = true;
    log.info({ sessionId }, "customer lost: no pong");
  });

  // What the server heard last on the session's current socket (a message or a pong): the gap of a
  // resume that comes before this socket's close is measured from it.
  const heard = () => {
    if (sessionId !== undefined && hub.isCustomer(sessionId, ws)) deps.contacts.heard(sessionId, ws);
  };
  ws.on("pong", heard);
  ws.on("message", heard);
  ws.on("error", (err) => log.debug({ err: err.message }, "customer socket error"));
  /** The customer ended the session themselves (`leave`), rather than their connection dropping. */
  let left = false;
  ws.on("close", () => {
    clearTimeout(joinTimer);
    // A socket that a resume replaced says nothing about the customer, who is back already.
    const current = sessionId !== undefined && hub.isCustomer(sessionId, ws);
    if (sessionId !== undefined) deps.contacts.released(sessionId, ws);
    detach();
    if (sessionId && current && !deps.stopping()) {
      const how = left ? { left } : lost ? { lost: { heartbeatMs: deps.heartbeatMs } } : {};
      void markLeft(sessionId, how);
    }
  });

  /** The customer is in the session (joined or resumed): the socket carries its messages from now on. */
  const enter = (row: SessionRow, resumeToken: string, resumed: boolean) => {
    sessionId = row.id;
    phase = !resumed || row.status === "connecting" ? "joined" : "accepted";
    detach = hub.addCustomer(row.id, ws);
    deps.contacts.heard(row.id, ws);
    send({
      type: "joined",
      sessionId: row.id,
      sessionType: row.type,
      recorded: row.recordable,
      eula: eulaText(row.type),
      // Made at every join and resume: a customer who reconnects gets fresh TURN credentials.
      iceServers: deps.iceServers(row.id),
      resume: { token: resumeToken, graceMs: sessions.customerGraceMs },
      ...(resumed ? { resumed } : {}),
    });
    send({ type: "status", status: row.status });
  };

  ws.on(
    "message",
    inOrder(
      async (data, isBinary, arrivedAt) => {
        if (!(await withinBudget())) return;
        const msg = parseMessage(ws, CustomerToServer, data, isBinary);
        if (!msg) return;
        if (phase === "pin" && msg.type !== "join" && msg.type !== "resume") return closeWith(ws, WS_CLOSE.badMessage, "the first message must be join or resume");
        switch (msg.type) {
          case "join": {
            if (phase !== "pin") return refuse("already joined");
            clearTimeout(joinTimer);
            // The customer is answered as soon as the join is committed, before the technicians'
            // pushes for it are made: those go out at the end of the turn (see LocalSockets.send).
            const admit = (joined: { row: SessionRow; resumeToken: string }) => {
              if (ws.readyState !== ws.OPEN) return;
              customerName = msg.name ?? customerName;
              enter(joined.row, joined.resumeToken, false);
              deps.joinAnswered?.((performance.now() - arrivedAt) / 1000);
            };
            const check = await deps.pins.check(address, () => sessions.customerJoin(msg.pin, msg.name, address, admit));
            if (!check.ok && check.throttled) {
              log.debug({ address }, "PIN attempts throttled");
              // The same answer for a live PIN and a miss. The customer cannot wait out a budget that
              // refills over hours (a link or an SMS carries the same PIN), so they are told what
              // helps; then, out of this client's sight, a live PIN's technician is told.
              closeWith(ws, WS_CLOSE.rateLimited, PIN_THROTTLED_REASON);
              sessions.pinRefusedAtSource(msg.pin, sourceOf(address)).catch((err: unknown) => log.error({ err }, "noting a refused live PIN failed"));
              return;
            }
            if (!check.ok) return closeWith(ws, WS_CLOSE.invalidPin, "unknown or expired PIN");
            const joined = check.value;
            // Gone while joining: away at once, so the page may still come back with its credential.
            if (phase === "pin") return sessions.customerLeft(joined.row.id);
            log.info({ sessionId, address }, "customer joined");
            return;
          }
          case "resume": {
            if (phase !== "pin") return refuse("already joined");
            clearTimeout(joinTimer);
            // A credential is 256 random bits: nothing to walk, so no budget of the address applies, and
            // a customer whose network spent its PIN budget (a guesser behind it) still gets back. The
            // session's own budget of resumes (spent only with the right credential) holds back a
            // holder of it reconnecting in a loop: refused with rateLimited and "retry in N s" (no log line
            // each, as a loop would make), which the page and the simulator wait out and try again.
            let resumed: Awaited<ReturnType<typeof sessions.customerResume>>;
            try {
              resumed = await sessions.customerResume(msg.sessionId, msg.token, address, msg.awayMs, await deps.contacts.lastHeard(msg.sessionId));
            } catch (err) {
              if (!(err instanceof RescueError) || err.code !== "rate_limited") throw err;
              log.debug({ sessionId: msg.sessionId, address }, "customer resume refused: too many reconnects");
              return closeWith(ws, WS_CLOSE.rateLimited, err.message);
            }
            if (!resumed) return closeWith(ws, WS_CLOSE.invalidPin, "this session cannot be resumed (ended, or the link is no longer valid)");
            if ("ended" in resumed) return closeWith(ws, WS_CLOSE.sessionEnded, `the session has ended: ${resumed.ended}`);
            if (ws.readyState !== ws.OPEN) return sessions.customerLeft(resumed.row.id);
            enter(resumed.row, resumed.resumeToken, true);
            log.info({ sessionId, address }, "customer resumed");
            return;
          }
          case "devices":
            // Again after a refusal: the customer allowed the camera in the browser and tried again.
            if (phase !== "joined" && phase !== "devices") return refuse("devices are reported after join, before the EULA");
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
          case "ping":
            // The customer counts its time away from the last message it had (see `resume`).
            return send({ type: "pong" });
          case "leave":
            left = true;
            return closeWith(ws, 1000, "left");
        }
      },
      (err) => send(errorMessage(err)),
    ),
  );
}
