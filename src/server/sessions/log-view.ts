import { SessionLog, type Session, type SessionLogEntry } from "../../protocol/index.js";
import type { CollaboratorRow } from "../store/types.js";

/** Who reads a session's log: its lead (no collaborator row) or one of its collaborators. */
export interface LogReader {
  email: string;
  collaborator?: CollaboratorRow;
}

/** Secrets and the customer's personal data, kept from collaborators in every entry. */
const HIDDEN_FROM_COLLABORATORS = ["pin", "address"] as const;
/** Delivery events name the customer's phone or mailbox, and a carrier's reason may repeat it. */
const DELIVERY_EVENTS = new Set(["sms-sent", "sms-failed", "sms-queued", "sms-delivered", "email-sent", "email-failed", "email-queued"]);

/**
 * The log as this reader may see it. An invitation's PIN is shown once, to its inviter, in the
 * invite answer, so no reader gets it here (logs written before that rule still hold it). A local
 * file path (and a recording error, which names it) is shown only to the technician whose daemon
 * wrote it. A collaborator sees no PINs, no customer address or contact, and no chat unless the
 * lead gave them chat. Entries that are not well formed are left out, so one bad line cannot make
 * the whole log unreadable.
 */
export function logFor(entries: readonly unknown[], reader: LogReader): SessionLogEntry[] {
  const out: SessionLogEntry[] = [];
  for (const stored of SessionLog.parse(entries)) {
    const entry: SessionLogEntry = { ...stored };
    if (entry.event === "invited") delete entry.pin;
    if (entry.by !== reader.email) {
      delete entry.path;
      // A failed write's message names the file too (ENOSPC ... '/home/x/rec.webm').
      if (entry.event === "recording-error") delete entry.message;
    }
    const c = reader.collaborator;
    if (c) {
      if (entry.event === "chat" && !c.permissions.includes("chat")) continue;
      for (const field of HIDDEN_FROM_COLLABORATORS) delete entry[field];
      if (DELIVERY_EVENTS.has(entry.event)) {
        delete entry.to;
        delete entry.reason;
      }
    }
    out.push(entry);
  }
  return out;
}

/** A session as a collaborator sees it: without the customer's PIN, links and contact. */
export function sessionForCollaborator(session: Session): Session {
  const { delivery: _delivery, ...rest } = session;
  return { ...rest, pin: null, expiresAt: null, links: null };
}
