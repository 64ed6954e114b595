import type { Session } from "../../../protocol/index.js";

/** Before the technician's start the customer's page sends no media: nothing to see or hear. */
const BEFORE_START: readonly Session["status"][] = ["connecting", "waiting"];

/**
 * Refuses a command on the session's live media (view, listen, snapshot) before its start, with
 * the command that starts it or waits for it: the same words and exit 1 for each of them.
 */
export function requireStarted(session: Pick<Session, "id" | "status">): void {
  if (!BEFORE_START.includes(session.status)) return;
  throw new Error(
    `the session has not started (it is ${session.status}): run rescue session start ${session.id} first, or rescue session wait ${session.id} --status active`,
  );
}
