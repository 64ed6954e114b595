import type { IncomingMessage, Server } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import { WebSocketServer } from "ws";
import { MAX_MESSAGE_BYTES, RescueError, WS_CLOSE } from "../../protocol/index.js";
import { clientAddress, type TrustProxy } from "../proxy.js";
import type { Services } from "../services.js";
import { customerConnection } from "./customer.js";
import { closeWith } from "./messages.js";
import { technicianConnection } from "./technician.js";
import { keepAlive } from "../../net/heartbeat.js";

export const TECHNICIAN_WS_PATH = "/api/v1/ws";
export const CUSTOMER_WS_PATH = "/api/v1/customer/ws";

/**
 * Serves both WebSocket endpoints on the HTTP server's port. Returns a function that closes every
 * socket (1001, going away), or with `cut` drops them without a close frame, as a crash would.
 */
export function attachWebSockets(
  server: Server | HttpsServer,
  services: Services,
  opts: { stopping: () => boolean; joinTimeoutMs: number; heartbeatMs: number; trust: TrustProxy },
): (how?: { cut?: boolean }) => Promise<void> {
  // Oversized messages are closed by ws itself with 1009 (message too big). No compression: pushes
  // are framed once and written to each socket's stream as they are (see LocalSockets.send).
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES, perMessageDeflate: false });
  const { log } = services;

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const path = (req.url ?? "").split("?")[0];
    const address = clientAddress(req, opts.trust);
    if (path === CUSTOMER_WS_PATH) {
      wss.handleUpgrade(req, socket, head, (ws) => {
        services.metrics.trackSocket("customer", ws);
        customerConnection(ws, address, {
          sessions: services.sessions,
          hub: services.hub,
          contacts: services.customerContacts,
          pins: services.pins,
          buckets: services.socketBuckets,
          messageRate: services.limits.socketMessages,
          iceServers: (sessionId) => services.iceServersFor(`c-${sessionId}`).iceServers,
          log,
          stopping: opts.stopping,
          joinTimeoutMs: opts.joinTimeoutMs,
          heartbeatMs: opts.heartbeatMs,
          joinAnswered: (seconds) => services.metrics.customerJoinDuration.observe(seconds),
        });
      });
    } else if (path === TECHNICIAN_WS_PATH) {
      // Authenticate first, then upgrade either way: a refused client reads the close code.
      services.participant(req.headers.authorization).then(
        (caller) =>
          wss.handleUpgrade(req, socket, head, (ws) => {
            services.metrics.trackSocket("technician", ws);
            // A daemon that vanished (a sleeping laptop) goes offline: transfers no longer pick it.
            keepAlive(ws, opts.heartbeatMs, () => log.info({ technician: caller.technician.email }, "technician lost: no pong"));
            const deps = { sessions: services.sessions, collaboration: services.collaboration, hub: services.hub, log, buckets: services.socketBuckets, messageRate: services.limits.socketMessages };
            technicianConnection(ws, caller, deps).catch((err: unknown) => {
              log.error({ err }, "technician connection failed");
              ws.terminate();
            });
          }),
        (err: unknown) => {
          if (!(err instanceof RescueError)) log.error({ err }, "technician authentication failed");
          wss.handleUpgrade(req, socket, head, (ws) => {
            ws.on("error", () => undefined);
            closeWith(ws, WS_CLOSE.unauthenticated, "missing, invalid or expired token; log in again");
          });
        },
      );
    } else {
      socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    }
  };
  server.on("upgrade", onUpgrade);

  return async (how = {}) => {
    server.off("upgrade", onUpgrade);
    const closed = [...wss.clients].map((ws) => new Promise((resolve) => ws.once("close", resolve)));
    for (const ws of wss.clients) {
      if (how.cut) ws.terminate();
      else ws.close(1001, "server shutting down");
    }
    // Sockets that do not answer the close in time are cut.
    const cut = setTimeout(() => {
      for (const ws of wss.clients) ws.terminate();
    }, 1000);
    await Promise.all(closed);
    clearTimeout(cut);
    wss.close();
  };
}
