import { RescueError, type Session } from "../protocol/index.js";
import type { ConsoleClient } from "./client.js";
import { describeError, isUnavailable } from "./errors.js";
import type { ConsoleAction } from "./state/actions.js";

export interface FollowOptions {
  /** Pause before asking a vanished daemon again. */
  retryMs: number;
  /** The last event id the state holds, so a new subscription carries on from it. */
  lastEventId: () => number | null;
  now?: () => number;
}

/**
 * Keeps the console fed: status and session list, then the event stream after the last id seen.
 * When the daemon goes away it reports that and tries again until `signal` aborts; a daemon that
 * restarted (another pid or start time) numbers its events afresh, so it starts from scratch.
 */
export async function followDaemon(
  client: ConsoleClient,
  dispatch: (action: ConsoleAction) => void,
  signal: AbortSignal,
  opts: FollowOptions,
): Promise<void> {
  const now = opts.now ?? Date.now;
  let identity: string | null = null;
  while (!signal.aborted) {
    try {
      const status = await client.status();
      // The daemon is there even when it cannot list (not logged in, server away): say why in
      // place and keep following its events rather than calling it unreachable.
      let sessions: Session[] | null = null;
      try {
        sessions = await client.listSessions();
      } catch (err) {
        if (isUnavailable(err)) throw err;
        dispatch({ type: "notice", kind: "error", text: `listing sessions failed: ${describeError(err)}` });
      }
      if (signal.aborted) return;
      const seen = `${status.pid}@${status.startedAt}`;
      const restarted = identity !== null && identity !== seen;
      identity = seen;
      dispatch({ type: "daemon/up", status, sessions, restarted });
      // From the start of what the daemon holds the first time: chat history, and nothing lost
      // between the list above and the subscription.
      const since = restarted ? 0 : (opts.lastEventId() ?? 0);
      for await (const event of client.events(since, signal)) {
        dispatch({ type: "event", event, now: now() });
      }
      if (signal.aborted) return;
      throw new RescueError("unavailable", "the daemon closed the event stream");
    } catch (err) {
      if (signal.aborted) return;
      dispatch({ type: "daemon/down", error: describeError(err) });
      await sleep(opts.retryMs, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}
