import type { Server } from "node:net";
import type { HttpLimits } from "./limits/config.js";
import { sourceOf } from "./limits/source.js";

/**
 * Caps open connections (HTTP and the WebSockets upgraded from them): `maxConnections` in all
 * (node refuses more) and `maxConnectionsPerSource` from one source, where a socket over the cap
 * is closed at once. Trusted proxies carry many clients, so their sockets are not counted per
 * source.
 */
export function capConnections(server: Server, limits: Pick<HttpLimits, "maxConnections" | "maxConnectionsPerSource">, isProxy: (address: string) => boolean): void {
  server.maxConnections = limits.maxConnections;
  const open = new Map<string, number>();
  server.on("connection", (socket) => {
    const address = socket.remoteAddress ?? "unknown";
    if (isProxy(address)) return;
    const source = sourceOf(address);
    const n = (open.get(source) ?? 0) + 1;
    if (n > limits.maxConnectionsPerSource) {
      socket.destroy();
      return;
    }
    open.set(source, n);
    socket.once("close", () => {
      const left = (open.get(source) ?? 1) - 1;
      if (left <= 0) open.delete(source);
      else open.set(source, left);
    });
  });
}
