import type { WebSocket } from "ws";

/**
 * Keeps a WebSocket honest about its peer: a ping every `intervalMs`, and when the pong of the
 * last one has not come back by the next, the socket is terminated (its `close` event fires with
 * code 1006), so a peer that vanished without closing (a locked phone, a lost radio link, a
 * frozen process) is found within `2 * intervalMs`. Browsers and the `ws` library answer pings
 * themselves (RFC 6455 5.5.2). `onLost` is called just before the termination. Returns a stop
 * function; closing the socket stops it too.
 */
export function keepAlive(ws: WebSocket, intervalMs: number, onLost?: () => void): () => void {
  let answered = true;
  const onPong = () => (answered = true);
  ws.on("pong", onPong);
  const timer = setInterval(() => {
    if (!answered) {
      stop();
      onLost?.();
      ws.terminate();
      return;
    }
    answered = false;
    try {
      ws.ping();
    } catch {
      // Not open any more: the close event follows.
    }
  }, intervalMs);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    ws.off("pong", onPong);
  };
  ws.once("close", stop);
  return stop;
}
