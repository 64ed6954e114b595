import { useEffect } from "react";
import type { ConsoleClient, VoiceKind } from "../client.js";
import type { ConsoleAction } from "../state/actions.js";

/**
 * Keeps one direction of sound running for session `id` while `on` (and the client has sound):
 * started when both hold, stopped when either changes or the console closes. A failure turns the
 * direction off and says why.
 */
export function useVoice(client: ConsoleClient, id: string | null, kind: VoiceKind, on: boolean, dispatch: (a: ConsoleAction) => void): void {
  useEffect(() => {
    if (id === null || !on || !client.voice) return;
    let current = true;
    let handle;
    try {
      handle = client.voice(id, kind);
    } catch (e) {
      dispatch({ type: "voice/failed", kind, error: (e as Error).message });
      return;
    }
    handle.done.then(
      (error) => {
        if (current && error) dispatch({ type: "voice/failed", kind, error });
      },
      (e: unknown) => current && dispatch({ type: "voice/failed", kind, error: String(e) }),
    );
    return () => {
      current = false;
      handle.stop();
    };
  }, [client, id, kind, on, dispatch]);
}
