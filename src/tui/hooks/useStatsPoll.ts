import { useEffect } from "react";
import type { ConsoleClient } from "../client.js";
import { describeError, isUnavailable } from "../errors.js";
import type { ConsoleAction } from "../state/actions.js";

/** Asks for the media stats of one session every `intervalMs` while `id` is set. */
export function useStatsPoll(client: ConsoleClient, id: string | null, intervalMs: number, dispatch: (a: ConsoleAction) => void): void {
  useEffect(() => {
    if (id === null) return;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const poll = async () => {
      try {
        const stats = await client.stats(id);
        if (!stopped) dispatch({ type: "stats/loaded", id, stats });
      } catch (err) {
        // The event stream reports a vanished daemon; here only the pane's own error matters.
        if (!stopped && !isUnavailable(err)) dispatch({ type: "stats/failed", id, error: describeError(err) });
      }
      if (!stopped) timer = setTimeout(poll, intervalMs);
    };
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, id, intervalMs, dispatch]);
}
