import { lensLogEvent, type LensAction } from "../../src/protocol/index.js";
import type { EventLog } from "../events.js";
import type { Logger } from "../log.js";

/** One Lens-tool action as this daemon delivered it. */
export interface LensEntry {
  /** Epoch milliseconds when it went to the customer's page. */
  atMs: number;
  action: LensAction;
  /** The technician who asked (the lead, or a collaborator the server allowed). */
  by: string;
  /** Zoom and torch: whether the camera did it. */
  applied?: boolean;
  reason?: string;
}

/** How many actions a session keeps (a free line is one; a busy session stays bounded). */
const KEEP_PER_SESSION = 2000;

/**
 * The one place where the daemon records the Lens tools used in each session, with their time:
 * the daemon's log, the local event stream (a `media` event named as the session log names it:
 * annotation, freeze, unfreeze, camera), and a bounded in-memory list per session for a
 * timeline beside the recording.
 */
export class LensJournal {
  private readonly bySession = new Map<string, LensEntry[]>();

  constructor(
    private readonly events: EventLog,
    private readonly log: Logger,
  ) {}

  record(sessionId: string, entry: LensEntry): void {
    let list = this.bySession.get(sessionId);
    if (!list) this.bySession.set(sessionId, (list = []));
    list.push(entry);
    if (list.length > KEEP_PER_SESSION) list.shift();
    const { action: name, ...fields } = entry.action;
    const outcome = entry.applied === undefined ? "" : entry.applied ? " (applied)" : ` (not applied: ${entry.reason ?? "refused"})`;
    this.log.info(`session ${sessionId}: lens ${name} by ${entry.by}${outcome}`);
    this.events.emit({
      type: "media",
      sessionId,
      event: lensLogEvent(name),
      detail: {
        action: name,
        ...fields,
        by: entry.by,
        at: new Date(entry.atMs).toISOString(),
        ...(entry.applied === undefined ? {} : { applied: entry.applied }),
        ...(entry.reason ? { reason: entry.reason } : {}),
      },
    });
  }

  /** The session's actions, oldest first. */
  entries(sessionId: string): readonly LensEntry[] {
    return this.bySession.get(sessionId) ?? [];
  }

  forget(sessionId: string): void {
    this.bySession.delete(sessionId);
  }
}
