import type { Context } from "../context.js";
import { TIMED_OUT, within } from "../daemon/process.js";

/** How long a running daemon has to say which sessions are live. */
const ANSWER_TIMEOUT_MS = 2000;

/**
 * The live sessions (active, on hold, collaborating) of a running daemon: those whose media and
 * recording run through it. Empty when it cannot say in time.
 */
export async function liveSessionsOf(client: Awaited<ReturnType<Context["daemon"]>>): Promise<{ id: string }[]> {
  const sessions = await within(
    client.listSessions().catch(() => []),
    ANSWER_TIMEOUT_MS,
  );
  if (sessions === TIMED_OUT) return [];
  return sessions.filter((s) => s.status === "active" || s.status === "on-hold" || s.status === "collaborating");
}

/** "1 live session (ID)" / "2 live sessions (A, B)". */
export function liveSessionsText(live: readonly { id: string }[]): string {
  return `${live.length} live session${live.length === 1 ? "" : "s"} (${live.map((s) => s.id).join(", ")})`;
}
